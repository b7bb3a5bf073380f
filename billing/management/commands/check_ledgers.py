"""Verifies that every cached aiCredits equals the sum of its applied ledger rows.

Exits non-zero naming each account that does not match. A movement in flight can
make one read disagree for an instant, so a mismatch is read twice before it is
reported. ``--repair`` resolves rows left PENDING by a crash (billing.services.ledger_repair).
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from billing import selectors, services
from modelsnapper.errors import DomainError


class Command(BaseCommand):
    help = "Check that every business's aiCredits equals its credit ledger sum."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--repair", action="store_true", help="Resolve rows left pending by a crash first."
        )
        parser.add_argument(
            "--recheck-delay",
            type=float,
            default=0.5,
            help="Seconds to wait before re-reading a mismatch (default 0.5).",
        )

    def handle(self, *args, repair: bool = False, recheck_delay: float = 0.5, **options) -> None:
        mismatches = selectors.ledger_mismatches()
        if mismatches and recheck_delay > 0:
            # A movement in flight looks like a mismatch for a moment: look again.
            time.sleep(recheck_delay)
        if mismatches:
            mismatches = self._again(mismatches)
        if repair:
            self._repair_in_doubt()
            if mismatches:
                mismatches = self._again(mismatches)
        else:
            self._warn_in_doubt()
        if not mismatches:
            self.stdout.write(self.style.SUCCESS("All credit balances match their ledgers."))
            return
        for m in mismatches:
            doubt = f", {m.in_doubt} pending row(s): try --repair" if m.in_doubt else ""
            self.stderr.write(
                f"MISMATCH {m.business.business_name} <{m.business.user.email}> "
                f"(business {m.business.pk}): aiCredits={m.cached}, ledger sum={m.ledger}{doubt}"
            )
        raise CommandError(f"{len(mismatches)} credit balance(s) do not match their ledger.")

    def _again(self, mismatches: list) -> list:
        return selectors.ledger_mismatches(business_ids=[m.business.pk for m in mismatches])

    def _in_doubt(self) -> list:
        return list(
            selectors.businesses_with_stale_pending_rows(older_than=services.PENDING_STALE_AFTER)
        )

    def _repair_in_doubt(self) -> None:
        for business in self._in_doubt():
            try:
                for line in services.ledger_repair(business=business):
                    if "left for an admin" in line:
                        self.stderr.write(f"NOT REPAIRED {business.user.email}: {line}")
                    else:
                        self.stdout.write(f"repaired {business.user.email}: {line}")
            except DomainError as error:
                self.stderr.write(f"{business.user.email}: {error.message}")

    def _warn_in_doubt(self) -> None:
        for business in self._in_doubt():
            self.stderr.write(
                f"warning: {business.user.email} has a credit movement in doubt "
                "(a pending ledger row from a crashed writer): run with --repair"
            )
