"""In the browser: a model goes from $0 to a received transfer — Stripe Connect
onboarding (the local Stripe plays the hosted page), 12 generations of her likeness,
the weekly run, the history and its CSV."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import BusinessProfile
from generations.models import Generation, GenerationStatus
from generations.services import Wearer, generation_create
from generations.tests.conftest import grant_credits, product_jpeg
from payouts.models import AccountState, PayoutAccount, PayoutEntry, PayoutState

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def test_a_model_goes_from_zero_to_a_received_transfer(
    browser_page,
    screenshot,
    live_server,
    settings,
    fake_stripe,
    business_alice,
    model_mia,
    mia_approves_alice,
):
    settings.SITE_URL = live_server.url
    page = browser_page
    _login(page, live_server, model_mia)

    page.goto("/dashboard/")
    page.get_by_test_id("dashboard-payouts").click()
    page.wait_for_url(re.compile(r"/payouts/$"))
    assert page.get_by_test_id("payout-balance").inner_text() == "$0.00"
    assert page.get_by_test_id("payout-state").inner_text() == "Not set up"
    screenshot("payouts-before-setup")

    page.get_by_test_id("payout-setup").click()
    page.get_by_role("button", name="Agree and submit").wait_for()
    screenshot("payouts-stripe-onboarding")
    page.get_by_role("button", name="Agree and submit").click()
    page.wait_for_url(re.compile(r"/payouts/$"))
    assert "Payouts are enabled" in page.content()
    assert page.get_by_test_id("payout-state").inner_text() == "Payouts enabled"
    account = PayoutAccount.objects.get(model_id=model_mia.pk)
    assert account.state == AccountState.ENABLED

    # Alice makes 12 photos with Mia's likeness; each pays Mia $1.00.
    grant_credits(business_alice, 12)
    generation_create(
        business=BusinessProfile.objects.select_related("package").get(user_id=business_alice.pk),
        wearer=Wearer("model", model_mia.pk),
        category="top",
        photos=[product_jpeg()] * 12,
        batch_key="twelve",
        actor=business_alice,
    )
    assert (
        Generation.objects.filter(model_id=model_mia.pk, status=GenerationStatus.SUCCEEDED).count()
        == 12
    )
    page.reload()
    assert page.get_by_test_id("payout-balance").inner_text() == "$12.00"
    screenshot("payouts-balance-reached")

    call_command("payouts_run", "--date", "2031-03-03")

    page.reload()
    assert page.get_by_test_id("payout-balance").inner_text() == "$0.00"
    assert page.get_by_test_id("payout-paid-total").inner_text() == "$12.00"
    history = page.get_by_test_id("payout-history").inner_text()
    (transfer,) = fake_stripe.transfers.values()
    assert transfer["amount"] == 1200 and transfer["destination"] == account.stripe_account_id
    assert "Stripe transfer" in history and "Paid" in history and transfer["id"] in history
    screenshot("payouts-history")
    with page.expect_download() as download:
        page.get_by_test_id("payout-csv").click()
    body = Path(download.value.path()).read_text(encoding="utf-8")
    assert f"payout:{model_mia.pk}:2031-03-03" in body and "-12.00" in body
    entry = PayoutEntry.objects.get()
    assert entry.state == PayoutState.PAID and entry.amount == Decimal("12.00")
    call_command("check_royalties")
