"""The task behind every periodic job (see ``modelsnapper.scheduler``)."""

from __future__ import annotations

from django_tasks import task

from modelsnapper import scheduler


@task()
def run_periodic_job(name: str) -> str:
    return scheduler.run_job(name)


def _enqueue(name: str) -> None:
    run_periodic_job.enqueue(name)


def register() -> None:
    """Called by ModelSnapperConfig.ready()."""
    scheduler.register_enqueuer(_enqueue)
