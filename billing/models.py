"""packages and invoices."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from accounts.models import SubscriptionStatus
from modelsnapper.fields import ObjectIdPrimaryKey


class Package(models.Model):
    id = ObjectIdPrimaryKey()
    stripe_price_id = models.CharField(max_length=255, unique=True, db_column="stripePriceId")
    name = models.CharField(max_length=120)
    ai_credits_granted = models.PositiveIntegerField(db_column="aiCreditsGranted")
    human_model_access = models.BooleanField(default=False, db_column="humanModelAccess")
    is_active = models.BooleanField(default=True, db_index=True, db_column="isActive")
    # Display price; the amount charged is always the Stripe Price's own.
    price_amount = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal("0.00"), db_column="priceAmount"
    )
    currency = models.CharField(max_length=3, default="USD")
    # The subscriptionStatus a business gets when it buys this package.
    tier = models.CharField(
        max_length=16,
        choices=SubscriptionStatus.choices,
        default=SubscriptionStatus.STARTER,
    )

    class Meta:
        db_table = "packages"
        ordering = ["price_amount", "name"]

    def __str__(self) -> str:
        return self.name


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open"
    PAID = "paid", "Paid"
    UNCOLLECTIBLE = "uncollectible", "Uncollectible"
    VOID = "void", "Void"


LINE_ITEM_KEYS = {"description", "quantity", "amount", "currency", "priceId"}


class Invoice(models.Model):
    id = ObjectIdPrimaryKey()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        db_column="userId",
        related_name="invoices",
    )
    stripe_invoice_id = models.CharField(max_length=255, unique=True, db_column="stripeInvoiceId")
    invoice_number = models.CharField(
        max_length=64, blank=True, default="", db_index=True, db_column="invoiceNumber"
    )
    amount_due = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal("0.00"), db_column="amountDue"
    )
    currency = models.CharField(max_length=3, default="USD")
    status = models.CharField(
        max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT, db_index=True
    )
    pdf_url = models.URLField(max_length=1000, blank=True, default="", db_column="pdfUrl")
    hosted_invoice_url = models.URLField(
        max_length=1000, blank=True, default="", db_column="hostedInvoiceUrl"
    )
    period_start = models.DateTimeField(null=True, blank=True, db_column="periodStart")
    period_end = models.DateTimeField(null=True, blank=True, db_column="periodEnd")
    # Embedded array of subdocuments (native on MongoDB, JSON on SQL).
    line_items = models.JSONField(default=list, blank=True, db_column="lineItems")
    paid_at = models.DateTimeField(null=True, blank=True, db_column="paidAt")

    class Meta:
        db_table = "invoices"
        ordering = ["-period_start"]

    def __str__(self) -> str:
        return self.invoice_number or self.stripe_invoice_id

    def clean(self) -> None:
        super().clean()
        if not isinstance(self.line_items, list):
            raise ValidationError({"line_items": "Line items must be a list."})
        for index, item in enumerate(self.line_items):
            if not isinstance(item, dict):
                raise ValidationError({"line_items": f"Line item {index + 1} must be an object."})
            unknown = set(item) - LINE_ITEM_KEYS
            if unknown:
                raise ValidationError(
                    {"line_items": f"Line item {index + 1} has unknown keys: {sorted(unknown)}."}
                )
            if "amount" in item and not isinstance(item["amount"], int):
                raise ValidationError(
                    {"line_items": f"Line item {index + 1}: amount must be integer cents."}
                )
