"""Verifies that every model's cached royaltyBalance equals their royalty_ledger sum.

Exits non-zero naming each model that does not match.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from generations.selectors import royalty_mismatches


class Command(BaseCommand):
    help = "Check that every model's royaltyBalance equals the sum of their royalty ledger."

    def handle(self, *args, **options) -> None:
        mismatches = royalty_mismatches()
        if not mismatches:
            self.stdout.write(self.style.SUCCESS("All royalty balances match their ledgers."))
            return
        for m in mismatches:
            self.stderr.write(
                f"MISMATCH {m['name']} (model user {m['model_user_id']}): "
                f"royaltyBalance={m['cached']}, ledger sum={m['ledger']}"
            )
        raise CommandError(f"{len(mismatches)} royalty balance(s) do not match their ledger.")
