"""Smoke suite against a real MongoDB replica set (marker ``mongodb``).

Runs only in Mongo mode, i.e. with MONGODB_URI set for the whole pytest run:

    MONGODB_URI=mongodb://localhost:27017/modelsnapper?replicaSet=rs0 \
        REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/pytest -m mongodb

pytest-django then builds the test database with ``migrate`` on MongoDB (the
committed mongo_migrations/ and our shared migrations). Skipped otherwise.
Transactional tests: Django's atomic() does not roll back on MongoDB, so each
test flushes the collections instead.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from bson import Decimal128, ObjectId
from django.db import IntegrityError, connection
from django.db.models import F

from accounts.models import BusinessProfile, ModelProfile, User
from accounts.tests.factories import BusinessProfileFactory, ModelProfileFactory, UserFactory

pytestmark = [
    pytest.mark.mongodb,
    pytest.mark.mongo_only(
        reason="reads documents from a MongoDB server: make test-mongo, or MONGODB_URI=… "
        "pytest -m mongodb against a real replica set"
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def _replica_set():
    hello = connection.connection.admin.command("hello")
    if "setName" not in hello and hello.get("msg") != "isdbgrid":
        pytest.skip(
            "MONGODB_URI points at a standalone server; the smoke suite needs a replica set"
        )


def _document(collection: str, pk: str) -> dict:
    return connection.get_collection(collection).find_one({"_id": ObjectId(pk)})


def test_user_and_profile_are_stored_with_object_ids_and_seed_names():
    profile = BusinessProfileFactory(business_name="Alice Boutique")
    document = _document("business_profiles", profile.pk)
    assert document["_id"] == ObjectId(profile.pk)
    assert document["userId"] == ObjectId(profile.user.pk)
    assert document["businessName"] == "Alice Boutique"
    assert document["approvedModels"] == []
    reloaded = BusinessProfile.objects.select_related("user").get(pk=profile.pk)
    assert reloaded.user == profile.user
    assert User.objects.filter(pk="nope").first() is None


def test_users_without_clerk_id_never_collide_but_a_clerk_id_is_unique():
    UserFactory(clerk_id=None)
    UserFactory(clerk_id=None)
    UserFactory(clerk_id="user_123")
    with pytest.raises(IntegrityError):
        UserFactory(clerk_id="user_123")
    assert User.objects.filter(clerk_id="user_123").count() == 1


def test_credit_spend_is_a_conditional_update_refused_at_zero():
    profile = BusinessProfileFactory(ai_credits=1)

    def spend() -> int:
        # billing.services.credits_spend's guard
        return BusinessProfile.objects.filter(pk=profile.pk, ai_credits__gte=1).update(
            ai_credits=F("ai_credits") - 1
        )

    assert spend() == 1
    assert spend() == 0
    assert _document("business_profiles", profile.pk)["aiCredits"] == 0


def test_royalty_credit_adds_decimal128():
    profile = ModelProfileFactory()
    moved = ModelProfile.objects.filter(user_id=profile.user_id).update(
        royalty_balance=F("royalty_balance") + Decimal("1.00")
    )
    assert moved == 1
    assert _document("model_profiles", profile.pk)["royaltyBalance"] == Decimal128("1.00")
    assert ModelProfile.objects.get(pk=profile.pk).royalty_balance == Decimal("1.00")


def test_contains_id_finds_the_business_that_approved_a_model():
    mia, noah = ModelProfileFactory(), ModelProfileFactory()
    business = BusinessProfileFactory(approved_models=[mia.pk])
    assert _document("business_profiles", business.pk)["approvedModels"] == [ObjectId(mia.pk)]
    assert list(BusinessProfile.objects.filter(approved_models__contains_id=mia.pk)) == [business]
    assert not BusinessProfile.objects.filter(approved_models__contains_id=noah.pk).exists()
