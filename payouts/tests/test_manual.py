"""Manual payouts by admins (payments off): the same service and ledger."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command

from modelsnapper.errors import DomainError
from payouts.models import PayoutEntry, PayoutMethod, PayoutState
from payouts.services import PayoutCode, payout_record_manual
from payouts.tests.conftest import balance_of, earn

pytestmark = pytest.mark.django_db


def _record(actor, model, **overrides):
    fields = {
        "model_user_id": model.pk,
        "amount": "12.00",
        "method": "Bank transfer",
        "reference": "WIRE-2031-001",
        "token": "tok1",
        "actor": actor,
        **overrides,
    }
    return payout_record_manual(**fields)


def test_an_admin_records_a_manual_payout_that_takes_the_balance(
    payments_off, admin_ada, model_mia, business_alice
):
    earn(model_mia, business_alice, 15)

    entry = _record(admin_ada, model_mia)

    assert entry.key == f"payout:{model_mia.pk}:manual:tok1"
    assert (entry.method, entry.state, entry.amount) == (
        PayoutMethod.MANUAL,
        PayoutState.PAID,
        Decimal("12.00"),
    )
    assert (entry.manual_method, entry.reference, entry.actor_id) == (
        "Bank transfer",
        "WIRE-2031-001",
        admin_ada.pk,
    )
    assert balance_of(model_mia) == Decimal("3.00")
    call_command("check_royalties")


def test_a_double_submit_records_one_payout(payments_off, admin_ada, model_mia, business_alice):
    earn(model_mia, business_alice, 30)
    _record(admin_ada, model_mia)
    with pytest.raises(DomainError) as refused:
        _record(admin_ada, model_mia)
    assert refused.value.code == PayoutCode.DUPLICATE
    assert PayoutEntry.objects.count() == 1
    assert balance_of(model_mia) == Decimal("18.00")


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "above $0.00"),
        ("-5", "above $0.00"),
        ("1.005", "whole cents"),
        ("abc", "such as 25.00"),
        ("NaN", "above $0.00"),
        ("20.00", "does not cover"),
    ],
)
def test_bad_amounts_are_refused_and_nothing_is_taken(
    payments_off, admin_ada, model_mia, business_alice, amount, message
):
    earn(model_mia, business_alice, 15)
    with pytest.raises(DomainError, match=message.replace("$", r"\$")):
        _record(admin_ada, model_mia, amount=amount)
    assert balance_of(model_mia) == Decimal("15.00")
    assert not PayoutEntry.objects.filter(state=PayoutState.PAID).exists()
    call_command("check_royalties")


def test_only_an_admin_records_a_payout(payments_off, model_mia, model_noah, business_alice):
    earn(model_mia, business_alice, 15)
    with pytest.raises(DomainError) as refused:
        _record(model_noah, model_mia)
    assert refused.value.code == PayoutCode.NOT_ADMIN
    assert PayoutEntry.objects.count() == 0


def test_a_reference_is_required(payments_off, admin_ada, model_mia, business_alice):
    earn(model_mia, business_alice, 15)
    with pytest.raises(DomainError, match="reference"):
        _record(admin_ada, model_mia, reference="  ")
    assert balance_of(model_mia) == Decimal("15.00")
