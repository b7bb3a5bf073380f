"""Signed but malformed webhook bodies: 400, nothing stored, nothing applied.

Stripe redelivers any non-2xx answer for days; a body that can never be applied is
refused for good (400) instead of being stored as a failed event and answered 500.
"""

from __future__ import annotations

import json

import pytest

from billing.models import CreditLedgerEntry, StripeEvent
from billing.tests.fake_stripe import charge_object, invoice_object, make_event

pytestmark = pytest.mark.django_db

MALFORMED = [
    ("checkout.session.completed", {"object": "checkout.session", "payment_status": "paid"}),
    (
        "checkout.session.completed",
        {"id": "cs_1", "object": "checkout.session", "amount_total": "a lot"},
    ),
    ("checkout.session.async_payment_succeeded", {"id": "cs_2", "amount_total": 12.5}),
    ("invoice.paid", {"object": "invoice", "customer": "cus_1"}),
    ("invoice.paid", {"id": "in_1", "amount_due": [1, 2]}),
    ("charge.refunded", {"id": "ch_1", "amount_refunded": "all"}),
    ("charge.refunded", {"amount_refunded": 100}),
    ("charge.dispute.created", {"id": "dp_1", "amount": {"value": 1}}),
    ("charge.dispute.closed", {"charge": "ch_1", "status": "lost"}),
]


@pytest.mark.parametrize(("event_type", "obj"), MALFORMED)
def test_a_signed_event_with_a_malformed_object_is_refused_and_not_stored(
    post_event, fake_stripe, event_type, obj
):
    event = make_event(event_type, obj)
    for _ in range(3):  # Stripe's redeliveries get the same answer
        response = post_event(event)
        assert response.status_code == 400, response.content
    assert StripeEvent.objects.count() == 0
    assert CreditLedgerEntry.objects.count() == 0


@pytest.mark.parametrize("depth", [50, 100_000])
def test_deep_json_is_refused_with_400_not_a_recursion_error(post_event, fake_stripe, depth):
    nested = "[" * depth + "]" * depth
    body = (
        '{"id": "evt_deep", "object": "event", "type": "customer.updated", "created": 1,'
        f' "data": {{"object": {{"id": "cus_1", "metadata": {{"x": {nested}}}}}}}}}'
    ).encode()
    response = post_event(body)
    assert response.status_code == 400
    assert StripeEvent.objects.count() == 0


def test_well_formed_events_of_the_same_types_are_still_accepted(post_event, fake_stripe):
    shallow = {"a": [[[["ordinary nesting"]]]]}
    for event in (
        make_event(
            "invoice.paid", invoice_object(invoice_id="in_x", customer="cus_x", status="paid")
        ),
        make_event(
            "charge.refunded",
            charge_object(payment_intent="pi_x", customer="cus_x", amount=100, refunded_amount=0),
        ),
        make_event("customer.updated", {"id": "cus_1", "metadata": {"deep": json.dumps(shallow)}}),
    ):
        assert post_event(event).status_code == 200
    assert StripeEvent.objects.count() == 3
