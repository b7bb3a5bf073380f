"""Factories for billing's collections (raw rows; money moves only through services)."""

from __future__ import annotations

from decimal import Decimal

import factory

from accounts.models import Role
from accounts.tests.factories import BusinessProfileFactory, UserFactory
from billing.models import (
    CheckoutSession,
    CreditLedgerEntry,
    CreditReversal,
    Dispute,
    Invoice,
    InvoiceStatus,
    LedgerReason,
    Package,
    StripeEvent,
)


class PackageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Package

    stripe_price_id = factory.Sequence(lambda n: f"price_factory_{n}")
    name = factory.Sequence(lambda n: f"PACKAGE {n}")
    ai_credits_granted = 50
    price_amount = Decimal("29.00")
    human_model_access = False


class InvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invoice

    user = factory.SubFactory(UserFactory, role=Role.BUSINESS)
    stripe_invoice_id = factory.Sequence(lambda n: f"in_factory_{n}")
    invoice_number = factory.Sequence(lambda n: f"MS-{n:04d}")
    amount_due = Decimal("29.00")
    status = InvoiceStatus.PAID


class CreditLedgerEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CreditLedgerEntry

    business = factory.SubFactory(BusinessProfileFactory)
    delta = 10
    reason = LedgerReason.GRANT
    key = factory.Sequence(lambda n: f"grant:factory-{n}")


class CheckoutSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CheckoutSession

    stripe_session_id = factory.Sequence(lambda n: f"cs_factory_{n}")
    business = factory.SubFactory(BusinessProfileFactory)
    package = factory.SubFactory(PackageFactory)
    credits = factory.SelfAttribute("package.ai_credits_granted")


class StripeEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StripeEvent

    stripe_event_id = factory.Sequence(lambda n: f"evt_factory_{n}")
    type = "invoice.paid"
    payload = factory.LazyAttribute(
        lambda o: {"id": o.stripe_event_id, "type": o.type, "data": {"object": {}}}
    )


class CreditReversalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CreditReversal

    key = factory.Sequence(lambda n: f"reversal:factory-{n}")
    business = factory.SubFactory(BusinessProfileFactory)
    stripe_charge_id = factory.Sequence(lambda n: f"ch_factory_{n}")


class DisputeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dispute

    stripe_dispute_id = factory.Sequence(lambda n: f"dp_factory_{n}")
