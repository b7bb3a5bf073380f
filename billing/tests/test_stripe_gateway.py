"""The gateway's typed values, parsed from Stripe-shaped JSON (the fake server's objects)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from billing import stripe_gateway
from billing.tests.fake_stripe import charge_object, invoice_object, make_event, sign


def test_a_paid_session_with_an_expanded_payment_intent_reads_as_typed_values():
    session = stripe_gateway.parse_checkout_session(
        {
            "id": "cs_1",
            "object": "checkout.session",
            "status": "complete",
            "payment_status": "paid",
            "payment_intent": {"id": "pi_1", "object": "payment_intent"},
            "amount_total": 4900,
            "currency": "usd",
            "metadata": {"business_id": "b1", "package_id": "p1"},
        }
    )
    assert session == stripe_gateway.CheckoutSessionInfo(
        id="cs_1",
        status="complete",
        payment_status="paid",
        url="",
        amount_total=4900,
        currency="USD",
        payment_intent_id="pi_1",
        business_id="b1",
        package_id="p1",
    )
    assert session.is_paid


def test_a_session_without_metadata_falls_back_to_the_client_reference():
    session = stripe_gateway.parse_checkout_session(
        {"id": "cs_2", "client_reference_id": "b2", "payment_status": "unpaid"}
    )
    assert (session.business_id, session.amount_total, session.is_paid) == ("b2", None, False)


def test_an_invoice_reads_its_lines_times_and_customer():
    invoice = stripe_gateway.parse_invoice(
        invoice_object(invoice_id="in_1", customer="cus_1", status="paid")
    )
    assert (invoice.id, invoice.customer_id, invoice.status) == ("in_1", "cus_1", "paid")
    assert invoice.currency == "USD" and invoice.amount_due >= 0
    assert invoice.lines and all(line.quantity >= 1 for line in invoice.lines)
    assert invoice.paid_at is None or invoice.paid_at.tzinfo is UTC


def test_a_charge_reads_captured_and_refunded_amounts():
    charge = stripe_gateway.parse_charge(
        charge_object(payment_intent="pi_9", customer="cus_9", amount=5000, refunded_amount=2500)
    )
    assert (charge.payment_intent_id, charge.amount_captured, charge.amount_refunded) == (
        "pi_9",
        5000,
        2500,
    )
    assert not charge.fully_refunded


@pytest.mark.parametrize(
    ("parse", "obj"),
    [
        (stripe_gateway.parse_invoice, {"object": "invoice"}),
        (stripe_gateway.parse_charge, {"id": 7}),
        (stripe_gateway.parse_dispute, {}),
        (stripe_gateway.parse_price, {"active": True}),
    ],
)
def test_an_object_without_an_id_is_refused(parse, obj):
    with pytest.raises(stripe_gateway.StripeObjectInvalid, match="without an id"):
        parse(obj)


def test_a_malformed_amount_is_refused_not_read_as_zero():
    bad = invoice_object(invoice_id="in_2", customer="cus_1", status="paid")
    bad["lines"]["data"][0]["amount"] = "not-cents"
    with pytest.raises(stripe_gateway.StripeObjectInvalid, match="whole number"):
        stripe_gateway.parse_invoice(bad)
    with pytest.raises(stripe_gateway.StripeObjectInvalid):
        stripe_gateway.parse_checkout_session({"id": "cs_3", "amount_total": True})


def test_a_verified_webhook_is_an_event_info_with_its_whole_payload(settings):
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test"
    event = make_event("charge.refunded", {"id": "ch_1"}, created=1_800_000_000)
    body = json.dumps(event).encode()

    info = stripe_gateway.webhook_parse(payload=body, signature=sign(body, secret="whsec_test"))

    assert (info.id, info.type, info.livemode) == (event["id"], "charge.refunded", False)
    assert info.created_at == datetime.fromtimestamp(1_800_000_000, tz=UTC)
    assert stripe_gateway.event_object(info.payload) == {"id": "ch_1"}
