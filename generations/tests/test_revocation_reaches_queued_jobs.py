"""Revocation, a withdrawn release or expiry refuses and refunds queued jobs at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from generations.models import Generation, GenerationStatus
from generations.services import Wearer
from generations.tests.conftest import credits_of, grant_credits
from generations.tests.test_generation_run import _assert_ledgers_hold, _queue

# Jobs stay queued until a test runs them (see the tasks_held fixture).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_held")]


def test_revoking_consent_refuses_and_refunds_the_pairs_queued_jobs(
    business_alice, model_mia, mia_approves_alice, avatar, django_capture_on_commit_callbacks
):
    from marketplace.services import consent_revoke

    grant_credits(business_alice, 3)
    human = _queue(business_alice, Wearer("model", model_mia.pk), count=2)
    (avatar_job,) = _queue(business_alice, Wearer("avatar", avatar.pk))
    assert credits_of(business_alice) == 0

    with django_capture_on_commit_callbacks(execute=True):
        consent_revoke(actor=model_mia, consent_request_id=mia_approves_alice.pk)

    statuses = set(
        Generation.objects.filter(pk__in=[g.pk for g in human]).values_list("status", flat=True)
    )
    assert statuses == {GenerationStatus.REFUSED}
    assert Generation.objects.get(pk=avatar_job.pk).status == GenerationStatus.QUEUED
    assert credits_of(business_alice) == 2
    _assert_ledgers_hold(business_alice)


def test_withdrawing_the_release_refuses_every_queued_job_with_the_likeness(
    business_alice, model_mia, mia_approves_alice, django_capture_on_commit_callbacks
):
    from marketplace.services import release_withdraw

    grant_credits(business_alice, 2)
    jobs = _queue(business_alice, Wearer("model", model_mia.pk), count=2)

    with django_capture_on_commit_callbacks(execute=True):
        release_withdraw(actor=model_mia)

    assert {g.status for g in Generation.objects.filter(pk__in=[j.pk for j in jobs])} == {
        GenerationStatus.REFUSED
    }
    assert credits_of(business_alice) == 2


def test_an_expired_consent_refuses_the_queued_jobs(
    business_alice, model_mia, mia_approves_alice, django_capture_on_commit_callbacks
):
    from marketplace.models import ConsentRequest
    from marketplace.services import consent_expire

    grant_credits(business_alice, 1)
    (job,) = _queue(business_alice, Wearer("model", model_mia.pk))
    past = timezone.now() - timedelta(minutes=1)
    ConsentRequest.objects.filter(pk=mia_approves_alice.pk).update(expires_at=past)

    with django_capture_on_commit_callbacks(execute=True):
        assert consent_expire(consent_request_id=mia_approves_alice.pk)

    job.refresh_from_db()
    assert job.status == GenerationStatus.REFUSED
    assert credits_of(business_alice) == 1
