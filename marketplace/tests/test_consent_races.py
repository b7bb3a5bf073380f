"""Consent decisions racing in real threads, each with its own connection.

On SQLite the threads wait for the write lock (``file_db``); in ``make test-mongo``
they interleave freely on the wire server, where only the conditional status
update and the array sync that reads the committed status keep the pair consistent.
"""

from __future__ import annotations

import time

import pytest

from accounts.models import BusinessProfile, ModelProfile
from billing.models import Package
from marketplace import selectors, services
from marketplace.models import ConsentEvent, ConsentEventType, ConsentRequest, ConsentStatus
from marketplace.tests.conftest import give_package, make_listed
from modelsnapper.errors import DomainError
from modelsnapper.testing import race

pytestmark = pytest.mark.django_db(transaction=True)


def _arrays(business, model) -> tuple[bool, bool]:
    model_profile = ModelProfile.objects.get(user_id=model.pk)
    business_profile = BusinessProfile.objects.get(user_id=business.pk)
    return (
        business.pk in model_profile.approved_businesses,
        model_profile.pk in business_profile.approved_models,
    )


@pytest.fixture
def pending(file_db, business_alice, model_mia):
    give_package(
        business_alice,
        Package.objects.create(
            stripe_price_id="p_race", name="H", ai_credits_granted=1, human_model_access=True
        ),
    )
    make_listed(model_mia)
    return services.consent_request(
        actor=business_alice, model_user_id=model_mia.pk, intended_use="Threads racing here."
    )


def _outcome(call) -> str:
    try:
        call()
    except DomainError as error:
        return error.code
    return "ok"


def test_approve_and_reject_racing_decide_once(pending, business_alice, model_mia):
    def decide(index: int) -> str:
        if index % 2:
            return _outcome(
                lambda: services.consent_reject(actor=model_mia, consent_request_id=pending.pk)
            )
        return _outcome(
            lambda: services.consent_approve(
                actor=model_mia, consent_request_id=pending.pk, allowed_categories=["top"]
            )
        )

    results = race(6, decide)

    assert results.count("ok") == 1, results
    assert set(results) == {"ok", "not_pending"}, results
    final = ConsentRequest.objects.get(pk=pending.pk).status
    approved = final == ConsentStatus.APPROVED
    assert _arrays(business_alice, model_mia) == (approved, approved)
    decisions = ConsentEvent.objects.filter(
        event_type__in=[ConsentEventType.APPROVED, ConsentEventType.REJECTED]
    )
    assert decisions.count() == 1


def test_a_revoke_landing_right_after_the_approve_wins(pending, business_alice, model_mia):
    """One thread approves; the other revokes the moment it can. However the two
    interleave, the pair ends revoked, with no array left pointing at it."""

    def act(index: int) -> str:
        if index == 0:
            return _outcome(
                lambda: services.consent_approve(
                    actor=model_mia, consent_request_id=pending.pk, allowed_categories=["top"]
                )
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            outcome = _outcome(
                lambda: services.consent_revoke(actor=model_mia, consent_request_id=pending.pk)
            )
            if outcome == "ok":
                return outcome
            time.sleep(0.005)
        return "gave up"

    assert race(2, act) == ["ok", "ok"]

    assert ConsentRequest.objects.get(pk=pending.pk).status == ConsentStatus.REVOKED
    assert _arrays(business_alice, model_mia) == (False, False)
    assert (
        selectors.active_consent(business_user_id=business_alice.pk, model_user_id=model_mia.pk)
        is None
    )
    trail = list(
        ConsentEvent.objects.filter(consent_request_id=pending.pk)
        .order_by("sequence")
        .values_list("event_type", flat=True)
    )
    assert trail == [
        ConsentEventType.REQUESTED,
        ConsentEventType.APPROVED,
        ConsentEventType.REVOKED,
    ]
