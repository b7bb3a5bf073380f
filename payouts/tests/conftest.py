from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.models import ModelProfile
from billing.tests.conftest import fake_stripe, payments_off, post_event  # noqa: F401 (fixtures)
from generations.models import GenerationStatus
from generations.services import royalty_credit
from generations.tests.conftest import (  # noqa: F401 (fixtures)
    human_package,
    mia_approves_alice,
    release,
)
from generations.tests.factories import HumanModelGenerationFactory
from payouts.models import AccountState, PayoutAccount
from payouts.services import payout_account_of

RUN_DATE_ISO = "2031-03-03"  # a Monday; tests never depend on today's date


def earn(model_user, business_user, count: int) -> list:
    """``count`` succeeded generations of the model's likeness, each paid its royalty
    through the real service (royalty_credit)."""
    generations = []
    for _ in range(count):
        generation = HumanModelGenerationFactory(
            model=model_user,
            user=business_user,
            status=GenerationStatus.SUCCEEDED,
            royalty_paid=Decimal("1.00"),
        )
        royalty_credit(generation=generation)
        generations.append(generation)
    return generations


def balance_of(model_user) -> Decimal:
    return ModelProfile.objects.get(user_id=model_user.pk).royalty_balance


def connect(fake, model_user, *, enabled: bool = True) -> PayoutAccount:
    """The model has an Express account in the fake Stripe that finished onboarding."""
    from billing import stripe_gateway

    info = stripe_gateway.connect_account_create(
        model_id=str(model_user.pk),
        email=model_user.email,
        idempotency_key=f"test-{model_user.pk}",
    )
    fake.finish_onboarding(info.id, enabled=enabled)
    account = payout_account_of(model_user_id=model_user.pk)
    PayoutAccount.objects.filter(pk=account.pk).update(
        stripe_account_id=info.id,
        state=AccountState.ENABLED if enabled else AccountState.RESTRICTED,
        payouts_enabled=enabled,
        details_submitted=True,
    )
    account.refresh_from_db()
    return account


def paid_transfer(fake, model_user, business_user, run_date, *, dollars: int = 12) -> str:
    """The model, set up for payouts, earns ``dollars`` and the run pays them: the
    transfer's id."""
    from payouts.services import payouts_run

    connect(fake, model_user)
    earn(model_user, business_user, dollars)
    payouts_run(run_date=run_date)
    (transfer_id,) = fake.transfers
    return transfer_id


@pytest.fixture
def run_date():
    from datetime import date

    return date.fromisoformat(RUN_DATE_ISO)
