"""`make prod` and `make run`'s supervisor (`manage.py serve`), run as an operator would:
a real gunicorn, task worker and scheduler in their own processes."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings as django_settings

from modelsnapper.testing import subprocess_database_env

ROOT = Path(django_settings.BASE_DIR)
HTTPS = {"X-Forwarded-Proto": "https"}  # as the TLS-terminating proxy sends


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _production_env(tmp_path: Path, db_path: Path | None, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "MONGODB", "AWS_"))
        and key not in {"DATABASE_URL", "REDIS_URL", "TASKS_REAL_BACKEND"}
    }
    env.update(subprocess_database_env(db_path))
    env.update(
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY="p" * 20 + "-a-production-secret-key-for-this-test-0123456789",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        STATIC_ROOT=str(tmp_path / "static"),
        MEDIA_ROOT=str(tmp_path / "media"),
        SHARED_CACHE_DIR=str(tmp_path / "shared"),
        C2PA_SIGN_CERT="",
        C2PA_SIGN_KEY="",
        PORT=str(_free_port()),
        WEB_CONCURRENCY="2",
        SHUTDOWN_GRACE_SECONDS="20",
    )
    env.update(extra)
    return env


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def _wait_until_ready(base: str, server: subprocess.Popen[str], timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        assert server.poll() is None, f"serve exited early: {server.returncode}"
        try:
            response = requests.get(f"{base}/readyz", headers=HTTPS, timeout=5)
            last = response.json()
            if response.status_code == 200:
                return last
        except requests.RequestException as exc:
            last = exc
        time.sleep(0.5)
    raise AssertionError(f"/readyz never answered 200: {last}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) is not running.
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "\nState:\tZ" not in status.read_text()


@pytest.mark.production
def test_make_prod_serves_the_site_with_gunicorn_a_worker_and_the_scheduler(file_db, tmp_path):
    env = _production_env(tmp_path, file_db)
    base = f"http://127.0.0.1:{env['PORT']}"
    for step in (["collectstatic", "--noinput", "-v0"], ["migrate", "--noinput", "-v0"]):
        done = _manage(*step, env=env)
        assert done.returncode == 0, done.stdout + done.stderr
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--production"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        ready = _wait_until_ready(base, server)
        landing = requests.get(f"{base}/", headers=HTTPS, timeout=10)
        stylesheet = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', landing.text)
        css = requests.get(
            f"{base}{stylesheet.group(1)}", headers={**HTTPS, "Accept-Encoding": "br"}, timeout=10
        )
        gzipped = requests.get(
            f"{base}{stylesheet.group(1)}", headers={**HTTPS, "Accept-Encoding": "gzip"}, timeout=10
        )
        plain_http_health = requests.get(f"{base}/healthz", timeout=10, allow_redirects=False)

        # The worker dies: the supervisor starts another, and readiness comes back.
        pids = dict(re.findall(r"Started the (.+?) \(pid (\d+)\)", log.read_text()))
        worker_pid = int(pids["task worker 1"])
        os.killpg(worker_pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while "task worker 1 exited" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.3)
        restarted = re.findall(r"Started the task worker 1 \(pid (\d+)\)", log.read_text())
        _wait_until_ready(base, server)
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=60)
    output = log.read_text()
    started = [int(pid) for _, pid in re.findall(r"Started the (.+?) \(pid (\d+)\)", output)]

    assert ready["checks"]["static"] == "ok" and ready["checks"]["worker"].startswith("ok")
    assert landing.status_code == 200 and landing.headers["Server"].startswith("gunicorn")
    assert "script-src 'self'" in landing.headers["Content-Security-Policy"]
    assert "camera=()" in landing.headers["Permissions-Policy"]
    assert css.status_code == 200 and css.headers["Content-Encoding"] == "br"
    assert "immutable" in css.headers["Cache-Control"]
    assert "max-age=315360000" in css.headers["Cache-Control"]
    assert gzipped.headers["Content-Encoding"] == "gzip"
    assert plain_http_health.status_code == 200  # probes over plain HTTP are not redirected
    assert "Scheduler: " in output and "scheduler: enqueued requeue_generations" in output
    assert "The task worker 1 exited (-9): starting it again." in output
    assert len(restarted) == 2
    assert code == 0, output[-3000:]
    assert "Stopped." in output
    assert not [pid for pid in started if _alive(pid)], output[-3000:]


@pytest.mark.production
def test_prod_refuses_to_start_before_collectstatic(file_db, tmp_path):
    result = _manage("serve", "--production", env=_production_env(tmp_path, file_db))

    assert result.returncode != 0
    assert "Static files are not collected" in result.stderr
    assert "collectstatic" in result.stderr


@pytest.mark.production
def test_prod_refuses_to_start_when_the_deploy_check_warns(file_db, tmp_path):
    env = _production_env(tmp_path, file_db, DJANGO_SECURE_SSL_REDIRECT="false")
    assert _manage("collectstatic", "--noinput", "-v0", env=env).returncode == 0

    result = _manage("serve", "--production", env=env)

    assert result.returncode != 0
    assert "security.W008" in result.stderr  # SECURE_SSL_REDIRECT off


@pytest.mark.production
def test_prod_refuses_to_start_without_a_secret_key(tmp_path):
    env = _production_env(tmp_path, tmp_path / "unused.sqlite3")
    env.pop("DJANGO_SECRET_KEY")

    result = _manage("serve", "--production", env=env)

    assert result.returncode == 2
    assert "DJANGO_SECRET_KEY is required" in result.stderr


@pytest.mark.production
def test_a_worker_that_keeps_dying_stops_everything_with_a_message(file_db, tmp_path):
    """make run's supervisor: the worker cannot reach its queue (nothing listens on
    port 1), exits at once, is started again, and after 5 exits in a minute the
    supervisor stops the web server too and says why."""
    env = _production_env(
        tmp_path, file_db, DJANGO_ENV="development", REDIS_URL="redis://127.0.0.1:1/0"
    )

    result = subprocess.run(
        [sys.executable, "manage.py", "serve"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    started = [int(pid) for pid in re.findall(r"\(pid (\d+)\)", result.stdout)]

    assert result.returncode == 1, result.stdout + result.stderr
    assert "The task worker 1 exited 5 times within 60 s" in result.stderr
    assert result.stderr.count("The task worker 1 exited (1): starting it again.") == 4
    assert not [pid for pid in started if _alive(pid)]
