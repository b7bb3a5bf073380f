"""The credit ledger services and check_ledgers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import BusinessProfile
from billing import services
from billing.models import CreditLedgerEntry
from modelsnapper.errors import DomainError

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(business_alice) -> BusinessProfile:
    return BusinessProfile.objects.get(user=business_alice)


def _fresh(business: BusinessProfile) -> int:
    return BusinessProfile.objects.get(pk=business.pk).ai_credits


def test_grant_adds_credits_and_writes_one_ledger_row(alice, admin_ada):
    entry = services.credits_grant(
        business=alice, amount=10, key="grant:cs_1", actor=admin_ada, note="Starter"
    )

    assert _fresh(alice) == 10
    assert alice.ai_credits == 10  # the caller's object follows
    assert (entry.delta, entry.reason, entry.balance_after, entry.state) == (
        10,
        "grant",
        10,
        "applied",
    )
    assert (entry.actor, entry.note) == (admin_ada, "Starter")


def test_a_repeated_key_changes_nothing_and_returns_the_first_row(alice):
    first = services.credits_grant(business=alice, amount=10, key="grant:cs_1")

    again = services.credits_grant(business=alice, amount=10, key="grant:cs_1")

    assert again.pk == first.pk
    assert _fresh(alice) == 10
    assert CreditLedgerEntry.objects.count() == 1


def test_a_key_reused_for_another_amount_is_refused(alice):
    services.credits_grant(business=alice, amount=10, key="grant:cs_1")

    with pytest.raises(DomainError) as error:
        services.credits_grant(business=alice, amount=11, key="grant:cs_1")

    assert error.value.code == "key_reused"
    assert _fresh(alice) == 10


def test_a_key_reused_for_another_business_is_refused(alice, business_bob):
    bob = BusinessProfile.objects.get(user=business_bob)
    services.credits_grant(business=alice, amount=10, key="grant:cs_1")

    with pytest.raises(DomainError):
        services.credits_grant(business=bob, amount=10, key="grant:cs_1")

    assert _fresh(bob) == 0


def test_spend_takes_credits_once_per_key(alice):
    services.credits_grant(business=alice, amount=3, key="grant:cs_1")

    entry = services.credits_spend(business=alice, amount=2, key="spend:gen_1")
    services.credits_spend(business=alice, amount=2, key="spend:gen_1")

    assert _fresh(alice) == 1
    assert (entry.delta, entry.reason, entry.balance_after) == (-2, "spend", 1)


def test_it_refuses_a_spend_beyond_the_balance_and_writes_nothing(alice):
    services.credits_grant(business=alice, amount=2, key="grant:cs_1")

    with pytest.raises(services.InsufficientCredits) as error:
        services.credits_spend(business=alice, amount=5, key="spend:gen_1")

    assert error.value.missing == 3
    assert error.value.code == "insufficient_credits"
    assert isinstance(error.value, DomainError)
    assert _fresh(alice) == 2
    assert not CreditLedgerEntry.objects.filter(key="spend:gen_1").exists()


def test_a_refused_spend_can_be_retried_with_the_same_key_after_a_grant(alice):
    with pytest.raises(services.InsufficientCredits):
        services.credits_spend(business=alice, amount=1, key="spend:gen_1")
    services.credits_grant(business=alice, amount=1, key="grant:cs_1")

    services.credits_spend(business=alice, amount=1, key="spend:gen_1")

    assert _fresh(alice) == 0


def test_a_stale_in_memory_balance_cannot_overspend(alice):
    services.credits_grant(business=alice, amount=1, key="grant:cs_1")
    stale = BusinessProfile.objects.get(pk=alice.pk)  # believes it has 1 credit
    services.credits_spend(business=alice, amount=1, key="spend:gen_1")

    assert stale.ai_credits == 1
    with pytest.raises(services.InsufficientCredits):
        services.credits_spend(business=stale, amount=1, key="spend:gen_2")

    assert _fresh(alice) == 0


def test_refund_gives_credits_back_once(alice):
    services.credits_refund(business=alice, amount=1, key="refund:gen_1")
    services.credits_refund(business=alice, amount=1, key="refund:gen_1")

    assert _fresh(alice) == 1
    assert CreditLedgerEntry.objects.get().reason == "refund"


@pytest.mark.parametrize("amount", [0, -1, True, "3", 1.5, None])
def test_invalid_amounts_are_refused(alice, amount):
    for service in (services.credits_grant, services.credits_spend, services.credits_refund):
        with pytest.raises(DomainError):
            service(business=alice, amount=amount, key="k:1")

    assert CreditLedgerEntry.objects.count() == 0
    assert _fresh(alice) == 0


@pytest.mark.parametrize("key", ["", "   ", "x" * 256, None])
def test_a_key_is_required(alice, key):
    with pytest.raises(DomainError):
        services.credits_grant(business=alice, amount=1, key=key)

    assert CreditLedgerEntry.objects.count() == 0


def test_admin_adjustment_grants_and_takes_back(alice, admin_ada):
    services.credits_adjust(business=alice, delta=5, reason="Goodwill", actor=admin_ada)
    entry = services.credits_adjust(business=alice, delta=-2, reason="Correction", actor=admin_ada)

    assert _fresh(alice) == 3
    assert (entry.reason, entry.note, entry.actor) == ("adjustment", "Correction", admin_ada)
    assert CreditLedgerEntry.objects.count() == 2


def test_admin_adjustment_never_goes_below_zero(alice, admin_ada):
    services.credits_adjust(business=alice, delta=2, reason="Goodwill", actor=admin_ada)

    with pytest.raises(services.InsufficientCredits) as error:
        services.credits_adjust(business=alice, delta=-5, reason="Oops", actor=admin_ada)

    assert error.value.missing == 3
    assert _fresh(alice) == 2


@pytest.mark.parametrize(("delta", "reason"), [(0, "why"), (3, ""), (3, "   "), (True, "x")])
def test_admin_adjustment_needs_a_delta_and_a_reason(alice, admin_ada, delta, reason):
    with pytest.raises(DomainError):
        services.credits_adjust(business=alice, delta=delta, reason=reason, actor=admin_ada)

    assert CreditLedgerEntry.objects.count() == 0


def test_admin_adjustment_with_a_key_is_idempotent(alice, admin_ada):
    for _ in range(2):
        services.credits_adjust(
            business=alice, delta=4, reason="Goodwill", actor=admin_ada, key="adjust:form-1"
        )

    assert _fresh(alice) == 4


# --- check_ledgers and crash repair --------------------------------------------------------


def test_check_ledgers_passes_when_balances_match(alice, business_bob, capsys):
    services.credits_grant(business=alice, amount=5, key="grant:cs_1")
    services.credits_spend(business=alice, amount=2, key="spend:gen_1")

    call_command("check_ledgers", recheck_delay=0)

    assert "All credit balances match" in capsys.readouterr().out


def test_check_ledgers_fails_naming_the_account_that_does_not_match(alice, business_bob, capsys):
    services.credits_grant(business=alice, amount=5, key="grant:cs_1")
    # A write that bypassed the services (exactly what the command exists to catch).
    BusinessProfile.objects.filter(pk=alice.pk).update(ai_credits=9)

    with pytest.raises(CommandError, match="1 credit balance"):
        call_command("check_ledgers", recheck_delay=0)

    err = capsys.readouterr().err
    assert "alice@boutique.test" in err
    assert "aiCredits=9, ledger sum=5" in err
    assert "bob@brand.test" not in err


def _crash_after_ledger_insert(business, *, key: str, delta: int, balance_moved: bool):
    """What a crash between the two writes of a movement leaves behind: the pending row,
    and (if the balance moved) the single-document update, which records the key too."""
    from modelsnapper.counters import add_and_read

    CreditLedgerEntry.objects.create(
        business=business,
        delta=delta,
        reason="grant" if delta > 0 else "spend",
        key=key,
        state="pending",
        created_at=timezone.now() - timedelta(minutes=5),
        key_tracked=True,
    )
    if balance_moved:
        add_and_read(
            BusinessProfile,
            match={"pk": business.pk},
            field="ai_credits",
            delta=delta,
            record=("recent_ledger_keys", key),
        )


def test_a_crash_after_the_balance_moved_is_detected_and_repaired(alice, capsys):
    services.credits_grant(business=alice, amount=5, key="grant:cs_1")
    _crash_after_ledger_insert(alice, key="spend:gen_1", delta=-1, balance_moved=True)

    with pytest.raises(CommandError):
        call_command("check_ledgers", recheck_delay=0)
    assert "1 pending row(s)" in capsys.readouterr().err

    call_command("check_ledgers", "--repair", recheck_delay=0)

    assert CreditLedgerEntry.objects.get(key="spend:gen_1").state == "applied"
    assert _fresh(alice) == 4
    # The caller's retry with the same key now sees the movement as done.
    services.credits_spend(business=alice, amount=1, key="spend:gen_1")
    assert _fresh(alice) == 4


def test_a_crash_before_the_balance_moved_is_repaired_and_the_retry_applies_it(alice, capsys):
    services.credits_grant(business=alice, amount=5, key="grant:cs_1")
    _crash_after_ledger_insert(alice, key="spend:gen_1", delta=-1, balance_moved=False)
    call_command("check_ledgers", recheck_delay=0)  # balances agree; the row is in doubt
    assert "in doubt" in capsys.readouterr().err

    call_command("check_ledgers", "--repair", recheck_delay=0)

    assert not CreditLedgerEntry.objects.filter(key="spend:gen_1").exists()
    services.credits_spend(business=alice, amount=1, key="spend:gen_1")
    assert _fresh(alice) == 4
    call_command("check_ledgers", recheck_delay=0)


def test_ledger_repair_removes_an_unapplied_pending_row(alice):
    services.credits_grant(business=alice, amount=5, key="grant:cs_1")
    _crash_after_ledger_insert(alice, key="spend:gen_1", delta=-1, balance_moved=False)

    decisions = services.ledger_repair(business=alice)

    assert decisions == ["spend:gen_1: key absent from the balance → removed (never moved)"]
    services.credits_spend(business=alice, amount=1, key="spend:gen_1")
    assert _fresh(alice) == 4
    call_command("check_ledgers", recheck_delay=0)


def test_ledger_repair_leaves_a_movement_in_flight_alone(alice):
    CreditLedgerEntry.objects.create(
        business=alice, delta=1, reason="grant", key="grant:inflight", state="pending"
    )

    with pytest.raises(DomainError) as error:
        services.ledger_repair(business=alice)

    assert error.value.code == "busy"
    assert CreditLedgerEntry.objects.get().state == "pending"


def test_a_same_key_call_waits_then_reports_a_movement_in_doubt(alice, monkeypatch):
    monkeypatch.setattr(services, "SETTLE_WAIT_SECONDS", 0.1)
    _crash_after_ledger_insert(alice, key="grant:cs_1", delta=5, balance_moved=False)

    with pytest.raises(DomainError) as error:
        services.credits_grant(business=alice, amount=5, key="grant:cs_1")

    assert error.value.code == "in_doubt"
    assert _fresh(alice) == 0


def test_business_balance_reads_the_stored_balance(alice, business_alice):
    from billing.selectors import business_balance

    services.credits_grant(business=alice, amount=4, key="grant:cs_1")
    stale = BusinessProfile.objects.get(pk=alice.pk)
    services.credits_spend(business=alice, amount=1, key="spend:gen_1")

    assert business_balance(user=business_alice) == 3
    assert business_balance(business=stale) == 3
