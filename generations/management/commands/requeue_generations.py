"""Enqueue again the generation jobs that lost their queue message or their worker.

The product's scheduler runs this every minute (``run_scheduler``); the command is
for a one-off run. Safe at any time: a job is claimed by a conditional update, so an
extra delivery does nothing.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from generations.services import generations_requeue_stale


class Command(BaseCommand):
    help = "Enqueue again generation jobs stuck in queued/running (lost message, dead worker)."

    def handle(self, *args, **options) -> None:
        count = generations_requeue_stale()
        self.stdout.write(f"Enqueued {count} stale generation job(s) again.")
