"""Expire approvals past their end date and remind both sides a week before.

The product's scheduler runs this daily (``run_scheduler``); the command is for a
one-off run. Running it twice does nothing more: each expiry and each reminder is
claimed by a conditional update.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from marketplace.services import consents_daily_sweep


class Command(BaseCommand):
    help = "Expire consents past their expiry date and send renewal reminders (7 days ahead)."

    def handle(self, *args, **options) -> None:
        self.stdout.write(str(consents_daily_sweep()))
