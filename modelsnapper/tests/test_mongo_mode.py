"""Mongo mode without a server: system check, migrations, and what `migrate` would create.

Each check runs in a subprocess, because Mongo mode is chosen when settings load
(``MONGODB_URI``) and this test process runs in SQLite mode. Same commands as
``make check-mongo``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from modelsnapper.tests.expected_mql import EXPECTED_INDEXES
from modelsnapper.tests.mongo_offline import OFFLINE_URI

ROOT = Path(__file__).resolve().parents[2]
MONGO_MIGRATION_APPS = ("admin", "auth", "contenttypes", "account", "socialaccount")


def _env(**overrides: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"MONGODB_URI", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(overrides)
    return env


MONGO_ENV = {"MONGODB_URI": OFFLINE_URI, "REDIS_URL": "redis://127.0.0.1:6379/0"}


def _run(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=_env(**env),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_mongo_mode_system_check_passes_without_a_server():
    result = _run("manage.py", "check", "--database", "default", **MONGO_ENV)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_makemigrations_finds_no_changes_in_sqlite_mode(tmp_path):
    # A fresh database: the history check must not depend on a developer's db.sqlite3.
    database_url = f"sqlite:///{tmp_path / 'check.sqlite3'}"
    result = _run("manage.py", "makemigrations", "--check", "--dry-run", DATABASE_URL=database_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "No changes detected"


def test_makemigrations_finds_no_changes_in_mongo_mode_offline():
    result = _run(
        "manage.py",
        "makemigrations",
        "--check",
        "--dry-run",
        DJANGO_SETTINGS_MODULE="modelsnapper.settings_mongo_offline",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "No changes detected"


@pytest.mark.parametrize("app_label", MONGO_MIGRATION_APPS)
def test_contrib_and_allauth_apps_have_committed_object_id_migrations(app_label):
    initial = ROOT / "mongo_migrations" / app_label / "0001_initial.py"
    text = initial.read_text()
    assert "django_mongodb_backend.fields.ObjectIdAutoField" in text
    assert "models.AutoField" not in text
    assert "models.BigAutoField" not in text


@pytest.fixture(scope="module")
def mongo_migrate() -> dict:
    """Every migration replayed through the backend's schema editor (Mongo mode)."""
    result = _run("-m", "modelsnapper.tests.mongo_offline", **MONGO_ENV)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_every_stored_model_has_an_object_id_key_on_mongodb(mongo_migrate):
    wrong = {
        label: info
        for label, info in mongo_migrate["models"].items()
        if info["managed"]
        and info["pk_db_type"] != "objectId"
        # Django's sessions keep their string key; MongoDB adds its own _id.
        and label != "sessions.Session"
    }
    assert wrong == {}


def test_django_rq_needs_no_mongo_migrations(mongo_migrate):
    rq_models = {k: v for k, v in mongo_migrate["models"].items() if k.startswith("django_rq.")}
    # Its only model is unmanaged (an admin page): its migrations create nothing.
    assert rq_models
    assert all(not info["managed"] for info in rq_models.values())
    assert not any(name.startswith("django_rq") for name in mongo_migrate["collections"])


def test_our_migrations_depend_on_the_mongo_auth_migrations(mongo_migrate):
    plan = mongo_migrate["migrations"]
    assert plan.index("auth.0001_initial") < plan.index("accounts.0001_initial")
    assert "auth.0012_alter_user_first_name_max_length" in plan


def test_migrate_creates_every_collection_of_our_apps(mongo_migrate):
    assert set(EXPECTED_INDEXES) <= set(mongo_migrate["collections"])


@pytest.mark.parametrize("collection", sorted(EXPECTED_INDEXES))
def test_migrate_creates_exactly_the_expected_indexes(mongo_migrate, collection):
    created = Counter(
        (
            tuple(tuple(pair) for pair in index["key"]),
            index["unique"],
            json.dumps(index["partialFilterExpression"], sort_keys=True)
            if index["partialFilterExpression"]
            else None,
        )
        for index in mongo_migrate["indexes"].get(collection, [])
    )
    expected = Counter(
        (key, unique, json.dumps(partial, sort_keys=True) if partial else None)
        for key, unique, partial in EXPECTED_INDEXES[collection]
    )
    assert created == expected


def test_user_group_links_reference_object_ids(mongo_migrate):
    (unique,) = [i for i in mongo_migrate["indexes"]["users_groups"] if i["unique"]]
    assert unique["partialFilterExpression"] == {
        "user_id": {"$type": "objectId"},
        "group_id": {"$type": "objectId"},
    }


def test_data_migrations_run_on_the_mongodb_backend(mongo_migrate):
    # Each RunPython ran through the backend's compilers (a NotSupportedError would
    # have failed the replay); RunSQL can never run on MongoDB.
    assert mongo_migrate["raw_sql_migrations"] == []
    assert mongo_migrate["data_migrations"], "expected at least django_rq's data migration"
    inserted = {
        collection for collection, op in mongo_migrate["data_writes"] if op == "insert_many"
    }
    assert "django_content_type" in inserted  # django_rq's permission rename, via ContentType
