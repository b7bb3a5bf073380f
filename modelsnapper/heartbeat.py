"""Worker heartbeats: every task worker says it is alive; web processes read it.

Generation spends a credit only when a worker will run the job, so the New photos
page and the batch service ask ``workers_alive()`` first, and ``/readyz`` reports it.
The beat lives in the ``shared`` cache, which every process of a deployment sees:
Redis when ``REDIS_URL`` is set, otherwise files on this host (SQLite deployments
are single-host by nature).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Any

from django.conf import settings
from django.core.cache import caches

logger = logging.getLogger(__name__)

SHARED_CACHE = "shared"
HEARTBEAT_KEY = "workers:heartbeat"
# A worker beats this often; a beat older than MAX_AGE means no worker is running.
BEAT_EVERY_SECONDS = 15.0
MAX_AGE_SECONDS = 60.0

# Task backends whose jobs run in a separate worker process. The immediate backend
# runs a job inside the request; the dummy one (tests) never runs it.
WORKER_BACKENDS = frozenset({"django_tasks_db.DatabaseBackend", "django_tasks_rq.RQBackend"})


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def beat(worker: str | None = None, *, now: float | None = None) -> None:
    """Record that a worker is alive. The beat's own time decides its age (one key,
    kept until the next beat): no cache expiry, which the reader's clock would judge."""
    beat_at = time.time() if now is None else now
    caches[SHARED_CACHE].set(
        HEARTBEAT_KEY, {"worker": worker or worker_id(), "at": beat_at}, timeout=None
    )


def last_beat() -> dict[str, Any] | None:
    value = caches[SHARED_CACHE].get(HEARTBEAT_KEY)
    return value if isinstance(value, dict) else None


def jobs_need_a_worker() -> bool:
    return settings.TASKS["default"]["BACKEND"] in WORKER_BACKENDS


def beat_age_seconds(*, now: float | None = None) -> float | None:
    """Seconds since the latest beat of any worker, or None when there is none."""
    latest = last_beat()
    if latest is None:
        return None
    return max(0.0, (time.time() if now is None else now) - float(latest["at"]))


def workers_alive(*, now: float | None = None) -> bool:
    """True when a submitted job will be run: inline backends, or a recent beat."""
    if not jobs_need_a_worker():
        return True
    age = beat_age_seconds(now=now)
    return age is not None and age <= MAX_AGE_SECONDS


def start_beating(worker: str | None = None) -> threading.Thread:
    """Beat from a daemon thread for as long as the worker's main thread lives."""
    name = worker or worker_id()
    main = threading.main_thread()

    def loop() -> None:
        while main.is_alive():
            try:
                beat(name)
            except Exception:  # the cache being down must not kill the worker
                logger.exception("worker heartbeat: could not record a beat")
            time.sleep(BEAT_EVERY_SECONDS)

    thread = threading.Thread(target=loop, name="worker-heartbeat", daemon=True)
    thread.start()
    return thread
