"""The check-mongo-queries plugin flags a query MongoDB cannot run, and passes one it can."""

from __future__ import annotations

import pytest
from django.db import connections
from django.db.models.sql.constants import MULTI

from accounts.models import BusinessProfile
from modelsnapper.tests import mongo_shadow
from modelsnapper.tests.mongo_offline import MongoWire


@pytest.fixture
def shadow(mongo, monkeypatch):
    monkeypatch.setattr(mongo_shadow, "_failures", {})
    monkeypatch.setattr(mongo_shadow, "_counts", {})
    with MongoWire(connections[mongo]) as wire:
        monkeypatch.setitem(mongo_shadow._wire, "wire", wire)
        yield mongo_shadow


def _sqlite_compiler(queryset):
    return queryset.query.get_compiler("default")


def test_a_query_mongodb_cannot_run_is_reported(shadow):
    queryset = BusinessProfile.objects.extra(select={"one": "1"})
    shadow._shadow("select", _sqlite_compiler(queryset), MULTI)
    ((kind, error, message, _where),) = shadow._failures
    assert (kind, error) == ("select", "NotSupportedError")
    assert "extra() is not supported" in message


def test_a_query_mongodb_can_run_passes(shadow):
    queryset = BusinessProfile.objects.filter(
        approved_models__contains_id="5f1d7f0e0a3b4c5d6e7f8091"
    )
    shadow._shadow("select", _sqlite_compiler(queryset), MULTI)
    assert shadow._failures == {}
    assert shadow._counts == {"select": 1}
