"""Serve the product: the web server, the task worker(s) and the scheduler, supervised.

``make run`` uses Django's development server; ``make prod`` (``--production``)
uses gunicorn with ``WEB_CONCURRENCY`` workers on ``PORT``. A worker or the
scheduler that exits is started again; one that keeps exiting (5 times within a
minute) stops everything with a message, as does the web server exiting. Ctrl-C or
SIGTERM stops every process gracefully: each gets SIGTERM once (workers finish
their running job) and ``SHUTDOWN_GRACE_SECONDS`` to exit before it is killed; a job
cut short that way is re-queued by the scheduler's sweep.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

RESTART_LIMIT = 5
RESTART_WINDOW_SECONDS = 60.0
POLL_SECONDS = 0.5


@dataclass
class Child:
    name: str
    argv: list[str]
    essential: bool  # the web server: when it exits, everything stops
    process: subprocess.Popen[bytes] | None = None
    exits: deque[float] = field(default_factory=deque)

    def start(self) -> None:
        # Its own session: Ctrl-C in the terminal reaches only the supervisor, which
        # then sends each child one SIGTERM (a second signal would cut a job short).
        self.process = subprocess.Popen(self.argv, start_new_session=True)  # noqa: S603
        print(f"Started the {self.name} (pid {self.process.pid}).", flush=True)

    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def signal(self, signum: int) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signum)

    def keeps_exiting(self, now: float) -> bool:
        self.exits.append(now)
        while self.exits and now - self.exits[0] > RESTART_WINDOW_SECONDS:
            self.exits.popleft()
        return len(self.exits) >= RESTART_LIMIT


class Command(BaseCommand):
    help = "Serve: web server, task worker(s) and scheduler, supervised (make run / make prod)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--production", action="store_true", help="gunicorn instead of runserver."
        )

    def handle(self, *args, **options) -> None:
        production = options["production"]
        if production:
            self._refuse_unless_ready_for_production()
        children = self._children(production=production)
        self.stopping = False
        signal.signal(signal.SIGINT, self._stop)
        signal.signal(signal.SIGTERM, self._stop)
        for child in children:
            child.start()
        kind = "gunicorn" if production else "the development server"
        self.stdout.write(
            f"Serving on http://127.0.0.1:{settings.PORT}/ with {kind}, "
            f"{settings.WORKER_PROCESSES} task worker(s) and the scheduler. Ctrl-C stops all."
        )
        code = self._supervise(children)
        self._stop_all(children)
        if code:
            raise CommandError(f"stopped (exit status {code})", returncode=code)

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def _refuse_unless_ready_for_production(self) -> None:
        if not settings.IS_PRODUCTION:
            raise CommandError(
                "serve --production needs DJANGO_ENV=production (make prod sets it)."
            )
        manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
        if not manifest.exists():
            raise CommandError(
                f"Static files are not collected ({manifest} is missing): run "
                "`manage.py collectstatic --noinput` first (make prod does)."
            )
        # Raises SystemCheckError naming each problem (HTTPS, cookies, HSTS, ...).
        call_command("check", deploy=True, fail_level="WARNING")

    def _children(self, *, production: bool) -> list[Child]:
        manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
        if production:
            web = [
                sys.executable,
                "-m",
                "gunicorn",
                "modelsnapper.wsgi:application",
                f"--workers={settings.WEB_CONCURRENCY}",
                f"--bind={settings.BIND_HOST}:{settings.PORT}",
                "--graceful-timeout=30",
                "--access-logfile=-",
                # Gunicorn 27's admin socket (~/.gunicorn): nothing here uses it.
                "--no-control-socket",
            ]
        else:
            web = [*manage, "runserver", f"127.0.0.1:{settings.PORT}"]
        workers = [
            Child(f"task worker {number}", [*manage, "run_worker"], essential=False)
            for number in range(1, settings.WORKER_PROCESSES + 1)
        ]
        scheduler = Child("scheduler", [*manage, "run_scheduler"], essential=False)
        return [Child("web server", web, essential=True), *workers, scheduler]

    def _supervise(self, children: list[Child]) -> int:
        while not self.stopping:
            time.sleep(POLL_SECONDS)
            for child in children:
                code = child.exit_code()
                if code is None or self.stopping:
                    continue
                if child.essential:
                    self.stderr.write(f"The {child.name} exited ({code}): stopping everything.")
                    return code or 1
                if child.keeps_exiting(time.monotonic()):
                    self.stderr.write(
                        f"The {child.name} exited {RESTART_LIMIT} times within "
                        f"{RESTART_WINDOW_SECONDS:g} s (last status {code}): stopping everything. "
                        "See its output above."
                    )
                    return 1
                self.stderr.write(f"The {child.name} exited ({code}): starting it again.")
                child.start()
        return 0

    def _stop_all(self, children: list[Child]) -> None:
        for child in children:
            child.signal(signal.SIGTERM)
        deadline = time.monotonic() + settings.SHUTDOWN_GRACE_SECONDS
        for child in children:
            if child.process is None:
                continue
            try:
                child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.stderr.write(f"The {child.name} did not stop in time: killing it.")
                child.signal(signal.SIGKILL)
                child.process.wait()
        self.stdout.write("Stopped.")
