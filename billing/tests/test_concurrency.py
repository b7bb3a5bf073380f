"""N concurrent spends against C credits succeed exactly min(N, C) times."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from accounts.models import BusinessProfile
from accounts.tests.factories import BusinessProfileFactory
from billing import services
from billing.models import CreditLedgerEntry
from modelsnapper.testing import race


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_spends_against_five_credits_succeed_exactly_five_times(file_db):
    business = BusinessProfileFactory()
    services.credits_grant(business=business, amount=5, key="grant:test")

    def spend(index: int):
        profile = BusinessProfile.objects.get(pk=business.pk)  # each thread its own copy
        return services.credits_spend(business=profile, amount=1, key=f"spend:gen-{index}")

    results = race(20, spend)

    succeeded = [r for r in results if isinstance(r, CreditLedgerEntry)]
    refused = [r for r in results if isinstance(r, services.InsufficientCredits)]
    assert len(succeeded) == 5, results
    assert len(refused) == 15, results
    assert all(r.missing == 1 for r in refused)
    business.refresh_from_db()
    assert business.ai_credits == 0
    assert CreditLedgerEntry.objects.filter(reason="spend").count() == 5
    assert sorted(e.balance_after for e in succeeded) == [0, 1, 2, 3, 4]
    call_command("check_ledgers", recheck_delay=0)


@pytest.mark.django_db(transaction=True)
def test_concurrent_calls_with_the_same_key_move_credits_once(file_db):
    business = BusinessProfileFactory()

    def grant(index: int):
        profile = BusinessProfile.objects.get(pk=business.pk)
        return services.credits_grant(business=profile, amount=7, key="grant:cs_same")

    results = race(10, grant)

    assert all(isinstance(r, CreditLedgerEntry) for r in results), results
    assert {r.pk for r in results} == {CreditLedgerEntry.objects.get().pk}
    business.refresh_from_db()
    assert business.ai_credits == 7
    call_command("check_ledgers", recheck_delay=0)


@pytest.mark.django_db(transaction=True)
def test_mixed_concurrent_spends_grants_and_refunds_keep_the_ledger_exact(file_db):
    business = BusinessProfileFactory()
    services.credits_grant(business=business, amount=3, key="grant:start")

    def work(index: int):
        profile = BusinessProfile.objects.get(pk=business.pk)
        if index % 3 == 0:
            return services.credits_grant(business=profile, amount=1, key=f"grant:{index}")
        if index % 3 == 1:
            return services.credits_spend(business=profile, amount=2, key=f"spend:{index}")
        return services.credits_refund(business=profile, amount=1, key=f"refund:{index}")

    results = race(15, work)

    assert all(isinstance(r, CreditLedgerEntry | services.InsufficientCredits) for r in results), (
        results
    )
    business.refresh_from_db()
    assert business.ai_credits >= 0
    assert business.ai_credits == sum(CreditLedgerEntry.objects.values_list("delta", flat=True))
    call_command("check_ledgers", recheck_delay=0)


@pytest.mark.django_db(transaction=True)
def test_five_concurrent_deliveries_of_one_event_grant_once(file_db, fake_stripe):
    import json

    from django.test import Client

    from billing.models import CheckoutSession, Package, StripeEvent
    from billing.tests.fake_stripe import make_event, sign

    business = BusinessProfileFactory()
    package = Package.objects.create(
        stripe_price_id="price_race", name="RACE", ai_credits_granted=50
    )
    CheckoutSession.objects.create(
        stripe_session_id="cs_race", business=business, package=package, credits=50
    )
    session = {
        "id": "cs_race",
        "object": "checkout.session",
        "status": "complete",
        "payment_status": "paid",
        "payment_intent": "pi_race",
        "metadata": {"business_id": business.pk, "package_id": package.pk},
    }
    body = json.dumps(make_event("checkout.session.completed", session)).encode()

    def deliver(index: int) -> int:
        return (
            Client()
            .post(
                "/billing/stripe/webhook/",
                data=body,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=sign(body),
            )
            .status_code
        )

    statuses = race(5, deliver)

    assert statuses == [200] * 5, statuses
    business.refresh_from_db()
    assert business.ai_credits == 50
    assert CreditLedgerEntry.objects.count() == 1
    event = StripeEvent.objects.get()
    assert (event.state, event.attempts) == ("succeeded", 1)
    call_command("check_ledgers", recheck_delay=0)
