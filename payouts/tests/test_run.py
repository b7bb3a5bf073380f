"""The payout run against the local Stripe stand-in, through the official SDK."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from accounts.models import ModelProfile
from payouts.models import EntryKind, PayoutAccount, PayoutEntry, PayoutState
from payouts.services import payout_hold, payouts_run
from payouts.tests.conftest import balance_of, connect, earn

pytestmark = pytest.mark.django_db


def test_it_pays_an_enabled_model_their_whole_balance_once(
    fake_stripe, model_mia, business_alice, run_date
):
    account = connect(fake_stripe, model_mia)
    earn(model_mia, business_alice, 12)

    report = payouts_run(run_date=run_date)

    key = f"payout:{model_mia.pk}:2031-03-03"
    assert report.paid == [key]
    assert balance_of(model_mia) == Decimal("0.00")
    entry = PayoutEntry.objects.get(key=key)
    assert (entry.state, entry.amount, entry.balance_after) == (
        PayoutState.PAID,
        Decimal("12.00"),
        Decimal("0.00"),
    )
    (transfer,) = fake_stripe.transfers.values()
    assert entry.reference == transfer["id"]
    assert transfer["amount"] == 1200
    assert transfer["currency"] == "usd"
    assert transfer["destination"] == account.stripe_account_id
    assert transfer["transfer_group"] == key
    assert transfer["metadata"] == {
        "payout_key": key,
        "model_id": str(model_mia.pk),
        "payout_id": str(entry.pk),
    }
    # The ledger key is the idempotency key of the transfer.
    assert fake_stripe.idempotent.get(("/v1/transfers", key)) is not None
    call_command("check_royalties")


def test_running_again_on_the_same_date_pays_nothing_more(
    fake_stripe, model_mia, business_alice, run_date
):
    connect(fake_stripe, model_mia)
    earn(model_mia, business_alice, 12)
    payouts_run(run_date=run_date)
    earn(model_mia, business_alice, 11)

    report = payouts_run(run_date=run_date)

    assert report.paid == []
    assert "already paid" in report.skipped[str(model_mia.pk)]
    assert len(fake_stripe.transfers) == 1
    assert balance_of(model_mia) == Decimal("11.00")
    # Next week it is paid.
    assert payouts_run(run_date=run_date + timedelta(days=7)).paid
    assert balance_of(model_mia) == Decimal("0.00")
    assert sum(t["amount"] for t in fake_stripe.transfers.values()) == 2300
    call_command("check_royalties")


def test_below_the_minimum_not_enabled_on_hold_and_zero_are_not_paid(
    fake_stripe, settings, model_mia, model_noah, business_alice, admin_ada, run_date
):
    settings.PAYOUT_MINIMUM_USD = Decimal("10.00")
    connect(fake_stripe, model_mia)
    connect(fake_stripe, model_noah, enabled=False)
    earn(model_mia, business_alice, 9)
    earn(model_noah, business_alice, 20)

    report = payouts_run(run_date=run_date)
    assert report.paid == []
    assert "payouts not enabled" in report.skipped[str(model_noah.pk)]
    assert str(model_mia.pk) not in report.skipped  # below the minimum: not a candidate

    earn(model_mia, business_alice, 1)
    payout_hold(model_user_id=model_mia.pk, actor=admin_ada, reason="Misuse report open")
    report = payouts_run(run_date=run_date)
    assert report.paid == []
    assert report.skipped[str(model_mia.pk)] == "on hold: Misuse report open"
    assert fake_stripe.transfers == {}
    assert PayoutEntry.objects.count() == 0
    assert balance_of(model_mia) == Decimal("10.00")


def test_a_zero_minimum_still_never_pays_zero(fake_stripe, settings, model_mia, run_date):
    settings.PAYOUT_MINIMUM_USD = Decimal("0.01")
    connect(fake_stripe, model_mia)
    assert payouts_run(run_date=run_date).paid == []
    assert PayoutEntry.objects.count() == 0


def test_a_fraction_of_a_cent_stays_in_the_balance(
    fake_stripe, model_mia, business_alice, run_date
):
    connect(fake_stripe, model_mia)
    earn(model_mia, business_alice, 12)
    # A balance that is not whole cents (e.g. a future royalty rate): rounded down.
    ModelProfile.objects.filter(user_id=model_mia.pk).update(royalty_balance=Decimal("12.005"))
    profile = ModelProfile.objects.get(user_id=model_mia.pk)
    from payouts.services import payable_amount

    assert payable_amount(Decimal("12.009")) == Decimal("12.00")
    payouts_run(run_date=run_date)
    (transfer,) = fake_stripe.transfers.values()
    assert transfer["amount"] == 1200
    assert PayoutEntry.objects.get().amount == Decimal("12.00")
    assert profile is not None


def test_a_refused_transfer_gives_the_amount_back_once(
    fake_stripe, model_mia, business_alice, run_date
):
    connect(fake_stripe, model_mia)
    earn(model_mia, business_alice, 12)
    fake_stripe.platform_available_cents = 500  # the platform's Stripe balance is short

    report = payouts_run(run_date=run_date)

    key = f"payout:{model_mia.pk}:2031-03-03"
    assert report.failed == [key]
    entry = PayoutEntry.objects.get(key=key)
    assert entry.state == PayoutState.FAILED
    assert "insufficient available funds" in entry.error
    back = PayoutEntry.objects.get(key=f"return:{key}")
    assert (back.kind, back.amount, back.balance_after) == (
        EntryKind.RETURN,
        Decimal("12.00"),
        Decimal("12.00"),
    )
    assert balance_of(model_mia) == Decimal("12.00")
    # Another run the same day neither retries nor gives back again.
    payouts_run(run_date=run_date)
    assert PayoutEntry.objects.filter(kind=EntryKind.RETURN).count() == 1
    assert balance_of(model_mia) == Decimal("12.00")
    call_command("check_royalties")


def test_stripe_down_holds_the_payout_and_the_next_run_sends_it_once(
    fake_stripe, model_mia, business_alice, run_date
):
    connect(fake_stripe, model_mia)
    earn(model_mia, business_alice, 12)
    fake_stripe.down = True

    report = payouts_run(run_date=run_date)

    key = f"payout:{model_mia.pk}:2031-03-03"
    assert report.retrying == [key]
    entry = PayoutEntry.objects.get(key=key)
    assert entry.state == PayoutState.SENDING
    assert "Retried on the next run" in entry.error
    assert balance_of(model_mia) == Decimal("0.00")  # held, not lost
    assert fake_stripe.transfers == {}
    call_command("check_royalties")

    fake_stripe.down = False
    report = payouts_run(run_date=run_date + timedelta(days=1))
    assert report.paid == [key]
    assert PayoutEntry.objects.get(key=key).state == PayoutState.PAID
    assert len(fake_stripe.transfers) == 1
    assert PayoutEntry.objects.filter(kind=EntryKind.PAYOUT).count() == 1


def test_a_sending_row_of_a_run_in_progress_is_left_alone(
    fake_stripe, model_mia, business_alice, run_date
):
    connect(fake_stripe, model_mia)
    earn(model_mia, business_alice, 12)
    payouts_run(run_date=run_date)
    key = f"payout:{model_mia.pk}:2031-03-03"
    # As another run sees it between taking the balance and Stripe's answer.
    PayoutEntry.objects.filter(key=key).update(state=PayoutState.SENDING, reference="")

    report = payouts_run(run_date=run_date)

    assert report.paid == []
    assert fake_stripe.count("GET", "/v1/transfers") == 1  # only the first run's check
    assert PayoutEntry.objects.get(key=key).state == PayoutState.SENDING


def test_a_run_after_a_crash_that_followed_the_transfer_does_not_pay_again(
    fake_stripe, model_mia, business_alice, run_date
):
    """The process died after Stripe made the transfer, before the row said paid."""
    connect(fake_stripe, model_mia)
    earn(model_mia, business_alice, 12)
    payouts_run(run_date=run_date)
    key = f"payout:{model_mia.pk}:2031-03-03"
    from django.utils import timezone

    PayoutEntry.objects.filter(key=key).update(
        state=PayoutState.SENDING,
        reference="",
        updated_at=timezone.now() - timedelta(minutes=10),
    )
    # Even past Stripe's 24-hour idempotency window: the transfer group is the proof.
    fake_stripe.idempotent.clear()

    report = payouts_run(run_date=run_date)

    assert report.paid == [key]
    (transfer,) = fake_stripe.transfers.values()
    assert PayoutEntry.objects.get(key=key).reference == transfer["id"]
    assert fake_stripe.count("POST", "/v1/transfers") == 1


def test_a_restricted_account_is_refused_by_stripe_and_paid_back(
    fake_stripe, model_mia, business_alice, run_date
):
    """Our row still says enabled (the account.updated event is late): Stripe refuses."""
    account = connect(fake_stripe, model_mia)
    earn(model_mia, business_alice, 12)
    fake_stripe.restrict(account.stripe_account_id)

    report = payouts_run(run_date=run_date)

    assert len(report.failed) == 1
    assert balance_of(model_mia) == Decimal("12.00")
    assert "capabilities" in PayoutEntry.objects.get(kind=EntryKind.PAYOUT).error
    call_command("check_royalties")


def test_payments_off_makes_no_transfer(payments_off, model_mia, business_alice, run_date):
    earn(model_mia, business_alice, 12)
    report = payouts_run(run_date=run_date)
    assert report.paid == [] and "*" in report.skipped
    assert PayoutEntry.objects.count() == 0


def test_a_closed_account_keeps_its_balance_owed(fake_stripe, model_mia, business_alice, run_date):
    connect(fake_stripe, model_mia)
    earn(model_mia, business_alice, 12)
    type(model_mia).objects.filter(pk=model_mia.pk).update(is_active=False)

    report = payouts_run(run_date=run_date)

    assert "account closed" in report.skipped[str(model_mia.pk)]
    assert balance_of(model_mia) == Decimal("12.00")
    assert fake_stripe.transfers == {}


def test_deleting_a_model_with_royalties_is_refused_and_loses_nothing(model_mia, business_alice):
    from django.db.models import ProtectedError

    earn(model_mia, business_alice, 3)
    with pytest.raises(ProtectedError):
        type(model_mia).objects.get(pk=model_mia.pk).delete()
    assert balance_of(model_mia) == Decimal("3.00")


def test_check_royalties_subtracts_payouts_and_reports_a_mismatch(
    fake_stripe, model_mia, business_alice, run_date
):
    connect(fake_stripe, model_mia)
    earn(model_mia, business_alice, 12)
    payouts_run(run_date=run_date)
    call_command("check_royalties")  # balance 0 = 12 royalties - 12 paid

    ModelProfile.objects.filter(user_id=model_mia.pk).update(royalty_balance=Decimal("12.00"))
    with pytest.raises(CommandError, match="1 royalty balance"):
        call_command("check_royalties")


def test_the_command_runs_for_a_given_date(fake_stripe, model_mia, business_alice, capsys):
    connect(fake_stripe, model_mia)
    earn(model_mia, business_alice, 10)
    call_command("payouts_run", "--date", "2031-03-10")
    out = capsys.readouterr().out
    assert f"PAID payout:{model_mia.pk}:2031-03-10" in out
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("payouts_run", "--date", "next monday")
    assert PayoutAccount.objects.count() == 1
    assert date.fromisoformat("2031-03-10").weekday() == 0


def _pending(
    model_user, *, minutes_ago: int, take: bool, account, method: str = "stripe"
) -> PayoutEntry:
    """What a crash on MongoDB can leave: the claimed row, the balance moved or not."""
    from django.utils import timezone

    entry = PayoutEntry.objects.create(
        key=f"payout:{model_user.pk}:2031-02-24",
        model_id=model_user.pk,
        amount=Decimal("12.00"),
        method=method,
        state=PayoutState.PENDING,
        run_date=date(2031, 2, 24),
        stripe_account_id=account.stripe_account_id,
        updated_at=timezone.now() - timedelta(minutes=minutes_ago),
    )
    if take:
        ModelProfile.objects.filter(user_id=model_user.pk).update(royalty_balance=Decimal("0.00"))
    return entry


def test_a_pending_row_whose_balance_moved_is_proved_taken_and_sent(
    fake_stripe, model_mia, business_alice, run_date
):
    account = connect(fake_stripe, model_mia)
    earn(model_mia, business_alice, 12)
    entry = _pending(model_mia, minutes_ago=30, take=True, account=account)

    report = payouts_run(run_date=run_date)

    assert report.paid == [entry.key]
    entry.refresh_from_db()
    assert entry.state == PayoutState.PAID
    assert [t["amount"] for t in fake_stripe.transfers.values()] == [1200]
    call_command("check_royalties")


def test_a_pending_manual_payout_whose_balance_moved_is_settled_paid_never_sent(
    fake_stripe, model_mia, business_alice, run_date
):
    """The admin paid by hand: the proved take settles it; nothing goes to Stripe and
    nothing is given back (which would pay the model twice)."""
    account = connect(fake_stripe, model_mia)
    earn(model_mia, business_alice, 12)
    entry = _pending(model_mia, minutes_ago=30, take=True, account=account, method="manual")

    report = payouts_run(run_date=run_date)

    entry.refresh_from_db()
    assert entry.state == PayoutState.PAID
    assert entry.key not in report.paid + report.failed
    assert fake_stripe.transfers == {}
    assert ModelProfile.objects.get(user_id=model_mia.pk).royalty_balance == Decimal("0.00")
    call_command("check_royalties")


def test_a_pending_payout_of_a_held_model_is_proved_taken_but_not_sent(
    fake_stripe, model_mia, business_alice, run_date, admin_ada
):
    from payouts.services import payout_hold

    account = connect(fake_stripe, model_mia)
    earn(model_mia, business_alice, 12)
    payout_hold(model_user_id=model_mia.pk, actor=admin_ada, reason="misuse report open")
    entry = _pending(model_mia, minutes_ago=30, take=True, account=account)

    payouts_run(run_date=run_date)

    entry.refresh_from_db()
    assert entry.state == PayoutState.SENDING
    assert fake_stripe.transfers == {}
    call_command("check_royalties")


def test_a_pending_row_whose_balance_did_not_move_is_cancelled_and_the_model_paid_today(
    fake_stripe, model_mia, business_alice, run_date
):
    account = connect(fake_stripe, model_mia)
    earn(model_mia, business_alice, 12)
    entry = _pending(model_mia, minutes_ago=30, take=False, account=account)

    report = payouts_run(run_date=run_date)

    entry.refresh_from_db()
    assert entry.state == PayoutState.CANCELLED
    assert report.paid == [f"payout:{model_mia.pk}:2031-03-03"]
    assert [t["amount"] for t in fake_stripe.transfers.values()] == [1200]
    call_command("check_royalties")


def test_a_fresh_pending_row_is_left_to_the_run_that_wrote_it(
    fake_stripe, model_mia, business_alice, run_date
):
    account = connect(fake_stripe, model_mia)
    earn(model_mia, business_alice, 12)
    entry = _pending(model_mia, minutes_ago=1, take=True, account=account)

    payouts_run(run_date=run_date)

    entry.refresh_from_db()
    assert entry.state == PayoutState.PENDING
    assert fake_stripe.transfers == {}
    # check_royalties names it for an admin meanwhile.
    from io import StringIO

    err = StringIO()
    with pytest.raises(CommandError):
        call_command("check_royalties", stderr=err)
    assert f"PENDING {entry.key}" in err.getvalue()


def test_a_pending_row_the_ledger_cannot_explain_goes_to_an_admin(
    fake_stripe, model_mia, business_alice, run_date
):
    account = connect(fake_stripe, model_mia)
    earn(model_mia, business_alice, 12)
    entry = _pending(model_mia, minutes_ago=30, take=False, account=account)
    ModelProfile.objects.filter(user_id=model_mia.pk).update(royalty_balance=Decimal("7.00"))

    report = payouts_run(run_date=run_date)

    entry.refresh_from_db()
    assert entry.state == PayoutState.PENDING
    assert "needs an admin" in report.skipped[str(model_mia.pk)]
    assert fake_stripe.transfers == {}


def test_a_hold_also_stops_a_payout_that_was_waiting_for_stripe(
    fake_stripe, model_mia, business_alice, admin_ada, run_date
):
    from payouts.services import payout_hold_release

    connect(fake_stripe, model_mia)
    earn(model_mia, business_alice, 12)
    fake_stripe.down = True
    payouts_run(run_date=run_date)
    fake_stripe.down = False
    payout_hold(model_user_id=model_mia.pk, actor=admin_ada, reason="Report open")

    report = payouts_run(run_date=run_date + timedelta(days=1))

    assert report.paid == [] and fake_stripe.transfers == {}
    assert PayoutEntry.objects.get().state == PayoutState.SENDING
    payout_hold_release(model_user_id=model_mia.pk, actor=admin_ada)
    assert len(payouts_run(run_date=run_date + timedelta(days=2)).paid) == 1
    assert len(fake_stripe.transfers) == 1
