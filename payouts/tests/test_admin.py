"""The payouts admin: list with filters, manual payouts, holds, the owed total."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from accounts.models import ModelProfile
from payouts.models import PayoutAccount, PayoutEntry, PayoutState
from payouts.services import payouts_run
from payouts.tests.conftest import balance_of, connect, earn

pytestmark = pytest.mark.django_db

BALANCES = "/admin/payouts/modelbalance/"


@pytest.fixture
def ada_client(client, admin_ada):
    client.force_login(admin_ada)
    return client


def _profile(user) -> ModelProfile:
    return ModelProfile.objects.get(user_id=user.pk)


def test_the_overview_and_lists_show_what_the_platform_owes(
    fake_stripe, ada_client, model_mia, model_noah, business_alice
):
    earn(model_mia, business_alice, 12)
    earn(model_noah, business_alice, 3)
    html = ada_client.get("/admin/").content.decode()
    assert 'data-testid="owed-total"' in html
    assert "<strong>$15.00</strong> in royalty balances of 2 models" in html
    assert "$15.00" in ada_client.get(BALANCES).content.decode()


def test_an_admin_records_a_manual_payout_through_the_action(
    payments_off, ada_client, admin_ada, model_mia, business_alice
):
    earn(model_mia, business_alice, 12)
    pk = _profile(model_mia).pk
    form = ada_client.post(BALANCES, {"action": "record_manual_payout", ACTION_CHECKBOX_NAME: [pk]})
    token = form.context["form"]["token"].value()
    data = {
        "action": "record_manual_payout",
        ACTION_CHECKBOX_NAME: [pk],
        "apply": "1",
        "amount": "12.00",
        "method": "Bank transfer",
        "reference": "WIRE-9",
        "token": token,
    }
    response = ada_client.post(BALANCES, data, follow=True)
    assert "paid $12.00, balance now $0.00" in response.content.decode()
    # The same form submitted again records nothing more.
    response = ada_client.post(BALANCES, data, follow=True)
    assert "already recorded" in response.content.decode()
    entry = PayoutEntry.objects.get()
    assert (entry.method, entry.state, entry.actor_id) == ("manual", PayoutState.PAID, admin_ada.pk)
    assert balance_of(model_mia) == Decimal("0.00")


def test_a_manual_payout_above_the_balance_is_refused(
    payments_off, ada_client, model_mia, business_alice
):
    earn(model_mia, business_alice, 5)
    pk = _profile(model_mia).pk
    response = ada_client.post(
        BALANCES,
        {
            "action": "record_manual_payout",
            ACTION_CHECKBOX_NAME: [pk],
            "apply": "1",
            "amount": "6.00",
            "method": "PayPal",
            "reference": "PP-1",
            "token": "abc123",
        },
        follow=True,
    )
    assert "does not cover this amount" in response.content.decode()
    assert balance_of(model_mia) == Decimal("5.00")


def test_a_hold_from_the_admin_is_respected_by_the_run_until_released(
    fake_stripe, ada_client, model_mia, business_alice, run_date
):
    connect(fake_stripe, model_mia)
    earn(model_mia, business_alice, 12)
    pk = _profile(model_mia).pk
    ada_client.post(
        BALANCES,
        {
            "action": "hold_payouts",
            ACTION_CHECKBOX_NAME: [pk],
            "apply": "1",
            "reason": "Misuse report open",
        },
    )
    account = PayoutAccount.objects.get(model_id=model_mia.pk)
    assert account.on_hold and account.hold_reason == "Misuse report open"
    assert "Misuse report open" in ada_client.get(BALANCES).content.decode()
    assert payouts_run(run_date=run_date).paid == []

    ada_client.post(BALANCES, {"action": "release_hold", ACTION_CHECKBOX_NAME: [pk]})
    assert payouts_run(run_date=run_date).paid == [f"payout:{model_mia.pk}:2031-03-03"]


def test_the_payouts_list_filters_by_state_and_method(
    fake_stripe, ada_client, model_mia, model_noah, business_alice, run_date
):
    connect(fake_stripe, model_mia)
    earn(model_mia, business_alice, 12)
    payouts_run(run_date=run_date)
    html = ada_client.get("/admin/payouts/payoutentry/?state__exact=paid").content.decode()
    assert f"payout:{model_mia.pk}:2031-03-03" in html
    html = ada_client.get("/admin/payouts/payoutentry/?state__exact=failed").content.decode()
    assert f"payout:{model_mia.pk}:2031-03-03" not in html
    html = ada_client.get("/admin/payouts/payoutentry/?method__exact=manual").content.decode()
    assert f"payout:{model_mia.pk}" not in html


def test_models_and_businesses_cannot_reach_the_payouts_admin(client, model_mia):
    client.force_login(model_mia)
    assert client.get("/admin/payouts/payoutentry/").status_code == 302


def test_the_admin_dashboard_shows_the_owed_total(
    fake_stripe, client, admin_ada, model_mia, business_alice, run_date
):
    connect(fake_stripe, model_mia)
    earn(model_mia, business_alice, 12)
    client.force_login(admin_ada)
    assert 'data-testid="royalties-owed">$12.00<' in client.get("/dashboard/").content.decode()
    payouts_run(run_date=run_date)
    assert 'data-testid="royalties-owed">$0.00<' in client.get("/dashboard/").content.decode()
