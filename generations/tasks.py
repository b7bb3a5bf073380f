"""Background jobs (django-tasks: the code moves to ``django.tasks`` unchanged).

Tasks take ids and call a service; running one twice does no harm. The services
enqueue through ``generations.queue``, which this module feeds (``register``).
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from generations import queue
from generations.services import generation_run


@task()
def run_generation(generation_id: str) -> str:
    return str(generation_run(generation_id=generation_id))


def _enqueue(generation_id: str, delay: timedelta | None) -> None:
    job = run_generation
    if delay and job.get_backend().supports_defer:
        job = job.using(run_after=timezone.now() + delay)
    job.enqueue(generation_id)


def register() -> None:
    """Called by GenerationsConfig.ready(): the services' jobs go to this task."""
    queue.register_enqueuer(_enqueue)
