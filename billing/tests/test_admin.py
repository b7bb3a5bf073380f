"""The billing admin: read-only mirrors, the grant/adjust action, re-applying events."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from accounts.models import BusinessProfile
from billing import services, stripe_gateway
from billing.models import CreditLedgerEntry, Package, StripeEvent
from billing.tests.fake_stripe import invoice_object, make_event

pytestmark = pytest.mark.django_db

ADMIN_PAGES = [
    "billing_package",
    "billing_invoice",
    "billing_creditledgerentry",
    "billing_businesscredits",
    "billing_stripeevent",
    "billing_checkoutsession",
    "billing_creditreversal",
    "billing_dispute",
]


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_admin_changelists_load(client, admin_ada, business_alice, name):
    client.force_login(admin_ada)

    assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200


@pytest.mark.parametrize(
    "name", ["billing_invoice", "billing_creditledgerentry", "billing_stripeevent"]
)
def test_mirrors_and_the_ledger_cannot_be_added_by_hand(client, admin_ada, name):
    client.force_login(admin_ada)

    assert client.get(reverse(f"admin:{name}_add")).status_code == 403


def _adjust(client, business, **data):
    return client.post(
        reverse("admin:billing_businesscredits_changelist"),
        {"action": "adjust_credits", ACTION_CHECKBOX_NAME: [business.pk], **data},
        follow=True,
    )


def test_admin_grants_credits_with_an_amount_and_a_reason(client, admin_ada, business_alice):
    business = BusinessProfile.objects.get(user=business_alice)
    client.force_login(admin_ada)

    form_page = _adjust(client, business)
    assert b"Grant or adjust credits" in form_page.content
    nonce = form_page.context["form"]["nonce"].value()
    data = {"apply": "1", "delta": "15", "reason": "Launch promo", "nonce": nonce}
    _adjust(client, business, **data)
    _adjust(client, business, **data)  # the same form submitted twice

    business.refresh_from_db()
    assert business.ai_credits == 15
    entry = CreditLedgerEntry.objects.get()
    assert (entry.reason, entry.note, entry.actor) == ("adjustment", "Launch promo", admin_ada)


def test_admin_adjustment_below_zero_is_refused_with_a_message(client, admin_ada, business_alice):
    business = BusinessProfile.objects.get(user=business_alice)
    client.force_login(admin_ada)

    response = _adjust(
        client, business, apply="1", delta="-3", reason="Oops", nonce="nonce-below-zero"
    )

    assert b"Not enough credits" in response.content
    assert CreditLedgerEntry.objects.count() == 0


def test_admin_adjustment_form_errors_write_nothing(client, admin_ada, business_alice):
    business = BusinessProfile.objects.get(user=business_alice)
    client.force_login(admin_ada)

    response = _adjust(client, business, apply="1", delta="0", reason="", nonce="nonce-bad-form")

    assert b"non-zero" in response.content
    assert CreditLedgerEntry.objects.count() == 0


def test_a_business_user_cannot_reach_the_billing_admin(client, business_alice):
    client.force_login(business_alice)

    response = client.get(reverse("admin:billing_businesscredits_changelist"))

    assert response.status_code == 302
    assert CreditLedgerEntry.objects.count() == 0


def test_admin_reapplies_a_failed_event(client, admin_ada, business_alice, post_event, fake_stripe):
    # Invalid line items make the handler fail; the event is kept with its error. (The
    # webhook now refuses such a body with 400; this one was stored before that check.)
    bad = invoice_object(invoice_id="in_1", customer="cus_alice", status="paid")
    bad["lines"]["data"][0]["amount"] = "not-cents"
    BusinessProfile.objects.filter(user=business_alice).update(stripe_customer_id="cus_alice")
    assert post_event(make_event("invoice.paid", bad)).status_code == 400
    stored = make_event("invoice.paid", bad)
    services.stripe_event_apply(
        event=services.stripe_event_record(
            event=stripe_gateway.EventInfo(
                id=stored["id"],
                type=stored["type"],
                livemode=False,
                created_at=None,
                payload=stored,
            )
        )
    )
    event = StripeEvent.objects.get()
    assert event.state == "failed"
    assert event.error
    client.force_login(admin_ada)

    # Still failing: stays failed, with a message.
    client.post(
        reverse("admin:billing_stripeevent_changelist"),
        {"action": "reapply", ACTION_CHECKBOX_NAME: [event.pk]},
        follow=True,
    )
    event.refresh_from_db()
    assert (event.state, event.attempts) == ("failed", 2)

    # Fixed (here: the stored payload corrected), re-applied once.
    payload = event.payload
    payload["data"]["object"]["lines"]["data"][0]["amount"] = 2900
    StripeEvent.objects.filter(pk=event.pk).update(payload=payload)
    client.post(
        reverse("admin:billing_stripeevent_changelist"),
        {"action": "reapply", ACTION_CHECKBOX_NAME: [event.pk]},
        follow=True,
    )

    event.refresh_from_db()
    assert (event.state, event.attempts, event.error) == ("succeeded", 3, "")
    assert business_alice.invoices.get().status == "paid"


def _add_package(client, price_id: str):
    return client.post(
        reverse("admin:billing_package_add"),
        {
            "stripe_price_id": price_id,
            "name": "PRO TIER",
            "ai_credits_granted": "500",
            "price_amount": "199.00",
            "currency": "USD",
            "tier": "GROWTER",
            "is_active": "on",
        },
        follow=True,
    )


def test_saving_a_package_whose_price_is_missing_in_stripe_warns(client, admin_ada, fake_stripe):
    client.force_login(admin_ada)

    response = _add_package(client, "price_missing")

    assert b"cannot be bought" in response.content
    assert Package.objects.filter(stripe_price_id="price_missing").exists()


def test_saving_a_package_with_a_real_price_does_not_warn(client, admin_ada, fake_stripe):
    fake_stripe.add_price("price_pro", unit_amount=19900)
    client.force_login(admin_ada)

    response = _add_package(client, "price_pro")

    assert b"cannot be bought" not in response.content


def test_stripe_price_ids_are_unique(client, admin_ada, starter, payments_off):
    client.force_login(admin_ada)

    response = _add_package(client, starter.stripe_price_id)

    assert b"already exists" in response.content
    assert Package.objects.count() == 1
