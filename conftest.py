"""Project-wide pytest setup: test settings, the five personas every app shares."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_ENV", "test")

import pytest


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
def _c2pa_local_dir(settings, tmp_path):
    """Content Credentials are signed with a per-test local CA, never the developer's .c2pa/."""
    settings.C2PA_LOCAL_DIR = tmp_path / "c2pa"
    settings.C2PA_SIGN_CERT = ""
    settings.C2PA_SIGN_KEY = ""
    yield


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
        try:
            yield page
        finally:
            context.close()
            browser.close()
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def screenshot(browser_page):
    def take(name: str) -> str:
        path = os.path.join(SCREENSHOT_DIR, f"{name}.png")
        browser_page.screenshot(path=path, full_page=True)
        return path

    return take


@pytest.fixture
def file_db(transactional_db, tmp_path):
    """A file SQLite database for tests that need a second process or real threads.

    pytest-django's SQLite test database lives in memory (shared cache): another
    process cannot see it, and a second writer thread fails at once with "database
    table is locked" instead of waiting. For one test the schema is copied to a file
    and the ``default`` alias points at it; a raw connection keeps the in-memory
    database alive meanwhile.
    """
    import sqlite3

    from django.db import connections

    connection = connections["default"]
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
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
