"""Background jobs (django-tasks: the code moves to ``django.tasks`` unchanged).

Tasks take ids and call a service; running one twice does no harm.
"""

from __future__ import annotations

from django_tasks import task


@task()
def run_generation(generation_id: str) -> str:
    from generations.services import generation_run

    return str(generation_run(generation_id=generation_id))
