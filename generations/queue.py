"""Enqueueing generation jobs, without services importing the tasks that call them.

``generations.tasks`` imports the services (a task loads its row and calls one); the
services must still enqueue jobs after commit. The task module registers its
enqueuer here when the app is ready, so the imports run tasks → services → queue.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

Enqueuer = Callable[[str, timedelta | None], None]
_enqueuer: list[Enqueuer] = []


def register_enqueuer(enqueuer: Enqueuer) -> None:
    _enqueuer[:] = [enqueuer]


def enqueue_generations(generation_ids: Sequence[str], *, delay: timedelta | None = None) -> int:
    """Puts each job on the queue; returns how many were. A queue that is down is
    logged: the job stays "queued" and ``requeue_generations`` enqueues it again."""
    if not _enqueuer:
        raise ImproperlyConfigured("generations.tasks did not register its enqueuer")
    (enqueue,) = _enqueuer
    done = 0
    for generation_id in generation_ids:
        try:
            enqueue(str(generation_id), delay)
            done += 1
        except Exception:
            logger.exception("Could not enqueue generation %s", generation_id)
    return done
