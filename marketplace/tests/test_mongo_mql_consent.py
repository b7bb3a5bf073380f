"""The consent writes and the consent lookup, compiled to MQL offline with
django-mongodb-backend's own compiler (no server): each is one single-document
conditional operation, so no multi-document transaction is ever needed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from bson import ObjectId
from django.db.models import F

from accounts.models import ModelProfile
from marketplace.models import ConsentRequest, ConsentStatus
from modelsnapper.tests.mongo_offline import (
    OFFLINE_ALIAS,
    compile_select,
    compile_update,
    offline_connection,
    remove_offline_connection,
)

OID = "5f1d7f0e0a3b4c5d6e7f8091"
OTHER = "65a0c0ffee0ddba11c0ffee1"
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture(scope="module")
def mongo():
    offline_connection(OFFLINE_ALIAS)
    yield OFFLINE_ALIAS
    remove_offline_connection(OFFLINE_ALIAS)


def test_a_consent_transition_is_one_update_conditional_on_status_and_version(mongo):
    # marketplace.services.common._transition: 0 matched = another action won the race.
    calls = compile_update(
        ConsentRequest.objects.filter(pk=OID, status=ConsentStatus.PENDING, version=3),
        mongo,
        version=F("version") + 1,
        updated_at=NOW,
        status=ConsentStatus.APPROVED,
        allowed_categories=["top"],
    )
    assert calls == [
        (
            {"$and": [{"_id": ObjectId(OID)}, {"status": "PENDING"}, {"version": 3}]},
            [
                {
                    "$set": {
                        "version": {"$add": ["$version", {"$literal": 1}]},
                        # stored as naive UTC (BSON dates carry no zone)
                        "updatedAt": {"$literal": NOW.replace(tzinfo=None)},
                        "status": {"$literal": "APPROVED"},
                        "allowedCategories": {"$literal": ["top"]},
                    }
                }
            ],
        )
    ]


def test_a_whitelist_change_is_a_compare_and_set_on_the_whole_array(mongo):
    # marketplace.services.common._cas_list: written only if the array is still what was read.
    calls = compile_update(
        ModelProfile.objects.filter(pk=OID, approved_businesses=[OTHER]),
        mongo,
        approved_businesses=[OTHER, OID],
    )
    assert calls == [
        (
            {"$and": [{"approvedBusinesses": [ObjectId(OTHER)]}, {"_id": ObjectId(OID)}]},
            [{"$set": {"approvedBusinesses": {"$literal": [ObjectId(OTHER), ObjectId(OID)]}}}],
        )
    ]


def test_active_consent_checks_signed_release_and_array_membership(mongo):
    queryset = ModelProfile.objects.filter(
        user_id=OID, consent_signed=True, approved_businesses__contains_id=OTHER
    ).order_by()
    assert compile_select(queryset, mongo) == [
        {
            "$match": {
                "$and": [
                    {"approvedBusinesses": ObjectId(OTHER)},
                    {"consentSigned": True},
                    {"userId": ObjectId(OID)},
                ]
            }
        }
    ]
