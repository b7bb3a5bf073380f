"""/healthz is liveness without side effects; /readyz names what is not ready."""

from __future__ import annotations

import time

import pytest
from django.core.files.storage import FileSystemStorage

from modelsnapper import health, heartbeat

DB_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_healthz_touches_no_database_storage_or_queue(client, monkeypatch):
    """No django_db mark: pytest-django fails any database query this test makes."""

    def no_storage(*args, **kwargs):
        raise AssertionError("healthz must not touch media storage")

    for method in ("save", "open", "delete", "exists"):
        monkeypatch.setattr(FileSystemStorage, method, no_storage)
    monkeypatch.setattr(heartbeat, "last_beat", no_storage)

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_refuses_post(client):
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_readyz_is_ready_with_jobs_run_in_the_request(client):
    response = client.get("/readyz")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "storage", "static", "queue", "worker"}


@pytest.mark.django_db
def test_readyz_reads_storage_and_never_writes(client, monkeypatch):
    def no_write(*args, **kwargs):
        raise AssertionError("readyz must not write to media storage")

    monkeypatch.setattr(FileSystemStorage, "save", no_write)
    monkeypatch.setattr(FileSystemStorage, "delete", no_write)

    assert client.get("/readyz").status_code == 200


@pytest.mark.sql_only(reason="the database task queue is SQL mode's")
@pytest.mark.django_db
def test_readyz_answers_503_naming_the_worker_until_one_beats(client, settings):
    settings.TASKS = DB_QUEUE

    missing = client.get("/readyz")
    heartbeat.beat("worker-1")
    beating = client.get("/readyz")

    assert missing.status_code == 503
    assert missing.json()["failed"] == ["worker"]
    assert "no task worker heartbeat within 60 s" in missing.json()["checks"]["worker"]
    assert beating.status_code == 200, beating.json()
    assert beating.json()["checks"]["worker"].startswith("ok")


@pytest.mark.sql_only(reason="the database task queue is SQL mode's")
@pytest.mark.django_db
def test_a_beat_older_than_a_minute_is_not_a_live_worker(settings):
    settings.TASKS = DB_QUEUE
    heartbeat.beat("worker-1", now=time.time() - 61)

    assert heartbeat.workers_alive() is False
    assert heartbeat.workers_alive(now=time.time() - 30) is True


@pytest.mark.django_db
def test_readyz_answers_503_when_the_queue_cannot_be_reached(client, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    # Nothing listens on port 1: the Redis connection is refused at once.
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:1/0", "DEFAULT_TIMEOUT": 5}}
    heartbeat.beat("worker-1")

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["failed"] == ["queue"]


@pytest.mark.django_db
def test_readyz_answers_503_when_the_static_manifest_is_missing(client, settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static-not-collected"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["failed"] == ["static"]
    assert "collectstatic" in response.json()["checks"]["static"]


@pytest.mark.django_db
def test_readyz_answers_503_when_the_database_fails(client, monkeypatch):
    def broken_database() -> str:
        # The edge: the database driver refusing, as a closed SQLite file would.
        import sqlite3

        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setitem(health.CHECKS, "database", broken_database)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["failed"] == ["database"]
    assert response.json()["checks"]["database"] == "error: OperationalError"


@pytest.mark.django_db
def test_readyz_answers_503_when_storage_fails(client, settings, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the media folder should be")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(blocker)},
        },
    }

    response = client.get("/readyz")

    assert response.status_code == 503, response.json()
    assert response.json()["failed"] == ["storage"]
    assert "not a writable folder" in response.json()["checks"]["storage"]
