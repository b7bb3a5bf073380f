"""Expire approvals past their end date and remind both sides a week before.

Run it daily (cron, a scheduler, or beside the worker). Running it twice does
nothing more: each expiry and each reminder is claimed by a conditional update.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from marketplace.services import consents_expire_due, consents_reconcile


class Command(BaseCommand):
    help = "Expire consents past their expiry date and send renewal reminders (7 days ahead)."

    def handle(self, *args, **options) -> None:
        expired, prompted = consents_expire_due()
        repaired = consents_reconcile()
        self.stdout.write(
            f"expired {expired} consent(s), sent {prompted} renewal reminder(s), "
            f"repaired {repaired} whitelist entr(y/ies)"
        )
