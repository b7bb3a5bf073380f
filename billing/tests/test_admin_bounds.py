"""Admin forms: bounded ASCII numbers; a recurring Stripe price is refused at save."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from accounts.models import BusinessProfile
from billing.models import CreditLedgerEntry, Package

pytestmark = pytest.mark.django_db


def _package(client, **overrides):
    data = {
        "stripe_price_id": "price_pro",
        "name": "PRO TIER",
        "ai_credits_granted": "500",
        "price_amount": "199.00",
        "currency": "USD",
        "tier": "GROWTER",
        "is_active": "on",
        **overrides,
    }
    return client.post(reverse("admin:billing_package_add"), data, follow=True)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("price_amount", "-1.00"),
        ("price_amount", "-0.01"),
        ("price_amount", "1e9"),
        ("price_amount", "\u0661\u0669\u0669"),  # Arabic-Indic 199
        ("price_amount", "99999999.99"),
        ("ai_credits_granted", "9223372036854775807"),
        ("ai_credits_granted", "-5"),
        ("ai_credits_granted", "0"),
        ("ai_credits_granted", "\u0665\u0660\u0660"),  # Arabic-Indic 500
        ("ai_credits_granted", "\uff15\uff10\uff10"),  # full-width 500
        ("currency", "US"),
        ("currency", "U$D"),
    ],
)
def test_out_of_bounds_or_non_ascii_package_numbers_are_refused(
    client, admin_ada, payments_off, field, value
):
    client.force_login(admin_ada)
    response = _package(client, **{field: value})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors.get(field), response.context[
        "adminform"
    ].form.errors
    assert not Package.objects.exists()


def test_a_package_within_bounds_is_saved(client, admin_ada, payments_off):
    client.force_login(admin_ada)
    _package(client, currency="usd")
    package = Package.objects.get()
    assert (package.ai_credits_granted, str(package.price_amount), package.currency) == (
        500,
        "199.00",
        "USD",
    )


def test_a_recurring_stripe_price_is_refused_at_save(client, admin_ada, fake_stripe):
    fake_stripe.add_price("price_monthly", unit_amount=1900, recurring_interval="month")
    client.force_login(admin_ada)
    response = _package(client, stripe_price_id="price_monthly")
    assert b"is recurring" in response.content
    assert not Package.objects.exists()


def test_a_one_time_price_is_accepted(client, admin_ada, fake_stripe):
    fake_stripe.add_price("price_pro", unit_amount=19900)
    client.force_login(admin_ada)
    _package(client)
    assert Package.objects.filter(stripe_price_id="price_pro").exists()


@pytest.mark.parametrize("delta", ["\u0661\u0660", "\uff11\uff10", "1e3", "10.5"])
def test_credit_adjustments_take_ascii_digits_only(client, admin_ada, business_alice, delta):
    business = BusinessProfile.objects.get(user=business_alice)
    client.force_login(admin_ada)
    client.post(
        reverse("admin:billing_businesscredits_changelist"),
        {
            "action": "adjust_credits",
            ACTION_CHECKBOX_NAME: [business.pk],
            "apply": "1",
            "delta": delta,
            "reason": "Promo",
            "nonce": f"nonce-{delta.encode().hex()}",
        },
    )
    business.refresh_from_db()
    assert business.ai_credits == 0
    assert CreditLedgerEntry.objects.count() == 0
