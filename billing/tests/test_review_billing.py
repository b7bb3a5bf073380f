"""Security review: billing input bounds."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from accounts.models import BusinessProfile
from billing.models import CreditLedgerEntry
from billing.services import MAX_ADJUSTMENT, credits_adjust
from modelsnapper.errors import DomainError

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("delta", ["1" + "0" * 30, "-" + "9" * 30, str(MAX_ADJUSTMENT + 1)])
def test_admin_adjustment_with_a_huge_number_is_a_form_error_not_a_500(
    client, admin_ada, business_alice, delta
):
    business = BusinessProfile.objects.get(user=business_alice)
    client.force_login(admin_ada)
    client.raise_request_exception = False

    response = client.post(
        reverse("admin:billing_businesscredits_changelist"),
        {
            "action": "adjust_credits",
            ACTION_CHECKBOX_NAME: [business.pk],
            "apply": "1",
            "delta": delta,
            "reason": "typo",
            "nonce": "n" * 32,
        },
    )

    assert response.status_code == 200
    assert b"Ensure this value is" in response.content
    assert BusinessProfile.objects.get(pk=business.pk).ai_credits == 0
    assert not CreditLedgerEntry.objects.filter(business_id=business.pk).exists()


def test_credits_adjust_refuses_an_out_of_range_delta(admin_ada, business_alice):
    business = BusinessProfile.objects.get(user=business_alice)
    with pytest.raises(DomainError):
        credits_adjust(business=business, delta=10**30, reason="typo", actor=admin_ada)
    assert BusinessProfile.objects.get(pk=business.pk).ai_credits == 0
    assert not CreditLedgerEntry.objects.filter(business_id=business.pk).exists()


def test_a_smaller_purchase_fulfilled_concurrently_never_downgrades_the_package(
    business_alice,
):
    """Two purchases fulfilled at the same moment (two webhooks): each fulfilment
    loaded the profile before the other wrote. The package only ever goes up, so the
    starter top-up must not replace the growth package — simulated deterministically
    with the stale profile the slower fulfilment holds."""
    from accounts.models import SubscriptionStatus
    from billing.models import Package
    from billing.services import package_activate

    growth = Package.objects.create(
        stripe_price_id="price_review_growth",
        name="GROWTH",
        ai_credits_granted=50,
        human_model_access=True,
        tier=SubscriptionStatus.GROWTER,
    )
    starter = Package.objects.create(
        stripe_price_id="price_review_starter",
        name="STARTER",
        ai_credits_granted=10,
        tier=SubscriptionStatus.STARTER,
    )
    stale = BusinessProfile.objects.get(user=business_alice)  # loaded by the starter webhook

    package_activate(business=BusinessProfile.objects.get(user=business_alice), package=growth)
    package_activate(business=stale, package=starter)

    profile = BusinessProfile.objects.get(user=business_alice)
    assert profile.package_id == growth.pk
    assert profile.subscription_status == SubscriptionStatus.GROWTER
