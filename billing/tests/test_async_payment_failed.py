"""checkout.session.async_payment_failed: the success page says so and stops polling."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import BusinessProfile
from billing.models import CheckoutSession, CreditLedgerEntry
from billing.tests.fake_stripe import make_event
from billing.tests.test_checkout import _buy

pytestmark = pytest.mark.django_db


def _failed_async_payment(client, business_alice, starter, fake_stripe, post_event):
    fake_stripe.add_price("price_starter")
    client.force_login(business_alice)
    _buy(client, starter)
    record = CheckoutSession.objects.get()
    # A bank debit: the session completes unpaid, then the payment fails days later.
    session = fake_stripe.complete_session(record.stripe_session_id, paid=False)
    post_event(make_event("checkout.session.completed", session))
    assert (
        post_event(make_event("checkout.session.async_payment_failed", session)).status_code == 200
    )
    return record


def test_the_success_page_shows_the_failure_and_does_not_refresh(
    client, business_alice, starter, fake_stripe, post_event
):
    record = _failed_async_payment(client, business_alice, starter, fake_stripe, post_event)
    page = client.get(reverse("billing:checkout-success"), {"session_id": record.stripe_session_id})
    body = page.content.decode()
    assert "Payment failed" in body
    assert "Payment pending" not in body
    assert 'http-equiv="refresh"' not in body
    assert BusinessProfile.objects.get(user=business_alice).ai_credits == 0
    assert CreditLedgerEntry.objects.count() == 0


def test_reloading_after_the_failure_no_longer_calls_stripe(
    client, business_alice, starter, fake_stripe, post_event
):
    record = _failed_async_payment(client, business_alice, starter, fake_stripe, post_event)
    before = fake_stripe.count("GET", "/v1/checkout/sessions/")
    for _ in range(3):
        client.get(reverse("billing:checkout-success"), {"session_id": record.stripe_session_id})
    assert fake_stripe.count("GET", "/v1/checkout/sessions/") == before


def test_a_late_completed_event_does_not_undo_the_failure(
    client, business_alice, starter, fake_stripe, post_event
):
    record = _failed_async_payment(client, business_alice, starter, fake_stripe, post_event)
    session = fake_stripe.sessions[record.stripe_session_id]
    post_event(make_event("checkout.session.completed", session))  # redelivered, out of order
    page = client.get(reverse("billing:checkout-success"), {"session_id": record.stripe_session_id})
    assert "Payment failed" in page.content.decode()
