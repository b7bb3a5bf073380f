"""The only module that talks to Stripe (official SDK, ``stripe.StripeClient``).

Returns small frozen dataclasses (``PriceInfo``, ``CheckoutSessionInfo``, ``InvoiceInfo``,
``ChargeInfo``, ``DisputeInfo``) and turns SDK errors into our own
(``StripeGatewayError``, ``StripeNotFound``, ``WebhookInvalid``,
``StripeObjectInvalid``), so the rest of billing never imports the SDK nor picks
fields out of Stripe's JSON. The ``parse_*`` functions read the same objects out of a
stored webhook event. ``STRIPE_API_BASE`` points the client at another host (tests use
a local HTTP server that answers like Stripe).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import stripe
from django.conf import settings
from stripe._base_address import BaseAddresses

logger = logging.getLogger(__name__)

# Retries are safe: every POST carries an idempotency key.
MAX_NETWORK_RETRIES = 2
# A page waiting on Stripe gives up after this (connect, read) instead of the SDK's 80 s.
HTTP_TIMEOUT_SECONDS = (5, 20)
# Stripe's own default: signatures older than this are refused (replay protection).
WEBHOOK_TOLERANCE_SECONDS = 300


class StripeGatewayError(Exception):
    """Stripe could not be reached or refused the request."""


class StripeNotFound(StripeGatewayError):
    """The object (price, session, ...) does not exist in Stripe."""


class WebhookInvalid(Exception):
    """A webhook whose signature or body cannot be trusted."""


class StripeObjectInvalid(StripeGatewayError, ValueError):
    """A Stripe object (in an API answer or an event) lacks what we rely on."""


# --- typed values ------------------------------------------------------------------------


@dataclass(frozen=True)
class PriceInfo:
    id: str
    active: bool
    recurring: bool = False  # a subscription price: Checkout in payment mode refuses it


@dataclass(frozen=True)
class CheckoutSessionInfo:
    id: str
    status: str  # open | complete | expired ("" when Stripe did not say)
    payment_status: str  # paid | unpaid | no_payment_required ("" when not said)
    url: str
    amount_total: int | None  # smallest currency unit
    currency: str  # upper case, "" when not said
    payment_intent_id: str
    business_id: str  # our metadata (or client_reference_id)
    package_id: str

    @property
    def is_paid(self) -> bool:
        return self.payment_status in {"paid", "no_payment_required"}


@dataclass(frozen=True)
class InvoiceLine:
    description: str
    quantity: int
    amount: int
    currency: str
    price_id: str


@dataclass(frozen=True)
class InvoiceInfo:
    id: str
    customer_id: str
    business_id: str
    number: str
    status: str
    currency: str
    amount_due: int  # smallest currency unit
    pdf_url: str
    hosted_invoice_url: str
    period_start: datetime | None
    period_end: datetime | None
    paid_at: datetime | None
    lines: tuple[InvoiceLine, ...]


@dataclass(frozen=True)
class ChargeInfo:
    id: str
    payment_intent_id: str
    customer_id: str
    business_id: str
    amount_captured: int
    amount_refunded: int
    fully_refunded: bool


@dataclass(frozen=True)
class DisputeInfo:
    id: str
    charge_id: str
    payment_intent_id: str
    amount: int
    currency: str
    reason: str
    status: str
    opened_at: datetime | None


@dataclass(frozen=True)
class RefundInfo:
    id: str
    charge_id: str
    payment_intent_id: str
    amount: int
    status: str  # pending | requires_action | succeeded | failed | canceled


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any, what: str) -> int:
    """A whole number Stripe sent (0 when absent); anything else is refused, never
    read as 0: a malformed amount must fail the event, not lose money quietly."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise StripeObjectInvalid(f"{what} is not a whole number: {value!r}.")
    return int(value)


def _id_of(value: Any) -> str:
    """An id, or the id of an expanded object."""
    if isinstance(value, dict):
        value = value.get("id")
    return _text(value)


def timestamp(value: Any) -> datetime | None:
    """A Stripe Unix timestamp as an aware datetime (None when absent or nonsense)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    return datetime.fromtimestamp(value, tz=UTC)


def _metadata(obj: dict[str, Any]) -> dict[str, Any]:
    metadata = obj.get("metadata")
    return metadata if isinstance(metadata, dict) else {}


def _required_id(obj: dict[str, Any], what: str) -> str:
    object_id = _text(obj.get("id"))
    if not object_id:
        raise StripeObjectInvalid(f"{what} without an id.")
    return object_id


@dataclass(frozen=True)
class EventInfo:
    """A verified webhook event: what we index it by, and its whole JSON to store."""

    id: str
    type: str
    livemode: bool
    created_at: datetime | None
    payload: dict[str, Any]


def event_object(payload: dict[str, Any]) -> dict[str, Any]:
    """The object a stored event is about (``data.object``)."""
    data = payload.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict):
        raise StripeObjectInvalid("Event without data.object.")
    return obj


def parse_price(obj: dict[str, Any]) -> PriceInfo:
    # As before the typed gateway: a price is on sale unless Stripe says otherwise.
    return PriceInfo(
        id=_required_id(obj, "Price"),
        active=bool(obj.get("active", True)),
        recurring=obj.get("type") == "recurring" or isinstance(obj.get("recurring"), dict),
    )


def parse_checkout_session(obj: dict[str, Any]) -> CheckoutSessionInfo:
    metadata = _metadata(obj)
    amount = obj.get("amount_total")
    return CheckoutSessionInfo(
        id=_required_id(obj, "Checkout session"),
        status=_text(obj.get("status")),
        payment_status=_text(obj.get("payment_status")),
        url=_text(obj.get("url")),
        amount_total=_int(amount, "amount_total") if amount is not None else None,
        currency=_text(obj.get("currency")).upper(),
        payment_intent_id=_id_of(obj.get("payment_intent")),
        business_id=_text(metadata.get("business_id")) or _text(obj.get("client_reference_id")),
        package_id=_text(metadata.get("package_id")),
    )


def _invoice_line(line: dict[str, Any], currency: str) -> InvoiceLine:
    # Newer API versions name the price under pricing.price_details, older ones inline.
    pricing = line.get("pricing") if isinstance(line.get("pricing"), dict) else {}
    details = pricing.get("price_details") if isinstance(pricing, dict) else None
    if isinstance(details, dict):
        price_id = _id_of(details.get("price"))
    else:
        price_id = _id_of(line.get("price"))
    return InvoiceLine(
        description=_text(line.get("description")),
        quantity=_int(line.get("quantity"), "quantity") or 1,
        amount=_int(line.get("amount"), "amount"),
        currency=(_text(line.get("currency")) or currency).upper(),
        price_id=price_id,
    )


def parse_invoice(obj: dict[str, Any]) -> InvoiceInfo:
    currency = (_text(obj.get("currency")) or "usd").upper()
    lines = obj.get("lines") if isinstance(obj.get("lines"), dict) else {}
    transitions = obj.get("status_transitions")
    return InvoiceInfo(
        id=_required_id(obj, "Invoice"),
        customer_id=_id_of(obj.get("customer")),
        business_id=_text(_metadata(obj).get("business_id")),
        number=_text(obj.get("number")),
        status=_text(obj.get("status")),
        currency=currency,
        amount_due=_int(obj.get("amount_due"), "amount_due"),
        pdf_url=_text(obj.get("invoice_pdf")),
        hosted_invoice_url=_text(obj.get("hosted_invoice_url")),
        period_start=timestamp(obj.get("period_start")),
        period_end=timestamp(obj.get("period_end")),
        paid_at=timestamp(transitions.get("paid_at")) if isinstance(transitions, dict) else None,
        lines=tuple(
            _invoice_line(line, currency)
            for line in (lines.get("data") if isinstance(lines, dict) else None) or []
            if isinstance(line, dict)
        ),
    )


def parse_charge(obj: dict[str, Any]) -> ChargeInfo:
    return ChargeInfo(
        id=_required_id(obj, "Charge"),
        payment_intent_id=_id_of(obj.get("payment_intent")),
        customer_id=_id_of(obj.get("customer")),
        business_id=_text(_metadata(obj).get("business_id")),
        amount_captured=(
            _int(obj.get("amount_captured"), "amount_captured") or _int(obj.get("amount"), "amount")
        ),
        amount_refunded=_int(obj.get("amount_refunded"), "amount_refunded"),
        fully_refunded=obj.get("refunded") is True,
    )


def parse_refund(obj: dict[str, Any]) -> RefundInfo:
    return RefundInfo(
        id=_required_id(obj, "Refund"),
        charge_id=_id_of(obj.get("charge")),
        payment_intent_id=_id_of(obj.get("payment_intent")),
        amount=_int(obj.get("amount"), "amount"),
        status=_text(obj.get("status")),
    )


def parse_dispute(obj: dict[str, Any]) -> DisputeInfo:
    return DisputeInfo(
        id=_required_id(obj, "Dispute"),
        charge_id=_id_of(obj.get("charge")),
        payment_intent_id=_id_of(obj.get("payment_intent")),
        amount=_int(obj.get("amount"), "amount"),
        currency=(_text(obj.get("currency")) or "usd").upper(),
        reason=_text(obj.get("reason")),
        status=_text(obj.get("status")),
        opened_at=timestamp(obj.get("created")),
    )


# --- calls ---------------------------------------------------------------------------------


def payments_enabled() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def _client() -> stripe.StripeClient:
    if not payments_enabled():
        raise StripeGatewayError("Payments are not configured (STRIPE_SECRET_KEY is empty).")
    base_addresses: BaseAddresses | None = (
        {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
    )
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses=base_addresses,
        max_network_retries=MAX_NETWORK_RETRIES,
        http_client=stripe.RequestsClient(timeout=HTTP_TIMEOUT_SECONDS),
    )


def _call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
    try:
        result = fn(*args, **kwargs)
    except stripe.InvalidRequestError as exc:
        if getattr(exc, "code", None) == "resource_missing" or exc.http_status == 404:
            raise StripeNotFound(exc.user_message or str(exc)) from exc
        raise StripeGatewayError(exc.user_message or str(exc)) from exc
    except stripe.StripeError as exc:
        logger.warning("Stripe request failed: %s", exc)
        raise StripeGatewayError(exc.user_message or "Stripe could not be reached.") from exc
    return dict(result.to_dict())


def customer_create(*, email: str, name: str, business_id: str) -> str:
    """Creates the business's Stripe customer; the idempotency key makes a
    concurrent second call return the same customer instead of a duplicate."""
    customer = _call(
        _client().v1.customers.create,
        params={"email": email, "name": name, "metadata": {"business_id": business_id}},
        options={"idempotency_key": f"customer-{business_id}"},
    )
    return str(customer["id"])


def price_retrieve(*, price_id: str) -> PriceInfo:
    return parse_price(_call(_client().v1.prices.retrieve, price_id))


def checkout_session_create(
    *,
    customer_id: str,
    price_id: str,
    business_id: str,
    package_id: str,
    success_url: str,
    cancel_url: str,
    idempotency_key: str,
) -> CheckoutSessionInfo:
    metadata = {"business_id": business_id, "package_id": package_id}
    params = {
        "mode": "payment",
        "customer": customer_id,
        "client_reference_id": business_id,
        "line_items": [{"price": price_id, "quantity": 1}],
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
        # One-time payments get an invoice only when asked; the invoices page mirrors it.
        "invoice_creation": {"enabled": True, "invoice_data": {"metadata": metadata}},
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    return parse_checkout_session(
        _call(
            _client().v1.checkout.sessions.create,
            params=params,
            options={"idempotency_key": idempotency_key},
        )
    )


def checkout_session_retrieve(*, session_id: str) -> CheckoutSessionInfo:
    return parse_checkout_session(_call(_client().v1.checkout.sessions.retrieve, session_id))


def portal_session_create(*, customer_id: str, return_url: str) -> str:
    session = _call(
        _client().v1.billing_portal.sessions.create,
        params={"customer": customer_id, "return_url": return_url},
    )
    return str(session["url"])


# Deeper than any Stripe event (a dozen levels), well under MongoDB's limit of 100.
MAX_EVENT_DEPTH = 32


def _depth_exceeds(value: Any, limit: int) -> bool:
    """True when ``value`` nests deeper than ``limit`` (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return False


# The parser each handled event type's object must pass before the event is stored:
# a signed body we could never apply is refused (400) instead of failing for days.
_EVENT_PARSERS: tuple[tuple[str, Callable[[dict[str, Any]], object]], ...] = (
    ("checkout.session.", parse_checkout_session),
    ("invoice.", parse_invoice),
    ("charge.dispute.", parse_dispute),
    ("charge.refund.", parse_refund),
    ("charge.", parse_charge),
)


def _check_event_object(event_type: str, obj: dict[str, Any]) -> None:
    for prefix, parse in _EVENT_PARSERS:
        if event_type.startswith(prefix):
            try:
                parse(obj)
            except (StripeObjectInvalid, TypeError, ValueError, AttributeError) as exc:
                raise WebhookInvalid(f"The {prefix[:-1]} object is malformed: {exc}") from None
            return


def _verify_signature(payload: bytes, signature: str | None, secrets: list[str]) -> None:
    failure = ""
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(
                payload, signature, secret, tolerance=WEBHOOK_TOLERANCE_SECONDS
            )
            return
        except stripe.SignatureVerificationError as exc:
            failure = str(exc.user_message or exc)
        except UnicodeDecodeError:
            raise WebhookInvalid("The body is not UTF-8.") from None
    raise WebhookInvalid(f"Bad signature: {failure}")


def webhook_parse(*, payload: bytes, signature: str | None) -> EventInfo:
    """Verifies ``Stripe-Signature`` against STRIPE_WEBHOOK_SECRET (HMAC-SHA256 of
    ``"<t>.<body>"``, at most WEBHOOK_TOLERANCE_SECONDS old) and returns the event."""
    # Connected accounts' events (account.updated) come from a Connect endpoint, which
    # Stripe signs with its own secret; the platform's events with the other.
    secrets = [
        secret
        for secret in (settings.STRIPE_WEBHOOK_SECRET, settings.STRIPE_CONNECT_WEBHOOK_SECRET)
        if secret
    ]
    if not secrets:
        raise WebhookInvalid("Webhooks are not configured (STRIPE_WEBHOOK_SECRET is empty).")
    _verify_signature(payload, signature, secrets)
    try:
        event = json.loads(payload)
    except RecursionError:
        raise WebhookInvalid("The body nests too deeply.") from None
    except ValueError:
        raise WebhookInvalid("The body is not JSON.") from None
    if _depth_exceeds(event, MAX_EVENT_DEPTH):
        # Stripe's events nest a dozen levels; deeper cannot be Stripe's and would
        # break the handlers and MongoDB's 100-level document limit.
        raise WebhookInvalid("The body nests too deeply.")
    if (
        not isinstance(event, dict)
        or not isinstance(event.get("id"), str)
        or not isinstance(event.get("type"), str)
        or not isinstance(event.get("data"), dict)
        or not isinstance(event["data"].get("object"), dict)
    ):
        raise WebhookInvalid("The body is not a Stripe event.")
    _check_event_object(event["type"], event["data"]["object"])
    return EventInfo(
        id=event["id"],
        type=event["type"][:100],
        livemode=event.get("livemode") is True,
        created_at=timestamp(event.get("created")),
        payload=event,
    )


# --- Connect (payouts to models) -------------------------------------------------------------


class StripeUnavailable(StripeGatewayError):
    """Stripe did not answer, or answered 5xx/429: the request may or may not have
    been applied, so the caller retries with the same idempotency key, never gives up
    on the money."""


@dataclass(frozen=True)
class AccountInfo:
    """A connected (Express) account: only what the payouts page and the run need."""

    id: str
    payouts_enabled: bool
    details_submitted: bool
    transfers_active: bool  # capabilities.transfers == "active"
    currently_due: tuple[str, ...]
    disabled_reason: str
    model_id: str  # our metadata


@dataclass(frozen=True)
class ReversalInfo:
    """One reversal of a transfer (``trr_…``): its own id, amount (cents) and time."""

    id: str
    amount: int
    created: int = 0  # Unix seconds


@dataclass(frozen=True)
class TransferInfo:
    id: str
    amount: int  # cents
    amount_reversed: int
    currency: str  # upper case
    destination: str
    reversed: bool
    transfer_group: str
    payout_key: str  # our metadata
    # The reversals the object embeds (Stripe embeds the first page of its list), and
    # whether that page is all of them.
    reversals: tuple[ReversalInfo, ...] = ()
    reversals_complete: bool = False


def parse_account(obj: dict[str, Any]) -> AccountInfo:
    requirements = obj.get("requirements") if isinstance(obj.get("requirements"), dict) else {}
    capabilities = obj.get("capabilities") if isinstance(obj.get("capabilities"), dict) else {}
    due = requirements.get("currently_due") if isinstance(requirements, dict) else None
    return AccountInfo(
        id=_required_id(obj, "Account"),
        payouts_enabled=obj.get("payouts_enabled") is True,
        details_submitted=obj.get("details_submitted") is True,
        transfers_active=isinstance(capabilities, dict)
        and capabilities.get("transfers") == "active",
        currently_due=tuple(item for item in (due or []) if isinstance(item, str)),
        disabled_reason=_text(requirements.get("disabled_reason"))
        if isinstance(requirements, dict)
        else "",
        model_id=_text(_metadata(obj).get("model_id")),
    )


def parse_reversal(obj: dict[str, Any]) -> ReversalInfo:
    return ReversalInfo(
        id=_required_id(obj, "Transfer reversal"),
        amount=_int(obj.get("amount"), "amount"),
        created=_int(obj.get("created"), "created"),
    )


def parse_transfer(obj: dict[str, Any]) -> TransferInfo:
    listing = obj.get("reversals")
    data = listing.get("data") if isinstance(listing, dict) else None
    reversals = (
        tuple(parse_reversal(r) for r in data if isinstance(r, dict))
        if isinstance(data, list)
        else ()
    )
    complete = (
        isinstance(data, list) and isinstance(listing, dict) and listing.get("has_more") is False
    )
    return TransferInfo(
        id=_required_id(obj, "Transfer"),
        amount=_int(obj.get("amount"), "amount"),
        amount_reversed=_int(obj.get("amount_reversed"), "amount_reversed"),
        currency=(_text(obj.get("currency")) or "usd").upper(),
        destination=_id_of(obj.get("destination")),
        reversed=obj.get("reversed") is True,
        transfer_group=_text(obj.get("transfer_group")),
        payout_key=_text(_metadata(obj).get("payout_key")),
        reversals=reversals,
        reversals_complete=complete,
    )


def _connect_call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
    """``_call``, telling "Stripe may not have seen it" (retry with the same key)
    apart from "Stripe refused it" (a definite answer)."""
    try:
        result = fn(*args, **kwargs)
    except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
        logger.warning("Stripe unreachable: %s", exc)
        raise StripeUnavailable("Stripe could not be reached; nothing was lost.") from exc
    except stripe.APIError as exc:
        logger.warning("Stripe error: %s", exc)
        raise StripeUnavailable("Stripe had an error; nothing was lost.") from exc
    except stripe.StripeError as exc:
        if isinstance(exc, stripe.InvalidRequestError) and (
            getattr(exc, "code", None) == "resource_missing" or exc.http_status == 404
        ):
            raise StripeNotFound(exc.user_message or str(exc)) from exc
        logger.warning("Stripe refused: %s", exc)
        raise StripeGatewayError(exc.user_message or str(exc) or "Stripe refused.") from exc
    return dict(result.to_dict())


def connect_account_create(*, model_id: str, email: str, idempotency_key: str) -> AccountInfo:
    """An Express account able to receive transfers; Stripe collects identity, tax and
    bank details itself. Keyed by model: a retry or a double click makes one account."""
    return parse_account(
        _connect_call(
            _client().v1.accounts.create,
            params={
                "type": "express",
                "email": email,
                "capabilities": {"transfers": {"requested": True}},
                "metadata": {"model_id": model_id},
            },
            options={"idempotency_key": idempotency_key},
        )
    )


def account_retrieve(*, account_id: str) -> AccountInfo:
    return parse_account(_connect_call(_client().v1.accounts.retrieve, account_id))


def account_link_create(*, account_id: str, refresh_url: str, return_url: str) -> str:
    """A one-time onboarding URL (expires in minutes; refresh_url makes a new one)."""
    link = _connect_call(
        _client().v1.account_links.create,
        params={
            "account": account_id,
            "refresh_url": refresh_url,
            "return_url": return_url,
            "type": "account_onboarding",
        },
    )
    return _text(link.get("url"))


def transfer_create(
    *, amount_cents: int, destination: str, payout_key: str, model_id: str, payout_id: str
) -> TransferInfo:
    """Moves ``amount_cents`` USD from the platform to the connected account. The ledger
    key is the idempotency key and the transfer group, so a repeat never pays twice."""
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise ValueError(f"A transfer is a positive whole number of cents, not {amount_cents!r}.")
    return parse_transfer(
        _connect_call(
            _client().v1.transfers.create,
            params={
                "amount": amount_cents,
                "currency": "usd",
                "destination": destination,
                "transfer_group": payout_key,
                "description": "ModelSnapper royalties",
                "metadata": {
                    "payout_key": payout_key,
                    "model_id": model_id,
                    "payout_id": payout_id,
                },
            },
            options={"idempotency_key": payout_key},
        )
    )


def transfer_reversals(*, transfer_id: str) -> list[ReversalInfo]:
    """All reversals of one transfer, page by page (when the transfer object's embedded
    first page says there are more)."""
    found: list[ReversalInfo] = []
    params: dict[str, Any] = {"limit": 100}
    while True:
        page = _connect_call(_client().v1.transfers.reversals.list, transfer_id, params=params)
        data = page.get("data")
        batch = [
            parse_reversal(r)
            for r in (data if isinstance(data, list) else [])
            if isinstance(r, dict)
        ]
        found.extend(batch)
        if page.get("has_more") is not True or not batch:
            return found
        params = {"limit": 100, "starting_after": batch[-1].id}


def transfers_in_group(*, transfer_group: str) -> list[TransferInfo]:
    """Transfers already made for one payout: the proof a resumed run checks first
    (an idempotency key lasts 24 hours; the group does not expire)."""
    page = _connect_call(
        _client().v1.transfers.list, params={"transfer_group": transfer_group, "limit": 10}
    )
    data = page.get("data")
    return [parse_transfer(obj) for obj in (data if isinstance(data, list) else [])]
