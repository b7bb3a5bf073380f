"""packages and invoices."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from accounts.models import BusinessProfile, SubscriptionStatus
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
    # Stripe's `created` of the event that last wrote this row: an older event
    # never overwrites a newer state (webhooks arrive in any order).
    last_event_at = models.DateTimeField(null=True, blank=True, db_column="lastEventAt")

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


# --- the credit ledger ----------------------------------------------------------------


class LedgerReason(models.TextChoices):
    GRANT = "grant", "Grant"
    SPEND = "spend", "Spend"
    REFUND = "refund", "Refund"
    REVERSAL = "reversal", "Reversal"
    ADJUSTMENT = "adjustment", "Admin adjustment"


class LedgerState(models.TextChoices):
    # A row is written PENDING before the balance moves and flipped to APPLIED
    # right after: a crash in between leaves a visible PENDING row that
    # check_ledgers reports and --repair resolves (see billing.services).
    PENDING = "pending", "Pending"
    APPLIED = "applied", "Applied"


class CreditLedgerEntry(models.Model):
    """One credit movement. Append-only: rows are never edited, except the
    pending → applied flip of their own commit marker (and a refused PENDING row
    is removed, because its movement never happened)."""

    id = ObjectIdPrimaryKey()
    business = models.ForeignKey(
        "accounts.BusinessProfile",
        on_delete=models.PROTECT,
        db_column="businessId",
        related_name="+",
    )
    delta = models.IntegerField()
    reason = models.CharField(max_length=16, choices=LedgerReason.choices)
    # Idempotency key: grant:<checkout session>, spend:<generation>, refund:<generation> ...
    key = models.CharField(max_length=255, unique=True)
    state = models.CharField(max_length=8, choices=LedgerState.choices, default=LedgerState.PENDING)
    balance_after = models.IntegerField(null=True, blank=True, db_column="balanceAfter")
    # True when the movement records its key on the balance document as it applies
    # (every row written since repair-by-proof); older rows cannot be proven either way.
    key_tracked = models.BooleanField(default=False, db_column="keyTracked")
    created_at = models.DateTimeField(default=timezone.now, db_column="createdAt")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_column="actorId",
        related_name="+",
    )
    note = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        db_table = "credit_ledger"
        ordering = ["-created_at"]
        verbose_name = "credit ledger entry"
        verbose_name_plural = "credit ledger"
        indexes = [
            models.Index(fields=["business", "-created_at"], name="credit_ledger_business_time"),
            models.Index(fields=["state"], name="credit_ledger_state"),
        ]

    def __str__(self) -> str:
        return f"{self.delta:+d} {self.reason} ({self.key})"


# --- Stripe mirrors ---------------------------------------------------------------------


class CheckoutStatus(models.TextChoices):
    OPEN = "open", "Open"
    COMPLETE = "complete", "Complete"
    EXPIRED = "expired", "Expired"


# Our own paymentStatus after checkout.session.async_payment_failed (Stripe's session
# keeps "unpaid", which looks like "still pending"): the purchase is over, unpaid.
PAYMENT_FAILED = "failed"


class CheckoutSession(models.Model):
    """A purchase started from the packages page; the credits are a snapshot so a
    later package edit never changes what an earlier purchase grants."""

    id = ObjectIdPrimaryKey()
    stripe_session_id = models.CharField(max_length=255, unique=True, db_column="stripeSessionId")
    business = models.ForeignKey(
        "accounts.BusinessProfile",
        on_delete=models.PROTECT,
        db_column="businessId",
        related_name="+",
    )
    package = models.ForeignKey(
        Package, on_delete=models.PROTECT, db_column="packageId", related_name="+"
    )
    credits = models.PositiveIntegerField()
    amount_total = models.IntegerField(null=True, blank=True, db_column="amountTotal")  # cents
    currency = models.CharField(max_length=3, default="USD")
    status = models.CharField(
        max_length=16, choices=CheckoutStatus.choices, default=CheckoutStatus.OPEN
    )
    payment_status = models.CharField(
        max_length=32, blank=True, default="unpaid", db_column="paymentStatus"
    )
    payment_intent_id = models.CharField(
        max_length=255, blank=True, default="", db_index=True, db_column="stripePaymentIntentId"
    )
    url = models.URLField(max_length=2000, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, db_column="createdAt")
    fulfilled_at = models.DateTimeField(null=True, blank=True, db_column="fulfilledAt")

    class Meta:
        db_table = "checkout_sessions"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["business", "-created_at"], name="checkout_business_time"),
        ]

    def __str__(self) -> str:
        return self.stripe_session_id

    @property
    def is_fulfilled(self) -> bool:
        return self.fulfilled_at is not None

    @property
    def payment_failed(self) -> bool:
        return self.payment_status == PAYMENT_FAILED and self.fulfilled_at is None


class EventState(models.TextChoices):
    RECEIVED = "received", "Received"
    STARTED = "started", "Started"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    IGNORED = "ignored", "Ignored"


class StripeEvent(models.Model):
    """Each webhook event stored once by its Stripe id, with its handler state."""

    id = ObjectIdPrimaryKey()
    stripe_event_id = models.CharField(max_length=255, unique=True, db_column="stripeEventId")
    type = models.CharField(max_length=100, db_index=True)
    livemode = models.BooleanField(default=False)
    event_created_at = models.DateTimeField(null=True, blank=True, db_column="eventCreatedAt")
    payload = models.JSONField(default=dict)
    state = models.CharField(
        max_length=16, choices=EventState.choices, default=EventState.RECEIVED, db_index=True
    )
    error = models.TextField(blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField(default=timezone.now, db_column="receivedAt")
    started_at = models.DateTimeField(null=True, blank=True, db_column="startedAt")
    processed_at = models.DateTimeField(null=True, blank=True, db_column="processedAt")

    class Meta:
        db_table = "stripe_events"
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.stripe_event_id}"


class CreditReversal(models.Model):
    """Credits taken back after a refund; `shortfall` is what had already been spent."""

    id = ObjectIdPrimaryKey()
    key = models.CharField(max_length=255, unique=True)
    business = models.ForeignKey(
        "accounts.BusinessProfile",
        on_delete=models.PROTECT,
        db_column="businessId",
        related_name="+",
    )
    checkout_session = models.ForeignKey(
        CheckoutSession,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_column="checkoutSessionId",
        related_name="+",
    )
    stripe_charge_id = models.CharField(max_length=255, db_index=True, db_column="stripeChargeId")
    amount_refunded = models.IntegerField(
        default=0, db_column="amountRefunded"
    )  # cents, cumulative
    credits_due = models.IntegerField(default=0, db_column="creditsDue")
    credits_taken = models.IntegerField(default=0, db_column="creditsTaken")
    shortfall = models.IntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_column="createdAt")

    class Meta:
        db_table = "credit_reversals"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.key


class Dispute(models.Model):
    id = ObjectIdPrimaryKey()
    stripe_dispute_id = models.CharField(max_length=255, unique=True, db_column="stripeDisputeId")
    stripe_charge_id = models.CharField(
        max_length=255, blank=True, default="", db_index=True, db_column="stripeChargeId"
    )
    business = models.ForeignKey(
        "accounts.BusinessProfile",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_column="businessId",
        related_name="+",
    )
    amount = models.IntegerField(default=0)  # cents
    currency = models.CharField(max_length=3, default="USD")
    reason = models.CharField(max_length=64, blank=True, default="")
    status = models.CharField(max_length=32, blank=True, default="")
    opened_at = models.DateTimeField(null=True, blank=True, db_column="openedAt")
    closed_at = models.DateTimeField(null=True, blank=True, db_column="closedAt")

    class Meta:
        db_table = "disputes"
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return self.stripe_dispute_id


class BusinessCredits(BusinessProfile):
    """The businesses' balances as the billing admin shows them (grant/adjust action)."""

    class Meta:
        proxy = True
        verbose_name = "business credit balance"
        verbose_name_plural = "business credit balances"
