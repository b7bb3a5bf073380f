"""Writes for payouts: Connect onboarding, the weekly run, manual payouts, holds, events.

Money moves only as in the rest of the product: an append-only ``payout_ledger`` row
with a unique key first (the claim), then one conditional single-document update of
``royaltyBalance`` (``add_and_read`` with ``at_least``: never below zero), then the
outside call. Keys:

- ``payout:<model user id>:<run date>``   one per model per run; the Stripe transfer's
  idempotency key and transfer group, so a repeat pays once;
- ``payout:<model user id>:manual:<token>`` an admin's manual payout (token from the form);
- ``return:<payout key>``                 the amount given back after a refused transfer, once;
- ``return:<payout key>:<reversal id>``   each reversal of a transfer (``trr_…``), once.

A Stripe that does not answer leaves the payout ``sending`` (amount held, nothing
lost); the next run first asks Stripe for a transfer in the payout's group and only
then sends, with the same idempotency key. A Stripe that refuses (4xx) gives the
amount back at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from accounts.models import ModelProfile, Role, User
from billing import stripe_gateway as gateway
from billing.models import StripeEvent
from billing.services import EventIgnored, EventRetry
from modelsnapper import ratelimit
from modelsnapper.counters import add_and_read
from modelsnapper.errors import DomainError
from payouts.models import (
    AccountState,
    EntryKind,
    PayoutAccount,
    PayoutEntry,
    PayoutMethod,
    PayoutState,
)
from payouts.selectors import expected_balance

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")
# A ``pending`` row (written, balance maybe taken: only on MongoDB after a crash) is
# settled by proof only after this long, so a run in progress is never second-guessed.
PENDING_SETTLE_AFTER = timedelta(minutes=15)
# A ``sending`` row this fresh may be another run's transfer in flight: left alone.
SENDING_IN_FLIGHT = timedelta(minutes=2)
MAX_MANUAL_PAYOUT = Decimal("100000.00")


class PayoutCode(StrEnum):
    NOT_A_MODEL = "payout_not_a_model"
    STRIPE_OFF = "payout_stripe_off"
    STRIPE_DOWN = "payout_stripe_down"
    STRIPE_REFUSED = "payout_stripe_refused"
    NO_ACCOUNT = "payout_no_account"
    NOT_ADMIN = "payout_not_admin"
    AMOUNT = "payout_amount"
    BALANCE = "payout_balance"
    DUPLICATE = "payout_duplicate"
    FIELD = "payout_field"
    TOO_OFTEN = "payout_too_often"


MSG_STRIPE_OFF = "Payouts through Stripe are not configured; an admin pays you by hand."
MSG_STRIPE_DOWN = "Stripe could not be reached. Nothing was changed; try again in a minute."
MSG_STRIPE_REFUSED = "Stripe refused the request: {detail}"
MSG_TOO_OFTEN = (
    "You opened Stripe's setup many times in the last hour. Wait a while and try again; "
    "what you already gave Stripe is kept."
)
# Each "Set up payouts" (or an expired link) asks Stripe for a new account link: a model
# needs a few; a script clicking it would spend the platform's Stripe rate limit.
ONBOARDING_LINKS_PER_HOUR = 10


def to_cents(amount: Decimal) -> int:
    """Whole cents of an amount that must already be whole cents (never rounded here)."""
    if amount != amount.quantize(CENT):
        raise ValueError(f"{amount} has a fraction of a cent.")
    return int(amount * 100)


def payable_amount(balance: Decimal) -> Decimal:
    """What a run may pay out of ``balance``: whole cents, rounded down (a fraction of
    a cent stays in the balance, never paid and never lost)."""
    return Decimal(balance).quantize(CENT, rounding=ROUND_DOWN)


# --- connected account ---------------------------------------------------------------------


def payout_account_of(*, model_user_id: str) -> PayoutAccount:
    """The model's payout account row (created once; a race creates one)."""
    account = PayoutAccount.objects.filter(model_id=model_user_id).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return PayoutAccount.objects.create(model_id=model_user_id)
    except IntegrityError:
        return PayoutAccount.objects.get(model_id=model_user_id)


def _state_of(info: gateway.AccountInfo) -> str:
    if info.payouts_enabled and info.transfers_active:
        return AccountState.ENABLED
    if info.details_submitted:
        return AccountState.RESTRICTED
    return AccountState.ONBOARDING


def payout_account_apply(*, info: gateway.AccountInfo, seen_at: datetime) -> int:
    """Stores what Stripe says about a connected account, unless we already know
    something newer (events arrive in any order). Returns the rows changed."""
    return (
        PayoutAccount.objects.filter(stripe_account_id=info.id)
        .exclude(state=AccountState.DISCONNECTED)
        .filter(Q(stripe_seen_at__isnull=True) | Q(stripe_seen_at__lte=seen_at))
        .update(
            state=_state_of(info),
            payouts_enabled=info.payouts_enabled and info.transfers_active,
            details_submitted=info.details_submitted,
            requirements_due=list(info.currently_due)[:20],
            disabled_reason=info.disabled_reason[:100],
            stripe_seen_at=seen_at,
            updated_at=timezone.now(),
        )
    )


def _require_model(actor: User) -> None:
    if actor.role != Role.MODEL:
        raise DomainError("Only models are paid out.", code=PayoutCode.NOT_A_MODEL)


def _stripe_error(exc: gateway.StripeGatewayError) -> DomainError:
    if isinstance(exc, gateway.StripeUnavailable):
        return DomainError(MSG_STRIPE_DOWN, code=PayoutCode.STRIPE_DOWN)
    return DomainError(MSG_STRIPE_REFUSED.format(detail=exc), code=PayoutCode.STRIPE_REFUSED)


def _connected_account_id(account: PayoutAccount, actor: User) -> str:
    """The model's Stripe account id, creating the Express account once. A
    disconnected account is replaced by a new one (a new idempotency key)."""
    if account.stripe_account_id and account.state != AccountState.DISCONNECTED:
        return account.stripe_account_id
    previous = account.stripe_account_id
    info = gateway.connect_account_create(
        model_id=str(actor.pk),
        email=actor.email,
        idempotency_key=f"connect-account-{actor.pk}-after-{previous or 'none'}",
    )
    # Made in the request before the row records it; a concurrent click got the same
    # account from Stripe (same key), and only the first writer stores it.
    PayoutAccount.objects.filter(pk=account.pk, stripe_account_id=previous).update(
        stripe_account_id=info.id,
        state=AccountState.ONBOARDING,
        payouts_enabled=False,
        details_submitted=False,
        requirements_due=list(info.currently_due)[:20],
        disabled_reason=info.disabled_reason[:100],
        stripe_seen_at=None,
        updated_at=timezone.now(),
    )
    account.refresh_from_db()
    return account.stripe_account_id


def payout_onboarding_start(*, actor: User, return_url: str, refresh_url: str) -> str:
    """ "Set up payouts": the Express account (once) and a fresh onboarding link."""
    _require_model(actor)
    if not gateway.payments_enabled():
        raise DomainError(MSG_STRIPE_OFF, code=PayoutCode.STRIPE_OFF)
    if not ratelimit.allow(
        f"payout-onboarding:{actor.pk}", limit=ONBOARDING_LINKS_PER_HOUR, window_seconds=3600
    ):
        raise DomainError(MSG_TOO_OFTEN, code=PayoutCode.TOO_OFTEN)
    account = payout_account_of(model_user_id=actor.pk)
    try:
        account_id = _connected_account_id(account, actor)
        return gateway.account_link_create(
            account_id=account_id, refresh_url=refresh_url, return_url=return_url
        )
    except gateway.StripeGatewayError as exc:
        raise _stripe_error(exc) from exc


def payout_onboarding_sync(*, actor: User) -> PayoutAccount:
    """The return page: retrieve the account and store whether payouts are enabled."""
    _require_model(actor)
    account = payout_account_of(model_user_id=actor.pk)
    if not account.stripe_account_id or not gateway.payments_enabled():
        return account
    try:
        info = gateway.account_retrieve(account_id=account.stripe_account_id)
    except gateway.StripeGatewayError as exc:
        raise _stripe_error(exc) from exc
    payout_account_apply(info=info, seen_at=timezone.now())
    account.refresh_from_db()
    return account


def payout_hold(*, model_user_id: str, actor: User, reason: str) -> PayoutAccount:
    _require_admin(actor)
    reason = (reason or "").strip()[:300] or "Held by an admin."
    account = payout_account_of(model_user_id=model_user_id)
    PayoutAccount.objects.filter(pk=account.pk).update(
        on_hold=True, hold_reason=reason, held_at=timezone.now(), updated_at=timezone.now()
    )
    logger.info("%s holds payouts of model %s: %s", actor.pk, model_user_id, reason)
    account.refresh_from_db()
    return account


def payout_hold_release(*, model_user_id: str, actor: User) -> PayoutAccount:
    _require_admin(actor)
    account = payout_account_of(model_user_id=model_user_id)
    PayoutAccount.objects.filter(pk=account.pk).update(
        on_hold=False, hold_reason="", held_at=None, updated_at=timezone.now()
    )
    logger.info("%s releases the payout hold of model %s", actor.pk, model_user_id)
    account.refresh_from_db()
    return account


def _require_admin(actor: User) -> None:
    if not actor.is_platform_admin:
        raise DomainError("Only an admin can do this.", code=PayoutCode.NOT_ADMIN)


# --- the ledger ---------------------------------------------------------------------------


def _take(
    *,
    key: str,
    model_user_id: str,
    amount: Decimal,
    method: str,
    then: str,
    actor: User | None = None,
    **fields: Any,
) -> PayoutEntry | None:
    """Writes the payout row (its unique key is the claim), then takes ``amount`` out
    of the balance by one conditional update. None: this key exists already, or the
    balance no longer covers the amount (the row then says ``cancelled``)."""
    if amount <= 0:
        raise ValueError("A payout is above zero.")
    to_cents(amount)
    with transaction.atomic():
        try:
            with transaction.atomic():
                entry = PayoutEntry.objects.create(
                    key=key,
                    kind=EntryKind.PAYOUT,
                    model_id=model_user_id,
                    amount=amount,
                    method=method,
                    state=PayoutState.PENDING,
                    actor=actor,
                    **fields,
                )
        except IntegrityError:
            return None
        balance = add_and_read(
            ModelProfile,
            match={"user_id": model_user_id},
            field="royalty_balance",
            delta=-amount,
            at_least=amount,
        )
        if balance is None:
            PayoutEntry.objects.filter(pk=entry.pk).update(
                state=PayoutState.CANCELLED,
                error="The balance no longer covered it; nothing was taken.",
                updated_at=timezone.now(),
            )
            return None
        PayoutEntry.objects.filter(pk=entry.pk, state=PayoutState.PENDING).update(
            state=then, balance_after=balance, updated_at=timezone.now()
        )
    entry.refresh_from_db()
    return entry


def _give_back(
    entry: PayoutEntry,
    *,
    state: str,
    error: str,
    amount: Decimal | None = None,
    key: str | None = None,
) -> bool:
    """Returns a taken payout's amount (or ``amount`` of it) to the balance once, under
    ``key`` (default ``return:<payout key>``), and marks the payout ``state``. False: that
    key was given back already."""
    amount = entry.amount if amount is None else min(amount, entry.amount)
    key = key or f"return:{entry.key}"
    already = PayoutEntry.objects.filter(key=key).exists()
    # Never more back than was paid, whatever mix of refusal and reversals arrives (a read
    # check: the unique keys make each one once; this keeps their sum within the payout).
    total = PayoutEntry.objects.filter(kind=EntryKind.RETURN, payout_key=entry.key).aggregate(
        total=Sum("amount")
    )["total"]
    returned = Decimal(str(total)) if total is not None else Decimal("0")
    if not already and returned + amount > entry.amount:
        logger.error(
            "Not returning %s more for %s: %s of %s is back already",
            amount,
            entry.key,
            returned,
            entry.amount,
        )
        return False
    given = False
    with transaction.atomic():
        try:
            with transaction.atomic():
                back = PayoutEntry.objects.create(
                    key=key,
                    kind=EntryKind.RETURN,
                    model_id=entry.model_id,
                    amount=amount,
                    method=entry.method,
                    state=PayoutState.APPLIED,
                    payout_key=entry.key,
                    reference=entry.reference,
                    error=error[:500],
                    run_date=entry.run_date,
                )
        except IntegrityError:
            back = None
        if back is not None:
            balance = add_and_read(
                ModelProfile,
                match={"user_id": entry.model_id},
                field="royalty_balance",
                delta=amount,
            )
            if balance is None:
                raise RuntimeError(f"No model profile for user {entry.model_id}")
            PayoutEntry.objects.filter(pk=back.pk).update(balance_after=balance)
            given = True
        PayoutEntry.objects.filter(pk=entry.pk).exclude(state=state).update(
            state=state, error=error[:500], updated_at=timezone.now()
        )
    return given


# --- the run ---------------------------------------------------------------------------------


@dataclass
class RunReport:
    run_date: date
    paid: list[str] = field(default_factory=list)  # payout keys
    failed: list[str] = field(default_factory=list)  # given back
    retrying: list[str] = field(default_factory=list)  # Stripe did not answer: held
    skipped: dict[str, str] = field(default_factory=dict)  # model user id → why


def _send(entry: PayoutEntry, report: RunReport) -> None:
    """The transfer of a payout whose amount is taken: found in Stripe (an earlier try
    got through), or made now under the ledger key."""
    try:
        found = gateway.transfers_in_group(transfer_group=entry.key)
        transfer = found[0] if found else None
        if transfer is None:
            transfer = gateway.transfer_create(
                amount_cents=to_cents(entry.amount),
                destination=entry.stripe_account_id,
                payout_key=entry.key,
                model_id=str(entry.model_id),
                payout_id=str(entry.pk),
            )
    except gateway.StripeUnavailable as exc:
        PayoutEntry.objects.filter(pk=entry.pk, state=PayoutState.SENDING).update(
            error=f"{exc} Retried on the next run."[:500], updated_at=timezone.now()
        )
        report.retrying.append(entry.key)
        return
    except gateway.StripeGatewayError as exc:
        _give_back(entry, state=PayoutState.FAILED, error=f"Stripe refused the transfer: {exc}")
        report.failed.append(entry.key)
        return
    settled = PayoutEntry.objects.filter(pk=entry.pk, state=PayoutState.SENDING).update(
        state=PayoutState.PAID, reference=transfer.id, error="", updated_at=timezone.now()
    )
    if settled:
        report.paid.append(entry.key)


def _settle_pending(entry: PayoutEntry, report: RunReport, held: set[Any]) -> None:
    """A row a crash left ``pending`` (MongoDB only: on SQL the row and the balance move
    commit together). Whether its amount was taken is proved from the ledger: the
    cached balance is either the ledger's expectation (not taken) or that minus this
    amount (taken). Anything else goes to an admin (check_royalties names it)."""
    expected = expected_balance(model_user_id=entry.model_id)
    cached = ModelProfile.objects.values_list("royalty_balance", flat=True).get(
        user_id=entry.model_id
    )
    if cached == expected:
        PayoutEntry.objects.filter(pk=entry.pk, state=PayoutState.PENDING).update(
            state=PayoutState.CANCELLED, error="Interrupted before the balance moved."
        )
    elif cached == expected - entry.amount and entry.method != PayoutMethod.STRIPE:
        # A manual payout the admin made: its amount was taken, nothing is to be sent.
        PayoutEntry.objects.filter(pk=entry.pk, state=PayoutState.PENDING).update(
            state=PayoutState.PAID, balance_after=cached, updated_at=timezone.now()
        )
    elif cached == expected - entry.amount:
        PayoutEntry.objects.filter(pk=entry.pk, state=PayoutState.PENDING).update(
            state=PayoutState.SENDING, balance_after=cached, updated_at=timezone.now()
        )
        entry.refresh_from_db()
        if entry.model_id in held:
            # Taken and waiting: a hold means nothing leaves, as for any unconfirmed payout.
            report.skipped[str(entry.model_id)] = f"on hold: {entry.key} waits"
            return
        _send(entry, report)
    else:
        report.skipped[str(entry.model_id)] = f"{entry.key} needs an admin: the ledger cannot tell."


def _resume_unsettled(report: RunReport, now: datetime) -> None:
    held = set(PayoutAccount.objects.filter(on_hold=True).values_list("model_id", flat=True))
    # Only payouts nobody is sending right now: an earlier attempt ended without an answer
    # (its error says so), or the row has not moved for a while (its run died).
    unsettled = PayoutEntry.objects.filter(
        kind=EntryKind.PAYOUT, method=PayoutMethod.STRIPE, state=PayoutState.SENDING
    ).filter(Q(error__gt="") | Q(updated_at__lt=now - SENDING_IN_FLIGHT))
    for entry in unsettled.order_by("created_at"):
        if entry.model_id in held:
            # Held means nothing leaves, not even a payout Stripe has not confirmed yet.
            report.skipped[str(entry.model_id)] = f"on hold: {entry.key} waits"
            continue
        # Claimed by one conditional update: of two runs resuming it, one sends.
        claimed = PayoutEntry.objects.filter(
            pk=entry.pk, state=PayoutState.SENDING, updated_at=entry.updated_at
        ).update(error="", updated_at=timezone.now())
        if claimed:
            _send(entry, report)
    for entry in PayoutEntry.objects.filter(
        kind=EntryKind.PAYOUT, state=PayoutState.PENDING, updated_at__lt=now - PENDING_SETTLE_AFTER
    ):
        _settle_pending(entry, report, held)


def _skip_reason(profile: ModelProfile, account: PayoutAccount | None) -> str:
    if not profile.user.is_active:
        return "account closed: the balance stays owed (an admin pays it by hand)"
    if account is None or not account.stripe_account_id:
        return "payouts not set up"
    if account.on_hold:
        return f"on hold: {account.hold_reason}"
    if account.state != AccountState.ENABLED or not account.payouts_enabled:
        return "payouts not enabled in Stripe"
    if payable_amount(profile.royalty_balance) < settings.PAYOUT_MINIMUM_USD:
        return f"below the ${settings.PAYOUT_MINIMUM_USD} minimum"
    return ""


def _pay_model(
    profile: ModelProfile, account: PayoutAccount | None, run_date: date, report: RunReport
) -> None:
    model_id = str(profile.user_id)
    reason = _skip_reason(profile, account)
    if reason or account is None:
        report.skipped[model_id] = reason
        return
    entry = _take(
        key=f"payout:{model_id}:{run_date.isoformat()}",
        model_user_id=model_id,
        amount=payable_amount(profile.royalty_balance),
        method=PayoutMethod.STRIPE,
        then=PayoutState.SENDING,
        run_date=run_date,
        stripe_account_id=account.stripe_account_id,
    )
    if entry is None:
        report.skipped[model_id] = "already paid in this run (or the balance changed)"
        return
    _send(entry, report)


def payouts_run(*, run_date: date | None = None, now: datetime | None = None) -> RunReport:
    """The weekly run (``manage.py payouts_run``; the scheduler calls this function).

    First settles payouts an earlier run left unconfirmed, then pays every model whose
    payouts are enabled, not on hold, with a balance of at least PAYOUT_MINIMUM_USD.
    Safe to run twice at once or again after a crash: each model is paid once per
    run date (the unique ledger key) and a transfer is never made twice (its group
    is checked first, its idempotency key is the ledger key)."""
    now = now or timezone.now()
    run_date = run_date or now.date()  # UTC: USE_TZ keeps now() in UTC
    report = RunReport(run_date=run_date)
    if not gateway.payments_enabled():
        report.skipped["*"] = "Stripe is not configured: admins record manual payouts."
        return report
    _resume_unsettled(report, now)
    candidates = list(
        ModelProfile.objects.select_related("user")
        .filter(royalty_balance__gte=settings.PAYOUT_MINIMUM_USD)
        .order_by("user_id")
    )
    accounts = {
        account.model_id: account
        for account in PayoutAccount.objects.filter(
            model_id__in=[profile.user_id for profile in candidates]
        )
    }
    for profile in candidates:
        _pay_model(profile, accounts.get(profile.user_id), run_date, report)
    logger.info(
        "Payout run %s: %d paid, %d failed, %d retrying, %d skipped",
        run_date,
        len(report.paid),
        len(report.failed),
        len(report.retrying),
        len(report.skipped),
    )
    return report


def payouts_run_weekly() -> RunReport:
    """The scheduler's entry point: today's run (UTC date), no arguments."""
    return payouts_run()


# --- manual payouts (payments off, or paid outside Stripe) ---------------------------------


def _manual_amount(raw: Any) -> Decimal:
    try:
        amount = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(
            "Enter an amount such as 25.00.", code=PayoutCode.AMOUNT, field="amount"
        ) from None
    if not amount.is_finite() or amount <= 0:
        raise DomainError("A payout is above $0.00.", code=PayoutCode.AMOUNT, field="amount")
    if amount != amount.quantize(CENT):
        raise DomainError(
            "Amounts are in whole cents (at most 2 decimals).",
            code=PayoutCode.AMOUNT,
            field="amount",
        )
    if amount > MAX_MANUAL_PAYOUT:
        raise DomainError(
            f"One payout is at most ${MAX_MANUAL_PAYOUT}.", code=PayoutCode.AMOUNT, field="amount"
        )
    return amount


def payout_record_manual(
    *,
    model_user_id: str,
    amount: Any,
    method: str,
    reference: str,
    token: str,
    actor: User,
) -> PayoutEntry:
    """An admin paid a model outside Stripe (bank transfer, PayPal…): the same ledger,
    taken from the balance the same way. ``token`` (one per form) makes a double
    submit record one payout."""
    _require_admin(actor)
    value = _manual_amount(amount)
    method, reference, token = (method or "").strip(), (reference or "").strip(), (token or "")
    if not method or not reference:
        raise DomainError(
            "Say how it was paid and its reference.", code=PayoutCode.FIELD, field="reference"
        )
    if not token.isalnum() or len(token) > 40:
        raise DomainError("Reload the form and try again.", code=PayoutCode.FIELD)
    key = f"payout:{model_user_id}:manual:{token}"
    if PayoutEntry.objects.filter(key=key).exists():
        raise DomainError("This payout is already recorded.", code=PayoutCode.DUPLICATE)
    entry = _take(
        key=key,
        model_user_id=model_user_id,
        amount=value,
        method=PayoutMethod.MANUAL,
        then=PayoutState.PAID,
        actor=actor,
        manual_method=method[:60],
        reference=reference[:120],
        run_date=timezone.now().date(),
    )
    if entry is None:
        existing = PayoutEntry.objects.get(key=key)
        if existing.state == PayoutState.CANCELLED:
            raise DomainError(
                "The model's balance does not cover this amount; nothing was recorded.",
                code=PayoutCode.BALANCE,
                field="amount",
            )
        raise DomainError("This payout is already recorded.", code=PayoutCode.DUPLICATE)
    logger.info("%s recorded manual payout %s", actor.pk, key)
    return entry


# --- Stripe events (registered with billing's dispatcher in PayoutsConfig.ready) -------------


def _on_account_updated(obj: dict[str, Any], event: StripeEvent) -> None:
    info = gateway.parse_account(obj)
    seen_at = event.event_created_at or timezone.now()
    if not PayoutAccount.objects.filter(stripe_account_id=info.id).exists() and info.model_id:
        # The event can beat the setup request that stores the new account's id (it is
        # stored only after Stripe answered): the signed event's metadata names the model.
        PayoutAccount.objects.filter(model_id=info.model_id, stripe_account_id="").update(
            stripe_account_id=info.id, state=AccountState.ONBOARDING, updated_at=timezone.now()
        )
    if not PayoutAccount.objects.filter(stripe_account_id=info.id).exists():
        raise EventIgnored("Not one of our connected accounts.")
    payout_account_apply(info=info, seen_at=seen_at)


def _on_account_deauthorized(obj: dict[str, Any], event: StripeEvent) -> None:
    """The model disconnected (or deleted) their Stripe account: nothing more is sent
    there; their balance stays owed until they set up again or an admin pays."""
    account_id = event.payload.get("account")
    if not isinstance(account_id, str) or not account_id:
        raise EventIgnored("No connected account named.")
    changed = PayoutAccount.objects.filter(stripe_account_id=account_id).update(
        state=AccountState.DISCONNECTED, payouts_enabled=False, updated_at=timezone.now()
    )
    if not changed:
        raise EventIgnored("Not one of our connected accounts.")


def _on_transfer_reversed(obj: dict[str, Any], event: StripeEvent) -> None:
    transfer = gateway.parse_transfer(obj)
    entry = (
        PayoutEntry.objects.filter(kind=EntryKind.PAYOUT)
        .filter(key__in=[k for k in (transfer.payout_key, transfer.transfer_group) if k])
        .first()
    ) or PayoutEntry.objects.filter(kind=EntryKind.PAYOUT, reference=transfer.id).first()
    if entry is None or entry.method != PayoutMethod.STRIPE:
        raise EventIgnored("No payout of ours for this transfer.")
    if transfer.amount_reversed <= 0:
        raise EventIgnored("Nothing was reversed.")
    # REVERSED too: a transfer can be reversed in parts, one event per part.
    if entry.state not in (PayoutState.SENDING, PayoutState.PAID, PayoutState.REVERSED):
        raise EventIgnored(f"Payout already {entry.state}.")
    if not entry.reference:
        PayoutEntry.objects.filter(pk=entry.pk).update(reference=transfer.id)
        entry.reference = transfer.id
    # Each reversal has its own id and amount: it is given back once under its own key,
    # whatever order, repeats or races its events come in (the cumulative
    # ``amount_reversed`` alone would give a later part back twice, or not at all).
    reversals = list(transfer.reversals)
    try:
        if not transfer.reversals_complete or _cents_of(reversals) != transfer.amount_reversed:
            reversals = gateway.transfer_reversals(transfer_id=transfer.id)
    except gateway.StripeGatewayError as exc:
        raise EventRetry(f"The transfer's reversals could not be listed: {exc}") from exc
    if _cents_of(reversals) < transfer.amount_reversed:
        raise EventRetry("Stripe's list of this transfer's reversals is not complete yet.")
    given = [
        reversal.id
        for reversal in _not_yet_returned(entry, reversals)
        if _give_back(
            entry,
            state=PayoutState.REVERSED,
            error="The transfer was reversed in Stripe; the amount is back in the balance.",
            amount=Decimal(reversal.amount) / 100,
            key=f"return:{entry.key}:{reversal.id}",
        )
    ]
    if not given:
        raise EventIgnored("Every reversal of this transfer is given back already.")


def _cents_of(reversals: list[gateway.ReversalInfo]) -> int:
    return sum(reversal.amount for reversal in reversals)


def _not_yet_returned(
    entry: PayoutEntry, reversals: list[gateway.ReversalInfo]
) -> list[gateway.ReversalInfo]:
    """The reversals still to give back, oldest first. A return written before each
    reversal had a key of its own (``return:<payout key>``: the reversed total then) stands
    for the oldest reversals it added up to."""
    legacy = PayoutEntry.objects.filter(key=f"return:{entry.key}").only("amount").first()
    covered = to_cents(legacy.amount) if legacy else 0
    left = []
    for reversal in sorted(reversals, key=lambda r: (r.created, r.id)):
        if reversal.amount <= 0:
            continue
        if covered >= reversal.amount:
            covered -= reversal.amount
            continue
        left.append(reversal)
    return left


# Sent by the Connect endpoint about a connected account (the event names it).
CONNECTED_ACCOUNT_EVENT_TYPES = frozenset({"account.updated", "account.application.deauthorized"})
EVENT_HANDLERS: dict[str, Callable[[dict[str, Any], StripeEvent], None]] = {
    "account.updated": _on_account_updated,
    "account.application.deauthorized": _on_account_deauthorized,
    "transfer.reversed": _on_transfer_reversed,
}
