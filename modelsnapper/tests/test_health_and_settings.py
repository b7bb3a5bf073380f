from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from accounts.models import BusinessProfile, ModelProfile, User
from billing.models import Package
from marketplace.models import AIAvatar

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "MONGODB"))}
    clean_env.pop("DATABASE_URL", None)
    clean_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_healthz_refuses_post(client):
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_seed_demo_is_idempotent():
    call_command("seed_demo")
    counts = [
        model.objects.count() for model in (User, BusinessProfile, ModelProfile, Package, AIAvatar)
    ]
    call_command("seed_demo")

    assert [
        model.objects.count() for model in (User, BusinessProfile, ModelProfile, Package, AIAvatar)
    ] == counts
    assert counts[:3] == [3, 1, 1]
    assert AIAvatar.objects.filter(is_active=True).count() == 4
    assert User.objects.get(email="admin@demo.modelsnapper.test").is_superuser
    business = BusinessProfile.objects.select_related("package").get()
    assert business.package.human_model_access
    assert business.ai_credits == 20  # granted once, under one ledger key


@pytest.mark.django_db(transaction=True)
def test_the_demo_business_finds_the_demo_model_in_the_directory_even_after_a_flush(client):
    # flush also removes the release version 1 that migration 0003 seeded.
    call_command("flush", interactive=False, verbosity=0)
    call_command("seed_demo")
    client.login(email="business@demo.modelsnapper.test", password="demo-business-pass-1")

    page = client.get("/marketplace/models/")

    assert page.status_code == 200
    assert "Demo Model Mia" in page.content.decode()


def test_invalid_database_url_gives_a_clear_error():
    result = run_manage("check", DATABASE_URL="nonsense://what")

    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_mongodb_uri_gives_a_clear_error():
    result = run_manage("check", MONGODB_URI="http://not-mongo", REDIS_URL="redis://127.0.0.1:1/0")

    assert result.returncode != 0
    assert "MONGODB_URI" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_without_a_secret_key_refuses_to_start():
    result = run_manage("check", DJANGO_ENV="production", DJANGO_ALLOWED_HOSTS="example.com")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in result.stderr


def test_production_without_allowed_hosts_refuses_to_start():
    result = run_manage("check", DJANGO_ENV="production", DJANGO_SECRET_KEY="s" * 60)

    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS is required" in result.stderr
    assert "Traceback" not in result.stderr


def test_site_url_follows_port_in_development_and_the_host_in_production():
    code = "from django.conf import settings; print(settings.SITE_URL)"
    development = run_manage("shell", "-c", code, DJANGO_ENV="development", PORT="8123")
    production = run_manage(
        "shell",
        "-c",
        code,
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY="s" * 60,
        DJANGO_ALLOWED_HOSTS="shop.example.com,www.example.com",
    )

    assert development.stdout.strip().splitlines()[-1] == "http://127.0.0.1:8123"
    assert production.stdout.strip().splitlines()[-1] == "https://shop.example.com"


def test_deploy_check_is_clean_in_production():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY="a" * 20 + "-production-secret-key-for-the-check-0123456789",
        DJANGO_ALLOWED_HOSTS="modelsnapper.example.com",
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_mongo_mode_system_check_passes_without_a_server():
    result = run_manage(
        "check",
        "--database",
        "default",
        MONGODB_URI="mongodb://127.0.0.1:27999/modelsnapper",
        REDIS_URL="redis://127.0.0.1:6399/0",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
