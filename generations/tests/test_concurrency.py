"""Races: many submits against few credits, double submits of one form.

Real threads, each with its own connection (the ``file_db`` fixture): on SQLite
they wait for the write lock as in production, and SQLite serialises writers; in
``make test-mongo`` they interleave freely on the wire server, where only the
conditional single-document updates and unique keys hold the invariants.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import override_settings

from accounts.models import BusinessProfile
from billing.models import CreditLedgerEntry
from generations.models import Generation, GenerationBatch, GenerationStatus
from generations.services import Wearer, generation_create
from generations.tests.conftest import credits_of, grant_credits, product_jpeg
from modelsnapper.errors import DomainError
from modelsnapper.testing import race

DUMMY_TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_generations_against_twenty_credits_queue_exactly_twenty(
    file_db, business_alice, avatar
):
    grant_credits(business_alice, 20)
    photo = product_jpeg()

    def submit(index: int):
        business = BusinessProfile.objects.select_related("package").get(user_id=business_alice.pk)
        return generation_create(
            business=business,
            wearer=Wearer("avatar", avatar.pk),
            category="top",
            photos=[photo],
            batch_key=f"race-{index}",
            actor=business_alice,
        )

    # The jobs would run at commit on the immediate backend; keep them queued here.
    with override_settings(TASKS=DUMMY_TASKS):
        results = race(50, submit)

    batches = [r for r in results if isinstance(r, GenerationBatch)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(batches) == 20, results
    assert len(refused) == 30, results
    assert all("credit missing" in r.message or "credits missing" in r.message for r in refused)
    assert credits_of(business_alice) == 0
    assert Generation.objects.filter(status=GenerationStatus.QUEUED).count() == 20
    assert CreditLedgerEntry.objects.filter(reason="spend").count() == 20
    # A batch refused after a lost race may leave refused rows (MongoDB keeps partial
    # writes); whatever such a row spent was refunded, and it spent at most once.
    for generation in Generation.objects.exclude(status=GenerationStatus.QUEUED):
        assert generation.status == GenerationStatus.REFUSED
        spent = CreditLedgerEntry.objects.filter(key=f"spend:{generation.pk}").exists()
        refunded = CreditLedgerEntry.objects.filter(key=f"refund:{generation.pk}").exists()
        assert spent == refunded, generation.pk
    call_command("check_ledgers", recheck_delay=0)


@pytest.mark.django_db(transaction=True)
def test_five_concurrent_submits_of_one_form_make_one_batch(file_db, business_alice, avatar):
    grant_credits(business_alice, 10)
    photo = product_jpeg()

    def submit(index: int):
        business = BusinessProfile.objects.get(user_id=business_alice.pk)
        return generation_create(
            business=business,
            wearer=Wearer("avatar", avatar.pk),
            category="top",
            photos=[photo, photo],
            batch_key="one-form",
            actor=business_alice,
        )

    with override_settings(TASKS=DUMMY_TASKS):
        results = race(5, submit)

    assert all(isinstance(r, GenerationBatch) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert GenerationBatch.objects.count() == 1
    assert Generation.objects.count() == 2
    assert credits_of(business_alice) == 8
    call_command("check_ledgers", recheck_delay=0)


@pytest.mark.django_db(transaction=True)
def test_two_workers_claiming_one_job_run_it_once_and_pay_once(
    file_db, business_alice, model_mia, mia_approves_alice
):
    from decimal import Decimal

    from generations.models import RoyaltyLedger
    from generations.services import generation_run
    from generations.tests.conftest import royalty_of

    grant_credits(business_alice, 1)
    with override_settings(TASKS=DUMMY_TASKS):
        batch = generation_create(
            business=BusinessProfile.objects.select_related("package").get(
                user_id=business_alice.pk
            ),
            wearer=Wearer("model", model_mia.pk),
            category="top",
            photos=[product_jpeg()],
            batch_key="one-job",
            actor=business_alice,
        )
    generation = Generation.objects.get(batch=batch)

    results = race(2, lambda index: generation_run(generation_id=generation.pk))

    assert GenerationStatus.SUCCEEDED in results, results
    assert not [r for r in results if isinstance(r, Exception)], results
    generation.refresh_from_db()
    assert generation.status == GenerationStatus.SUCCEEDED
    assert generation.attempts == 1  # one claim: the other worker did nothing
    assert RoyaltyLedger.objects.count() == 1
    assert royalty_of(model_mia) == Decimal("1.00")
    assert credits_of(business_alice) == 0
    call_command("check_ledgers", recheck_delay=0)
    call_command("check_royalties")
