"""What the credit ledger shows for disputes: a lost dispute takes back the purchase's
unspent credits once (like a full refund, less what refunds already took); a won or
updated dispute leaves credits unchanged."""

from __future__ import annotations

import time

import pytest
from django.core.management import call_command

from accounts.models import BusinessProfile
from billing import services
from billing.models import CreditLedgerEntry, CreditReversal, Dispute
from billing.tests.fake_stripe import charge_object, make_event
from billing.tests.test_webhooks import _balance, _dispute, _purchase

pytestmark = pytest.mark.django_db


def _closed(session, status: str) -> dict:
    return make_event("charge.dispute.closed", _dispute(session["payment_intent"], status))


def test_a_lost_dispute_takes_back_the_unspent_credits_once(
    client, business_alice, starter, fake_stripe, post_event
):
    session = _purchase(client, business_alice, starter, fake_stripe, post_event)
    profile = BusinessProfile.objects.get(user=business_alice)
    for n in range(20):
        services.credits_spend(business=profile, amount=1, key=f"spend:gen-{n}")
    event = _closed(session, "lost")
    for _ in range(3):  # redelivered
        assert post_event(event).status_code == 200
    assert _balance(business_alice) == 0
    reversal = CreditReversal.objects.get()
    assert (reversal.credits_due, reversal.credits_taken, reversal.shortfall) == (50, 30, 20)
    assert reversal.key == "reversal:dispute:dp_test_1"
    assert CreditLedgerEntry.objects.filter(reason="reversal").count() == 1
    call_command("check_ledgers", recheck_delay=0)


def test_a_won_dispute_leaves_credits_unchanged(
    client, business_alice, starter, fake_stripe, post_event
):
    session = _purchase(client, business_alice, starter, fake_stripe, post_event)
    assert post_event(_closed(session, "won")).status_code == 200
    assert _balance(business_alice) == 50
    assert not CreditReversal.objects.exists()
    assert Dispute.objects.get().status == "won"


def test_an_updated_dispute_changes_its_status_not_the_credits(
    client, business_alice, starter, fake_stripe, post_event
):
    session = _purchase(client, business_alice, starter, fake_stripe, post_event)
    pi = session["payment_intent"]
    post_event(make_event("charge.dispute.created", _dispute(pi, "needs_response")))
    post_event(make_event("charge.dispute.updated", _dispute(pi, "under_review")))
    assert Dispute.objects.get().status == "under_review"
    assert _balance(business_alice) == 50
    # A late "updated" after the close does not reopen it.
    post_event(_closed(session, "won"))
    post_event(make_event("charge.dispute.updated", _dispute(pi, "under_review")))
    assert Dispute.objects.get().status == "won"


def test_a_lost_dispute_after_a_partial_refund_takes_only_the_rest(
    client, business_alice, starter, fake_stripe, post_event
):
    session = _purchase(client, business_alice, starter, fake_stripe, post_event)
    refund = charge_object(
        payment_intent=session["payment_intent"],
        customer=session["customer"],
        amount=2900,
        refunded_amount=1450,
    )
    post_event(make_event("charge.refunded", refund))
    assert _balance(business_alice) == 25
    post_event(_closed(session, "lost"))
    assert _balance(business_alice) == 0
    assert sum(CreditReversal.objects.values_list("credits_due", flat=True)) == 50
    call_command("check_ledgers", recheck_delay=0)


def test_a_lost_dispute_in_any_order_with_its_creation_takes_back_once(
    client, business_alice, starter, fake_stripe, post_event
):
    session = _purchase(client, business_alice, starter, fake_stripe, post_event)
    now = int(time.time())
    closed = make_event(
        "charge.dispute.closed", _dispute(session["payment_intent"], "lost"), created=now
    )
    created = make_event(
        "charge.dispute.created",
        _dispute(session["payment_intent"], "needs_response"),
        created=now - 50,
    )
    for event in (closed, created, closed):
        post_event(event)
    assert _balance(business_alice) == 0
    assert CreditReversal.objects.count() == 1


def _refund_object(session, *, refund_id: str, amount: int, status: str) -> dict:
    # The shape of Stripe's Refund object.
    return {
        "id": refund_id,
        "object": "refund",
        "amount": amount,
        "currency": "usd",
        "charge": f"ch_for_{session['payment_intent']}",
        "payment_intent": session["payment_intent"],
        "status": status,
        "failure_reason": "expired_or_canceled_card" if status == "failed" else None,
    }


def _refunded(session, refunded: int) -> dict:
    return make_event(
        "charge.refunded",
        charge_object(
            payment_intent=session["payment_intent"],
            customer=session["customer"],
            amount=2900,
            refunded_amount=refunded,
        ),
    )


def test_a_failed_refund_gives_the_taken_credits_back_once(
    client, business_alice, starter, fake_stripe, post_event
):
    session = _purchase(client, business_alice, starter, fake_stripe, post_event)
    post_event(_refunded(session, 2900))
    assert _balance(business_alice) == 0
    failed = make_event(
        "charge.refund.updated",
        _refund_object(session, refund_id="re_1", amount=2900, status="failed"),
    )
    for _ in range(3):
        assert post_event(failed).status_code == 200
    assert _balance(business_alice) == 50
    restored = CreditLedgerEntry.objects.get(key__startswith="refund-failed:")
    assert restored.delta == 50
    call_command("check_ledgers", recheck_delay=0)


def test_a_failed_refund_never_restores_more_than_was_taken(
    client, business_alice, starter, fake_stripe, post_event
):
    session = _purchase(client, business_alice, starter, fake_stripe, post_event)
    profile = BusinessProfile.objects.get(user=business_alice)
    for n in range(45):
        services.credits_spend(business=profile, amount=1, key=f"spend:gen-{n}")
    post_event(_refunded(session, 2900))  # took back only the 5 unspent
    post_event(
        make_event(
            "charge.refund.updated",
            _refund_object(session, refund_id="re_2", amount=2900, status="failed"),
        )
    )
    assert _balance(business_alice) == 5


def test_other_refund_updates_change_nothing(
    client, business_alice, starter, fake_stripe, post_event
):
    session = _purchase(client, business_alice, starter, fake_stripe, post_event)
    post_event(_refunded(session, 2900))
    for status in ("pending", "succeeded", "requires_action"):
        event = make_event(
            "charge.refund.updated",
            _refund_object(session, refund_id=f"re_{status}", amount=2900, status=status),
        )
        assert post_event(event).status_code == 200
    assert _balance(business_alice) == 0
