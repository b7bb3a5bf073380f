"""Fixtures for the Mongo-mode tests of modelsnapper/tests."""

from __future__ import annotations

import pytest

from modelsnapper.tests.mongo_offline import (
    OFFLINE_ALIAS,
    offline_connection,
    remove_offline_connection,
)


@pytest.fixture(scope="module")
def mongo() -> str:
    """Alias of a django-mongodb-backend connection that compiles but never connects."""
    from django.db import connections

    created = OFFLINE_ALIAS not in connections.settings
    offline_connection(OFFLINE_ALIAS)
    yield OFFLINE_ALIAS
    if created:
        # Removed again so no other test module sees a second database alias.
        remove_offline_connection(OFFLINE_ALIAS)


@pytest.fixture
def wire(mongo, settings, db):
    """Every ORM read/write goes to the offline Mongo alias; pymongo calls are recorded.

    ``db`` because services open ``transaction.atomic()`` on the default (SQLite)
    alias, which is harmless here; nothing is written there.
    """
    from django.db import connections

    from modelsnapper.tests.mongo_offline import MongoWire

    settings.DATABASE_ROUTERS = ["modelsnapper.tests.mongo_offline.RouteToOfflineMongo"]
    with MongoWire(connections[mongo]) as recorder:
        yield recorder
