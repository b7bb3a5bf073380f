"""Security review: a refund never gives back more than was spent, and a job whose
credit was never taken does not run for free.

On MongoDB ``transaction.atomic()`` rolls nothing back: if ``credits_spend`` fails
half-way through ``generation_create`` for any reason other than a short balance (a
network error, an in-doubt ledger key), the generation rows it already inserted
stay behind as ``queued`` with no ``spend:<id>`` row, and their product photos are
deleted. The stale sweep (``requeue_generations``) then runs them. These tests build
exactly that leftover row on SQLite and run the job.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command

from accounts.models import BusinessProfile
from billing.models import CreditLedgerEntry
from billing.selectors import ledger_mismatches
from generations.models import Generation, GenerationBatch, GenerationStatus, ModelType
from generations.services import generation_run, generation_settle
from generations.tests.conftest import credits_of, grant_credits, product_jpeg, royalty_of
from modelsnapper.storage import save_private

# Jobs stay queued until a test runs them (see the tasks_held fixture).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_held")]


def _unpaid_generation(business_user, *, product_key: str, **fields) -> Generation:
    """A generation row with no spend — what a half-failed create leaves on MongoDB."""
    batch = GenerationBatch.objects.create(
        user_id=business_user.pk, idempotency_key="half-failed", size=1
    )
    return Generation.objects.create(
        user_id=business_user.pk,
        batch=batch,
        status=GenerationStatus.QUEUED,
        garment_category="top",
        product_image_key=product_key,
        **fields,
    )


def test_an_unpaid_failed_job_refunds_nothing(business_alice, avatar):
    grant_credits(business_alice, 2)
    generation = _unpaid_generation(
        business_alice,
        product_key="generations/products/" + "0" * 32 + ".jpg",  # deleted by the create
        model_type=ModelType.AI_AVATAR,
        avatar=avatar,
    )

    generation_run(generation_id=generation.pk)
    generation_settle(generation_id=generation.pk)

    assert credits_of(business_alice) == 2  # no credit minted
    assert not CreditLedgerEntry.objects.filter(key=f"refund:{generation.pk}").exists()
    assert ledger_mismatches() == []


def test_an_unpaid_job_does_not_run_and_pays_no_royalty(
    business_alice, model_mia, mia_approves_alice
):
    grant_credits(business_alice, 2)
    key = save_private(prefix="generations/products", content=product_jpeg())
    generation = _unpaid_generation(
        business_alice,
        product_key=key,
        model_type=ModelType.HUMAN_MODEL,
        model=model_mia,
        consent_request_id=mia_approves_alice.pk,
    )

    status = generation_run(generation_id=generation.pk)

    generation.refresh_from_db()
    assert status == GenerationStatus.REFUSED
    assert generation.status == GenerationStatus.REFUSED
    assert not generation.output_s3_url
    assert royalty_of(model_mia) == 0
    assert credits_of(business_alice) == 2
    assert ledger_mismatches() == []


def test_a_paid_job_still_runs_and_refunds_when_it_fails(business_alice, avatar):
    """The guard keys on the spend row: normal jobs are unaffected."""
    from billing.services import credits_spend

    grant_credits(business_alice, 2)
    generation = _unpaid_generation(
        business_alice,
        product_key="generations/products/" + "1" * 32 + ".jpg",  # missing → fails
        model_type=ModelType.AI_AVATAR,
        avatar=avatar,
    )
    business = BusinessProfile.objects.get(user_id=business_alice.pk)
    credits_spend(business=business, amount=1, key=f"spend:{generation.pk}")
    assert credits_of(business_alice) == 1

    assert generation_run(generation_id=generation.pk) == GenerationStatus.FAILED
    generation_settle(generation_id=generation.pk)

    assert credits_of(business_alice) == 2
    assert ledger_mismatches() == []


def test_a_short_balance_is_refused_before_any_photo_is_decoded(business_alice, avatar):
    """Decoding 20 photos of 40 MP costs gigabytes of memory: a business that cannot
    pay for the batch is told so first, before any photo is read."""
    from generations.services import Wearer, generation_create
    from generations.tests.conftest import photo_upload
    from modelsnapper.errors import DomainError

    grant_credits(business_alice, 1)
    business = BusinessProfile.objects.get(user_id=business_alice.pk)
    broken = photo_upload(name="broken.jpg", data=b"\xff\xd8\xff" + b"\x00" * 100)

    with pytest.raises(DomainError) as error:
        generation_create(
            business=business,
            wearer=Wearer(kind="avatar", id=avatar.pk),
            category="top",
            photos=[photo_upload(), broken, photo_upload()],
            batch_key="short-balance",
            actor=business_alice,
        )

    assert error.value.code == "credits_missing"
    assert error.value.message.startswith("2 credits missing")
    assert credits_of(business_alice) == 1
    assert not Generation.objects.exists()


def _finish_without_settling(generation: Generation, status: str, **fields) -> None:
    """What a worker that died right after ``_finish`` and before ``generation_settle``
    leaves: a terminal job whose refund or royalty never happened."""
    from datetime import timedelta

    from django.utils import timezone

    Generation.objects.filter(pk=generation.pk).update(
        status=status,
        attempts=1,
        started_at=timezone.now() - timedelta(minutes=30),
        finished_at=timezone.now() - timedelta(minutes=20),
        **fields,
    )


def test_the_sweep_pays_the_royalty_a_dead_worker_never_paid(
    business_alice, model_mia, mia_approves_alice
):
    from decimal import Decimal

    from generations.models import RoyaltyLedger
    from generations.services import Wearer, generation_create, generations_requeue_stale
    from generations.tests.conftest import photo_upload

    grant_credits(business_alice, 1)
    business = BusinessProfile.objects.get(user_id=business_alice.pk)
    # Create without running: the on-commit enqueue is not executed here.
    batch = generation_create(
        business=business,
        wearer=Wearer(kind="model", id=model_mia.pk),
        category="top",
        photos=[photo_upload()],
        batch_key="dead-worker-royalty",
        actor=business_alice,
    )
    generation = Generation.objects.get(batch=batch)
    _finish_without_settling(generation, GenerationStatus.SUCCEEDED, royalty_paid=Decimal("1.00"))
    assert royalty_of(model_mia) == 0

    generations_requeue_stale()
    generations_requeue_stale()  # a second sweep pays nothing more

    assert royalty_of(model_mia) == Decimal("1.00")
    assert RoyaltyLedger.objects.filter(generation=generation).count() == 1
    call_command("check_royalties")  # the cached balance equals the ledgers


def test_the_sweep_refunds_a_failed_job_a_dead_worker_never_refunded(business_alice, avatar):
    from generations.services import Wearer, generation_create, generations_requeue_stale
    from generations.tests.conftest import photo_upload

    grant_credits(business_alice, 1)
    business = BusinessProfile.objects.get(user_id=business_alice.pk)
    batch = generation_create(
        business=business,
        wearer=Wearer(kind="avatar", id=avatar.pk),
        category="top",
        photos=[photo_upload()],
        batch_key="dead-worker-refund",
        actor=business_alice,
    )
    generation = Generation.objects.get(batch=batch)
    _finish_without_settling(generation, GenerationStatus.FAILED, error_message="engine down")
    assert credits_of(business_alice) == 0

    generations_requeue_stale()
    generations_requeue_stale()

    assert credits_of(business_alice) == 1
    assert CreditLedgerEntry.objects.filter(key=f"refund:{generation.pk}").count() == 1
    assert ledger_mismatches() == []
