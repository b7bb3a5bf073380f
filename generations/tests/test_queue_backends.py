"""Generations through the real queues: django-tasks-rq on Redis, django-tasks-db.

The RQ tests need a redis-server: CI (.ci/run) starts one and exports
TEST_REDIS_URL; locally run e.g.
``redis-server --port 6390 --save '' --daemonize yes`` and
``TEST_REDIS_URL=redis://127.0.0.1:6390/0 make test``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from accounts.models import BusinessProfile
from generations.models import Generation, GenerationStatus, RoyaltyLedger
from generations.services import Wearer, generation_create
from generations.tests.conftest import credits_of, grant_credits, photo_upload, royalty_of
from modelsnapper.testing import subprocess_database_env

BASE_DIR = Path(django_settings.BASE_DIR)


@pytest.fixture
def redis_url():
    url = os.environ.get("TEST_REDIS_URL", "").strip()
    if not url:
        pytest.skip(
            "TEST_REDIS_URL is not set: the RQ queue tests need a redis-server "
            "(.ci/run starts one on port 6390 and exports TEST_REDIS_URL)."
        )
    return url


@pytest.fixture
def rq_backend(settings, redis_url, worker_alive):
    """TASKS points at django-tasks-rq on the test Redis; the queue starts and ends empty."""
    import django_rq

    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {"default": {"URL": redis_url, "DEFAULT_TIMEOUT": 300}}
    queue = django_rq.get_queue("default")
    queue.empty()
    yield queue
    queue.empty()


def _create(user, wearer: Wearer, count: int = 1, key: str = "batch"):
    return generation_create(
        business=BusinessProfile.objects.select_related("package").get(user_id=user.pk),
        wearer=wearer,
        category="top",
        photos=[photo_upload() for _ in range(count)],
        batch_key=key,
        actor=user,
    )


@pytest.mark.redis
@pytest.mark.django_db
def test_a_generation_runs_through_rq_with_a_burst_worker_and_a_duplicate_does_nothing(
    rq_backend, business_alice, model_mia, mia_approves_alice, django_capture_on_commit_callbacks
):
    from django_tasks_rq.backend import Job
    from rq import SimpleWorker

    from generations.tasks import run_generation

    grant_credits(business_alice, 2)
    with django_capture_on_commit_callbacks(execute=True):
        batch = _create(business_alice, Wearer("model", model_mia.pk))
    generation = Generation.objects.get(batch=batch)
    # Enqueued on Redis, not run yet.
    assert rq_backend.count == 1
    assert generation.status == GenerationStatus.QUEUED

    worker = SimpleWorker([rq_backend], connection=rq_backend.connection, job_class=Job)
    assert worker.work(burst=True)

    generation.refresh_from_db()
    assert generation.status == GenerationStatus.SUCCEEDED, generation.error_message
    assert royalty_of(model_mia) == Decimal("1.00")
    assert credits_of(business_alice) == 1

    # A duplicate delivery of the same job: claimed by nobody, paid by nobody.
    run_generation.enqueue(generation.pk)
    SimpleWorker([rq_backend], connection=rq_backend.connection, job_class=Job).work(burst=True)
    assert royalty_of(model_mia) == Decimal("1.00")
    assert RoyaltyLedger.objects.count() == 1
    assert credits_of(business_alice) == 1


def _worker_env(db_path: Path | None, **extra: str) -> dict[str, str]:
    """Environment for a worker process sharing this test's database, media and signer."""
    from generations.provenance import LOCAL_CHAIN_FILE, LOCAL_KEY_FILE, ensure_local_signer

    ensure_local_signer(django_settings.C2PA_LOCAL_DIR)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"MONGODB_URI", "REDIS_URL", "DATABASE_URL", "AWS_STORAGE_BUCKET_NAME"}
    }
    env.update(subprocess_database_env(db_path))
    env.update(
        DJANGO_ENV="test",
        TASKS_REAL_BACKEND="1",
        MEDIA_ROOT=str(django_settings.MEDIA_ROOT),
        C2PA_SIGN_CERT=str(Path(django_settings.C2PA_LOCAL_DIR) / LOCAL_CHAIN_FILE),
        C2PA_SIGN_KEY=str(Path(django_settings.C2PA_LOCAL_DIR) / LOCAL_KEY_FILE),
        GENERATION_ENGINE="offline",
        SHARED_CACHE_DIR=str(django_settings.CACHES["shared"].get("LOCATION", "")),
        **extra,
    )
    return env


def _run_worker(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.mark.redis
def test_an_rqworker_process_runs_a_batch_end_to_end(
    rq_backend, redis_url, file_db, business_alice, avatar, settings
):
    """A separate `manage.py run_worker --burst` process (rqworker), as in production."""
    settings.MEDIA_ROOT.mkdir(parents=True, exist_ok=True)
    grant_credits(business_alice, 3)
    batch = _create(business_alice, Wearer("avatar", avatar.pk), count=2)  # autocommit: enqueued
    assert rq_backend.count == 2

    worker = _run_worker(
        ["run_worker", "--burst"],
        _worker_env(file_db, REDIS_URL=redis_url),
    )

    statuses = list(Generation.objects.filter(batch=batch).values_list("status", "error_message"))
    # A job that raised in the worker leaves its row queued: show why, not only that.
    failed = [
        getattr(rq_backend.fetch_job(job_id).latest_result(), "exc_string", None)
        for job_id in rq_backend.failed_job_registry.get_job_ids()
    ]
    assert statuses == [(GenerationStatus.SUCCEEDED, "")] * 2, (
        failed,
        worker.stdout + worker.stderr,
    )
    assert credits_of(business_alice) == 1
    for generation in Generation.objects.filter(batch=batch):
        assert (settings.MEDIA_ROOT / generation.output_s3_url).is_file()


@pytest.mark.sql_only(reason="django-tasks-db is the SQL-mode queue; Mongo mode runs jobs on Redis")
def test_a_db_worker_process_runs_a_batch_end_to_end(
    file_db, business_alice, model_mia, mia_approves_alice, settings, worker_alive
):
    """django-tasks-db, the embedded default queue: `manage.py run_worker` (db_worker) in
    its own process, beating while it runs."""
    from django_tasks_db.models import DBTaskResult

    from modelsnapper import heartbeat

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.MEDIA_ROOT.mkdir(parents=True, exist_ok=True)
    grant_credits(business_alice, 2)
    batch = _create(business_alice, Wearer("model", model_mia.pk), count=2)
    assert DBTaskResult.objects.count() == 2

    heartbeat.caches[heartbeat.SHARED_CACHE].clear()  # only the worker's own beat counts
    _run_worker(["run_worker", "--burst"], _worker_env(file_db))

    assert heartbeat.last_beat() is not None
    assert heartbeat.last_beat()["worker"] != "test-worker"

    assert set(Generation.objects.filter(batch=batch).values_list("status", flat=True)) == {
        GenerationStatus.SUCCEEDED
    }
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
    assert royalty_of(model_mia) == Decimal("2.00")
    assert RoyaltyLedger.objects.count() == 2
    assert credits_of(business_alice) == 0
