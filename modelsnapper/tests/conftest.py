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
    offline_connection(OFFLINE_ALIAS)
    yield OFFLINE_ALIAS
    # Removed again so no other test module sees a second database alias.
    remove_offline_connection(OFFLINE_ALIAS)
