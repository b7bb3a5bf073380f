"""Writes for billing: the credit ledger, checkout fulfilment, Stripe events.

How a credit movement stays exact without multi-document transactions
---------------------------------------------------------------------
Every movement (``_move``) is two single-document writes, in this order:

1. **Insert the ledger row, state PENDING**, with its unique idempotency key. The
   unique index is the idempotency guard: of two concurrent calls with the same
   key exactly one inserts; the other gets IntegrityError, waits for the winner
   to settle and returns the winner's row. Nothing else can move the balance for
   that key, so retries (webhook redelivery, double clicks, task re-runs) are free.
2. **Move the balance with one conditional update**
   (``filter(pk=…, ai_credits__gte=n).update(ai_credits=F(…) - n)``). 0 rows =
   refused: the PENDING row is deleted (its movement never happened) and
   ``InsufficientCredits`` is raised. Otherwise the row is flipped to APPLIED with
   the balance read back.

Why this order: if the balance moved first, a crash before the ledger insert
would leave money moved with no key — a retry would move it again. Ledger-first
means a crash leaves at most a PENDING row; ``check_ledgers`` reports it (cached
balance vs. the sum of APPLIED rows) and ``check_ledgers --repair``
(``ledger_repair``) decides from the balance whether it was applied. On SQL the
whole movement is also inside ``transaction.atomic()`` so a crash rolls back;
on MongoDB ``atomic()`` is a no-op and the ordering alone carries the guarantee.
``balanceAfter`` is exact on both: the conditional update returns the balance it
left (``modelsnapper.counters.add_and_read``).
"""

from __future__ import annotations

import logging
import math
import re
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from accounts.models import BusinessProfile, SubscriptionStatus, User
from billing import stripe_gateway
from billing.models import (
    PAYMENT_FAILED,
    CheckoutSession,
    CheckoutStatus,
    CreditLedgerEntry,
    CreditReversal,
    Dispute,
    EventState,
    Invoice,
    InvoiceStatus,
    LedgerReason,
    LedgerState,
    Package,
    StripeEvent,
)
from modelsnapper.counters import add_and_read
from modelsnapper.errors import DomainError

logger = logging.getLogger(__name__)

ERR_AMOUNT = "The amount must be a positive whole number of credits."
ERR_KEY = "A credit movement needs an idempotency key (at most 255 characters)."
ERR_KEY_REUSED = "This idempotency key was already used for a different credit movement."
ERR_IN_DOUBT = "A credit movement with this key is still being applied; try again shortly."
ERR_NO_BUSINESS = "This business does not exist."
ERR_REASON = "Give a reason for the adjustment."
ERR_DELTA = "Enter a non-zero number of credits."
# The largest single admin adjustment, either way (keeps balances far from overflow).
MAX_ADJUSTMENT = 1_000_000
# Admin package form bounds: far above any real package, far below a column overflow.
MAX_PACKAGE_CREDITS = 100_000
MAX_PACKAGE_PRICE = Decimal("100000.00")
ERR_DELTA_LARGE = f"Adjust by at most {MAX_ADJUSTMENT:,} credits at a time."
ERR_PAYMENTS_OFF = "Purchases are not configured on this site yet."
ERR_PACKAGE_UNAVAILABLE = "This package is not available."
ERR_PRICE_MISSING = (
    "This package cannot be bought right now: its price does not exist in Stripe. "
    "An admin has to fix the package's Stripe price."
)
ERR_STRIPE_DOWN = "We could not reach the payment provider. Nothing was charged; please try again."
ERR_NO_CUSTOMER = "There is no billing account yet: buy a package first."

# A PENDING row older than this is "in doubt" (its writer crashed), not in flight.
PENDING_STALE_AFTER = timedelta(seconds=60)
# How many applied movement keys a balance document keeps (the proof of --repair).
LEDGER_KEYS_KEPT = 64
# How long a same-key caller waits for an in-flight movement to settle.
SETTLE_WAIT_SECONDS = 5.0
# A handler stuck in STARTED longer than this (crashed worker) may be claimed again.
EVENT_RECLAIM_AFTER = timedelta(minutes=5)

TIER_RANK: dict[str, int] = {
    SubscriptionStatus.FREE: 0,
    SubscriptionStatus.STARTER: 1,
    SubscriptionStatus.GROWTER: 2,
}
# Invoice states never go back: an older/lower event does not overwrite a higher one.
INVOICE_RANK = {
    InvoiceStatus.DRAFT: 0,
    InvoiceStatus.OPEN: 1,
    InvoiceStatus.UNCOLLECTIBLE: 2,
    InvoiceStatus.PAID: 3,
    InvoiceStatus.VOID: 3,
}
ZERO_DECIMAL_CURRENCIES = {
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV",
    "XAF", "XOF", "XPF",
}  # fmt: skip
NONCE_RE = re.compile(r"^[A-Za-z0-9-]{8,64}$")


class BillingCode(StrEnum):
    """The codes of this module's refusals (``DomainError.code``): one name per reason."""

    AMOUNT = "amount"
    BUSY = "busy"
    DELTA = "delta"
    IN_DOUBT = "in_doubt"
    INSUFFICIENT_CREDITS = "insufficient_credits"
    KEY = "key"
    KEY_REUSED = "key_reused"
    MANUAL = "manual"
    NO_BUSINESS = "no_business"
    NO_CUSTOMER = "no_customer"
    PACKAGE = "package"
    PAYMENTS_OFF = "payments_off"
    PRICE_MISSING = "price_missing"
    REASON = "reason"
    STATE = "state"
    STRIPE = "stripe"


class InsufficientCredits(DomainError):
    """The balance is short by ``missing`` credits; nothing was written."""

    def __init__(self, *, missing: int) -> None:
        plural = "" if missing == 1 else "s"
        super().__init__(
            f"Not enough credits: {missing} more credit{plural} needed.",
            code=BillingCode.INSUFFICIENT_CREDITS,
        )
        self.missing = missing


# --- the ledger -------------------------------------------------------------------------


def _check_amount(amount: int) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise DomainError(ERR_AMOUNT, code=BillingCode.AMOUNT)


def _check_key(key: str) -> None:
    if not isinstance(key, str) or not key.strip() or len(key) > 255:
        raise DomainError(ERR_KEY, code=BillingCode.KEY)


def _balance(business_id: str) -> int | None:
    return (
        BusinessProfile.objects.filter(pk=business_id).values_list("ai_credits", flat=True).first()
    )


def _settled(key: str, *, business_id: str, delta: int) -> CreditLedgerEntry | None:
    """The row already written for ``key`` once it is APPLIED; None if it vanished
    (a refused movement removes its PENDING row, so the caller may try again)."""
    deadline = time.monotonic() + SETTLE_WAIT_SECONDS
    while True:
        entry = CreditLedgerEntry.objects.filter(key=key).first()
        if entry is None:
            return None
        if entry.business_id != business_id or entry.delta != delta:
            raise DomainError(ERR_KEY_REUSED, code=BillingCode.KEY_REUSED)
        if entry.state == LedgerState.APPLIED:
            return entry
        if time.monotonic() > deadline:
            raise DomainError(ERR_IN_DOUBT, code=BillingCode.IN_DOUBT)
        time.sleep(0.05)


def _move(
    *,
    business: BusinessProfile,
    delta: int,
    reason: str,
    key: str,
    actor: User | None,
    note: str,
) -> CreditLedgerEntry:
    _check_key(key)
    business_id = business.pk
    for _attempt in range(3):
        existing = _settled(key, business_id=business_id, delta=delta)
        if existing is not None:
            return existing
        with transaction.atomic():
            entry = CreditLedgerEntry(
                business_id=business_id,
                delta=delta,
                reason=reason,
                key=key,
                state=LedgerState.PENDING,
                actor=actor,
                note=(note or "")[:255],
                created_at=timezone.now(),
                key_tracked=True,
            )
            try:
                with transaction.atomic():
                    entry.save(force_insert=True)
            except IntegrityError:
                continue  # another call holds this key: wait for it above
            # The guard, the write and the balance it leaves are one single-document step.
            balance_after = add_and_read(
                BusinessProfile,
                match={"pk": business_id},
                field="ai_credits",
                delta=delta,
                at_least=-delta if delta < 0 else None,
                # The proof for check_ledgers --repair: the key lands with the balance move.
                record=("recent_ledger_keys", key),
                keep=LEDGER_KEYS_KEPT,
            )
            if balance_after is None:
                # Refused (or no such business): the movement never happened.
                CreditLedgerEntry.objects.filter(pk=entry.pk, state=LedgerState.PENDING).delete()
                balance = _balance(business_id)
                if balance is None:
                    raise DomainError(ERR_NO_BUSINESS, code=BillingCode.NO_BUSINESS)
                raise InsufficientCredits(missing=max(1, -delta - balance))
            CreditLedgerEntry.objects.filter(pk=entry.pk).update(
                state=LedgerState.APPLIED, balance_after=balance_after
            )
        entry.state = LedgerState.APPLIED
        entry.balance_after = balance_after
        business.ai_credits = balance_after
        return entry
    raise DomainError(ERR_IN_DOUBT, code=BillingCode.IN_DOUBT)


def credits_grant(
    *,
    business: BusinessProfile,
    amount: int,
    key: str,
    actor: User | None = None,
    note: str = "",
) -> CreditLedgerEntry:
    """Adds purchased/seeded credits once per ``key`` (e.g. ``grant:<checkout session>``)."""
    _check_amount(amount)
    return _move(
        business=business, delta=amount, reason=LedgerReason.GRANT, key=key, actor=actor, note=note
    )


def credits_spend(
    *,
    business: BusinessProfile,
    amount: int,
    key: str,
    actor: User | None = None,
    note: str = "",
) -> CreditLedgerEntry:
    """Takes ``amount`` credits once per ``key`` (``spend:<generation>``); raises
    InsufficientCredits, writing nothing, when the balance is short."""
    _check_amount(amount)
    return _move(
        business=business, delta=-amount, reason=LedgerReason.SPEND, key=key, actor=actor, note=note
    )


def credits_refund(
    *,
    business: BusinessProfile,
    amount: int,
    key: str,
    actor: User | None = None,
    note: str = "",
) -> CreditLedgerEntry:
    """Gives credits back once per ``key`` (``refund:<generation>``)."""
    _check_amount(amount)
    return _move(
        business=business,
        delta=amount,
        reason=LedgerReason.REFUND,
        key=key,
        actor=actor,
        note=note,
    )


def credits_adjust(
    *,
    business: BusinessProfile,
    delta: int,
    reason: str,
    actor: User,
    key: str | None = None,
) -> CreditLedgerEntry:
    """An admin's correction. A negative delta never takes the balance below zero
    (refused with InsufficientCredits). ``key`` (optional) makes a re-submitted
    admin form a no-op; without it every call is a new adjustment."""
    if isinstance(delta, bool) or not isinstance(delta, int) or delta == 0:
        raise DomainError(ERR_DELTA, code=BillingCode.DELTA)
    if abs(delta) > MAX_ADJUSTMENT:
        raise DomainError(ERR_DELTA_LARGE, code=BillingCode.DELTA)
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError(ERR_REASON, code=BillingCode.REASON)
    return _move(
        business=business,
        delta=delta,
        reason=LedgerReason.ADJUSTMENT,
        key=key or f"adjust:{uuid.uuid4().hex}",
        actor=actor,
        note=reason,
    )


def _credits_take_back(*, business: BusinessProfile, up_to: int, key: str, note: str) -> int:
    """Takes back at most ``up_to`` credits, never below zero; returns how many."""
    for _attempt in range(5):
        existing = CreditLedgerEntry.objects.filter(key=key, state=LedgerState.APPLIED).first()
        if existing is not None:
            return -existing.delta
        balance = _balance(business.pk) or 0
        amount = min(up_to, balance)
        if amount <= 0:
            return 0
        try:
            entry = _move(
                business=business,
                delta=-amount,
                reason=LedgerReason.REVERSAL,
                key=key,
                actor=None,
                note=note,
            )
        except InsufficientCredits:
            continue  # spent concurrently: take what is left
        return -entry.delta
    return 0


def _repair_decision(
    entry: CreditLedgerEntry, *, recorded: set[str], later_movements: int
) -> str | None:
    """ "applied" / "never" when the balance document proves it, None when it cannot."""
    if not entry.key_tracked:
        return None  # written before keys were recorded: no proof either way
    if entry.key in recorded:
        return "applied"
    if later_movements < LEDGER_KEYS_KEPT:
        # Had it applied, its key would still be among the last LEDGER_KEYS_KEPT.
        return "never"
    return None


def ledger_repair(*, business: BusinessProfile) -> list[str]:
    """Resolves PENDING rows left by a crash between the two writes of ``_move``, by
    proof only: the single-document update that moves ``aiCredits`` also records the
    movement's key in ``recentLedgerKeys`` (the last LEDGER_KEYS_KEPT). A pending row whose
    key is there did move the balance (marked applied); one whose key would still be
    there but is not never did (removed: its caller's retry with the same key redoes it).
    Anything else — rows from before keys were recorded, keys pushed out by many later
    movements — is left pending for an admin and named in the answer. Returns one line
    per row."""
    pending = list(CreditLedgerEntry.objects.filter(business_id=business.pk, state="pending"))
    if not pending:
        return []
    cutoff = timezone.now() - PENDING_STALE_AFTER
    if any(entry.created_at > cutoff for entry in pending):
        raise DomainError(
            "A credit movement is in flight; repair again in a minute.", code=BillingCode.BUSY
        )
    recorded = set(
        BusinessProfile.objects.filter(pk=business.pk)
        .values_list("recent_ledger_keys", flat=True)
        .first()
        or []
    )
    decisions = []
    for entry in sorted(pending, key=lambda e: e.created_at):
        later = (
            CreditLedgerEntry.objects.filter(
                business_id=business.pk, created_at__gte=entry.created_at
            )
            .exclude(pk=entry.pk)
            .count()
        )
        decision = _repair_decision(entry, recorded=recorded, later_movements=later)
        if decision == "applied":
            CreditLedgerEntry.objects.filter(pk=entry.pk, state=LedgerState.PENDING).update(
                state=LedgerState.APPLIED, balance_after=None
            )
            decisions.append(f"{entry.key}: key recorded on the balance → marked applied")
        elif decision == "never":
            CreditLedgerEntry.objects.filter(pk=entry.pk, state=LedgerState.PENDING).delete()
            decisions.append(f"{entry.key}: key absent from the balance → removed (never moved)")
        else:
            decisions.append(f"{entry.key}: cannot be proven either way → left for an admin")
    return decisions


# --- checkout ---------------------------------------------------------------------------


def business_stripe_customer(*, business: BusinessProfile) -> str:
    """The business's Stripe customer id, created once and stored in stripeCustomerId."""
    if business.stripe_customer_id:
        return business.stripe_customer_id
    try:
        customer_id = stripe_gateway.customer_create(
            email=business.user.email, name=business.business_name, business_id=business.pk
        )
    except stripe_gateway.StripeGatewayError:
        raise DomainError(ERR_STRIPE_DOWN, code=BillingCode.STRIPE) from None
    # Only the first writer stores it; the idempotency key made both see the same id.
    BusinessProfile.objects.filter(pk=business.pk).filter(
        Q(stripe_customer_id__isnull=True) | Q(stripe_customer_id="")
    ).update(stripe_customer_id=customer_id)
    business.stripe_customer_id = (
        BusinessProfile.objects.filter(pk=business.pk)
        .values_list("stripe_customer_id", flat=True)
        .get()
    )
    return business.stripe_customer_id or ""


def checkout_start(
    *,
    business: BusinessProfile,
    package_id: str,
    nonce: str,
    success_url: str,
    cancel_url: str,
) -> CheckoutSession:
    """Creates (once per page-load ``nonce``) a Stripe Checkout Session for a package.

    A double click posts the same nonce, so Stripe's idempotency key answers the
    second request with the same session and both land on the same page."""
    if not stripe_gateway.payments_enabled():
        raise DomainError(ERR_PAYMENTS_OFF, code=BillingCode.PAYMENTS_OFF)
    package = Package.objects.filter(pk=package_id, is_active=True).first()
    if package is None:
        raise DomainError(ERR_PACKAGE_UNAVAILABLE, code=BillingCode.PACKAGE)
    _check_price_on_sale(package)
    customer_id = business_stripe_customer(business=business)
    if not isinstance(nonce, str) or not NONCE_RE.match(nonce):
        nonce = uuid.uuid4().hex
    session = _open_checkout_session(
        business=business,
        package=package,
        customer_id=customer_id,
        nonce=nonce,
        success_url=success_url,
        cancel_url=cancel_url,
    )
    return _record_checkout(business=business, package=package, session=session)


def _stripe_refusal(error: stripe_gateway.StripeGatewayError) -> DomainError:
    if isinstance(error, stripe_gateway.StripeNotFound):
        return DomainError(ERR_PRICE_MISSING, code=BillingCode.PRICE_MISSING)
    return DomainError(ERR_STRIPE_DOWN, code=BillingCode.STRIPE)


def _check_price_on_sale(package: Package) -> None:
    try:
        price = stripe_gateway.price_retrieve(price_id=package.stripe_price_id)
    except stripe_gateway.StripeGatewayError as error:
        raise _stripe_refusal(error) from None
    if not price.active:
        raise DomainError(ERR_PRICE_MISSING, code=BillingCode.PRICE_MISSING)


def _open_checkout_session(
    *,
    business: BusinessProfile,
    package: Package,
    customer_id: str,
    nonce: str,
    success_url: str,
    cancel_url: str,
) -> stripe_gateway.CheckoutSessionInfo:
    """An open Checkout session for this page load (the nonce is its idempotency key)."""
    for _attempt in range(2):
        try:
            session = stripe_gateway.checkout_session_create(
                customer_id=customer_id,
                price_id=package.stripe_price_id,
                business_id=business.pk,
                package_id=package.pk,
                success_url=success_url,
                cancel_url=cancel_url,
                idempotency_key=f"checkout-{business.pk}-{package.pk}-{nonce}",
            )
        except stripe_gateway.StripeGatewayError as error:
            raise _stripe_refusal(error) from None
        # Stripe answers a replayed idempotency key with its first response, so a
        # stale page (back button) replaying the nonce of a session that is by now
        # paid or expired is recognised by our own record: it is a new purchase.
        known = CheckoutSession.objects.filter(stripe_session_id=session.id).first()
        finished = known is not None and (known.is_fulfilled or known.status != CheckoutStatus.OPEN)
        if session.status in {"", "open"} and not finished:
            break
        nonce = uuid.uuid4().hex
    return session


def _record_checkout(
    *, business: BusinessProfile, package: Package, session: stripe_gateway.CheckoutSessionInfo
) -> CheckoutSession:
    try:
        with transaction.atomic():
            return CheckoutSession.objects.create(
                stripe_session_id=session.id,
                business=business,
                package=package,
                credits=package.ai_credits_granted,
                amount_total=session.amount_total,
                currency=(session.currency or package.currency).upper(),
                url=session.url,
                created_at=timezone.now(),
            )
    except IntegrityError:
        # The second click of a double click (same idempotency key, same session).
        record = CheckoutSession.objects.get(stripe_session_id=session.id)
        if not record.url and session.url:
            record.url = session.url
            CheckoutSession.objects.filter(pk=record.pk).update(url=record.url)
        return record


def package_price_refusal(*, price_id: str) -> str:
    """Why a package must not be saved with this Stripe price ("" when it may).

    Only what can never work is refused: a recurring price (our Checkout is a one-time
    payment, so every buyer would fail). A missing or archived price, or Stripe being
    down, is a warning after the save (``package_price_problem``).
    """
    if not stripe_gateway.payments_enabled() or not price_id:
        return ""
    try:
        price = stripe_gateway.price_retrieve(price_id=price_id)
    except stripe_gateway.StripeGatewayError:
        return ""
    if price.recurring:
        return (
            f"Stripe price {price_id!r} is recurring (a subscription). Packages are bought "
            "once: create a one-time price in Stripe and use its id."
        )
    return ""


def package_price_problem(*, package: Package) -> str:
    """Why buyers would be refused this package's Stripe price ("" when it is fine
    or payments are off)."""
    if not stripe_gateway.payments_enabled():
        return ""
    try:
        price = stripe_gateway.price_retrieve(price_id=package.stripe_price_id)
    except stripe_gateway.StripeNotFound:
        return f"Stripe has no price {package.stripe_price_id!r}: this package cannot be bought."
    except stripe_gateway.StripeGatewayError:
        return "Stripe could not be reached to check this package's price."
    if not price.active:
        return f"Stripe price {package.stripe_price_id!r} is archived: buyers will be refused."
    return ""


def _record_for_session(session: stripe_gateway.CheckoutSessionInfo) -> CheckoutSession | None:
    """Our record of a Stripe session; rebuilt from its metadata when the record
    was never stored (e.g. a crash right after Stripe created the session)."""
    record = CheckoutSession.objects.filter(stripe_session_id=session.id).first()
    if record is not None:
        return record
    business = BusinessProfile.objects.filter(pk=session.business_id).first()
    package = Package.objects.filter(pk=session.package_id).first()
    if business is None or package is None:
        return None
    try:
        with transaction.atomic():
            return CheckoutSession.objects.create(
                stripe_session_id=session.id,
                business=business,
                package=package,
                credits=package.ai_credits_granted,
                amount_total=session.amount_total,
                currency=(session.currency or package.currency).upper(),
                created_at=timezone.now(),
            )
    except IntegrityError:
        return CheckoutSession.objects.get(stripe_session_id=session.id)


def package_activate(*, business: BusinessProfile, package: Package) -> None:
    """Gives the business this package's access and tier.

    The package (and its tier) only ever goes up: a smaller top-up keeps access.
    """
    rank = TIER_RANK.get(package.tier, 0)
    not_higher = [s for s in SubscriptionStatus.values if TIER_RANK.get(s, 0) <= rank]
    # One conditional single-document update: the guard reads the stored tier, not
    # the caller's copy, so two purchases fulfilled at once can never downgrade.
    BusinessProfile.objects.filter(pk=business.pk).filter(
        Q(package=None) | Q(subscription_status__in=not_higher)
    ).update(package=package, subscription_status=package.tier)


ERR_GRANT_REASON = "Say why this business gets the package without paying (shown in its ledger)."


def package_grant(
    *, business: BusinessProfile, package: Package, actor: User, reason: str, key: str
) -> CreditLedgerEntry:
    """An admin gives a business a package without Stripe: the package's credits once
    per ``key`` (a re-submitted admin form grants once), then its access and tier, the
    same way a paid Checkout does. The ledger row names the admin and the reason."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError(ERR_GRANT_REASON, code=BillingCode.REASON, field="reason")
    entry = credits_grant(
        business=business,
        amount=package.ai_credits_granted,
        key=f"package-grant:{key}:{business.pk}",
        actor=actor,
        note=f"{package.name} given by an administrator: {reason}"[:200],
    )
    package_activate(business=business, package=package)
    logger.info(
        "package %s given to business %s by %s without payment (%s)",
        package.pk,
        business.pk,
        actor.email,
        reason,
    )
    return entry


def checkout_fulfil(*, session: stripe_gateway.CheckoutSessionInfo) -> CheckoutSession | None:
    """Grants a paid session's credits exactly once (ledger key ``grant:<session>``)
    and sets the package. Run by the webhook and by the success page; every step
    is idempotent, so any order or number of runs ends in the same state.
    Returns None when the session is not one of ours."""
    record = _record_for_session(session)
    if record is None:
        return None
    # A failed async payment stays failed: a redelivered "completed" (unpaid) must not
    # turn it back into "pending".
    keeps_failure = record.payment_status == PAYMENT_FAILED and not session.is_paid
    CheckoutSession.objects.filter(pk=record.pk).update(
        payment_status=PAYMENT_FAILED
        if keeps_failure
        else (session.payment_status or record.payment_status),
        payment_intent_id=session.payment_intent_id or record.payment_intent_id,
        amount_total=(
            session.amount_total if session.amount_total is not None else record.amount_total
        ),
        status=session.status or record.status,
    )
    if not session.is_paid:
        record.refresh_from_db()
        return record
    business = BusinessProfile.objects.select_related("package").get(pk=record.business_id)
    package = record.package
    credits_grant(
        business=business,
        amount=record.credits,
        key=f"grant:{record.stripe_session_id}",
        note=f"{package.name} purchase",
    )
    package_activate(business=business, package=package)
    CheckoutSession.objects.filter(pk=record.pk, fulfilled_at__isnull=True).update(
        fulfilled_at=timezone.now(), status=CheckoutStatus.COMPLETE
    )
    record.refresh_from_db()
    return record


def checkout_sync(*, record: CheckoutSession) -> CheckoutSession:
    """The success page: if the webhook has not granted the credits yet, ask
    Stripe for the session and fulfil it now (idempotent with the webhook)."""
    if (
        record.is_fulfilled
        or record.status == CheckoutStatus.EXPIRED
        or record.payment_failed
        or not stripe_gateway.payments_enabled()
    ):
        # Settled one way or the other: nothing to ask Stripe on every reload.
        return record
    try:
        session = stripe_gateway.checkout_session_retrieve(session_id=record.stripe_session_id)
    except stripe_gateway.StripeGatewayError:
        logger.warning("Could not retrieve checkout session %s", record.stripe_session_id)
        return record
    return checkout_fulfil(session=session) or record


def portal_start(*, business: BusinessProfile, return_url: str) -> str:
    if not stripe_gateway.payments_enabled():
        raise DomainError(ERR_PAYMENTS_OFF, code=BillingCode.PAYMENTS_OFF)
    if not business.stripe_customer_id:
        raise DomainError(ERR_NO_CUSTOMER, code=BillingCode.NO_CUSTOMER)
    try:
        return stripe_gateway.portal_session_create(
            customer_id=business.stripe_customer_id, return_url=return_url
        )
    except stripe_gateway.StripeGatewayError:
        raise DomainError(ERR_STRIPE_DOWN, code=BillingCode.STRIPE) from None


# --- Stripe events ----------------------------------------------------------------------


class EventIgnored(Exception):
    """The event is valid but concerns nothing of ours (unknown customer, ...)."""


class EventRetry(Exception):
    """The event cannot be applied yet (e.g. a refund before its purchase)."""


def _money(cents: Any, currency: str) -> Decimal:
    cents = int(cents or 0)
    if currency.upper() in ZERO_DECIMAL_CURRENCIES:
        return Decimal(cents)
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def stripe_event_record(*, event: stripe_gateway.EventInfo) -> StripeEvent:
    """Stores a verified event once by its id (unique); a redelivery returns the row."""
    existing = StripeEvent.objects.filter(stripe_event_id=event.id).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return StripeEvent.objects.create(
                stripe_event_id=event.id,
                type=event.type,
                livemode=event.livemode,
                event_created_at=event.created_at,
                payload=event.payload,
                received_at=timezone.now(),
            )
    except IntegrityError:
        return StripeEvent.objects.get(stripe_event_id=event.id)


# Event types a connected account's events may carry (registered by payouts).
CONNECTED_ACCOUNT_EVENTS: set[str] = set()
MSG_NOT_FOR_CONNECTED_ACCOUNTS = "A connected account's event of this type is not applied."


def stripe_event_apply(*, event: StripeEvent) -> StripeEvent:
    """Runs the event's handler once: only the caller that moves the state from
    received/failed (or a long-stuck started) to started runs it."""
    now = timezone.now()
    claimable = Q(state__in=[EventState.RECEIVED, EventState.FAILED]) | Q(
        state=EventState.STARTED, started_at__lt=now - EVENT_RECLAIM_AFTER
    )
    claimed = (
        StripeEvent.objects.filter(pk=event.pk)
        .filter(claimable)
        .update(state=EventState.STARTED, started_at=now, attempts=F("attempts") + 1)
    )
    if not claimed:
        event.refresh_from_db()
        return event
    handler = EVENT_HANDLERS.get(event.type)
    state, error = EventState.SUCCEEDED, ""
    # A connected account's event (Stripe names the account) may only be one an app
    # registered for connected accounts: never a checkout or invoice that grants credits.
    from_account = bool(event.payload.get("account"))
    if from_account and event.type not in CONNECTED_ACCOUNT_EVENTS:
        handler, state, error = None, EventState.IGNORED, MSG_NOT_FOR_CONNECTED_ACCOUNTS
    try:
        if state == EventState.IGNORED:
            pass
        elif handler is None:
            state, error = EventState.IGNORED, "No handler for this event type."
        else:
            handler(stripe_gateway.event_object(event.payload), event)
    except EventIgnored as exc:
        state, error = EventState.IGNORED, str(exc)
    except EventRetry as exc:
        state, error = EventState.FAILED, str(exc)
    except Exception as exc:
        # Kept with its error; Stripe's redelivery or the admin "re-apply" action
        # runs it again, and every handler is idempotent.
        logger.exception("Stripe event %s failed", event.stripe_event_id)
        state, error = EventState.FAILED, f"{type(exc).__name__}: {exc}"[:2000]
    StripeEvent.objects.filter(pk=event.pk).update(
        state=state, error=error, processed_at=timezone.now()
    )
    event.refresh_from_db()
    return event


def stripe_event_reapply(*, event: StripeEvent, actor: User) -> StripeEvent:
    """Admin action: run a failed event again."""
    if event.state != EventState.FAILED:
        raise DomainError("Only failed events can be re-applied.", code=BillingCode.STATE)
    logger.info("%s re-applies Stripe event %s", actor, event.stripe_event_id)
    return stripe_event_apply(event=event)


def _business_for_customer(*, customer_id: str, business_id: str) -> BusinessProfile | None:
    if business_id:
        business = BusinessProfile.objects.filter(pk=business_id).first()
        if business is not None:
            return business
    if not customer_id:
        return None
    return BusinessProfile.objects.filter(stripe_customer_id=customer_id).first()


def _on_checkout_paid(obj: dict[str, Any], event: StripeEvent) -> None:
    # completed with payment_status "unpaid" (delayed payment methods) only records
    # the session; the credits come with async_payment_succeeded.
    if checkout_fulfil(session=stripe_gateway.parse_checkout_session(obj)) is None:
        raise EventIgnored("Not a checkout session of ours.")


def _on_checkout_payment_failed(obj: dict[str, Any], event: StripeEvent) -> None:
    """async_payment_failed: no credits, and the success page stops waiting."""
    session = stripe_gateway.parse_checkout_session(obj)
    record = CheckoutSession.objects.filter(stripe_session_id=session.id).first()
    if record is None:
        raise EventIgnored("Not a checkout session of ours.")
    CheckoutSession.objects.filter(pk=record.pk, fulfilled_at__isnull=True).update(
        status=session.status or record.status, payment_status=PAYMENT_FAILED
    )


def _on_checkout_closed(obj: dict[str, Any], event: StripeEvent) -> None:
    """async_payment_failed / expired: no credits; the record shows the outcome."""
    session = stripe_gateway.parse_checkout_session(obj)
    record = CheckoutSession.objects.filter(stripe_session_id=session.id).first()
    if record is None:
        raise EventIgnored("Not a checkout session of ours.")
    CheckoutSession.objects.filter(pk=record.pk, fulfilled_at__isnull=True).update(
        status=session.status or record.status,
        payment_status=session.payment_status or record.payment_status,
    )


def _line_items(invoice: stripe_gateway.InvoiceInfo) -> list[dict[str, Any]]:
    """The invoice's lines as the embedded ``lineItems`` subdocuments."""
    return [
        {
            "description": line.description,
            "quantity": line.quantity,
            "amount": line.amount,
            "currency": line.currency,
            "priceId": line.price_id,
        }
        for line in invoice.lines
    ]


def _on_invoice(obj: dict[str, Any], event: StripeEvent) -> None:
    """Upserts the invoice mirror; a lower or older state never overwrites a newer one."""
    invoice = stripe_gateway.parse_invoice(obj)
    invoice_id = invoice.id
    business = _business_for_customer(
        customer_id=invoice.customer_id, business_id=invoice.business_id
    )
    if business is None:
        raise EventIgnored(f"Unknown customer {invoice.customer_id!r}.")
    status = invoice.status or InvoiceStatus.DRAFT
    if status not in INVOICE_RANK:
        raise ValueError(f"Unknown invoice status {status!r}.")
    event_at = event.event_created_at or timezone.now()
    fields = {
        "invoice_number": invoice.number,
        "amount_due": _money(invoice.amount_due, invoice.currency),
        "currency": invoice.currency,
        "status": status,
        "pdf_url": invoice.pdf_url,
        "hosted_invoice_url": invoice.hosted_invoice_url,
        "period_start": invoice.period_start,
        "period_end": invoice.period_end,
        "line_items": _line_items(invoice),
        "paid_at": invoice.paid_at,
        "last_event_at": event_at,
    }
    Invoice(user_id=business.user_id, stripe_invoice_id=invoice_id, **fields).clean()
    if not Invoice.objects.filter(stripe_invoice_id=invoice_id).exists():
        try:
            with transaction.atomic():
                Invoice.objects.create(
                    user_id=business.user_id, stripe_invoice_id=invoice_id, **fields
                )
            return
        except IntegrityError:
            pass  # a concurrent delivery inserted it: fall through to the guarded update
    rank = INVOICE_RANK[InvoiceStatus(status)]
    lower = [s for s, r in INVOICE_RANK.items() if r < rank]
    same = [s for s, r in INVOICE_RANK.items() if r == rank]
    # One conditional single-document update: the guard and the write are one step.
    Invoice.objects.filter(stripe_invoice_id=invoice_id).filter(
        Q(status__in=lower) | Q(status__in=same, last_event_at__lte=event_at)
    ).update(**fields)


def _on_charge_refunded(obj: dict[str, Any], event: StripeEvent) -> None:
    """Takes back the refunded share of the purchase's credits, never below zero;
    what was already spent is recorded as the reversal's shortfall for admins."""
    charge = stripe_gateway.parse_charge(obj)
    charge_id = charge.id
    record = (
        CheckoutSession.objects.filter(payment_intent_id=charge.payment_intent_id).first()
        if charge.payment_intent_id
        else None
    )
    if record is None:
        if (
            _business_for_customer(customer_id=charge.customer_id, business_id=charge.business_id)
            is None
        ):
            raise EventIgnored("Not a charge of ours.")
        raise EventRetry("The purchase for this charge is not known yet; retry later.")
    if not record.is_fulfilled:
        raise EventRetry("The purchase's credits have not been granted yet; retry later.")
    captured, refunded = charge.amount_captured, charge.amount_refunded
    if refunded <= 0 or captured <= 0:
        return
    if charge.fully_refunded or refunded >= captured:
        total_due = record.credits
    else:
        total_due = math.floor(record.credits * refunded / captured)
    _record_reversal(
        record=record,
        key=f"reversal:{charge_id}:{refunded}",
        charge_id=charge_id,
        amount=refunded,
        total_due=total_due,
        note=f"Refund of {record.package.name}",
    )


def _record_reversal(
    *, record: CheckoutSession, key: str, charge_id: str, amount: int, total_due: int, note: str
) -> None:
    """Takes back up to ``total_due`` credits of a purchase (less what earlier reversals of
    the same charge took), never below zero, and records the reversal and its shortfall."""
    if CreditReversal.objects.filter(key=key).exists():
        return
    already = (
        CreditReversal.objects.filter(stripe_charge_id=charge_id)
        .exclude(key=key)
        .aggregate(total=Sum("credits_due"))["total"]
        or 0
    )
    due = max(0, total_due - already)
    business = BusinessProfile.objects.get(pk=record.business_id)
    taken = _credits_take_back(business=business, up_to=due, key=key, note=note) if due else 0
    try:
        with transaction.atomic():
            CreditReversal.objects.create(
                key=key,
                business=business,
                checkout_session=record,
                stripe_charge_id=charge_id,
                amount_refunded=amount,
                credits_due=due,
                credits_taken=taken,
                shortfall=due - taken,
                created_at=timezone.now(),
            )
    except IntegrityError:
        pass  # a concurrent delivery recorded it (the ledger key kept the take-back single)


def _dispute_lost(dispute: stripe_gateway.DisputeInfo, record: CheckoutSession | None) -> None:
    """A lost dispute returns the money to the cardholder: like a full refund, the
    purchase's unspent credits are taken back (less what refunds of the charge took)."""
    if record is None or not record.is_fulfilled:
        return  # the dispute stays on record for admins; there are no credits to take
    _record_reversal(
        record=record,
        key=f"reversal:dispute:{dispute.id}",
        charge_id=dispute.charge_id,
        amount=dispute.amount,
        total_due=record.credits,
        note=f"Lost dispute of {record.package.name}",
    )


def _on_dispute(obj: dict[str, Any], event: StripeEvent) -> None:
    """created → a record; updated → its status; closed → its final status, and a lost
    dispute takes back the purchase's unspent credits (once). Any order ends the same;
    a won or warning-closed dispute leaves credits unchanged."""
    dispute = stripe_gateway.parse_dispute(obj)
    dispute_id = dispute.id
    record = CheckoutSession.objects.filter(
        payment_intent_id=dispute.payment_intent_id or "-"
    ).first()
    fields = {
        "stripe_charge_id": dispute.charge_id,
        "business_id": record.business_id if record else None,
        "amount": dispute.amount,
        "currency": dispute.currency,
        "reason": dispute.reason,
        "opened_at": dispute.opened_at,
    }
    closed = event.type == "charge.dispute.closed"
    created = False
    if not Dispute.objects.filter(stripe_dispute_id=dispute_id).exists():
        try:
            with transaction.atomic():
                Dispute.objects.create(
                    stripe_dispute_id=dispute_id,
                    status=dispute.status,
                    closed_at=event.event_created_at if closed else None,
                    **fields,
                )
            created = True
        except IntegrityError:
            pass
    if closed and not created:
        Dispute.objects.filter(stripe_dispute_id=dispute_id).update(
            status=dispute.status, closed_at=event.event_created_at or timezone.now()
        )
    elif not closed and not created:
        # updated (or created redelivered): a closed dispute keeps its final status.
        Dispute.objects.filter(stripe_dispute_id=dispute_id, closed_at__isnull=True).update(
            status=dispute.status
        )
    if closed and dispute.status == "lost":
        _dispute_lost(dispute, record)


def _on_refund_updated(obj: dict[str, Any], event: StripeEvent) -> None:
    """A refund that failed gave the business its money back after all: the credits its
    charge.refunded took are restored, once per refund (``refund-failed:<refund>``), never
    more than the reversals of that charge took. Other refund updates change nothing."""
    refund = stripe_gateway.parse_refund(obj)
    if refund.status != "failed":
        return
    record = (
        CheckoutSession.objects.filter(payment_intent_id=refund.payment_intent_id).first()
        if refund.payment_intent_id
        else None
    )
    if record is None:
        raise EventIgnored("Not a refund of ours.")
    captured = record.amount_total or 0
    share = (
        record.credits if captured <= 0 else math.floor(record.credits * refund.amount / captured)
    )
    taken = (
        CreditReversal.objects.filter(stripe_charge_id=refund.charge_id).aggregate(
            total=Sum("credits_taken")
        )["total"]
        or 0
    )
    restored = (
        CreditLedgerEntry.objects.filter(
            business_id=record.business_id, key__startswith=f"refund-failed:{refund.charge_id}:"
        ).aggregate(total=Sum("delta"))["total"]
        or 0
    )
    amount = min(share, taken - restored)
    if amount <= 0:
        return
    credits_grant(
        business=BusinessProfile.objects.get(pk=record.business_id),
        amount=amount,
        key=f"refund-failed:{refund.charge_id}:{refund.id}",
        note=f"Refund failed: {record.package.name} credits restored",
    )


EVENT_HANDLERS: dict[str, Callable[[dict[str, Any], StripeEvent], None]] = {
    "checkout.session.completed": _on_checkout_paid,
    "checkout.session.async_payment_succeeded": _on_checkout_paid,
    "checkout.session.async_payment_failed": _on_checkout_payment_failed,
    "checkout.session.expired": _on_checkout_closed,
    "invoice.created": _on_invoice,
    "invoice.finalized": _on_invoice,
    "invoice.paid": _on_invoice,
    "invoice.payment_failed": _on_invoice,
    "invoice.voided": _on_invoice,
    "invoice.marked_uncollectible": _on_invoice,
    "charge.refunded": _on_charge_refunded,
    "charge.refund.updated": _on_refund_updated,
    "charge.dispute.created": _on_dispute,
    "charge.dispute.updated": _on_dispute,
    "charge.dispute.closed": _on_dispute,
}


def stripe_event_handler_register(
    event_type: str,
    handler: Callable[[dict[str, Any], StripeEvent], None],
    *,
    from_connected_accounts: bool = False,
) -> None:
    """An app above billing handles an event type (payouts: Connect events) without
    billing importing it; the event is still stored and applied once here.
    ``from_connected_accounts``: the type may come from a connected account's events."""
    existing = EVENT_HANDLERS.get(event_type)
    if existing is not None and existing is not handler:
        raise ValueError(f"{event_type} already has a handler.")
    EVENT_HANDLERS[event_type] = handler
    if from_connected_accounts:
        CONNECTED_ACCOUNT_EVENTS.add(event_type)
