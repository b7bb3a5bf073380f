"""ObjectId keys on SQLite: 24-hex strings made client-side, stored in ``_id``."""

from __future__ import annotations

import json

import pytest
from bson import ObjectId
from django.db import connection

from accounts.models import BusinessProfile, ModelProfile, User
from accounts.tests.factories import BusinessProfileFactory, ModelProfileFactory, UserFactory
from generations.models import Generation
from modelsnapper.fields import OBJECT_ID_RE

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.sql_only(
        reason="reads SQLite columns with a raw cursor; test_mongodb_smoke reads documents"
    ),
]


def _column(table: str, column: str, pk: str) -> object:
    # Reads the stored value itself, so the test sees the column, not the ORM's view.
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}" FROM "{table}" WHERE "_id" = %s', [pk])  # noqa: S608
        (value,) = cursor.fetchone()
    return value


def test_a_new_object_has_its_objectid_before_it_is_saved():
    user = User(email="new@example.test", role="BUSINESS")
    assert OBJECT_ID_RE.match(user.pk)
    assert User.objects.count() == 0
    assert ObjectId(user.pk).generation_time is not None


def test_the_pk_is_stored_as_24_hex_text_in_the_underscore_id_column():
    user = UserFactory()
    assert _column("users", "_id", user.pk) == user.pk
    assert len(user.pk) == 24


def test_foreign_key_columns_store_the_same_string():
    profile = BusinessProfileFactory()
    assert _column("business_profiles", "userId", profile.pk) == profile.user.pk


def test_reloading_returns_the_same_ids():
    profile = ModelProfileFactory()
    reloaded = ModelProfile.objects.select_related("user").get(pk=profile.pk)
    assert reloaded == profile
    assert reloaded.pk == profile.pk
    assert reloaded.user.pk == profile.user.pk
    assert isinstance(reloaded.pk, str)


def test_an_objectid_instance_or_upper_case_hex_finds_the_same_row():
    user = UserFactory()
    assert User.objects.get(pk=ObjectId(user.pk)) == user
    assert User.objects.get(pk=user.pk.upper()) == user


@pytest.mark.parametrize("bad", ["nope", "123", "g" * 24, "5f1d7f0e0a3b4c5d6e7f809", 123, ""])
def test_a_malformed_id_is_does_not_exist_not_a_crash(bad):
    UserFactory()
    with pytest.raises(User.DoesNotExist):
        User.objects.get(pk=bad)
    assert not Generation.objects.filter(user_id=bad).exists()
    assert not BusinessProfile.objects.filter(approved_models__contains_id=bad).exists()


def test_id_arrays_round_trip_as_json_text_and_answer_contains_id():
    mia, noah = ModelProfileFactory(), ModelProfileFactory()
    business = BusinessProfileFactory(approved_models=[mia.pk])
    assert json.loads(_column("business_profiles", "approvedModels", business.pk)) == [mia.pk]
    assert BusinessProfile.objects.get(pk=business.pk).approved_models == [mia.pk]
    assert list(BusinessProfile.objects.filter(approved_models__contains_id=mia.pk)) == [business]
    assert not BusinessProfile.objects.filter(approved_models__contains_id=noah.pk).exists()
    assert list(BusinessProfile.objects.filter(approved_models__contains_id=ObjectId(mia.pk))) == [
        business
    ]


def test_string_arrays_round_trip_as_json_text():
    profile = ModelProfileFactory(reference_images=["likeness/a.jpg", "likeness/b.jpg"])
    stored = _column("model_profiles", "referenceImages", profile.pk)
    assert json.loads(stored) == ["likeness/a.jpg", "likeness/b.jpg"]
    assert ModelProfile.objects.get(pk=profile.pk).reference_images == [
        "likeness/a.jpg",
        "likeness/b.jpg",
    ]
