"""Reads for payouts: the model's page, the history, the checks, the owed total."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import QuerySet, Sum

from accounts.models import ModelProfile, User
from generations.models import RoyaltyLedger
from payouts.models import (
    TAKEN_STATES,
    AccountState,
    EntryKind,
    PayoutAccount,
    PayoutEntry,
    PayoutState,
)

ZERO = Decimal("0.00")


def _money(value: Any) -> Decimal:
    # SQLite's SUM of decimals comes back as 2, not 2.00.
    return ZERO if value is None else Decimal(value).quantize(ZERO)


def _sums(rows: QuerySet[Any], amount: str = "amount") -> dict[str, Decimal]:
    return {
        row["model_id"]: Decimal(row["total"])
        for row in rows.values("model_id").annotate(total=Sum(amount))
    }


def _taken_payouts() -> QuerySet[PayoutEntry]:
    return PayoutEntry.objects.filter(kind=EntryKind.PAYOUT, state__in=TAKEN_STATES)


def _returns() -> QuerySet[PayoutEntry]:
    return PayoutEntry.objects.filter(kind=EntryKind.RETURN)


def expected_balance(*, model_user_id: str) -> Decimal:
    """royalties - payouts that took their amount + amounts given back."""

    def total(rows: QuerySet[Any]) -> Decimal:
        value = rows.filter(model_id=model_user_id).aggregate(total=Sum("amount"))["total"]
        return Decimal(value) if value is not None else ZERO

    return total(RoyaltyLedger.objects.all()) - total(_taken_payouts()) + total(_returns())


def balance_mismatches() -> list[dict[str, Any]]:
    """Models whose cached royaltyBalance differs from royalties - payouts (+ returns)."""
    royalties = _sums(RoyaltyLedger.objects.all())
    paid = _sums(_taken_payouts())
    returned = _sums(_returns())
    mismatches = []
    for profile in ModelProfile.objects.only("user_id", "name", "royalty_balance"):
        model_id = profile.user_id
        expected = (
            royalties.get(model_id, ZERO) - paid.get(model_id, ZERO) + returned.get(model_id, ZERO)
        )
        if Decimal(profile.royalty_balance) != expected:
            mismatches.append(
                {
                    "model_user_id": model_id,
                    "name": profile.name,
                    "cached": profile.royalty_balance,
                    "royalties": royalties.get(model_id, ZERO),
                    "payouts": paid.get(model_id, ZERO),
                    "returned": returned.get(model_id, ZERO),
                    "ledger": expected,
                }
            )
    return mismatches


def pending_payouts() -> QuerySet[PayoutEntry]:
    """Rows a crash left between the claim and the balance (MongoDB only)."""
    return PayoutEntry.objects.filter(kind=EntryKind.PAYOUT, state=PayoutState.PENDING)


@dataclass(frozen=True)
class OwedTotal:
    balances: Decimal  # every model's royaltyBalance: what the platform owes
    sending: Decimal  # taken from balances, transfer not confirmed yet
    models: int  # models with a balance above zero


def owed_total() -> OwedTotal:
    balances = ModelProfile.objects.aggregate(total=Sum("royalty_balance"))["total"]
    sending = PayoutEntry.objects.filter(
        kind=EntryKind.PAYOUT, state=PayoutState.SENDING
    ).aggregate(total=Sum("amount"))["total"]
    return OwedTotal(
        balances=_money(balances),
        sending=_money(sending),
        models=ModelProfile.objects.filter(royalty_balance__gt=0).count(),
    )


def payout_account_for(*, user: User) -> PayoutAccount | None:
    return PayoutAccount.objects.filter(model_id=user.pk).first()


def payout_history(*, user: User) -> QuerySet[PayoutEntry]:
    """The model's own payouts and returns, newest first."""
    return PayoutEntry.objects.filter(model_id=user.pk).order_by("-created_at", "-key")


# The weekly run starts at this time of day (UTC) on PAYOUT_WEEKDAY (the scheduler's slot).
RUN_TIME_OF_DAY = timedelta(hours=6)


def next_run_date(*, now: datetime) -> date:
    """The day (UTC) of the next weekly run at or after ``now``: PAYOUT_WEEKDAY, today only
    while today's 06:00 UTC run is still to come."""
    moment = now.astimezone(UTC)
    today = moment.date()
    days = (settings.PAYOUT_WEEKDAY - today.weekday()) % 7
    started = moment - datetime.combine(today, time(), tzinfo=UTC) >= RUN_TIME_OF_DAY
    if days == 0 and started:
        days = 7
    return today + timedelta(days=days)


HISTORY_ON_PAGE = 50  # the CSV export has every row


@dataclass(frozen=True)
class PayoutsPage:
    balance: Decimal
    minimum: Decimal
    next_run: date
    stripe_on: bool
    account: PayoutAccount | None
    history: list[PayoutEntry]
    has_more_history: bool
    paid_total: Decimal

    @property
    def state(self) -> str:
        return self.account.state if self.account else AccountState.NONE

    @property
    def state_label(self) -> str:
        return AccountState(self.state).label

    @property
    def reaches_minimum(self) -> bool:
        return self.balance >= self.minimum


def payouts_page_for(*, user: User, now: datetime) -> PayoutsPage | None:
    profile = ModelProfile.objects.filter(user_id=user.pk).only("royalty_balance").first()
    if profile is None:
        return None
    rows = list(payout_history(user=user)[: HISTORY_ON_PAGE + 1])
    paid = PayoutEntry.objects.filter(
        model_id=user.pk, kind=EntryKind.PAYOUT, state=PayoutState.PAID
    ).aggregate(total=Sum("amount"))["total"]
    return PayoutsPage(
        balance=Decimal(profile.royalty_balance),
        minimum=settings.PAYOUT_MINIMUM_USD,
        next_run=next_run_date(now=now),
        stripe_on=bool(settings.STRIPE_SECRET_KEY),
        account=payout_account_for(user=user),
        history=rows[:HISTORY_ON_PAGE],
        has_more_history=len(rows) > HISTORY_ON_PAGE,
        paid_total=_money(paid),
    )
