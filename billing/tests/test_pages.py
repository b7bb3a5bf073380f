"""Business pages: packages, checkout pages, invoices, credit history — each for its owner only."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import BusinessProfile
from billing import services
from billing.models import CheckoutSession, CreditLedgerEntry, Invoice, Package

pytestmark = pytest.mark.django_db

BUSINESS_PAGES = [
    ("billing:packages", None),
    ("billing:invoices", None),
    ("billing:credits", None),
    ("billing:checkout-cancel", None),
]


def _profile(user) -> BusinessProfile:
    return BusinessProfile.objects.get(user=user)


def _invoice(user, stripe_id="in_alice", number="MS-0001") -> Invoice:
    return Invoice.objects.create(
        user=user,
        stripe_invoice_id=stripe_id,
        invoice_number=number,
        amount_due=Decimal("29.00"),
        status="paid",
        pdf_url=f"https://pay.stripe.test/{stripe_id}/pdf",
        hosted_invoice_url=f"https://invoice.stripe.test/{stripe_id}",
    )


def _session(user, package, session_id="cs_test_alice") -> CheckoutSession:
    return CheckoutSession.objects.create(
        stripe_session_id=session_id,
        business=_profile(user),
        package=package,
        credits=package.ai_credits_granted,
        url=f"https://checkout.stripe.test/c/pay/{session_id}",
    )


# --- packages ----------------------------------------------------------------------------


def test_packages_page_lists_active_packages_with_balance_and_current_package(
    client, business_alice, starter, growth, fake_stripe
):
    Package.objects.create(
        stripe_price_id="price_old", name="RETIRED TIER", ai_credits_granted=5, is_active=False
    )
    profile = _profile(business_alice)
    services.credits_grant(business=profile, amount=12, key="grant:x")
    BusinessProfile.objects.filter(pk=profile.pk).update(package=starter)
    client.force_login(business_alice)

    response = client.get(reverse("billing:packages"))

    content = response.content.decode()
    assert response.status_code == 200
    assert "STARTER TIER" in content
    assert "GROWTH TIER" in content
    assert "RETIRED TIER" not in content
    assert 'data-testid="credit-balance">12<' in content
    assert "current" in content
    assert content.count('name="csrfmiddlewaretoken"') >= 2
    assert content.count('name="nonce"') == 2
    assert "not configured" not in content


def test_payments_off_the_packages_page_says_purchases_are_not_configured(
    client, business_alice, starter, payments_off
):
    client.force_login(business_alice)

    response = client.get(reverse("billing:packages"))

    content = response.content.decode()
    assert 'data-testid="payments-off"' in content
    assert "Purchases are not configured" in content
    assert 'name="nonce"' not in content


def test_payments_off_buying_is_refused_with_a_message(
    client, business_alice, starter, payments_off
):
    client.force_login(business_alice)

    response = client.post(
        reverse("billing:checkout", args=[starter.pk]), {"nonce": "n"}, follow=True
    )

    assert b"Purchases are not configured" in response.content
    assert CheckoutSession.objects.count() == 0
    assert _profile(business_alice).stripe_customer_id is None


def test_payments_off_manage_billing_is_refused_with_a_message(
    client, business_alice, payments_off
):
    client.force_login(business_alice)

    response = client.post(reverse("billing:portal"), follow=True)

    assert b"Purchases are not configured" in response.content


def test_packages_page_without_packages_shows_an_empty_state(client, business_alice):
    client.force_login(business_alice)

    response = client.get(reverse("billing:packages"))

    assert b"No packages are on sale right now" in response.content


# --- access ------------------------------------------------------------------------------


@pytest.mark.parametrize("url_name", [name for name, _ in BUSINESS_PAGES])
def test_a_model_gets_404_on_business_billing_pages(client, model_mia, url_name):
    client.force_login(model_mia)

    assert client.get(reverse(url_name)).status_code == 404


@pytest.mark.parametrize("url_name", [name for name, _ in BUSINESS_PAGES])
def test_anonymous_visitors_are_sent_to_log_in(client, url_name):
    response = client.get(reverse(url_name))

    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_a_model_cannot_start_a_checkout(client, model_mia, starter, fake_stripe):
    fake_stripe.add_price("price_starter")
    client.force_login(model_mia)

    response = client.post(reverse("billing:checkout", args=[starter.pk]), {"nonce": "n"})

    assert response.status_code == 404
    assert CheckoutSession.objects.count() == 0


def test_outsider_gets_404_for_another_business_checkout_session(
    client, business_alice, business_bob, starter, fake_stripe
):
    record = _session(business_alice, starter)
    client.force_login(business_bob)

    response = client.get(
        reverse("billing:checkout-success"), {"session_id": record.stripe_session_id}
    )

    assert response.status_code == 404
    assert fake_stripe.count("GET", "/v1/checkout/sessions") == 0


def test_an_unknown_checkout_session_is_404(client, business_alice, fake_stripe):
    client.force_login(business_alice)

    assert client.get(reverse("billing:checkout-success")).status_code == 404
    assert (
        client.get(reverse("billing:checkout-success"), {"session_id": "cs_nope"}).status_code
        == 404
    )


# --- invoices ----------------------------------------------------------------------------


def test_invoices_page_lists_the_business_invoices_with_links(
    client, business_alice, business_bob, fake_stripe
):
    _invoice(business_alice)
    _invoice(business_bob, stripe_id="in_bob", number="BOB-0001")
    client.force_login(business_alice)

    response = client.get(reverse("billing:invoices"))

    content = response.content.decode()
    assert "MS-0001" in content
    assert "https://pay.stripe.test/in_alice/pdf" in content
    assert "https://invoice.stripe.test/in_alice" in content
    assert "BOB-0001" not in content
    assert "in_bob" not in content


def test_invoices_page_shows_manage_billing_once_there_is_a_customer(
    client, business_alice, fake_stripe
):
    client.force_login(business_alice)
    assert b"Manage billing" not in client.get(reverse("billing:invoices")).content
    BusinessProfile.objects.filter(user=business_alice).update(stripe_customer_id="cus_1")

    assert b"Manage billing" in client.get(reverse("billing:invoices")).content


def test_invoices_page_empty_state(client, business_alice):
    client.force_login(business_alice)

    assert b"No invoices yet" in client.get(reverse("billing:invoices")).content


def test_invoice_detail_for_its_owner(client, business_alice):
    invoice = _invoice(business_alice)
    client.force_login(business_alice)

    response = client.get(reverse("billing:invoice", args=[invoice.pk]))

    assert response.status_code == 200
    assert b"MS-0001" in response.content


def test_outsider_gets_404_for_another_business_invoice(client, business_alice, business_bob):
    invoice = _invoice(business_alice)
    client.force_login(business_bob)

    assert client.get(reverse("billing:invoice", args=[invoice.pk])).status_code == 404
    assert client.get(reverse("billing:invoice", args=["not-an-id"])).status_code == 404


# --- credit history ----------------------------------------------------------------------


def test_credit_history_lists_only_the_business_ledger_with_a_chart(
    client, business_alice, business_bob
):
    alice, bob = _profile(business_alice), _profile(business_bob)
    services.credits_grant(business=alice, amount=10, key="grant:alice", note="Starter purchase")
    services.credits_spend(business=alice, amount=1, key="spend:alice-1", note="Photo")
    services.credits_grant(business=bob, amount=99, key="grant:bob", note="Bob secret grant")
    client.force_login(business_alice)

    response = client.get(reverse("billing:credits"))

    content = response.content.decode()
    assert "Starter purchase" in content
    assert "Photo" in content
    assert "+10" in content
    assert "Bob secret grant" not in content
    assert "<polyline" in content
    assert 'data-testid="credit-balance">9<' in content


def test_credit_history_hides_pending_rows(client, business_alice):
    CreditLedgerEntry.objects.create(
        business=_profile(business_alice), delta=5, reason="grant", key="grant:p", state="pending"
    )
    client.force_login(business_alice)

    response = client.get(reverse("billing:credits"))

    assert b"No credit movements yet" in response.content


def test_success_page_with_payments_off_just_shows_the_record(
    client, business_alice, starter, payments_off
):
    record = _session(business_alice, starter)
    client.force_login(business_alice)

    response = client.get(
        reverse("billing:checkout-success"), {"session_id": record.stripe_session_id}
    )

    assert response.status_code == 200
    assert b"Payment pending" in response.content
    assert _profile(business_alice).ai_credits == 0


def test_navigation_shows_credit_pages_to_businesses(client, business_alice):
    client.force_login(business_alice)

    content = client.get(reverse("billing:packages")).content.decode()

    assert f'href="{reverse("billing:invoices")}"' in content
    assert f'href="{reverse("billing:packages")}"' in content
