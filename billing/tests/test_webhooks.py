"""The Stripe webhook: signatures, storing each event once, any order, any count."""

from __future__ import annotations

import json
import time

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.models import BusinessProfile
from billing import services, stripe_gateway
from billing.models import (
    CheckoutSession,
    CreditLedgerEntry,
    CreditReversal,
    Dispute,
    Invoice,
    StripeEvent,
)
from billing.tests.fake_stripe import (
    WEBHOOK_SECRET,
    charge_object,
    invoice_object,
    make_event,
    sign,
)

pytestmark = pytest.mark.django_db


def _completed_session(client, user, package, fake_stripe, nonce: str) -> dict:
    """The user buys ``package`` and pays in Stripe's checkout: the completed session."""
    fake_stripe.add_price(package.stripe_price_id, unit_amount=int(package.price_amount * 100))
    client.force_login(user)
    client.post(reverse("billing:checkout", args=[package.pk]), {"nonce": nonce})
    record = CheckoutSession.objects.get(package=package, business__user=user)
    return fake_stripe.complete_session(record.stripe_session_id)


def _purchase(client, user, package, fake_stripe, post_event, nonce="nonce-purchase-01") -> dict:
    session = _completed_session(client, user, package, fake_stripe, nonce)
    assert post_event(make_event("checkout.session.completed", session)).status_code == 200
    return session


def _balance(user) -> int:
    return BusinessProfile.objects.get(user=user).ai_credits


# --- delivery count and order ------------------------------------------------------------


def test_the_same_event_delivered_five_times_grants_credits_once(
    client, business_alice, starter, fake_stripe, post_event
):
    session = _completed_session(client, business_alice, starter, fake_stripe, "nonce-five-times")
    event = make_event("checkout.session.completed", session)

    responses = [post_event(event) for _ in range(5)]

    assert [r.status_code for r in responses] == [200] * 5
    assert _balance(business_alice) == 50
    assert CreditLedgerEntry.objects.count() == 1
    stored = StripeEvent.objects.get()
    assert (stored.state, stored.attempts) == ("succeeded", 1)


def test_a_connected_accounts_checkout_event_grants_nothing(
    client, business_alice, starter, fake_stripe, post_event
):
    """Events about a connected account (Stripe names it in ``account``) reach only the
    handlers registered for them (account.updated, ...): never the credit grant."""
    session = _completed_session(client, business_alice, starter, fake_stripe, "nonce-connected")
    event = make_event("checkout.session.completed", session)
    event["account"] = "acct_1ConnectedModel"

    assert post_event(event).status_code == 200

    assert _balance(business_alice) == 0
    assert not CreditLedgerEntry.objects.exists()
    stored = StripeEvent.objects.get()
    assert stored.state == "ignored"
    assert stored.error == services.MSG_NOT_FOR_CONNECTED_ACCOUNTS


def test_completed_and_async_succeeded_for_one_session_grant_once(
    client, business_alice, starter, fake_stripe, post_event
):
    session = _purchase(client, business_alice, starter, fake_stripe, post_event)

    post_event(make_event("checkout.session.async_payment_succeeded", session))

    assert _balance(business_alice) == 50
    assert CreditLedgerEntry.objects.count() == 1
    assert StripeEvent.objects.count() == 2


def test_a_completed_session_we_never_recorded_is_fulfilled_from_its_metadata(
    business_alice, starter, post_event, fake_stripe
):
    profile = BusinessProfile.objects.get(user=business_alice)
    session = {
        "id": "cs_test_lost_record",
        "object": "checkout.session",
        "status": "complete",
        "payment_status": "paid",
        "payment_intent": "pi_lost",
        "amount_total": 2900,
        "currency": "usd",
        "client_reference_id": profile.pk,
        "metadata": {"business_id": profile.pk, "package_id": starter.pk},
    }

    post_event(make_event("checkout.session.completed", session))

    assert _balance(business_alice) == 50
    assert CheckoutSession.objects.get().stripe_session_id == "cs_test_lost_record"


def test_a_checkout_session_that_is_not_ours_is_stored_and_ignored(post_event, fake_stripe):
    session = {"id": "cs_foreign", "object": "checkout.session", "payment_status": "paid"}

    response = post_event(make_event("checkout.session.completed", session))

    assert response.status_code == 200
    assert StripeEvent.objects.get().state == "ignored"
    assert CreditLedgerEntry.objects.count() == 0


def test_unknown_event_types_are_stored_and_acknowledged(post_event, fake_stripe):
    response = post_event(make_event("customer.updated", {"id": "cus_1", "object": "customer"}))

    assert response.status_code == 200
    event = StripeEvent.objects.get()
    assert (event.type, event.state) == ("customer.updated", "ignored")


# --- signatures and bodies ---------------------------------------------------------------


def _raw_post(client, body: bytes, **headers):
    return client.post(
        "/billing/stripe/webhook/", data=body, content_type="application/json", **headers
    )


def test_a_bad_signature_is_refused_and_nothing_is_stored(client, fake_stripe):
    body = json.dumps(make_event("customer.updated", {"id": "cus_1"})).encode()

    response = _raw_post(client, body, HTTP_STRIPE_SIGNATURE=sign(body, secret="whsec_wrong"))

    assert response.status_code == 400
    assert StripeEvent.objects.count() == 0


def test_a_tampered_body_is_refused(client, fake_stripe):
    body = json.dumps(make_event("customer.updated", {"id": "cus_1"})).encode()
    signature = sign(body)

    response = _raw_post(client, body.replace(b"cus_1", b"cus_2"), HTTP_STRIPE_SIGNATURE=signature)

    assert response.status_code == 400
    assert StripeEvent.objects.count() == 0


def test_a_missing_signature_is_refused(client, fake_stripe):
    body = json.dumps(make_event("customer.updated", {"id": "cus_1"})).encode()

    response = _raw_post(client, body)

    assert response.status_code == 400
    assert StripeEvent.objects.count() == 0


def test_a_garbled_signature_header_is_refused(client, fake_stripe):
    body = json.dumps(make_event("customer.updated", {"id": "cus_1"})).encode()

    response = _raw_post(client, body, HTTP_STRIPE_SIGNATURE="nonsense")

    assert response.status_code == 400
    assert StripeEvent.objects.count() == 0


def test_an_old_signature_is_refused_as_a_replay(client, fake_stripe):
    body = json.dumps(make_event("customer.updated", {"id": "cus_1"})).encode()

    response = _raw_post(
        client, body, HTTP_STRIPE_SIGNATURE=sign(body, timestamp=int(time.time()) - 3600)
    )

    assert response.status_code == 400
    assert StripeEvent.objects.count() == 0


def test_malformed_json_is_refused_even_when_signed(client, fake_stripe):
    body = b'{"id": "evt_1", "type": '

    response = _raw_post(client, body, HTTP_STRIPE_SIGNATURE=sign(body))

    assert response.status_code == 400
    assert StripeEvent.objects.count() == 0


def test_json_that_is_not_an_event_is_refused(client, fake_stripe):
    body = json.dumps({"id": 42, "type": ["x"], "data": "no"}).encode()

    response = _raw_post(client, body, HTTP_STRIPE_SIGNATURE=sign(body))

    assert response.status_code == 400
    assert StripeEvent.objects.count() == 0


def test_webhooks_are_refused_when_no_secret_is_configured(client, payments_off):
    body = json.dumps(make_event("customer.updated", {"id": "cus_1"})).encode()

    response = _raw_post(client, body, HTTP_STRIPE_SIGNATURE=sign(body))

    assert response.status_code == 400
    assert StripeEvent.objects.count() == 0


def test_the_webhook_needs_no_csrf_token_but_buy_does(business_alice, starter, fake_stripe):
    strict = Client(enforce_csrf_checks=True)
    body = json.dumps(make_event("customer.updated", {"id": "cus_1"})).encode()

    hook = strict.post(
        "/billing/stripe/webhook/",
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(body, secret=WEBHOOK_SECRET),
    )
    strict.force_login(business_alice)
    buy = strict.post(reverse("billing:checkout", args=[starter.pk]), {"nonce": "n"})

    assert hook.status_code == 200
    assert buy.status_code == 403
    assert CheckoutSession.objects.count() == 0


def test_the_webhook_only_accepts_post(client, fake_stripe):
    assert client.get("/billing/stripe/webhook/").status_code == 405


# --- invoices ----------------------------------------------------------------------------


def test_invoice_lifecycle_is_mirrored(client, business_alice, starter, fake_stripe, post_event):
    session = _purchase(client, business_alice, starter, fake_stripe, post_event)
    customer = session["customer"]
    now = int(time.time())
    invoice_id = session["invoice"]
    post_event(
        make_event(
            "invoice.created",
            invoice_object(invoice_id=invoice_id, customer=customer, status="draft"),
            created=now - 30,
        )
    )
    assert Invoice.objects.get().status == "draft"
    post_event(
        make_event(
            "invoice.finalized",
            invoice_object(invoice_id=invoice_id, customer=customer, status="open"),
            created=now - 20,
        )
    )
    post_event(
        make_event(
            "invoice.paid",
            invoice_object(
                invoice_id=invoice_id, customer=customer, status="paid", paid_at=now - 10
            ),
            created=now - 10,
        )
    )

    invoice = Invoice.objects.get()
    assert invoice.user_id == business_alice.pk
    assert invoice.status == "paid"
    assert str(invoice.amount_due) == "29.00"
    assert invoice.currency == "USD"
    assert invoice.invoice_number == "MS-0001"
    assert invoice.pdf_url.endswith("/pdf")
    assert invoice.hosted_invoice_url.startswith("https://invoice.stripe.test/")
    assert invoice.paid_at is not None
    assert invoice.period_start is not None
    assert invoice.line_items == [
        {
            "description": "1 x STARTER TIER",
            "quantity": 1,
            "amount": 2900,
            "currency": "USD",
            "priceId": "price_starter",
        }
    ]


def test_invoice_paid_before_invoice_created_keeps_paid(
    client, business_alice, starter, fake_stripe, post_event
):
    session = _purchase(client, business_alice, starter, fake_stripe, post_event)
    now = int(time.time())
    invoice_id, customer = session["invoice"], session["customer"]
    paid = make_event(
        "invoice.paid",
        invoice_object(invoice_id=invoice_id, customer=customer, status="paid", paid_at=now),
        created=now,
    )
    created = make_event(
        "invoice.created",
        invoice_object(invoice_id=invoice_id, customer=customer, status="draft"),
        created=now - 60,
    )
    finalized = make_event(
        "invoice.finalized",
        invoice_object(invoice_id=invoice_id, customer=customer, status="open"),
        created=now - 30,
    )

    for event in (paid, created, finalized, created):
        assert post_event(event).status_code == 200

    invoice = Invoice.objects.get()
    assert invoice.status == "paid"
    assert invoice.paid_at is not None
    assert invoice.invoice_number == "MS-0001"
    assert StripeEvent.objects.filter(state="succeeded").count() == 4  # incl. the purchase


def test_a_newer_terminal_state_replaces_an_older_one(
    client, business_alice, starter, fake_stripe, post_event
):
    session = _purchase(client, business_alice, starter, fake_stripe, post_event)
    now = int(time.time())
    invoice_id, customer = session["invoice"], session["customer"]

    post_event(
        make_event(
            "invoice.marked_uncollectible",
            invoice_object(invoice_id=invoice_id, customer=customer, status="uncollectible"),
            created=now - 20,
        )
    )
    post_event(
        make_event(
            "invoice.voided",
            invoice_object(invoice_id=invoice_id, customer=customer, status="void"),
            created=now - 10,
        )
    )
    post_event(
        make_event(
            "invoice.payment_failed",
            invoice_object(invoice_id=invoice_id, customer=customer, status="open"),
            created=now,
        )
    )

    assert Invoice.objects.get().status == "void"


def test_an_invoice_for_an_unknown_customer_is_stored_and_ignored(
    business_alice, post_event, fake_stripe
):
    event = make_event(
        "invoice.paid", invoice_object(invoice_id="in_x", customer="cus_nobody", status="paid")
    )

    response = post_event(event)

    assert response.status_code == 200
    stored = StripeEvent.objects.get()
    assert stored.state == "ignored"
    assert "cus_nobody" in stored.error
    assert Invoice.objects.count() == 0
    assert CreditLedgerEntry.objects.count() == 0


def test_an_invoice_found_by_its_metadata(business_alice, post_event, fake_stripe):
    profile = BusinessProfile.objects.get(user=business_alice)
    event = make_event(
        "invoice.created",
        invoice_object(
            invoice_id="in_meta",
            customer="cus_not_stored_yet",
            status="draft",
            metadata={"business_id": profile.pk},
        ),
    )

    post_event(event)

    assert Invoice.objects.get().user_id == business_alice.pk


# --- refunds and disputes ----------------------------------------------------------------


def test_refund_after_partial_spending_takes_back_only_unspent_credits(
    client, business_alice, starter, fake_stripe, post_event
):
    session = _purchase(client, business_alice, starter, fake_stripe, post_event)
    profile = BusinessProfile.objects.get(user=business_alice)
    for n in range(45):
        services.credits_spend(business=profile, amount=1, key=f"spend:gen-{n}")
    refund = make_event(
        "charge.refunded",
        charge_object(
            payment_intent=session["payment_intent"],
            customer=session["customer"],
            amount=2900,
            refunded_amount=2900,
        ),
    )

    assert post_event(refund).status_code == 200
    assert post_event(refund).status_code == 200  # redelivered

    assert _balance(business_alice) == 0
    reversal = CreditReversal.objects.get()
    assert (reversal.credits_due, reversal.credits_taken, reversal.shortfall) == (50, 5, 45)
    taken = CreditLedgerEntry.objects.get(reason="reversal")
    assert (taken.delta, taken.balance_after) == (-5, 0)
    call_command("check_ledgers", recheck_delay=0)


def test_partial_refunds_take_back_their_share(
    client, business_alice, starter, fake_stripe, post_event
):
    session = _purchase(client, business_alice, starter, fake_stripe, post_event)
    charge = {
        "payment_intent": session["payment_intent"],
        "customer": session["customer"],
        "amount": 2900,
    }

    post_event(make_event("charge.refunded", charge_object(**charge, refunded_amount=1450)))
    assert _balance(business_alice) == 25
    post_event(make_event("charge.refunded", charge_object(**charge, refunded_amount=2900)))

    assert _balance(business_alice) == 0
    assert sorted(CreditReversal.objects.values_list("credits_taken", flat=True)) == [25, 25]


def test_a_refund_before_its_purchase_is_known_fails_and_succeeds_on_redelivery(
    client, business_alice, starter, fake_stripe, post_event
):
    session = _completed_session(client, business_alice, starter, fake_stripe, "nonce-refund-early")
    refund = make_event(
        "charge.refunded",
        charge_object(
            payment_intent=session["payment_intent"],
            customer=session["customer"],
            amount=2900,
            refunded_amount=2900,
        ),
    )

    first = post_event(refund)
    assert first.status_code == 500
    assert StripeEvent.objects.get().state == "failed"
    post_event(make_event("checkout.session.completed", session))
    assert _balance(business_alice) == 50
    again = post_event(refund)

    assert again.status_code == 200
    assert StripeEvent.objects.get(type="charge.refunded").state == "succeeded"
    assert StripeEvent.objects.get(type="charge.refunded").attempts == 2
    assert _balance(business_alice) == 0


def test_a_refund_for_a_charge_that_is_not_ours_is_ignored(post_event, fake_stripe):
    refund = make_event(
        "charge.refunded",
        charge_object(payment_intent="pi_x", customer="cus_x", amount=100, refunded_amount=100),
    )

    assert post_event(refund).status_code == 200
    assert StripeEvent.objects.get().state == "ignored"


def _dispute(payment_intent: str, status: str) -> dict:
    return {
        "id": "dp_test_1",
        "object": "dispute",
        "amount": 2900,
        "currency": "usd",
        "charge": f"ch_for_{payment_intent}",
        "payment_intent": payment_intent,
        "reason": "fraudulent",
        "status": status,
        "created": int(time.time()) - 100,
    }


@pytest.mark.parametrize("order", ["in order", "closed first"])
def test_disputes_are_recorded_in_any_order(
    order, client, business_alice, starter, fake_stripe, post_event
):
    session = _purchase(client, business_alice, starter, fake_stripe, post_event)
    now = int(time.time())
    created = make_event(
        "charge.dispute.created",
        _dispute(session["payment_intent"], "needs_response"),
        created=now - 50,
    )
    closed = make_event(
        "charge.dispute.closed", _dispute(session["payment_intent"], "lost"), created=now
    )
    events = [created, closed] if order == "in order" else [closed, created]

    for event in events:
        assert post_event(event).status_code == 200

    dispute = Dispute.objects.get()
    assert dispute.status == "lost"
    assert dispute.closed_at is not None
    assert dispute.business.user_id == business_alice.pk
    assert dispute.amount == 2900


def test_an_event_in_flight_is_not_applied_twice_but_a_stuck_one_is_reclaimed(
    client, business_alice, starter, fake_stripe, post_event
):
    from datetime import timedelta

    from django.utils import timezone

    profile = BusinessProfile.objects.get(user=business_alice)
    session = {
        "id": "cs_stuck",
        "object": "checkout.session",
        "status": "complete",
        "payment_status": "paid",
        "metadata": {"business_id": profile.pk, "package_id": starter.pk},
    }
    event = make_event("checkout.session.completed", session)
    body = json.dumps(event).encode()
    stored = services.stripe_event_record(
        event=stripe_gateway.webhook_parse(payload=body, signature=sign(body))
    )
    StripeEvent.objects.filter(pk=stored.pk).update(state="started", started_at=timezone.now())

    assert post_event(event).status_code == 200  # another worker is on it
    assert _balance(business_alice) == 0

    StripeEvent.objects.filter(pk=stored.pk).update(
        started_at=timezone.now() - timedelta(minutes=10)
    )
    assert post_event(event).status_code == 200  # its worker died: reclaimed

    assert _balance(business_alice) == 50
    assert StripeEvent.objects.get().state == "succeeded"
