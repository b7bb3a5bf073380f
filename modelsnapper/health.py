"""/healthz (liveness) and /readyz (readiness).

``/healthz`` only proves the process answers: no database, storage or queue call,
so a load balancer polling it costs nothing (no S3 request per probe). ``/readyz``
checks what serving needs and answers 503 naming what failed: the database, media
storage (read only), the static files manifest, the task queue, and a worker
heartbeat from the last minute.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.files.storage import FileSystemStorage, storages
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from modelsnapper import heartbeat

logger = logging.getLogger(__name__)


class NotReady(Exception):
    """A readiness check failed; its message says why (shown in /readyz)."""


def check_database() -> str:
    if connection.vendor == "mongodb":
        connection.ensure_connection()
        connection.connection.admin.command("ping")
        return "ok"
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def check_storage() -> str:
    # Reads only (an S3 HEAD request), never a write: readiness is polled often.
    storage = storages["default"]
    if isinstance(storage, FileSystemStorage):
        folder = Path(storage.location)
        if folder.exists() and not (folder.is_dir() and os.access(folder, os.W_OK)):
            raise NotReady(f"the media folder {folder} is not a writable folder")
    storage.exists("readyz-probe")
    return "ok"


def check_static() -> str:
    manifest_name = getattr(staticfiles_storage, "manifest_name", None)
    if manifest_name is None:
        return "not used (files served unhashed)"
    if not (Path(settings.STATIC_ROOT) / manifest_name).exists():
        raise NotReady("static files manifest missing: run collectstatic")
    return "ok"


def check_queue() -> str:
    backend = settings.TASKS["default"]["BACKEND"]
    if backend == "django_tasks_rq.RQBackend":
        import django_rq

        django_rq.get_connection("default").ping()
        return "ok"
    if backend == "django_tasks_db.DatabaseBackend":
        from django_tasks_db.models import DBTaskResult

        DBTaskResult.objects.exists()
        return "ok"
    return "not used (jobs run in the request)"


def check_worker() -> str:
    if not heartbeat.jobs_need_a_worker():
        return "not used (jobs run in the request)"
    age = heartbeat.beat_age_seconds()
    if age is None or age > heartbeat.MAX_AGE_SECONDS:
        raise NotReady(
            f"no task worker heartbeat within {heartbeat.MAX_AGE_SECONDS:g} s: "
            "start one (manage.py run_worker)"
        )
    return f"ok (last beat {age:.0f} s ago)"


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "storage": check_storage,
    "static": check_static,
    "queue": check_queue,
    "worker": check_worker,
}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    results: dict[str, str] = {}
    failed: list[str] = []
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except NotReady as exc:
            results[name] = f"error: {exc}"
            failed.append(name)
        except Exception as exc:  # any failure of an outside dependency means not ready
            logger.exception("readyz: %s check failed", name)
            results[name] = f"error: {type(exc).__name__}"
            failed.append(name)
    body: dict[str, object] = {"status": "error" if failed else "ok", "checks": results}
    if failed:
        body["failed"] = failed
    return JsonResponse(body, status=503 if failed else 200)
