"""Connect events through the signed webhook: account.updated, deauthorization, reversals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command

from billing.models import EventState, StripeEvent
from billing.tests.fake_stripe import make_event
from payouts.models import AccountState, EntryKind, PayoutAccount, PayoutEntry, PayoutState
from payouts.services import payouts_run
from payouts.tests.conftest import balance_of, connect, earn, paid_transfer

pytestmark = pytest.mark.django_db


def _state(event_id: str) -> str:
    return StripeEvent.objects.get(stripe_event_id=event_id).state


def test_account_updated_keeps_the_state_current_and_ignores_older_news(
    fake_stripe, post_event, model_mia
):
    account = connect(fake_stripe, model_mia)
    restricted = fake_stripe.restrict(account.stripe_account_id)
    newer = make_event("account.updated", restricted, created=2_000_000_100)
    assert post_event(newer).status_code == 200

    account.refresh_from_db()
    assert account.state == AccountState.RESTRICTED
    assert account.payouts_enabled is False
    assert account.requirements_due == ["individual.verification.document"]
    assert account.disabled_reason == "requirements.past_due"

    # An older "enabled" event delivered late changes nothing.
    enabled = fake_stripe.finish_onboarding(account.stripe_account_id)
    post_event(make_event("account.updated", enabled, created=2_000_000_000))
    account.refresh_from_db()
    assert account.state == AccountState.RESTRICTED

    post_event(make_event("account.updated", enabled, created=2_000_000_200))
    account.refresh_from_db()
    assert account.state == AccountState.ENABLED and account.payouts_enabled


def test_a_model_who_loses_payouts_enabled_is_not_paid_and_keeps_the_balance(
    fake_stripe, post_event, model_mia, business_alice, run_date
):
    account = connect(fake_stripe, model_mia)
    earn(model_mia, business_alice, 12)
    post_event(make_event("account.updated", fake_stripe.restrict(account.stripe_account_id)))

    report = payouts_run(run_date=run_date)

    assert report.skipped[str(model_mia.pk)] == "payouts not enabled in Stripe"
    assert fake_stripe.transfers == {}
    assert balance_of(model_mia) == Decimal("12.00")


def test_an_account_of_someone_else_is_ignored(fake_stripe, post_event, model_mia):
    stranger = fake_stripe._create_account({"type": "express"})[1]
    event = make_event("account.updated", stranger)
    post_event(event)
    assert _state(event["id"]) == EventState.IGNORED
    assert PayoutAccount.objects.count() == 0


def test_a_deauthorized_account_is_disconnected_and_its_balance_stays_owed(
    fake_stripe, post_event, model_mia, business_alice, run_date
):
    account = connect(fake_stripe, model_mia)
    earn(model_mia, business_alice, 12)
    event = make_event(
        "account.application.deauthorized",
        {"id": "ca_test_app", "object": "application", "name": "ModelSnapper"},
    )
    event["account"] = account.stripe_account_id
    post_event(event)

    account.refresh_from_db()
    assert account.state == AccountState.DISCONNECTED
    assert not account.payouts_enabled
    assert payouts_run(run_date=run_date).paid == []
    assert balance_of(model_mia) == Decimal("12.00")
    # A late account.updated does not bring a disconnected account back.
    post_event(make_event("account.updated", fake_stripe.accounts[account.stripe_account_id]))
    account.refresh_from_db()
    assert account.state == AccountState.DISCONNECTED


def test_transfer_reversed_gives_the_amount_back_exactly_once(
    fake_stripe, post_event, model_mia, business_alice, run_date
):
    transfer_id = paid_transfer(fake_stripe, model_mia, business_alice, run_date)
    event = make_event("transfer.reversed", fake_stripe.reverse(transfer_id))

    post_event(event)
    post_event(event)  # Stripe redelivers

    assert _state(event["id"]) == EventState.SUCCEEDED
    payout = PayoutEntry.objects.get(kind=EntryKind.PAYOUT)
    assert payout.state == PayoutState.REVERSED
    back = PayoutEntry.objects.get(kind=EntryKind.RETURN)
    (reversal,) = fake_stripe.transfers[transfer_id]["reversals"]["data"]
    assert back.key == f"return:{payout.key}:{reversal['id']}"
    assert back.amount == Decimal("12.00")
    assert balance_of(model_mia) == Decimal("12.00")
    # The same news under another event id gives nothing more.
    again = make_event("transfer.reversed", fake_stripe.transfers[transfer_id])
    post_event(again)
    assert _state(again["id"]) == EventState.IGNORED
    assert balance_of(model_mia) == Decimal("12.00")
    call_command("check_royalties")


def test_a_partial_reversal_gives_back_only_what_was_reversed(
    fake_stripe, post_event, model_mia, business_alice, run_date
):
    transfer_id = paid_transfer(fake_stripe, model_mia, business_alice, run_date)
    post_event(make_event("transfer.reversed", fake_stripe.reverse(transfer_id, amount=450)))
    assert balance_of(model_mia) == Decimal("4.50")
    call_command("check_royalties")


def test_each_part_of_a_transfer_reversed_in_parts_is_given_back_once_in_any_order(
    fake_stripe, post_event, model_mia, business_alice, run_date
):
    transfer_id = paid_transfer(fake_stripe, model_mia, business_alice, run_date)
    first = make_event("transfer.reversed", fake_stripe.reverse(transfer_id, amount=450))
    second = make_event("transfer.reversed", fake_stripe.reverse(transfer_id, amount=300))

    # The second part's news arrives first: it names both parts, both come back.
    post_event(second)
    assert balance_of(model_mia) == Decimal("7.50")
    # The first part's event, late, and both again: nothing more.
    for event in (first, second, first):
        post_event(event)
    assert balance_of(model_mia) == Decimal("7.50")
    assert _state(first["id"]) == EventState.IGNORED
    returns = PayoutEntry.objects.filter(kind=EntryKind.RETURN).order_by("amount")
    assert [r.amount for r in returns] == [Decimal("3.00"), Decimal("4.50")]

    # A third part, then the rest: each once, never more than was paid.
    post_event(make_event("transfer.reversed", fake_stripe.reverse(transfer_id, amount=50)))
    post_event(make_event("transfer.reversed", fake_stripe.reverse(transfer_id)))
    assert balance_of(model_mia) == Decimal("12.00")
    assert PayoutEntry.objects.filter(kind=EntryKind.RETURN).count() == 4
    assert PayoutEntry.objects.get(kind=EntryKind.PAYOUT).state == PayoutState.REVERSED
    call_command("check_royalties")


def test_reversals_beyond_the_embedded_page_are_listed_from_stripe(
    fake_stripe, post_event, model_mia, business_alice, run_date
):
    transfer_id = paid_transfer(fake_stripe, model_mia, business_alice, run_date)
    fake_stripe.reverse(transfer_id, amount=200)
    transfer = fake_stripe.reverse(transfer_id, amount=100)
    # Stripe embeds only the first page of the list: here, one of the two parts.
    transfer["reversals"].update(data=transfer["reversals"]["data"][1:], has_more=True)

    post_event(make_event("transfer.reversed", transfer))

    assert fake_stripe.reversal_list_calls == 1
    assert balance_of(model_mia) == Decimal("3.00")
    call_command("check_royalties")


def test_a_return_made_before_reversals_had_their_own_keys_counts_for_the_oldest_parts(
    fake_stripe, post_event, model_mia, business_alice, run_date
):
    from payouts.services import _give_back

    transfer_id = paid_transfer(fake_stripe, model_mia, business_alice, run_date)
    fake_stripe.reverse(transfer_id, amount=450)
    # As the handler before per-reversal keys wrote it: the reversed total, one key.
    payout = PayoutEntry.objects.get(kind=EntryKind.PAYOUT)
    _give_back(payout, state=PayoutState.REVERSED, error="reversed", amount=Decimal("4.50"))
    assert balance_of(model_mia) == Decimal("4.50")

    post_event(make_event("transfer.reversed", fake_stripe.reverse(transfer_id, amount=300)))

    assert balance_of(model_mia) == Decimal("7.50")  # the new part only, not 4.50 again
    call_command("check_royalties")


def test_never_more_comes_back_than_the_payout_whatever_path_returns_it(
    fake_stripe, post_event, model_mia, business_alice, run_date
):
    from payouts.services import _give_back

    transfer_id = paid_transfer(fake_stripe, model_mia, business_alice, run_date)
    post_event(make_event("transfer.reversed", fake_stripe.reverse(transfer_id, amount=450)))
    payout = PayoutEntry.objects.get(kind=EntryKind.PAYOUT)

    # A refusal's full give-back on top (a path that cannot meet a reversal in practice).
    assert _give_back(payout, state=PayoutState.FAILED, error="refused") is False

    assert balance_of(model_mia) == Decimal("4.50")
    assert PayoutEntry.objects.filter(kind=EntryKind.RETURN).count() == 1
    call_command("check_royalties")


def test_a_reversal_missing_from_the_events_list_is_looked_up_and_retried_until_found(
    fake_stripe, post_event, model_mia, business_alice, run_date
):
    transfer_id = paid_transfer(fake_stripe, model_mia, business_alice, run_date)
    transfer = fake_stripe.reverse(transfer_id, amount=450)
    transfer["reversals"]["data"] = []  # "complete", yet short of amount_reversed
    event = make_event("transfer.reversed", transfer)
    stored = fake_stripe.transfers[transfer_id]["reversals"]["data"]
    fake_stripe.transfers[transfer_id]["reversals"]["data"] = []  # Stripe's list lags too

    post_event(event)
    assert _state(event["id"]) == EventState.FAILED  # kept for redelivery, not ignored
    assert balance_of(model_mia) == Decimal("0.00")

    fake_stripe.transfers[transfer_id]["reversals"]["data"] = stored
    post_event(event)  # Stripe redelivers a failed event
    assert _state(event["id"]) == EventState.SUCCEEDED
    assert balance_of(model_mia) == Decimal("4.50")
    call_command("check_royalties")


def test_a_reversal_of_a_transfer_we_did_not_make_is_ignored(fake_stripe, post_event, model_mia):
    account = connect(fake_stripe, model_mia)
    transfer = fake_stripe._create_transfer(
        {"amount": "500", "destination": account.stripe_account_id, "currency": "usd"}
    )[1]
    event = make_event("transfer.reversed", fake_stripe.reverse(transfer["id"]))
    post_event(event)
    assert _state(event["id"]) == EventState.IGNORED
    assert balance_of(model_mia) == Decimal("0.00")


def test_a_connect_endpoints_event_is_verified_with_its_own_secret(
    fake_stripe, settings, client, model_mia
):
    import json

    from billing.tests.fake_stripe import sign

    settings.STRIPE_CONNECT_WEBHOOK_SECRET = "whsec_connect_test"
    account = connect(fake_stripe, model_mia)
    body = json.dumps(
        make_event("account.updated", fake_stripe.restrict(account.stripe_account_id))
    ).encode()

    def deliver(secret: str):
        return client.post(
            "/billing/stripe/webhook/",
            data=body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=sign(body, secret=secret),
        )

    assert deliver("whsec_someone_else").status_code == 400
    account.refresh_from_db()
    assert account.state == AccountState.ENABLED
    assert deliver("whsec_connect_test").status_code == 200
    account.refresh_from_db()
    assert account.state == AccountState.RESTRICTED


def test_an_account_updated_that_beats_the_setup_request_is_kept(
    fake_stripe, post_event, model_mia
):
    from payouts.services import payout_account_of

    payout_account_of(model_user_id=model_mia.pk)  # the setup request is still waiting on Stripe
    created = fake_stripe._create_account(
        {"type": "express", "metadata": {"model_id": str(model_mia.pk)}}
    )[1]
    post_event(make_event("account.updated", fake_stripe.finish_onboarding(created["id"])))

    account = PayoutAccount.objects.get(model_id=model_mia.pk)
    assert account.stripe_account_id == created["id"]
    assert account.state == AccountState.ENABLED
