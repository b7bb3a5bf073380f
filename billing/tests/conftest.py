from __future__ import annotations

import json

import pytest

from billing.models import Package
from billing.tests.fake_stripe import API_KEY, WEBHOOK_SECRET, FakeStripe, sign


@pytest.fixture
def fake_stripe(settings):
    """Stripe on: the official SDK talks to a local server that answers like Stripe."""
    fake = FakeStripe().start()
    settings.STRIPE_SECRET_KEY = API_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = fake.base_url
    yield fake
    fake.stop()


@pytest.fixture
def payments_off(settings):
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""
    settings.STRIPE_API_BASE = None


@pytest.fixture
def starter(db) -> Package:
    from decimal import Decimal

    return Package.objects.create(
        stripe_price_id="price_starter",
        name="STARTER TIER",
        ai_credits_granted=50,
        price_amount=Decimal("29.00"),
        tier="STARTER",
    )


@pytest.fixture
def growth(db) -> Package:
    from decimal import Decimal

    return Package.objects.create(
        stripe_price_id="price_growth",
        name="GROWTH TIER",
        ai_credits_granted=250,
        price_amount=Decimal("99.00"),
        human_model_access=True,
        tier="GROWTER",
    )


@pytest.fixture
def post_event(client):
    """Delivers an event to the webhook, signed like Stripe signs it."""

    def deliver(event: dict | bytes, **sign_kwargs):
        body = event if isinstance(event, bytes) else json.dumps(event).encode()
        return client.post(
            "/billing/stripe/webhook/",
            data=body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=sign(body, **sign_kwargs),
        )

    return deliver
