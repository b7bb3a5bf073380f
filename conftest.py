"""Project-wide pytest setup: test settings, the five personas every app shares."""

from __future__ import annotations

import contextlib
import os
from datetime import datetime

os.environ.setdefault("DJANGO_ENV", "test")

import pytest

# `make test-clock` runs the whole suite with the clock moved here (ISO 8601 with an
# offset, e.g. 2028-02-29T12:00:00+00:00) through time-machine; it keeps ticking.
TEST_NOW_ENV = "MODELSNAPPER_TEST_NOW"
_clock: dict[str, object] = {}


def pytest_configure(config):
    raw = os.environ.get(TEST_NOW_ENV, "").strip()
    if not raw:
        return
    import time_machine

    destination = datetime.fromisoformat(raw)
    if destination.tzinfo is None:
        raise pytest.UsageError(f"{TEST_NOW_ENV} needs a UTC offset, got {raw!r}")
    traveller = time_machine.travel(destination, tick=True)
    traveller.start()
    _clock["traveller"] = traveller


def pytest_unconfigure(config):
    traveller = _clock.pop("traveller", None)
    if traveller is not None:
        traveller.stop()


def pytest_report_header(config):
    if "traveller" in _clock:
        return f"clock moved by time-machine to {os.environ[TEST_NOW_ENV]}"
    return None


@contextlib.contextmanager
def real_clock():
    """Code that another clock will judge (a certificate c2pa-rs checks against the
    machine's real time) runs on the real clock; the moved clock then carries on."""
    traveller = _clock.get("traveller")
    if traveller is None:
        yield
        return
    import time
    from datetime import timedelta

    import time_machine

    moved_now, started = datetime.now().astimezone(), time.perf_counter()
    traveller.stop()
    try:
        yield
    finally:
        elapsed = timedelta(seconds=time.perf_counter() - started)
        traveller = time_machine.travel(moved_now + elapsed, tick=True)
        traveller.start()
        _clock["traveller"] = traveller


BACKEND_MARKERS = {
    "sql_only": "SQL only",
    "mongo_only": "Mongo only",
}


def _backend_is_mongo() -> bool:
    from django.conf import settings

    return bool(settings.USE_MONGODB)


def pytest_collection_modifyitems(config, items):
    """``sql_only``/``mongo_only`` tests are skipped in the other mode, with their reason.

    A test carries one of these only when it is tied to one backend by its nature (it
    introspects SQLite columns, it needs the database task queue, it checks what a
    rollback undoes). Every other test runs on both backends; a marker without a
    reason is an error, so no exclusion goes unexplained.
    """
    other = "sql_only" if _backend_is_mongo() else "mongo_only"
    for item in items:
        for name in BACKEND_MARKERS:
            marker = item.get_closest_marker(name)
            if marker is None:
                continue
            reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "")
            if not reason:
                raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.{name} needs a reason")
            if name == other:
                item.add_marker(pytest.mark.skip(reason=f"{BACKEND_MARKERS[name]}: {reason}"))


@pytest.fixture
def tasks_held(settings):
    """Jobs are enqueued but never run: the dummy task backend records them.

    Tests of what happens to a *queued* job use this instead of relying on SQLite's
    transaction timing (on MongoDB ``on_commit`` runs at once, and the immediate test
    backend would run the job before the test could touch it).
    """
    from django_tasks import task_backends

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    held = task_backends["default"]
    held.clear()
    yield held


@pytest.fixture
def tasks_run_at_once(settings, tasks_held):
    """A switch for tests under ``tasks_held``: once called, what is enqueued from then
    on runs at once, as the test settings' immediate backend does."""

    def switch() -> None:
        settings.TASKS = {
            "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
        }

    return switch


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Each test writes media into its own folder, never the developer's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    storage = dict(settings.STORAGES["default"])
    if storage["BACKEND"].endswith("FileSystemStorage"):
        storage["OPTIONS"] = {**storage.get("OPTIONS", {}), "location": str(settings.MEDIA_ROOT)}
        settings.STORAGES = {**settings.STORAGES, "default": storage}
    yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache: every test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _shared_cache(settings, tmp_path):
    """Worker heartbeats and scheduler claims: each test starts with none. Without
    Redis the shared cache is a folder, so each test gets its own (a worker process
    the test starts finds it through SHARED_CACHE_DIR); on Redis, _fresh_cache's
    clear() empties it."""
    shared = dict(settings.CACHES["shared"])
    if shared["BACKEND"].endswith("FileBasedCache"):
        shared["LOCATION"] = str(tmp_path / "shared-cache")
        settings.CACHES = {**settings.CACHES, "shared": shared}
    yield


@pytest.fixture
def worker_alive():
    """A task worker has just beaten (the tests that swap in a real queue backend)."""
    from modelsnapper import heartbeat

    heartbeat.beat("test-worker")


@pytest.fixture(autouse=True)
def _c2pa_local_dir(settings, tmp_path):
    """Content Credentials are signed with a per-test local CA, never the developer's .c2pa/."""
    settings.C2PA_LOCAL_DIR = tmp_path / "c2pa"
    settings.C2PA_SIGN_CERT = ""
    settings.C2PA_SIGN_KEY = ""
    yield


@pytest.fixture(autouse=True)
def _certificates_on_the_real_clock(monkeypatch):
    """With the clock moved, local signing certificates are still made on the real one:
    c2pa-rs (Rust) checks their validity against the machine's clock, which
    time-machine does not move. Outside ``make test-clock`` this does nothing."""
    if "traveller" not in _clock:
        yield
        return
    from generations import provenance

    make = provenance._make_local_signer

    def on_the_real_clock():
        with real_clock():
            return make()

    monkeypatch.setattr(provenance, "_make_local_signer", on_the_real_clock)
    yield


@pytest.fixture(scope="session")
def moto_s3():
    """moto's S3 server on loopback (the network edge): its endpoint URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def password() -> str:
    return "correct-horse-battery-staple-42"


@pytest.fixture
def business_alice(db):
    from accounts.tests.factories import BusinessProfileFactory

    return BusinessProfileFactory(
        user__email="alice@boutique.test", business_name="Alice Boutique"
    ).user


@pytest.fixture
def business_bob(db):
    from accounts.tests.factories import BusinessProfileFactory

    return BusinessProfileFactory(user__email="bob@brand.test", business_name="Bob Brand").user


@pytest.fixture
def model_mia(db):
    from accounts.tests.factories import ModelProfileFactory

    return ModelProfileFactory(user__email="mia@models.test", name="Mia").user


@pytest.fixture
def model_noah(db):
    from accounts.tests.factories import ModelProfileFactory

    return ModelProfileFactory(user__email="noah@models.test", name="Noah").user


@pytest.fixture
def admin_ada(db):
    from accounts.tests.factories import AdminFactory

    return AdminFactory(email="ada@modelsnapper.test")


CHROMIUM = "/usr/bin/chromium"
SCREENSHOT_DIR = os.path.join(os.path.dirname(__file__), "test-artifacts", "screenshots")


@pytest.fixture
def browser_page(live_server):
    """A Playwright page in Debian's Chromium, pointed at the live test server."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the
    # test makes between page actions are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    os.makedirs(SCREENSHOT_DIR, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": 1280, "height": 900}
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        # Every page a browser test visits is also checked against the CSP header:
        # Chromium reports each blocked inline script or style on the console.
        blocked: list[str] = []
        page.on(
            "console",
            lambda message: (
                blocked.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
        try:
            yield page
        finally:
            context.close()
            browser.close()
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        assert not blocked, f"the Content-Security-Policy blocked: {blocked}"


@pytest.fixture
def screenshot(browser_page):
    def take(name: str) -> str:
        path = os.path.join(SCREENSHOT_DIR, f"{name}.png")
        browser_page.screenshot(path=path, full_page=True)
        return path

    return take


@pytest.fixture
def file_db(transactional_db, tmp_path):
    """A database that real threads and other processes share: its SQLite path, or None.

    On MongoDB the test database is already on a server, so this is a no-op. On SQLite:

    pytest-django's SQLite test database lives in memory (shared cache): another
    process cannot see it, and a second writer thread fails at once with "database
    table is locked" instead of waiting. For one test the schema is copied to a file
    and the ``default`` alias points at it; a raw connection keeps the in-memory
    database alive meanwhile.
    """
    import sqlite3

    from django.db import connections

    connection = connections["default"]
    if connection.vendor == "mongodb":
        # A MongoDB server already serves every thread and process: nothing to copy.
        yield None
        return
    if not connection.is_in_memory_db():
        pytest.skip("needs the SQLite test database")
    connection.ensure_connection()
    memory_name = connection.settings_dict["NAME"]
    keep_alive = sqlite3.connect(memory_name, uri=True)
    path = tmp_path / "jobs.sqlite3"
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    target.close()
    connection.connection.close()
    connection.connection = None
    connection.settings_dict["NAME"] = str(path)
    try:
        yield path
    finally:
        connections.close_all()
        connection.settings_dict["NAME"] = memory_name
        connection.ensure_connection()
        keep_alive.close()
