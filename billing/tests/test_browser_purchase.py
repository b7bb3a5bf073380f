"""A business buys a package in the browser: Buy → (fake) Stripe Checkout → success
page that waits for the payment by itself → credits, history and invoice."""

from __future__ import annotations

import json
import re
import urllib.request

import pytest
from django.test import Client

from accounts.models import BusinessProfile
from billing.models import CheckoutSession, CreditLedgerEntry
from billing.tests.fake_stripe import invoice_object, make_event, sign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def _deliver(live_server, event: dict) -> int:
    body = json.dumps(event).encode()
    request = urllib.request.Request(
        f"{live_server.url}/billing/stripe/webhook/",
        data=body,
        headers={"Content-Type": "application/json", "Stripe-Signature": sign(body)},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:
        return response.status


def test_business_buys_credits_and_the_success_page_waits_for_the_payment(
    browser_page, screenshot, live_server, business_alice, starter, growth, fake_stripe
):
    page = browser_page
    fake_stripe.add_price("price_starter")
    fake_stripe.add_price("price_growth", unit_amount=9900)
    # Stripe's hosted checkout is outside this test; the browser sees a stand-in page.
    page.route(
        "https://checkout.stripe.test/**",
        lambda route: route.fulfill(
            status=200, content_type="text/html", body="<h1>Stripe Checkout (test)</h1>"
        ),
    )
    _login(page, live_server, business_alice)

    page.goto("/billing/packages/")
    screenshot("billing-packages")
    page.get_by_role("button", name="Buy STARTER TIER").click()
    page.wait_for_url(re.compile(r"https://checkout\.stripe\.test/c/pay/cs_"))
    record = CheckoutSession.objects.get()

    page.goto(f"/billing/checkout-success/?session_id={record.stripe_session_id}")
    assert page.get_by_role("heading", name="Payment pending").is_visible()
    screenshot("billing-payment-pending")

    # The buyer pays; the webhook is late. The page refreshes itself and the
    # success-page fulfilment grants the credits.
    session = fake_stripe.complete_session(record.stripe_session_id)
    page.get_by_role("heading", name="Payment received").wait_for(timeout=15_000)
    assert page.get_by_test_id("credit-balance").inner_text() == "50"
    screenshot("billing-payment-received")

    # The webhook arrives afterwards: nothing more is granted.
    assert _deliver(live_server, make_event("checkout.session.completed", session)) == 200
    invoice = invoice_object(
        invoice_id=session["invoice"],
        customer=session["customer"],
        status="paid",
        paid_at=session["created"],
    )
    assert _deliver(live_server, make_event("invoice.paid", invoice)) == 200
    assert BusinessProfile.objects.get(user=business_alice).ai_credits == 50
    assert CreditLedgerEntry.objects.count() == 1

    page.goto("/billing/credits/")
    assert page.get_by_text("STARTER TIER purchase").is_visible()
    screenshot("billing-credit-history")
    page.goto("/billing/invoices/")
    assert page.get_by_text("MS-0001").is_visible()
    assert page.get_by_role("button", name="Manage billing").is_visible()
    screenshot("billing-invoices")
