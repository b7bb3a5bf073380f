"""The product's own scheduler: periodic jobs, no cron to set up.

Apps register their periodic work when ready (``register``); ``manage.py
run_scheduler`` calls ``tick`` every few seconds, and each job that is due is put on
the task queue (RQ with ``REDIS_URL``, the database queue otherwise) for a worker to
run. Time is cut into slots of the job's period; a slot is claimed with an atomic
``add`` in the shared cache, so a second scheduler (or a restarted one) never runs
the same slot twice. Every registered job is safe to run twice anyway.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import caches
from django.utils import timezone

from modelsnapper.heartbeat import SHARED_CACHE

logger = logging.getLogger(__name__)

TICK_SECONDS = 10.0


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: timedelta
    run: Callable[[], object]
    # Where in its period the job fires (e.g. the daily expiry at 03:00 UTC).
    offset: timedelta = timedelta()
    # How late a slot may still fire (a scheduler that was down, a fresh deploy); None:
    # any time within the slot. Weekly payouts must not start on a Wednesday.
    catch_up: timedelta | None = None

    def slot(self, now: datetime) -> int:
        return int((now.timestamp() - self.offset.total_seconds()) // self.every.total_seconds())

    def due(self, now: datetime) -> bool:
        if self.catch_up is None:
            return True
        started = self.slot(now) * self.every.total_seconds() + self.offset.total_seconds()
        return now.timestamp() - started <= self.catch_up.total_seconds()


_jobs: dict[str, PeriodicJob] = {}
JobEnqueuer = Callable[[str], None]
_enqueuer: list[JobEnqueuer] = []


def register(
    name: str,
    *,
    every: timedelta,
    run: Callable[[], object],
    offset: timedelta = timedelta(),
    catch_up: timedelta | None = None,
) -> None:
    if every <= timedelta():
        raise ValueError(f"periodic job {name!r} needs a positive period")
    _jobs[name] = PeriodicJob(name=name, every=every, run=run, offset=offset, catch_up=catch_up)


# 1 January 1970, where slots start, was a Thursday.
_EPOCH_WEEKDAY = 3


def weekly_offset(*, weekday: int, at: timedelta) -> timedelta:
    """The offset of a weekly job on ``weekday`` (Monday 0) at ``at`` after midnight UTC."""
    return timedelta(days=(weekday - _EPOCH_WEEKDAY) % 7) + at


def jobs() -> list[PeriodicJob]:
    return sorted(_jobs.values(), key=lambda job: job.name)


def get(name: str) -> PeriodicJob:
    try:
        return _jobs[name]
    except KeyError:
        raise LookupError(f"no periodic job named {name!r} is registered") from None


def register_enqueuer(enqueuer: JobEnqueuer) -> None:
    """Called by ``modelsnapper.tasks``: due jobs go to its task."""
    _enqueuer[:] = [enqueuer]


def _slot_key(job: PeriodicJob, now: datetime) -> str:
    return f"scheduler:{job.name}:{job.slot(now)}"


def _claim(job: PeriodicJob, now: datetime) -> bool:
    timeout = int(job.every.total_seconds() * 2) + 60
    return bool(caches[SHARED_CACHE].add(_slot_key(job, now), now.isoformat(), timeout=timeout))


def tick(*, now: datetime | None = None) -> list[str]:
    """Enqueue every job whose current slot nobody has claimed; return their names."""
    now = now or timezone.now()
    (enqueue,) = _enqueuer
    started = []
    for job in jobs():
        if not job.due(now) or not _claim(job, now):
            continue
        try:
            enqueue(job.name)
        except Exception:
            # Unclaimed again: the next tick retries (a weekly payout run must not wait
            # a week because the queue was down for a moment).
            caches[SHARED_CACHE].delete(_slot_key(job, now))
            logger.exception("scheduler: could not enqueue %s", job.name)
            continue
        logger.info("scheduler: enqueued %s", job.name)
        started.append(job.name)
    return started


def run_job(name: str) -> str:
    """What the worker runs for a due job."""
    result = get(name).run()
    logger.info("periodic job %s: %s", name, result)
    return str(result)
