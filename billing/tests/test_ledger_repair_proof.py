"""check_ledgers --repair decides by proof (the key recorded with the balance move),
never by guessing which subset of pending rows explains the balance."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from accounts.models import BusinessProfile
from billing import services
from billing.models import CreditLedgerEntry
from billing.tests.test_ledger import _crash_after_ledger_insert, _fresh

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(business_alice) -> BusinessProfile:
    return BusinessProfile.objects.get(user=business_alice)


def test_two_pending_rows_that_did_move_minus_one_plus_one_are_both_kept(alice):
    services.credits_grant(business=alice, amount=5, key="grant:cs_1")
    _crash_after_ledger_insert(alice, key="spend:gen_1", delta=-1, balance_moved=True)
    _crash_after_ledger_insert(alice, key="refund:gen_1", delta=1, balance_moved=True)

    decisions = services.ledger_repair(business=alice)

    assert all("marked applied" in line for line in decisions), decisions
    assert set(CreditLedgerEntry.objects.values_list("state", flat=True)) == {"applied"}
    assert CreditLedgerEntry.objects.count() == 3
    call_command("check_ledgers", recheck_delay=0)
    # The retries of both callers see their movements as done: nothing moves twice.
    services.credits_spend(business=alice, amount=1, key="spend:gen_1")
    services.credits_refund(business=alice, amount=1, key="refund:gen_1")
    assert _fresh(alice) == 5


def test_a_moved_and_an_unmoved_row_of_the_same_size_are_told_apart(alice):
    services.credits_grant(business=alice, amount=5, key="grant:cs_1")
    _crash_after_ledger_insert(alice, key="spend:gen_a", delta=-1, balance_moved=False)
    _crash_after_ledger_insert(alice, key="spend:gen_b", delta=-1, balance_moved=True)

    services.ledger_repair(business=alice)

    assert not CreditLedgerEntry.objects.filter(key="spend:gen_a").exists()
    assert CreditLedgerEntry.objects.get(key="spend:gen_b").state == "applied"
    call_command("check_ledgers", recheck_delay=0)


def test_a_row_from_before_keys_were_recorded_is_left_for_an_admin(alice, capsys):
    services.credits_grant(business=alice, amount=5, key="grant:cs_1")
    CreditLedgerEntry.objects.create(
        business=alice,
        delta=-1,
        reason="spend",
        key="spend:legacy",
        state="pending",
        created_at=timezone.now() - timedelta(minutes=5),
    )
    BusinessProfile.objects.filter(pk=alice.pk).update(ai_credits=4)  # it had moved, unrecorded

    with pytest.raises(CommandError):
        call_command("check_ledgers", "--repair", recheck_delay=0)

    assert "left for an admin" in capsys.readouterr().err
    assert CreditLedgerEntry.objects.get(key="spend:legacy").state == "pending"
    assert _fresh(alice) == 4


def test_a_key_pushed_out_by_many_later_movements_is_left_for_an_admin(alice):
    services.credits_grant(business=alice, amount=500, key="grant:cs_1")
    _crash_after_ledger_insert(alice, key="spend:old", delta=-1, balance_moved=True)
    for i in range(services.LEDGER_KEYS_KEPT + 1):
        services.credits_spend(business=alice, amount=1, key=f"spend:later-{i}")

    decisions = services.ledger_repair(business=alice)

    assert decisions == ["spend:old: cannot be proven either way → left for an admin"]
    assert CreditLedgerEntry.objects.get(key="spend:old").state == "pending"


def test_the_balance_document_keeps_a_bounded_list_of_recent_keys(alice):
    for i in range(services.LEDGER_KEYS_KEPT + 10):
        services.credits_grant(business=alice, amount=1, key=f"grant:{i}")
    keys = BusinessProfile.objects.get(pk=alice.pk).recent_ledger_keys
    assert len(keys) == services.LEDGER_KEYS_KEPT
    assert keys[-1] == f"grant:{services.LEDGER_KEYS_KEPT + 9}"


def test_a_refused_spend_records_no_key(alice):
    with pytest.raises(services.InsufficientCredits):
        services.credits_spend(business=alice, amount=1, key="spend:refused")
    assert BusinessProfile.objects.get(pk=alice.pk).recent_ledger_keys == []
