"""The job: re-checks at run time, settles credits and royalties exactly once."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from PIL import Image

from accounts.models import BusinessProfile
from billing.models import CreditLedgerEntry
from generations.models import Generation, GenerationStatus, RoyaltyLedger
from generations.services import (
    MSG_REVOKED_WHILE_QUEUED,
    STALE_RUNNING_AFTER,
    Wearer,
    generation_create,
    generation_run,
    generation_settle,
    generations_refuse_queued_for_pair,
    generations_requeue_stale,
)
from generations.tests.conftest import (
    credits_of,
    give_package,
    grant_credits,
    photo_upload,
    royalty_of,
)
from modelsnapper.storage import read_private

# Jobs stay queued until a test runs them (see the tasks_held fixture).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_held")]


def _queue(user, wearer: Wearer, count: int = 1, category: str = "top") -> list[Generation]:
    """Create a batch without running it (``tasks_held``: the enqueued jobs wait)."""
    batch = generation_create(
        business=BusinessProfile.objects.select_related("package").get(user_id=user.pk),
        wearer=wearer,
        category=category,
        photos=[photo_upload() for _ in range(count)],
        batch_key=f"key-{timezone.now().timestamp()}",
        actor=user,
    )
    return list(Generation.objects.filter(batch=batch).order_by("created_at", "id"))


def _ledger_sum(user) -> int:
    from django.db.models import Sum

    business = BusinessProfile.objects.get(user_id=user.pk)
    return (
        CreditLedgerEntry.objects.filter(business_id=business.pk, state="applied").aggregate(
            s=Sum("delta")
        )["s"]
        or 0
    )


def _assert_ledgers_hold(*users) -> None:
    from django.core.management import call_command

    call_command("check_ledgers", recheck_delay=0)
    call_command("check_royalties")
    for user in users:
        if user.is_model:
            total = sum(
                RoyaltyLedger.objects.filter(model_id=user.pk).values_list("amount", flat=True),
                Decimal("0.00"),
            )
            assert royalty_of(user) == total


def test_avatar_job_succeeds_with_signed_output_and_thumbnail_and_pays_no_royalty(
    business_alice, avatar
):
    from generations.provenance import read_credentials

    grant_credits(business_alice, 1)
    (generation,) = _queue(business_alice, Wearer("avatar", avatar.pk))

    assert generation_run(generation_id=generation.pk) == GenerationStatus.SUCCEEDED

    generation.refresh_from_db()
    assert generation.status == GenerationStatus.SUCCEEDED
    assert generation.engine == "offline"
    assert generation.royalty_paid == Decimal("0.00")
    assert generation.started_at and generation.finished_at
    output = read_private(generation.output_s3_url)
    with Image.open(io.BytesIO(output)) as image:
        assert image.format == "JPEG" and image.size == (1024, 1365)
    with Image.open(io.BytesIO(read_private(generation.thumbnail_s3_url))) as thumb:
        assert thumb.width == 384
    report = read_credentials(output)
    assert generation.pk in repr(report)
    assert credits_of(business_alice) == 0
    assert not RoyaltyLedger.objects.exists()
    assert not CreditLedgerEntry.objects.filter(reason="refund").exists()
    _assert_ledgers_hold(business_alice)


def test_human_model_job_pays_exactly_one_dollar_through_the_royalty_ledger(
    business_alice, model_mia, mia_approves_alice
):
    grant_credits(business_alice, 1)
    (generation,) = _queue(business_alice, Wearer("model", model_mia.pk))

    assert generation_run(generation_id=generation.pk) == GenerationStatus.SUCCEEDED

    generation.refresh_from_db()
    assert generation.royalty_paid == Decimal("1.00")
    assert royalty_of(model_mia) == Decimal("1.00")
    entry = RoyaltyLedger.objects.get()
    assert entry.key == f"royalty:{generation.pk}"
    assert entry.amount == Decimal("1.00") and entry.balance_after == Decimal("1.00")
    assert entry.model_id == model_mia.pk and entry.business_id == business_alice.pk
    assert credits_of(business_alice) == 0
    _assert_ledgers_hold(business_alice, model_mia)


def test_running_a_job_again_spends_refunds_and_pays_at_most_once(
    business_alice, model_mia, mia_approves_alice
):
    grant_credits(business_alice, 2)
    (generation,) = _queue(business_alice, Wearer("model", model_mia.pk))
    generation_run(generation_id=generation.pk)
    output_key = Generation.objects.get(pk=generation.pk).output_s3_url

    # Duplicate delivery, retry after a crash, a manual settle: none moves money again.
    assert generation_run(generation_id=generation.pk) == GenerationStatus.SUCCEEDED
    assert generation_run(generation_id=generation.pk) == GenerationStatus.SUCCEEDED
    generation_settle(generation_id=generation.pk)

    assert royalty_of(model_mia) == Decimal("1.00")
    assert RoyaltyLedger.objects.count() == 1
    assert credits_of(business_alice) == 1
    assert Generation.objects.get(pk=generation.pk).output_s3_url == output_key
    _assert_ledgers_hold(business_alice, model_mia)


def test_a_delivery_while_another_worker_runs_the_job_does_nothing(business_alice, avatar):
    grant_credits(business_alice, 1)
    (generation,) = _queue(business_alice, Wearer("avatar", avatar.pk))
    # Another worker claimed it a moment ago.
    Generation.objects.filter(pk=generation.pk).update(
        status=GenerationStatus.RUNNING, started_at=timezone.now(), attempts=1
    )

    assert generation_run(generation_id=generation.pk) == GenerationStatus.RUNNING

    generation.refresh_from_db()
    assert generation.status == GenerationStatus.RUNNING and generation.attempts == 1
    assert generation.output_s3_url == ""
    assert credits_of(business_alice) == 0


def test_a_job_left_running_by_a_dead_worker_is_taken_over_and_paid_once(
    business_alice, model_mia, mia_approves_alice
):
    grant_credits(business_alice, 1)
    (generation,) = _queue(business_alice, Wearer("model", model_mia.pk))
    # The first worker claimed it 20 minutes ago and died.
    Generation.objects.filter(pk=generation.pk).update(
        status=GenerationStatus.RUNNING,
        started_at=timezone.now() - timedelta(minutes=20),
        attempts=1,
    )

    assert generation_run(generation_id=generation.pk) == GenerationStatus.SUCCEEDED

    generation.refresh_from_db()
    assert generation.attempts == 2
    assert royalty_of(model_mia) == Decimal("1.00")
    assert RoyaltyLedger.objects.count() == 1
    _assert_ledgers_hold(business_alice, model_mia)


def test_a_worker_that_died_after_finishing_but_before_paying_is_repaired_by_redelivery(
    business_alice, model_mia, mia_approves_alice
):
    grant_credits(business_alice, 1)
    (generation,) = _queue(business_alice, Wearer("model", model_mia.pk))
    # The crash: the state says succeeded, but no royalty was written.
    Generation.objects.filter(pk=generation.pk).update(
        status=GenerationStatus.SUCCEEDED, royalty_paid=Decimal("1.00")
    )
    assert royalty_of(model_mia) == Decimal("0.00")

    generation_run(generation_id=generation.pk)
    generation_run(generation_id=generation.pk)

    assert royalty_of(model_mia) == Decimal("1.00")
    assert RoyaltyLedger.objects.count() == 1


def test_revocation_before_the_job_runs_refuses_it_refunds_and_pays_nothing(
    business_alice, model_mia, mia_approves_alice
):
    from marketplace.services import consent_revoke

    grant_credits(business_alice, 2)
    generations = _queue(business_alice, Wearer("model", model_mia.pk), count=2)
    assert credits_of(business_alice) == 0

    consent_revoke(actor=model_mia, consent_request_id=mia_approves_alice.pk)
    for generation in generations:
        assert generation_run(generation_id=generation.pk) == GenerationStatus.REFUSED

    assert set(Generation.objects.values_list("status", flat=True)) == {GenerationStatus.REFUSED}
    assert credits_of(business_alice) == 2
    assert royalty_of(model_mia) == Decimal("0.00")
    assert not RoyaltyLedger.objects.exists()
    assert set(CreditLedgerEntry.objects.filter(reason="refund").values_list("key", flat=True)) == {
        f"refund:{g.pk}" for g in generations
    }
    # Running them again refunds nothing more.
    for generation in generations:
        generation_run(generation_id=generation.pk)
    assert credits_of(business_alice) == 2
    _assert_ledgers_hold(business_alice, model_mia)


def test_refusing_queued_jobs_for_a_pair_refunds_them_and_the_job_then_does_nothing(
    business_alice, model_mia, mia_approves_alice, avatar
):
    grant_credits(business_alice, 3)
    human = _queue(business_alice, Wearer("model", model_mia.pk), count=2)
    (other,) = _queue(business_alice, Wearer("avatar", avatar.pk))

    refused = generations_refuse_queued_for_pair(
        business_user_id=business_alice.pk, model_user_id=model_mia.pk
    )

    assert refused == 2
    for generation in human:
        generation.refresh_from_db()
        assert generation.status == GenerationStatus.REFUSED
        assert generation.error_message == MSG_REVOKED_WHILE_QUEUED
        assert generation_run(generation_id=generation.pk) == GenerationStatus.REFUSED
    assert Generation.objects.get(pk=other.pk).status == GenerationStatus.QUEUED
    assert credits_of(business_alice) == 2
    assert (
        generations_refuse_queued_for_pair(
            business_user_id=business_alice.pk, model_user_id=model_mia.pk
        )
        == 0
    )
    assert credits_of(business_alice) == 2
    _assert_ledgers_hold(business_alice)


def test_a_category_removed_from_the_limits_before_the_job_runs_refuses_it(
    business_alice, model_mia, mia_approves_alice
):
    from marketplace.services import consent_limits_change

    grant_credits(business_alice, 1)
    (generation,) = _queue(business_alice, Wearer("model", model_mia.pk), category="bottom")
    consent_limits_change(
        actor=model_mia, consent_request_id=mia_approves_alice.pk, allowed_categories=["top"]
    )

    assert generation_run(generation_id=generation.pk) == GenerationStatus.REFUSED
    assert "does not allow bottom photos" in Generation.objects.get(pk=generation.pk).error_message
    assert credits_of(business_alice) == 1


def test_a_package_without_human_access_at_run_time_refuses_the_job(
    business_alice, model_mia, mia_approves_alice, basic_package
):
    grant_credits(business_alice, 1)
    (generation,) = _queue(business_alice, Wearer("model", model_mia.pk))
    give_package(business_alice, basic_package)

    assert generation_run(generation_id=generation.pk) == GenerationStatus.REFUSED
    assert credits_of(business_alice) == 1
    assert royalty_of(model_mia) == Decimal("0.00")


def test_an_avatar_deactivated_before_the_job_runs_refuses_it_and_refunds(business_alice, avatar):
    grant_credits(business_alice, 1)
    (generation,) = _queue(business_alice, Wearer("avatar", avatar.pk))
    avatar.is_active = False
    avatar.save()

    assert generation_run(generation_id=generation.pk) == GenerationStatus.REFUSED
    assert credits_of(business_alice) == 1


def test_a_missing_product_photo_fails_the_job_and_refunds(business_alice, avatar):
    from modelsnapper.storage import delete_private

    grant_credits(business_alice, 1)
    (generation,) = _queue(business_alice, Wearer("avatar", avatar.pk))
    delete_private(generation.product_image_key)

    assert generation_run(generation_id=generation.pk) == GenerationStatus.FAILED
    generation.refresh_from_db()
    assert generation.error_message and generation.output_s3_url == ""
    assert credits_of(business_alice) == 1
    _assert_ledgers_hold(business_alice)


def test_a_job_claimed_too_many_times_is_given_up_and_refunded(business_alice, avatar):
    grant_credits(business_alice, 1)
    (generation,) = _queue(business_alice, Wearer("avatar", avatar.pk))
    Generation.objects.filter(pk=generation.pk).update(
        status=GenerationStatus.RUNNING,
        started_at=timezone.now() - timedelta(hours=1),
        attempts=3,
    )

    assert generation_run(generation_id=generation.pk) == GenerationStatus.FAILED
    assert (
        "did not finish after 3 attempts" in Generation.objects.get(pk=generation.pk).error_message
    )
    assert credits_of(business_alice) == 1


def test_stale_jobs_are_enqueued_again_and_finish(business_alice, avatar, tasks_run_at_once):
    grant_credits(business_alice, 2)
    lost, died = _queue(business_alice, Wearer("avatar", avatar.pk), count=2)
    Generation.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(hours=1))
    Generation.objects.filter(pk=died.pk).update(
        status=GenerationStatus.RUNNING,
        started_at=timezone.now() - timedelta(hours=1),
        attempts=1,
    )

    # From here the immediate backend runs what is enqueued at once.
    tasks_run_at_once()
    assert generations_requeue_stale() == 2

    assert set(Generation.objects.values_list("status", flat=True)) == {GenerationStatus.SUCCEEDED}
    assert credits_of(business_alice) == 0


def test_a_job_whose_worker_died_runs_again_within_five_minutes(
    business_alice, avatar, tasks_run_at_once
):
    """The scheduler sweeps every minute and takes over a job 'running' for 4 minutes;
    a job running for 3 is still its worker's."""
    from modelsnapper import scheduler

    grant_credits(business_alice, 2)
    died, busy = _queue(business_alice, Wearer("avatar", avatar.pk), count=2)
    now = timezone.now()
    Generation.objects.filter(pk=died.pk).update(
        status=GenerationStatus.RUNNING, started_at=now - timedelta(minutes=4, seconds=1)
    )
    Generation.objects.filter(pk=busy.pk).update(
        status=GenerationStatus.RUNNING, started_at=now - timedelta(minutes=3)
    )

    tasks_run_at_once()
    scheduler.run_job("requeue_generations")

    assert Generation.objects.get(pk=died.pk).status == GenerationStatus.SUCCEEDED
    assert Generation.objects.get(pk=busy.pk).status == GenerationStatus.RUNNING
    assert scheduler.get("requeue_generations").every + STALE_RUNNING_AFTER <= timedelta(minutes=5)


def test_check_royalties_reports_a_balance_that_differs_from_the_ledger(
    business_alice, model_mia, mia_approves_alice
):
    from django.core.management import CommandError, call_command

    from accounts.models import ModelProfile

    grant_credits(business_alice, 1)
    (generation,) = _queue(business_alice, Wearer("model", model_mia.pk))
    generation_run(generation_id=generation.pk)
    call_command("check_royalties")

    ModelProfile.objects.filter(user_id=model_mia.pk).update(royalty_balance=Decimal("5.00"))

    with pytest.raises(CommandError, match="1 royalty balance"):
        call_command("check_royalties")


def test_withdrawing_the_release_refuses_every_queued_job_of_that_model(
    business_alice, model_mia, mia_approves_alice, avatar
):
    from generations.services import generations_refuse_queued_for_model

    grant_credits(business_alice, 3)
    human = _queue(business_alice, Wearer("model", model_mia.pk), count=2)
    (other,) = _queue(business_alice, Wearer("avatar", avatar.pk))

    assert generations_refuse_queued_for_model(model_user_id=model_mia.pk) == 2

    assert {Generation.objects.get(pk=g.pk).status for g in human} == {GenerationStatus.REFUSED}
    assert Generation.objects.get(pk=other.pk).status == GenerationStatus.QUEUED
    assert credits_of(business_alice) == 2


def test_the_requeue_command_enqueues_stale_jobs(business_alice, avatar, tasks_run_at_once):
    from django.core.management import call_command

    grant_credits(business_alice, 1)
    (generation,) = _queue(business_alice, Wearer("avatar", avatar.pk))
    Generation.objects.filter(pk=generation.pk).update(
        created_at=timezone.now() - timedelta(hours=1)
    )

    tasks_run_at_once()
    call_command("requeue_generations")

    assert Generation.objects.get(pk=generation.pk).status == GenerationStatus.SUCCEEDED
