"""An admin gives a business a package without Stripe: through a service, logged in
the ledger with the admin and the reason, once per form."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from accounts.models import BusinessProfile, SubscriptionStatus
from billing import services
from billing.models import CreditLedgerEntry, Package
from modelsnapper.errors import DomainError

pytestmark = pytest.mark.django_db


@pytest.fixture
def growth(db):
    return Package.objects.create(
        stripe_price_id="price_growth_grant",
        name="GROWTH TIER",
        ai_credits_granted=250,
        price_amount=Decimal("99.00"),
        human_model_access=True,
        tier=SubscriptionStatus.GROWTER,
    )


def test_the_service_gives_credits_access_and_tier_once_per_key(admin_ada, business_alice, growth):
    business = BusinessProfile.objects.get(user=business_alice)
    for _ in range(2):
        services.package_grant(
            business=business, package=growth, actor=admin_ada, reason="Partner pilot", key="k1"
        )
    business.refresh_from_db()
    assert business.ai_credits == 250
    assert business.package_id == growth.pk
    assert business.subscription_status == SubscriptionStatus.GROWTER
    assert business.includes_human_models
    entry = CreditLedgerEntry.objects.get()
    assert entry.actor == admin_ada and entry.reason == "grant"
    assert entry.note == "GROWTH TIER given by an administrator: Partner pilot"


def test_a_grant_without_a_reason_is_refused_and_changes_nothing(admin_ada, business_alice, growth):
    business = BusinessProfile.objects.get(user=business_alice)
    with pytest.raises(DomainError, match="Say why"):
        services.package_grant(
            business=business, package=growth, actor=admin_ada, reason="  ", key="k2"
        )
    business.refresh_from_db()
    assert business.ai_credits == 0 and business.package_id is None
    assert not CreditLedgerEntry.objects.exists()


def _grant(client, business, **data):
    return client.post(
        reverse("admin:billing_businesscredits_changelist"),
        {"action": "grant_package", ACTION_CHECKBOX_NAME: [business.pk], **data},
        follow=True,
    )


def test_the_admin_action_gives_the_package_once_per_form(
    client, admin_ada, business_alice, growth
):
    business = BusinessProfile.objects.get(user=business_alice)
    client.force_login(admin_ada)
    form_page = _grant(client, business)
    page = form_page.content.decode()
    assert "Give a package without payment" in page
    assert "Nonce" not in page
    nonce = form_page.context["form"]["nonce"].value()
    data = {"apply": "1", "package": growth.pk, "reason": "Partner pilot", "nonce": nonce}
    done = _grant(client, business, **data)
    _grant(client, business, **data)
    assert "GROWTH TIER given, balance now 250" in done.content.decode()
    business.refresh_from_db()
    assert business.ai_credits == 250 and business.package_id == growth.pk
    assert CreditLedgerEntry.objects.count() == 1


def test_the_adjust_form_shows_no_nonce_label(client, admin_ada, business_alice):
    business = BusinessProfile.objects.get(user=business_alice)
    client.force_login(admin_ada)
    page = client.post(
        reverse("admin:billing_businesscredits_changelist"),
        {"action": "adjust_credits", ACTION_CHECKBOX_NAME: [business.pk]},
    ).content.decode()
    assert "Grant or adjust credits" in page and "Nonce" not in page
