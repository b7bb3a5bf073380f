"""Property test (hypothesis) of the royalty and payout services: any interleaving of
royalties earned, manual payouts, weekly runs (Stripe answering, down, or refusing),
repeated runs and holds keeps every model's balance equal to royalties - payouts +
amounts given back (``check_royalties``), in whole cents and never below zero. Runs
on SQLite and, through ``make test-mongo``, in Mongo mode (fewer examples)."""

from __future__ import annotations

import itertools
import os
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from accounts.models import ModelProfile
from accounts.tests.factories import AdminFactory, BusinessProfileFactory, ModelProfileFactory
from modelsnapper.errors import DomainError
from payouts.models import EntryKind, PayoutEntry, PayoutState
from payouts.services import payout_hold, payout_hold_release, payout_record_manual, payouts_run
from payouts.tests.conftest import connect, earn

pytestmark = pytest.mark.django_db

MONGO = bool(os.environ.get("MONGODB_URI"))
FIRST_RUN = date(2031, 3, 3)  # a Monday; never today's date
CENT = Decimal("0.01")
REFUSAL = (
    400,
    {"error": {"type": "invalid_request_error", "message": "insufficient available funds"}},
)
_ids = itertools.count(1)

payout_ops = st.lists(
    st.tuples(
        st.sampled_from(["earn", "manual", "run", "run", "down", "refuse", "hold", "release"]),
        st.integers(min_value=0, max_value=1),  # which model
        st.integers(min_value=1, max_value=4),  # royalties earned, or the week of a run
        st.sampled_from(["0.01", "0.50", "1.00", "2.50", "7.00", "100.00"]),  # manual amount
    ),
    max_size=16,
)


def _step(fake, op, model, business, admin, count, amount, run_id, position) -> None:
    try:
        if op == "earn":
            earn(model, business, count)
        elif op == "manual":
            payout_record_manual(
                model_user_id=model.pk,
                amount=amount,
                method="bank transfer",
                reference=f"ref-{run_id}-{position}",
                token=f"t{run_id}x{position}",
                actor=admin,
            )
        elif op == "run":
            # Weeks 1..4; the same week twice is a rerun of that date.
            payouts_run(run_date=FIRST_RUN + timedelta(weeks=count - 1))
        elif op == "down":
            fake.down = not fake.down
        elif op == "refuse":
            if "/v1/transfers" in fake.refuse:
                del fake.refuse["/v1/transfers"]
            else:
                fake.refuse["/v1/transfers"] = REFUSAL
        elif op == "hold":
            payout_hold(model_user_id=model.pk, actor=admin, reason="property test")
        elif op == "release":
            payout_hold_release(model_user_id=model.pk, actor=admin)
    except DomainError:
        pass  # refused (more than the balance, not on hold, ...): nothing moved


@settings(
    max_examples=4 if MONGO else 15,
    deadline=None,
    derandomize=True,  # the same examples every run: a failure reproduces
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    # Each step talks to the local Stripe: shrinking a failure would take minutes.
    phases=[Phase.explicit, Phase.generate],
)
@given(ops=payout_ops)
def test_any_interleaving_keeps_balances_equal_to_royalties_minus_payouts(
    fake_stripe, settings, ops
):
    settings.PAYOUT_MINIMUM_USD = Decimal("3.00")  # runs pay often within 16 steps
    fake_stripe.down = False
    fake_stripe.refuse.pop("/v1/transfers", None)
    run_id = next(_ids)
    admin = AdminFactory(email=f"payout-admin{run_id}@modelsnapper.test")
    business = BusinessProfileFactory(user__email=f"payout-shop{run_id}@shop.test").user
    models = [ModelProfileFactory(user__email=f"m{run_id}-{i}@models.test").user for i in (0, 1)]
    for model in models:
        connect(fake_stripe, model)
    for position, (op, which, count, amount) in enumerate(ops):
        _step(fake_stripe, op, models[which], business, admin, count, amount, run_id, position)
        for model in models:
            balance = ModelProfile.objects.get(user_id=model.pk).royalty_balance
            assert balance >= 0
            assert balance == balance.quantize(CENT)
    # Stripe answers again and the holds end (a hold keeps even an unconfirmed payout
    # waiting): what a run left "sending" is settled by the next one.
    fake_stripe.down = False
    fake_stripe.refuse.pop("/v1/transfers", None)
    for model in models:
        _step(fake_stripe, "release", model, business, admin, 1, "0", run_id, -1)
    payouts_run(run_date=FIRST_RUN + timedelta(weeks=8))

    call_command("check_royalties")  # raises on any balance ≠ royalties - payouts + returns
    for model in models:
        payouts = PayoutEntry.objects.filter(model_id=model.pk, kind=EntryKind.PAYOUT)
        assert not payouts.filter(state=PayoutState.SENDING).exists()
        # One payout per model and run date, whatever was repeated.
        keys = list(payouts.values_list("key", flat=True))
        assert len(keys) == len(set(keys))
        assert all(entry.amount > 0 for entry in payouts)
