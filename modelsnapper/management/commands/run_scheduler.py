"""The product's scheduler: puts due periodic jobs on the task queue (see
``modelsnapper.scheduler``). One per deployment is enough; a second is harmless."""

from __future__ import annotations

import logging
import signal
import time
from types import FrameType

from django.core.management.base import BaseCommand, CommandParser

from modelsnapper import scheduler

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Enqueue the periodic jobs (re-queue lost generations, consent expiry, ...) when due."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="One tick, then exit.")
        parser.add_argument("--every", type=float, default=scheduler.TICK_SECONDS)

    def handle(self, *args, **options) -> None:
        running = [True]

        def stop(signum: int, frame: FrameType | None) -> None:
            running[0] = False

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        names = ", ".join(
            f"{job.name} every {job.every.total_seconds() / 60:g} min" for job in scheduler.jobs()
        )
        self.stdout.write(f"Scheduler: {names}")
        while running[0]:
            try:
                scheduler.tick()  # logs each job it enqueues
            except Exception:  # Redis away for a moment: try again next tick
                logger.exception("scheduler: tick failed")
            if options["once"]:
                return
            deadline = time.monotonic() + options["every"]
            while running[0] and time.monotonic() < deadline:
                time.sleep(0.2)
        self.stdout.write("Scheduler: stopped")
