"""The production topology on one machine: MongoDB, Redis, S3 (moto's server) and two
`run_worker` (rqworker) processes. A batch of 10 is shared by both workers; one is
killed mid-job; nothing is lost and the money is exact."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import boto3
import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from accounts.models import BusinessProfile
from billing.models import CreditLedgerEntry, LedgerReason
from generations.models import Generation, GenerationStatus, RoyaltyLedger
from generations.services import Wearer, generation_create, generations_requeue_stale
from generations.tests.conftest import (
    credits_of,
    grant_credits,
    photo_upload,
    product_jpeg,
    royalty_of,
)
from modelsnapper.testing import subprocess_database_env

BASE_DIR = Path(django_settings.BASE_DIR)
BUCKET = "modelsnapper-scale-out"
BATCH = 10
TERMINAL = {GenerationStatus.SUCCEEDED, GenerationStatus.FAILED, GenerationStatus.REFUSED}


@pytest.fixture
def redis_url():
    url = os.environ.get("TEST_REDIS_URL", "").strip()
    if not url:
        pytest.skip("TEST_REDIS_URL is not set (.ci/run and scripts/test-mongo set it)")
    return url


@pytest.fixture
def production_stack(settings, monkeypatch, moto_s3, redis_url, worker_alive):
    """This test process as a web process of the deployment: S3 media, the RQ queue."""
    import django_rq

    credentials = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    for key, value in credentials.items():
        monkeypatch.setenv(key, value)
    client = boto3.client(
        "s3",
        endpoint_url=moto_s3,
        region_name="us-east-1",
        **{"aws_access_key_id": "testing", "aws_secret_access_key": "testing"},
    )
    with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
        client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": moto_s3,
                "region_name": "us-east-1",
                "default_acl": "private",
                "querystring_auth": True,
                "file_overwrite": False,
                "signature_version": "s3v4",
            },
        },
    }
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {"default": {"URL": redis_url, "DEFAULT_TIMEOUT": 300}}
    queue = django_rq.get_queue("default")
    queue.empty()
    env = _worker_env(moto_s3, redis_url, credentials)
    yield {"s3": client, "queue": queue, "env": env}
    queue.empty()


def _worker_env(endpoint: str, redis_url: str, credentials: dict[str, str]) -> dict[str, str]:
    from generations.provenance import LOCAL_CHAIN_FILE, LOCAL_KEY_FILE, ensure_local_signer

    ensure_local_signer(django_settings.C2PA_LOCAL_DIR)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"MONGODB_URI", "REDIS_URL", "DATABASE_URL", "AWS_STORAGE_BUCKET_NAME"}
    }
    env.update(subprocess_database_env(None))
    env.update(
        credentials,
        DJANGO_ENV="test",
        TASKS_REAL_BACKEND="1",
        REDIS_URL=redis_url,
        AWS_STORAGE_BUCKET_NAME=BUCKET,
        AWS_S3_ENDPOINT_URL=endpoint,
        AWS_S3_REGION_NAME="us-east-1",
        C2PA_SIGN_CERT=str(Path(django_settings.C2PA_LOCAL_DIR) / LOCAL_CHAIN_FILE),
        C2PA_SIGN_KEY=str(Path(django_settings.C2PA_LOCAL_DIR) / LOCAL_KEY_FILE),
        GENERATION_ENGINE="offline",
    )
    return env


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "manage.py", "run_worker"],
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _descendants(pid: int) -> list[int]:
    """Child processes, however deep: RQ's work horse has a process group of its own."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            # "pid (comm) state ppid ...": comm may hold spaces, so split after ')'.
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        found.extend(children)
        frontier.extend(children)
    return found


def _kill_machine(pid: int) -> None:
    """As if the worker's machine died: the worker and its work horse, at once."""
    for victim in [pid, *_descendants(pid)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(victim, signal.SIGKILL)


def _rq_worker(connection, pid: int):
    from rq import Worker

    return next((w for w in Worker.all(connection=connection) if w.pid == pid), None)


def _wait(condition, *, timeout: float, what: str, logs: list[Path]):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(
        f"timed out waiting for {what}:\n" + "\n".join(p.read_text() for p in logs)
    )


@pytest.mark.mongo_only(reason="the production topology: MongoDB, Redis and S3 together")
@pytest.mark.redis
def test_two_workers_share_a_batch_and_a_worker_killed_mid_job_loses_nothing(
    production_stack, business_alice, model_mia, mia_approves_alice, tmp_path
):
    stack = production_stack
    connection = stack["queue"].connection
    grant_credits(business_alice, BATCH)
    # Large photos: each job takes long enough to be caught mid-way.
    big = product_jpeg(size=(1500, 2000))
    batch = generation_create(
        business=BusinessProfile.objects.select_related("package").get(user_id=business_alice.pk),
        wearer=Wearer("model", model_mia.pk),
        category="top",
        photos=[photo_upload(data=big) for _ in range(BATCH)],
        batch_key="scale-out",
        actor=business_alice,
    )
    assert stack["queue"].count == BATCH
    logs = [tmp_path / "worker-a.log", tmp_path / "worker-b.log"]
    worker_a, worker_b = (_start_worker(stack["env"], log) for log in logs)
    try:
        # Both take jobs; then A is killed while it holds one.
        def both_working_and_a_busy():
            a, b = _rq_worker(connection, worker_a.pid), _rq_worker(connection, worker_b.pid)
            if not (a and b and a.successful_job_count and b.successful_job_count):
                return None
            return a.get_current_job_id()

        job_id = _wait(both_working_and_a_busy, timeout=120, what="both workers", logs=logs)
        shared = [
            _rq_worker(connection, worker_a.pid).successful_job_count,
            _rq_worker(connection, worker_b.pid).successful_job_count,
        ]
        _kill_machine(worker_a.pid)
        worker_a.wait(timeout=30)
        from rq.job import Job

        interrupted = Job.fetch(job_id, connection=connection).args[0]
        # Killed between taking the message and claiming the row (still "queued"), or
        # mid-run ("running"): either way the job was A's and A is gone.
        left_as = Generation.objects.get(pk=interrupted).status

        # B drains the queue; the killed job stays "running" until the sweep.
        def settled_but_the_killed_one():
            statuses = dict(Generation.objects.filter(batch=batch).values_list("pk", "status"))
            others = [s for pk, s in statuses.items() if str(pk) != str(interrupted)]
            return len(others) == BATCH - 1 and set(others) <= TERMINAL

        _wait(settled_but_the_killed_one, timeout=180, what="worker B", logs=logs)
        # Minutes later the scheduler's sweep takes the dead worker's job over (4 min for a
        # running job, 10 for one whose message was taken but never claimed).
        Generation.objects.filter(pk=interrupted, status=GenerationStatus.RUNNING).update(
            started_at=timezone.now() - timedelta(minutes=5)
        )
        Generation.objects.filter(pk=interrupted, status=GenerationStatus.QUEUED).update(
            created_at=timezone.now() - timedelta(minutes=11)
        )
        generations_requeue_stale()
        _wait(
            lambda: (
                set(Generation.objects.filter(batch=batch).values_list("status", flat=True))
                <= TERMINAL
            ),
            timeout=120,
            what="the requeued job",
            logs=logs,
        )
    finally:
        for worker in (worker_a, worker_b):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=60)

    generations = list(Generation.objects.filter(batch=batch))
    assert all(shared), shared
    assert left_as in {GenerationStatus.QUEUED, GenerationStatus.RUNNING}, (
        f"the killed worker had finished its job ({left_as}): nothing was interrupted"
    )
    assert [g.status for g in generations] == [GenerationStatus.SUCCEEDED] * BATCH, [
        (g.status, g.error_message) for g in generations
    ]
    # A claimed it once before dying when it was running; the take-over is one more.
    expected_attempts = 2 if left_as == GenerationStatus.RUNNING else 1
    assert Generation.objects.get(pk=interrupted).attempts == expected_attempts
    # Money: ten credits spent once each, ten $1.00 royalties, nothing refunded.
    assert credits_of(business_alice) == 0
    ledger = CreditLedgerEntry.objects.filter(business__user_id=business_alice.pk)
    assert ledger.filter(reason=LedgerReason.SPEND).count() == BATCH
    assert not ledger.filter(reason=LedgerReason.REFUND).exists()
    assert royalty_of(model_mia) == Decimal("10.00")
    assert RoyaltyLedger.objects.count() == BATCH
    keys = {item["Key"] for item in stack["s3"].list_objects_v2(Bucket=BUCKET).get("Contents", [])}
    assert {g.output_s3_url for g in generations} <= keys
