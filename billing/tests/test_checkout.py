"""Buying a package through Stripe Checkout, end to end against the fake Stripe."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import BusinessProfile
from billing.models import CheckoutSession, CreditLedgerEntry, StripeEvent
from billing.tests.fake_stripe import make_event

pytestmark = pytest.mark.django_db


def _buy(client, package, nonce="nonce-0000000001"):
    return client.post(reverse("billing:checkout", args=[package.pk]), {"nonce": nonce})


def test_purchase_end_to_end(client, business_alice, starter, fake_stripe, post_event):
    fake_stripe.add_price("price_starter")
    client.force_login(business_alice)

    response = _buy(client, starter)

    record = CheckoutSession.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"https://checkout.stripe.test/c/pay/{record.stripe_session_id}"
    profile = BusinessProfile.objects.get(user=business_alice)
    assert profile.stripe_customer_id in fake_stripe.customers
    sent = fake_stripe.sessions[record.stripe_session_id]
    assert sent["client_reference_id"] == profile.pk
    assert sent["metadata"] == {"business_id": profile.pk, "package_id": starter.pk}
    assert sent["customer"] == profile.stripe_customer_id
    assert profile.ai_credits == 0

    # The buyer lands on the success page before the webhook: pending.
    success = client.get(sent["success_url"].replace("http://testserver", ""))
    assert success.status_code == 200
    assert b"Payment pending" in success.content
    assert b'http-equiv="refresh"' in success.content

    session = fake_stripe.complete_session(record.stripe_session_id)
    assert post_event(make_event("checkout.session.completed", session)).status_code == 200

    profile.refresh_from_db()
    assert profile.ai_credits == 50
    assert profile.package_id == starter.pk
    assert profile.subscription_status == "STARTER"
    entry = CreditLedgerEntry.objects.get()
    assert (entry.key, entry.delta, entry.reason, entry.balance_after) == (
        f"grant:{record.stripe_session_id}",
        50,
        "grant",
        50,
    )
    assert StripeEvent.objects.get().state == "succeeded"
    success = client.get(reverse("billing:checkout-success"), {"session_id": session["id"]})
    assert b"Payment received" in success.content
    assert b'http-equiv="refresh"' not in success.content


def test_success_page_grants_the_credits_when_the_webhook_is_late(
    client, business_alice, starter, fake_stripe
):
    fake_stripe.add_price("price_starter")
    client.force_login(business_alice)
    _buy(client, starter)
    record = CheckoutSession.objects.get()
    fake_stripe.complete_session(record.stripe_session_id)

    page = client.get(reverse("billing:checkout-success"), {"session_id": record.stripe_session_id})
    page_again = client.get(
        reverse("billing:checkout-success"), {"session_id": record.stripe_session_id}
    )

    assert b"Payment received" in page.content
    assert b"Payment received" in page_again.content
    assert BusinessProfile.objects.get(user=business_alice).ai_credits == 50
    assert CreditLedgerEntry.objects.count() == 1


def test_success_page_then_webhook_grants_once(
    client, business_alice, starter, fake_stripe, post_event
):
    fake_stripe.add_price("price_starter")
    client.force_login(business_alice)
    _buy(client, starter)
    record = CheckoutSession.objects.get()
    session = fake_stripe.complete_session(record.stripe_session_id)
    client.get(reverse("billing:checkout-success"), {"session_id": record.stripe_session_id})

    response = post_event(make_event("checkout.session.completed", session))

    assert response.status_code == 200
    assert BusinessProfile.objects.get(user=business_alice).ai_credits == 50
    assert CreditLedgerEntry.objects.count() == 1


def test_double_click_on_buy_creates_one_checkout_session(
    client, business_alice, starter, fake_stripe
):
    fake_stripe.add_price("price_starter")
    client.force_login(business_alice)

    first = _buy(client, starter)
    second = _buy(client, starter)

    assert first["Location"] == second["Location"]
    assert CheckoutSession.objects.count() == 1
    assert fake_stripe.count("POST", "/v1/checkout/sessions") == 2  # same idempotency key
    assert len(fake_stripe.sessions) == 1
    assert len(fake_stripe.customers) == 1


def test_the_stripe_customer_is_created_once(client, business_alice, starter, fake_stripe):
    fake_stripe.add_price("price_starter")
    client.force_login(business_alice)

    _buy(client, starter, nonce="nonce-first-00001")
    _buy(client, starter, nonce="nonce-second-0002")

    assert len(fake_stripe.sessions) == 2
    assert len(fake_stripe.customers) == 1
    assert fake_stripe.count("POST", "/v1/customers") == 1


def test_a_package_without_a_stripe_price_cannot_be_bought(
    client, business_alice, starter, fake_stripe
):
    client.force_login(business_alice)  # no price added to the fake Stripe

    response = _buy(client, starter)

    assert response.status_code == 302
    assert response["Location"] == reverse("billing:packages")
    page = client.get(response["Location"])
    assert b"its price does not exist in Stripe" in page.content
    assert CheckoutSession.objects.count() == 0
    assert fake_stripe.count("POST", "/v1/checkout/sessions") == 0


def test_an_inactive_package_cannot_be_bought(client, business_alice, starter, fake_stripe):
    fake_stripe.add_price("price_starter")
    starter.is_active = False
    starter.save()
    client.force_login(business_alice)

    response = _buy(client, starter)

    assert response["Location"] == reverse("billing:packages")
    assert CheckoutSession.objects.count() == 0


def test_an_unknown_package_id_is_refused(client, business_alice, fake_stripe):
    client.force_login(business_alice)

    response = client.post(reverse("billing:checkout", args=["not-an-id"]), {"nonce": "x"})

    assert response["Location"] == reverse("billing:packages")
    assert CheckoutSession.objects.count() == 0


def test_buy_needs_post(client, business_alice, starter, fake_stripe):
    fake_stripe.add_price("price_starter")
    client.force_login(business_alice)

    response = client.get(reverse("billing:checkout", args=[starter.pk]))

    assert response.status_code == 405
    assert CheckoutSession.objects.count() == 0


def test_async_payment_grants_only_when_it_succeeds(
    client, business_alice, starter, fake_stripe, post_event
):
    fake_stripe.add_price("price_starter")
    client.force_login(business_alice)
    _buy(client, starter)
    record = CheckoutSession.objects.get()
    unpaid = fake_stripe.complete_session(record.stripe_session_id, paid=False)

    post_event(make_event("checkout.session.completed", unpaid))
    page = client.get(reverse("billing:checkout-success"), {"session_id": record.stripe_session_id})

    assert BusinessProfile.objects.get(user=business_alice).ai_credits == 0
    assert b"Payment pending" in page.content
    record.refresh_from_db()
    assert record.payment_intent_id == unpaid["payment_intent"]

    paid = fake_stripe.pay_async(record.stripe_session_id)
    post_event(make_event("checkout.session.async_payment_succeeded", paid))

    assert BusinessProfile.objects.get(user=business_alice).ai_credits == 50
    assert CreditLedgerEntry.objects.count() == 1


def test_async_payment_failed_grants_nothing(
    client, business_alice, starter, fake_stripe, post_event
):
    fake_stripe.add_price("price_starter")
    client.force_login(business_alice)
    _buy(client, starter)
    record = CheckoutSession.objects.get()
    unpaid = fake_stripe.complete_session(record.stripe_session_id, paid=False)
    post_event(make_event("checkout.session.completed", unpaid))

    post_event(make_event("checkout.session.async_payment_failed", unpaid))

    assert BusinessProfile.objects.get(user=business_alice).ai_credits == 0
    assert CreditLedgerEntry.objects.count() == 0


def test_buying_a_smaller_package_keeps_the_higher_tier(
    client, business_alice, starter, growth, fake_stripe, post_event
):
    fake_stripe.add_price("price_starter")
    fake_stripe.add_price("price_growth", unit_amount=9900)
    client.force_login(business_alice)
    for package, nonce in ((growth, "nonce-growth-001"), (starter, "nonce-starter-01")):
        _buy(client, package, nonce=nonce)
        record = CheckoutSession.objects.get(package=package)
        post_event(
            make_event(
                "checkout.session.completed", fake_stripe.complete_session(record.stripe_session_id)
            )
        )

    profile = BusinessProfile.objects.get(user=business_alice)
    assert profile.ai_credits == 300
    assert profile.package_id == growth.pk
    assert profile.subscription_status == "GROWTER"


def test_cancel_returns_to_the_packages_page(client, business_alice, fake_stripe):
    client.force_login(business_alice)

    response = client.get(reverse("billing:checkout-cancel"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("billing:packages")
    assert b"nothing was charged" in response.content


def test_manage_billing_opens_the_customer_portal(client, business_alice, starter, fake_stripe):
    fake_stripe.add_price("price_starter")
    client.force_login(business_alice)
    _buy(client, starter)

    response = client.post(reverse("billing:portal"))

    assert response.status_code == 302
    assert response["Location"].startswith("https://billing.stripe.test/p/session/")
    portal = next(iter(fake_stripe.portal_sessions.values()))
    assert portal["customer"] == BusinessProfile.objects.get(user=business_alice).stripe_customer_id
    assert portal["return_url"] == "http://testserver" + reverse("billing:invoices")


def test_manage_billing_without_a_customer_explains(client, business_alice, fake_stripe):
    client.force_login(business_alice)

    response = client.post(reverse("billing:portal"), follow=True)

    assert b"buy a package first" in response.content
    assert fake_stripe.portal_sessions == {}


def test_stripe_being_down_is_a_clear_message(client, business_alice, starter, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    client.force_login(business_alice)

    response = client.post(
        reverse("billing:checkout", args=[starter.pk]), {"nonce": "n"}, follow=True
    )

    assert b"could not reach the payment provider" in response.content
    assert CheckoutSession.objects.count() == 0


def test_a_stale_page_nonce_after_a_paid_purchase_starts_a_new_checkout(
    client, business_alice, starter, fake_stripe, post_event
):
    fake_stripe.add_price("price_starter")
    client.force_login(business_alice)
    first = _buy(client, starter, nonce="nonce-back-button")
    record = CheckoutSession.objects.get()
    post_event(
        make_event(
            "checkout.session.completed", fake_stripe.complete_session(record.stripe_session_id)
        )
    )

    again = _buy(client, starter, nonce="nonce-back-button")

    assert again["Location"] != first["Location"]
    assert CheckoutSession.objects.count() == 2
    assert CheckoutSession.objects.filter(status="open").count() == 1


def test_the_packages_page_is_never_cached(client, business_alice):
    client.force_login(business_alice)

    response = client.get(reverse("billing:packages"))

    assert "no-store" in response["Cache-Control"]


def test_an_expired_checkout_says_so_and_grants_nothing(
    client, business_alice, starter, fake_stripe, post_event
):
    fake_stripe.add_price("price_starter")
    client.force_login(business_alice)
    _buy(client, starter)
    record = CheckoutSession.objects.get()
    fake_stripe.sessions[record.stripe_session_id]["status"] = "expired"

    post_event(
        make_event("checkout.session.expired", fake_stripe.sessions[record.stripe_session_id])
    )
    page = client.get(reverse("billing:checkout-success"), {"session_id": record.stripe_session_id})

    assert b"Checkout expired" in page.content
    assert b'http-equiv="refresh"' not in page.content
    assert BusinessProfile.objects.get(user=business_alice).ai_credits == 0
    assert CreditLedgerEntry.objects.count() == 0
