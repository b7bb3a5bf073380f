"""The guarded single-document updates billing relies on, compiled to MQL offline
with django-mongodb-backend's own compiler (no server): each guard and its write
must be one ``update_many`` call, so MongoDB applies them atomically."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from bson import ObjectId
from django.db.models import F, Q

from accounts.models import BusinessProfile
from billing.models import Invoice, StripeEvent
from modelsnapper.tests.conftest import mongo  # noqa: F401 (fixture)
from modelsnapper.tests.mongo_offline import compile_update

OID = "5f1d7f0e0a3b4c5d6e7f8091"
WHEN = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def test_a_grant_is_one_unconditional_increment(mongo):  # noqa: F811
    calls = compile_update(
        BusinessProfile.objects.filter(pk=OID), mongo, ai_credits=F("ai_credits") + 50
    )

    assert calls == [
        (
            {"_id": ObjectId(OID)},
            [{"$set": {"aiCredits": {"$add": ["$aiCredits", {"$literal": 50}]}}}],
        )
    ]


def test_an_invoice_never_regresses_guard_and_write_are_one_update(mongo):  # noqa: F811
    # billing.services._on_invoice for an "open" event: overwrites drafts, or an
    # older "open", never a paid/void/uncollectible invoice.
    queryset = Invoice.objects.filter(stripe_invoice_id="in_1").filter(
        Q(status__in=["draft"]) | Q(status__in=["open"], last_event_at__lte=WHEN)
    )

    ((criteria, pipeline),) = compile_update(queryset, mongo, status="open", last_event_at=WHEN)

    naive = WHEN.replace(tzinfo=None)  # the backend sends UTC as naive datetimes
    assert criteria == {
        "$and": [
            {"stripeInvoiceId": "in_1"},
            {
                "$or": [
                    {"status": {"$in": ("draft",)}},
                    {
                        "$and": [
                            {
                                "$and": [
                                    {"lastEventAt": {"$lte": naive}},
                                    # a missing/null time never counts as older
                                    {
                                        "$and": [
                                            {"lastEventAt": {"$exists": True}},
                                            {"lastEventAt": {"$ne": None}},
                                        ]
                                    },
                                ]
                            },
                            {"status": {"$in": ("open",)}},
                        ]
                    },
                ]
            },
        ]
    }
    assert pipeline == [
        {"$set": {"status": {"$literal": "open"}, "lastEventAt": {"$literal": naive}}}
    ]


def test_claiming_a_stripe_event_is_one_conditional_update(mongo):  # noqa: F811
    # billing.services.stripe_event_apply: only one delivery moves it to "started".
    queryset = StripeEvent.objects.filter(pk=OID).filter(
        Q(state__in=["received", "failed"]) | Q(state="started", started_at__lt=WHEN)
    )

    ((criteria, pipeline),) = compile_update(
        queryset, mongo, state="started", started_at=WHEN, attempts=F("attempts") + 1
    )

    assert criteria["$and"][0] == {"_id": ObjectId(OID)}
    assert criteria["$and"][1]["$or"][0] == {"state": {"$in": ("received", "failed")}}
    assert pipeline[0]["$set"]["attempts"] == {"$add": ["$attempts", {"$literal": 1}]}
