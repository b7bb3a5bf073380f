"""generation_create: one generation and one credit per photo, all or nothing."""

from __future__ import annotations

import pytest

from accounts.models import BusinessProfile
from billing.models import CreditLedgerEntry
from generations.models import Generation, GenerationBatch, GenerationStatus, ModelType
from generations.services import Wearer, generation_create
from generations.tests.conftest import (
    approve,
    credits_of,
    give_package,
    grant_credits,
    make_model_ready,
    photo_upload,
)
from modelsnapper.errors import DomainError

pytestmark = pytest.mark.django_db


def _create(user, wearer: Wearer, *, photos=None, category="top", key="batch-1"):
    return generation_create(
        business=BusinessProfile.objects.select_related("package").get(user_id=user.pk),
        wearer=wearer,
        category=category,
        photos=photos if photos is not None else [photo_upload()],
        batch_key=key,
        actor=user,
    )


def test_avatar_batch_makes_one_queued_generation_and_spends_one_credit_per_photo(
    business_alice, avatar, tasks_held
):
    grant_credits(business_alice, 5)

    batch = _create(
        business_alice, Wearer("avatar", avatar.pk), photos=[photo_upload() for _ in range(3)]
    )

    generations = list(Generation.objects.filter(batch=batch))
    assert len(generations) == 3 and batch.size == 3
    assert {g.status for g in generations} == {GenerationStatus.QUEUED}
    assert {g.model_type for g in generations} == {ModelType.AI_AVATAR}
    assert all(g.avatar_id == avatar.pk and g.model_id is None for g in generations)
    assert all(g.product_image_key.startswith("generations/products/") for g in generations)
    assert credits_of(business_alice) == 2
    spend_keys = set(CreditLedgerEntry.objects.filter(reason="spend").values_list("key", flat=True))
    assert spend_keys == {f"spend:{g.pk}" for g in generations}


def test_human_model_batch_records_model_user_and_consent_snapshot(
    business_alice, model_mia, mia_approves_alice, release
):
    grant_credits(business_alice, 1)

    batch = _create(business_alice, Wearer("model", model_mia.pk), category="bottom")

    generation = Generation.objects.get(batch=batch)
    assert generation.model_type == ModelType.HUMAN_MODEL
    assert generation.model_id == model_mia.pk  # users._id of the model
    assert generation.avatar_id is None
    assert generation.consent_request_id == mia_approves_alice.pk
    assert generation.release_version == str(release.version)
    assert generation.usage_limits == ["top", "bottom"]
    assert generation.garment_category == "bottom"


def test_batch_beyond_the_balance_is_refused_with_the_missing_count_and_writes_nothing(
    business_alice, avatar, settings
):
    grant_credits(business_alice, 2)

    with pytest.raises(DomainError) as error:
        _create(
            business_alice, Wearer("avatar", avatar.pk), photos=[photo_upload() for _ in range(5)]
        )

    assert error.value.message.startswith("3 credits missing")
    assert credits_of(business_alice) == 2
    assert not Generation.objects.exists()
    assert not GenerationBatch.objects.exists()
    assert not CreditLedgerEntry.objects.filter(reason="spend").exists()
    products = settings.MEDIA_ROOT / "generations" / "products"
    assert not products.exists() or not any(products.iterdir())


def test_one_credit_short_says_one_credit_missing(business_alice, avatar):
    with pytest.raises(DomainError, match=r"^1 credit missing"):
        _create(business_alice, Wearer("avatar", avatar.pk))


def test_the_same_batch_key_twice_is_one_batch_and_spends_once(business_alice, avatar):
    grant_credits(business_alice, 10)

    first = _create(
        business_alice, Wearer("avatar", avatar.pk), photos=[photo_upload() for _ in range(2)]
    )
    second = _create(
        business_alice, Wearer("avatar", avatar.pk), photos=[photo_upload() for _ in range(2)]
    )

    assert first.pk == second.pk
    assert Generation.objects.count() == 2
    assert credits_of(business_alice) == 8


def test_batch_keys_are_per_business(business_alice, business_bob, avatar):
    grant_credits(business_alice, 1)
    grant_credits(business_bob, 1)

    mine = _create(business_alice, Wearer("avatar", avatar.pk), key="same")
    theirs = _create(business_bob, Wearer("avatar", avatar.pk), key="same")

    assert mine.pk != theirs.pk
    assert credits_of(business_alice) == 0 and credits_of(business_bob) == 0


def test_inactive_avatar_is_refused_without_spending(business_alice, avatar):
    grant_credits(business_alice, 1)
    avatar.is_active = False
    avatar.save()

    with pytest.raises(DomainError, match="not available"):
        _create(business_alice, Wearer("avatar", avatar.pk))

    assert credits_of(business_alice) == 1
    assert not Generation.objects.exists()


def test_unknown_or_malformed_wearer_is_refused(business_alice, avatar):
    grant_credits(business_alice, 1)
    for token in ["avatar:000000000000000000000000", "avatar:nope", "robot:1", "model:", ""]:
        with pytest.raises(DomainError):
            _create(business_alice, Wearer.parse(token))
    assert credits_of(business_alice) == 1
    assert not Generation.objects.exists()


def test_human_model_needs_a_package_with_human_model_access(
    business_alice, model_mia, mia_approves_alice, basic_package
):
    grant_credits(business_alice, 1)
    give_package(business_alice, basic_package)

    with pytest.raises(DomainError, match="does not include human models"):
        _create(business_alice, Wearer("model", model_mia.pk))

    assert credits_of(business_alice) == 1
    assert not Generation.objects.exists()


def test_a_model_who_approved_another_business_is_refused(
    business_alice, business_bob, model_mia, human_package, release
):
    give_package(business_alice, human_package)
    give_package(business_bob, human_package)
    make_model_ready(model_mia, release)
    approve(business_bob, model_mia)
    grant_credits(business_alice, 1)

    with pytest.raises(DomainError, match="has not given your business consent"):
        _create(business_alice, Wearer("model", model_mia.pk))

    assert credits_of(business_alice) == 1
    assert not Generation.objects.exists()


def test_a_model_who_revoked_is_refused(business_alice, model_mia, mia_approves_alice):
    from marketplace.services import consent_revoke

    consent_revoke(actor=model_mia, consent_request_id=mia_approves_alice.pk)
    grant_credits(business_alice, 1)

    with pytest.raises(DomainError, match="has not given your business consent"):
        _create(business_alice, Wearer("model", model_mia.pk))

    assert credits_of(business_alice) == 1


def test_category_outside_the_models_usage_limits_is_refused(
    business_alice, model_mia, mia_approves_alice
):
    grant_credits(business_alice, 1)

    with pytest.raises(DomainError) as error:
        _create(business_alice, Wearer("model", model_mia.pk), category="swimwear")

    assert "does not allow swimwear photos" in error.value.message
    assert "Allowed: top, bottom" in error.value.message
    assert credits_of(business_alice) == 1
    assert not Generation.objects.exists()


def test_more_than_twenty_photos_are_refused(business_alice, avatar):
    grant_credits(business_alice, 30)

    with pytest.raises(DomainError, match="at most 20 photos"):
        _create(
            business_alice, Wearer("avatar", avatar.pk), photos=[photo_upload() for _ in range(21)]
        )

    assert credits_of(business_alice) == 30


def test_a_file_that_is_not_an_image_refuses_the_whole_batch(business_alice, avatar):
    grant_credits(business_alice, 3)
    fake = photo_upload("notes.jpg", b"<html><script>alert(1)</script></html>")

    with pytest.raises(DomainError, match=r"notes\.jpg"):
        _create(business_alice, Wearer("avatar", avatar.pk), photos=[photo_upload(), fake])

    assert credits_of(business_alice) == 3
    assert not Generation.objects.exists()


def test_unknown_category_is_refused(business_alice, avatar):
    grant_credits(business_alice, 1)
    with pytest.raises(DomainError, match="garment category"):
        _create(business_alice, Wearer("avatar", avatar.pk), category="hat")
    assert credits_of(business_alice) == 1


@pytest.mark.sql_only(reason="checks the job waits for COMMIT; Mongo mode has no transaction")
def test_jobs_are_enqueued_only_after_commit(
    business_alice, avatar, django_capture_on_commit_callbacks
):
    grant_credits(business_alice, 1)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        batch = _create(business_alice, Wearer("avatar", avatar.pk))

    # Nothing ran inside the transaction: the job waits for the commit.
    assert Generation.objects.get(batch=batch).status == GenerationStatus.QUEUED
    assert len(callbacks) == 1
