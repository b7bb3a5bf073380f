"""The payouts page, onboarding through the official SDK, the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from payouts.models import AccountState, PayoutAccount
from payouts.selectors import next_run_date, payouts_page_for
from payouts.services import payout_hold, payout_record_manual, payouts_run
from payouts.tests.conftest import connect, earn

pytestmark = pytest.mark.django_db


@pytest.fixture
def mia_client(client, model_mia):
    client.force_login(model_mia)
    return client


def test_the_page_shows_balance_minimum_next_date_and_method(
    fake_stripe, mia_client, model_mia, business_alice
):
    earn(model_mia, business_alice, 7)
    before = next_run_date(now=timezone.now())
    response = mia_client.get("/payouts/")
    after = next_run_date(now=timezone.now())
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="payout-balance">$7.00<' in html
    assert 'data-testid="payout-minimum">$10.00<' in html
    assert "not reached yet" in html
    # The page's "now" lies between the two (a run may start while it renders).
    assert any(
        f'data-testid="payout-next">{day:%a} {day.day} {day:%b}<' in html for day in (before, after)
    )
    assert "Not set up" in html and "Set up payouts" in html
    assert "Stripe collects your identity, tax and bank details" in html


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_the_next_run_is_the_coming_payout_weekday(settings, model_mia):
    settings.PAYOUT_WEEKDAY = 0  # Monday
    assert next_run_date(now=_utc(2031, 3, 4, 12)) == date(2031, 3, 10)  # Tue → next Mon
    assert next_run_date(now=_utc(2031, 3, 10, 5, 59)) == date(2031, 3, 10)  # before 06:00
    # Once the 06:00 UTC run has started, the next one is a week on, not "today".
    assert next_run_date(now=_utc(2031, 3, 10, 6, 0)) == date(2031, 3, 17)
    assert next_run_date(now=_utc(2031, 3, 10, 23, 30)) == date(2031, 3, 17)
    # The day is UTC's: Monday 07:00 in Tokyo is still Sunday in UTC.
    tokyo = datetime(2031, 3, 10, 7, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert next_run_date(now=tokyo) == date(2031, 3, 10)
    settings.PAYOUT_WEEKDAY = 4
    page = payouts_page_for(user=model_mia, now=_utc(2031, 12, 31, 9))
    assert page is not None and page.next_run == date(2032, 1, 2)


def test_the_dashboard_links_the_payouts_page(mia_client):
    html = mia_client.get("/dashboard/").content.decode()
    assert 'href="/payouts/"' in html


def test_set_up_creates_one_express_account_and_redirects_to_its_link(
    fake_stripe, mia_client, model_mia
):
    response = mia_client.post("/payouts/setup/")

    assert response.status_code == 302
    assert response["Location"].startswith(f"{fake_stripe.base_url}/connect/setup/e/acct_")
    (account,) = fake_stripe.accounts.values()
    assert account["type"] == "express"
    assert account["capabilities"] == {"transfers": "inactive"}
    assert account["email"] == model_mia.email
    assert account["metadata"] == {"model_id": str(model_mia.pk)}
    link_request = next(p for m, path, p in fake_stripe.requests if path == "/v1/account_links")
    assert link_request["type"] == "account_onboarding"
    assert link_request["return_url"].endswith("/payouts/return/")
    assert link_request["refresh_url"].endswith("/payouts/refresh/")
    row = PayoutAccount.objects.get(model_id=model_mia.pk)
    assert (row.stripe_account_id, row.state) == (account["id"], AccountState.ONBOARDING)

    # A second click (or the refresh URL) reuses the account: only a new link.
    mia_client.post("/payouts/setup/")
    assert mia_client.get("/payouts/refresh/").status_code == 302
    assert len(fake_stripe.accounts) == 1
    assert fake_stripe.count("POST", "/v1/account_links") == 3


def test_setup_links_are_limited_per_model_per_hour(
    fake_stripe, mia_client, model_mia, client, model_noah
):
    from payouts.services import ONBOARDING_LINKS_PER_HOUR

    for _ in range(ONBOARDING_LINKS_PER_HOUR):
        assert mia_client.post("/payouts/setup/").status_code == 302
    response = mia_client.post("/payouts/setup/", follow=True)
    assert "setup many times in the last hour" in response.content.decode()
    assert mia_client.get("/payouts/refresh/", follow=True).redirect_chain[-1][0] == "/payouts/"
    assert fake_stripe.count("POST", "/v1/account_links") == ONBOARDING_LINKS_PER_HOUR
    assert len(fake_stripe.accounts) == 1
    # Another model is not held back by Mia's clicks.
    client.force_login(model_noah)
    assert client.post("/payouts/setup/")["Location"].startswith(fake_stripe.base_url)


def test_the_return_page_retrieves_the_account_and_says_what_is_due(
    fake_stripe, mia_client, model_mia
):
    mia_client.post("/payouts/setup/")
    account_id = PayoutAccount.objects.get(model_id=model_mia.pk).stripe_account_id

    response = mia_client.get("/payouts/return/", follow=True)
    assert "Still due: business_type, external_account, tos_acceptance.date" in (
        response.content.decode()
    )
    assert fake_stripe.count("GET", f"/v1/accounts/{account_id}") == 1

    fake_stripe.finish_onboarding(account_id)
    response = mia_client.get("/payouts/return/", follow=True)
    html = response.content.decode()
    assert "Payouts are enabled" in html
    assert 'data-testid="payout-state">Payouts enabled<' in html
    row = PayoutAccount.objects.get(model_id=model_mia.pk)
    assert row.state == AccountState.ENABLED and row.payouts_enabled
    assert row.requirements_due == []


def test_stripe_down_during_setup_says_so_and_creates_nothing(fake_stripe, mia_client, model_mia):
    fake_stripe.down = True
    response = mia_client.post("/payouts/setup/", follow=True)
    assert "Stripe could not be reached. Nothing was changed" in response.content.decode()
    assert fake_stripe.accounts == {}
    assert PayoutAccount.objects.get(model_id=model_mia.pk).stripe_account_id == ""

    fake_stripe.down = False
    assert mia_client.post("/payouts/setup/").status_code == 302
    assert len(fake_stripe.accounts) == 1


def test_a_stripe_refusal_during_setup_is_shown(fake_stripe, mia_client, model_mia):
    fake_stripe.refuse["/v1/accounts"] = (
        400,
        {
            "error": {
                "type": "invalid_request_error",
                "message": "You must complete your platform profile to use Connect.",
            }
        },
    )
    response = mia_client.post("/payouts/setup/", follow=True)
    assert "Stripe refused the request: You must complete your platform profile" in (
        response.content.decode()
    )
    assert PayoutAccount.objects.get(model_id=model_mia.pk).stripe_account_id == ""


def test_stripe_down_on_return_keeps_the_stored_state(fake_stripe, mia_client, model_mia):
    connect(fake_stripe, model_mia)
    fake_stripe.down = True
    response = mia_client.get("/payouts/return/", follow=True)
    assert "Stripe could not be reached" in response.content.decode()
    assert PayoutAccount.objects.get(model_id=model_mia.pk).state == AccountState.ENABLED


def test_without_stripe_the_page_says_an_admin_pays_and_shows_manual_payouts(
    payments_off, mia_client, model_mia, business_alice, admin_ada
):
    earn(model_mia, business_alice, 12)
    payout_record_manual(
        model_user_id=model_mia.pk,
        amount="12.00",
        method="Bank transfer",
        reference="WIRE-77",
        token="t1",
        actor=admin_ada,
    )
    html = mia_client.get("/payouts/").content.decode()
    assert "An admin pays your balance by hand" in html
    assert "Manual payout (Bank transfer)" in html and "WIRE-77" in html
    assert 'data-testid="payout-balance">$0.00<' in html
    response = mia_client.post("/payouts/setup/", follow=True)
    assert "not configured" in response.content.decode()


def test_history_and_csv_show_only_the_models_own_payouts(
    fake_stripe, client, mia_client, model_mia, model_noah, business_alice, run_date
):
    connect(fake_stripe, model_mia)
    connect(fake_stripe, model_noah)
    earn(model_mia, business_alice, 12)
    earn(model_noah, business_alice, 10)
    payouts_run(run_date=run_date)

    html = mia_client.get("/payouts/").content.decode()
    assert "Stripe transfer" in html and "&minus;$12.00" in html
    mia_transfer = next(t for t in fake_stripe.transfers.values() if t["amount"] == 1200)
    assert mia_transfer["id"] in html

    rows = list(csv.reader(io.StringIO(mia_client.get("/payouts/export.csv").content.decode())))
    assert rows[0] == ["date", "type", "amount", "currency", "state", "method", "reference", "key"]
    assert len(rows) == 2
    assert rows[1][1:7] == [
        "payout",
        "-12.00",
        "USD",
        "paid",
        "Stripe transfer",
        mia_transfer["id"],
    ]
    assert rows[1][7] == f"payout:{model_mia.pk}:2031-03-03"
    assert str(model_noah.pk) not in mia_client.get("/payouts/export.csv").content.decode()


def test_a_hold_is_shown_to_the_model(fake_stripe, mia_client, model_mia, admin_ada):
    connect(fake_stripe, model_mia)
    payout_hold(model_user_id=model_mia.pk, actor=admin_ada, reason="Report open")
    assert 'data-testid="payout-hold"' in mia_client.get("/payouts/").content.decode()
