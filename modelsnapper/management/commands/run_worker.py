"""One task worker with a heartbeat: RQ when REDIS_URL is set, else the database queue.

Run N of these at scale. The heartbeat (``modelsnapper.heartbeat``) tells the web
processes that jobs will run; without a recent one, New photos pauses instead of
spending credits on jobs nobody runs. SIGTERM/Ctrl-C stops gracefully: the running
job finishes first (both workers' own shutdown).
"""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from modelsnapper import heartbeat


class Command(BaseCommand):
    help = "Run one task worker (RQ with REDIS_URL, else the database queue) with a heartbeat."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--burst", action="store_true", help="Stop once the queue is empty (tests, one-offs)."
        )

    def handle(self, *args, **options) -> None:
        heartbeat.start_beating()
        if settings.REDIS_URL:
            rq_args = ["default", "--with-scheduler", "--job-class", "django_tasks_rq.backend.Job"]
            call_command("rqworker", *rq_args, *(["--burst"] if options["burst"] else []))
        else:
            call_command("db_worker", queue_name="*", batch=options["burst"])
