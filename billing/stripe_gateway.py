"""The only module that talks to Stripe (official SDK, ``stripe.StripeClient``).

Returns plain dicts / small values and turns SDK errors into our own
(``StripeGatewayError``, ``StripeNotFound``, ``WebhookInvalid``), so the rest of
billing never imports the SDK. ``STRIPE_API_BASE`` points the client at another
host (tests use a local HTTP server that answers like Stripe).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
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


def price_retrieve(*, price_id: str) -> dict[str, Any]:
    return _call(_client().v1.prices.retrieve, price_id)


def checkout_session_create(
    *,
    customer_id: str,
    price_id: str,
    business_id: str,
    package_id: str,
    success_url: str,
    cancel_url: str,
    idempotency_key: str,
) -> dict[str, Any]:
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
    return _call(
        _client().v1.checkout.sessions.create,
        params=params,
        options={"idempotency_key": idempotency_key},
    )


def checkout_session_retrieve(*, session_id: str) -> dict[str, Any]:
    return _call(_client().v1.checkout.sessions.retrieve, session_id)


def portal_session_create(*, customer_id: str, return_url: str) -> str:
    session = _call(
        _client().v1.billing_portal.sessions.create,
        params={"customer": customer_id, "return_url": return_url},
    )
    return str(session["url"])


def webhook_parse(*, payload: bytes, signature: str | None) -> dict[str, Any]:
    """Verifies ``Stripe-Signature`` against STRIPE_WEBHOOK_SECRET (HMAC-SHA256 of
    ``"<t>.<body>"``, at most WEBHOOK_TOLERANCE_SECONDS old) and returns the event."""
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        raise WebhookInvalid("Webhooks are not configured (STRIPE_WEBHOOK_SECRET is empty).")
    try:
        stripe.WebhookSignature.verify_header(
            payload, signature, secret, tolerance=WEBHOOK_TOLERANCE_SECONDS
        )
    except stripe.SignatureVerificationError as exc:
        raise WebhookInvalid(f"Bad signature: {exc.user_message or exc}") from None
    except UnicodeDecodeError:
        raise WebhookInvalid("The body is not UTF-8.") from None
    try:
        event = json.loads(payload)
    except ValueError:
        raise WebhookInvalid("The body is not JSON.") from None
    if (
        not isinstance(event, dict)
        or not isinstance(event.get("id"), str)
        or not isinstance(event.get("type"), str)
        or not isinstance(event.get("data"), dict)
        or not isinstance(event["data"].get("object"), dict)
    ):
        raise WebhookInvalid("The body is not a Stripe event.")
    return event
