"""Verifies every model's cached royaltyBalance = royalties - payouts (+ amounts given back).

Exits non-zero naming each model that does not match, and each payout a crash left
between its claim and the balance (MongoDB only) for an admin to look at.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from payouts.selectors import balance_mismatches, pending_payouts


class Command(BaseCommand):
    help = "Check that every model's royaltyBalance equals royalties minus payouts."

    def handle(self, *args, **options) -> None:
        mismatches = balance_mismatches()
        for m in mismatches:
            self.stderr.write(
                f"MISMATCH {m['name']} (model user {m['model_user_id']}): "
                f"royaltyBalance={m['cached']}, ledger sum={m['ledger']} "
                f"(royalties {m['royalties']} - payouts {m['payouts']} + returned {m['returned']})"
            )
        for entry in pending_payouts():
            self.stderr.write(f"PENDING {entry.key}: {entry.amount} (payouts_run settles it)")
        if mismatches:
            raise CommandError(f"{len(mismatches)} royalty balance(s) do not match their ledger.")
        self.stdout.write(self.style.SUCCESS("All royalty balances match royalties minus payouts."))
