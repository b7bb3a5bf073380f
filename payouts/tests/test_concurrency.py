"""Money invariants under real concurrency (threads with their own connections):
on SQLite writers wait for the lock; in ``make test-mongo`` they interleave freely and
only the unique keys and conditional single-document updates hold the line."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from billing import services as billing_services
from billing import stripe_gateway
from billing.tests.fake_stripe import make_event
from generations.models import RoyaltyLedger
from modelsnapper.testing import race
from payouts.models import EntryKind, PayoutEntry, PayoutState
from payouts.services import payout_record_manual, payouts_run
from payouts.tests.conftest import balance_of, connect, earn, paid_transfer

RUN = date(2031, 3, 3)


@pytest.mark.django_db(transaction=True)
def test_four_runs_at_once_pay_each_model_once(
    file_db, fake_stripe, model_mia, model_noah, business_alice
):
    connect(fake_stripe, model_mia)
    connect(fake_stripe, model_noah)
    earn(model_mia, business_alice, 12)
    earn(model_noah, business_alice, 15)

    reports = race(4, lambda index: payouts_run(run_date=RUN))

    assert not [r for r in reports if isinstance(r, Exception)], reports
    paid = sorted(key for report in reports for key in report.paid)
    assert paid == sorted(
        [f"payout:{model_mia.pk}:2031-03-03", f"payout:{model_noah.pk}:2031-03-03"]
    )
    assert sorted(t["amount"] for t in fake_stripe.transfers.values()) == [1200, 1500]
    assert fake_stripe.count("POST", "/v1/transfers") == 2
    assert balance_of(model_mia) == balance_of(model_noah) == Decimal("0.00")
    call_command("check_royalties")


@pytest.mark.django_db(transaction=True)
def test_royalties_arriving_during_runs_and_a_manual_payout_keep_the_balance_exact(
    file_db, fake_stripe, model_mia, business_alice, admin_ada
):
    connect(fake_stripe, model_mia)
    earn(model_mia, business_alice, 12)

    def work(index: int):
        if index < 3:
            return payouts_run(run_date=RUN)
        if index == 3:
            return payout_record_manual(
                model_user_id=model_mia.pk,
                amount="5.00",
                method="Bank transfer",
                reference="WIRE-1",
                token="race1",
                actor=admin_ada,
            )
        return earn(model_mia, business_alice, 2)

    results = race(6, work)

    balance = balance_of(model_mia)
    assert balance >= 0
    royalties = sum(r.amount for r in RoyaltyLedger.objects.filter(model_id=model_mia.pk))
    taken = sum(
        e.amount
        for e in PayoutEntry.objects.filter(kind=EntryKind.PAYOUT)
        if e.state in (PayoutState.PAID, PayoutState.SENDING)
    )
    assert royalties == Decimal("16.00")
    assert balance == royalties - taken, results
    # Stripe received exactly what the ledger says it paid by transfer.
    stripe_paid = sum(
        e.amount for e in PayoutEntry.objects.filter(method="stripe", state=PayoutState.PAID)
    )
    assert Decimal(sum(t["amount"] for t in fake_stripe.transfers.values())) / 100 == stripe_paid
    assert PayoutEntry.objects.filter(method="stripe").count() <= 1
    call_command("check_royalties")


def _deliver_reversal(transfer: dict) -> str:
    """Records and applies a ``transfer.reversed`` event (a new event id each time)."""
    payload = make_event("transfer.reversed", transfer)
    event = stripe_gateway.EventInfo(
        id=payload["id"],
        type=payload["type"],
        livemode=False,
        created_at=None,
        payload=json.loads(json.dumps(payload)),
    )
    return billing_services.stripe_event_apply(
        event=billing_services.stripe_event_record(event=event)
    ).state


@pytest.mark.django_db(transaction=True)
def test_five_deliveries_of_a_reversal_give_the_amount_back_once(
    file_db, fake_stripe, model_mia, business_alice
):
    transfer_id = paid_transfer(fake_stripe, model_mia, business_alice, RUN)
    transfer = fake_stripe.reverse(transfer_id)

    # Distinct event ids (Stripe may send the same news twice under new ids).
    states = race(5, lambda index: _deliver_reversal(transfer))

    assert not [s for s in states if isinstance(s, Exception)], states
    assert balance_of(model_mia) == Decimal("12.00")
    assert PayoutEntry.objects.filter(kind=EntryKind.RETURN).count() == 1
    assert PayoutEntry.objects.get(kind=EntryKind.PAYOUT).state == PayoutState.REVERSED
    call_command("check_royalties")


@pytest.mark.django_db(transaction=True)
def test_the_news_of_three_partial_reversals_at_once_gives_back_each_part_once(
    file_db, fake_stripe, model_mia, business_alice
):
    transfer_id = paid_transfer(fake_stripe, model_mia, business_alice, RUN)
    # Each event carries the transfer as it was when that part was made.
    snapshots = [fake_stripe.reverse(transfer_id, amount=cents) for cents in (450, 300, 150)]

    states = race(6, lambda index: _deliver_reversal(snapshots[index % 3]))

    assert not [s for s in states if isinstance(s, Exception)], states
    assert balance_of(model_mia) == Decimal("9.00")
    assert PayoutEntry.objects.filter(kind=EntryKind.RETURN).count() == 3
    call_command("check_royalties")


@pytest.mark.django_db(transaction=True)
def test_four_runs_resuming_one_unanswered_payout_send_it_once(
    file_db, fake_stripe, model_mia, business_alice
):
    connect(fake_stripe, model_mia)
    earn(model_mia, business_alice, 12)
    fake_stripe.down = True
    payouts_run(run_date=RUN)
    fake_stripe.down = False

    reports = race(4, lambda index: payouts_run(run_date=date(2031, 3, 10)))

    assert not [r for r in reports if isinstance(r, Exception)], reports
    assert sum(len(r.paid) for r in reports) == 1
    assert fake_stripe.count("POST", "/v1/transfers") == 1
    assert [t["amount"] for t in fake_stripe.transfers.values()] == [1200]
    assert PayoutEntry.objects.get().state == PayoutState.PAID
    call_command("check_royalties")
