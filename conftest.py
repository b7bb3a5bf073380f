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
