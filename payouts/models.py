"""Payouts to models: their connected Stripe account's state and the payout ledger.

``payout_ledger`` is append-only like ``royalty_ledger``: a payout is a row with a
unique key (``payout:<model>:<run date>``, manual ones ``payout:<model>:manual:<token>``)
that takes the amount out of ``royaltyBalance``; money given back (a failed transfer,
a ``transfer.reversed`` event) is a second row ``return:<payout key>`` — unique, so
it is given back once. A model's ``royaltyBalance`` = royalties - taken payouts +
returns (``check_royalties``).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import ModelProfile
from modelsnapper.fields import ObjectIdPrimaryKey, StringListField


class AccountState(models.TextChoices):
    NONE = "none", "Not set up"
    ONBOARDING = "onboarding", "Setup not finished"
    ENABLED = "enabled", "Payouts enabled"
    RESTRICTED = "restricted", "Payouts paused by Stripe"
    DISCONNECTED = "disconnected", "Disconnected"


class PayoutAccount(models.Model):
    """One per model. Stripe keeps identity, tax and bank details; we keep only the
    connected account's id and its state."""

    id = ObjectIdPrimaryKey()
    model = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        db_column="modelId",
        related_name="payout_account",
    )
    stripe_account_id = models.CharField(
        max_length=64, blank=True, default="", db_column="stripeAccountId"
    )
    state = models.CharField(max_length=16, choices=AccountState.choices, default=AccountState.NONE)
    payouts_enabled = models.BooleanField(default=False, db_column="payoutsEnabled")
    details_submitted = models.BooleanField(default=False, db_column="detailsSubmitted")
    requirements_due = StringListField(db_column="requirementsDue")
    disabled_reason = models.CharField(
        max_length=100, blank=True, default="", db_column="disabledReason"
    )
    # When Stripe last told us (event ``created`` or retrieve time): older news is ignored.
    stripe_seen_at = models.DateTimeField(null=True, blank=True, db_column="stripeSeenAt")
    # An admin's hold (e.g. while a misuse report is open): the run skips the model.
    on_hold = models.BooleanField(default=False, db_column="onHold")
    hold_reason = models.CharField(max_length=300, blank=True, default="", db_column="holdReason")
    held_at = models.DateTimeField(null=True, blank=True, db_column="heldAt")
    created_at = models.DateTimeField(default=timezone.now, db_column="createdAt")
    updated_at = models.DateTimeField(default=timezone.now, db_column="updatedAt")

    class Meta:
        db_table = "payout_accounts"
        constraints = [
            models.UniqueConstraint(
                fields=["stripe_account_id"],
                condition=models.Q(stripe_account_id__gt=""),
                name="payout_accounts_stripe_account_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.model_id}: {self.state}"


class EntryKind(models.TextChoices):
    PAYOUT = "payout", "Payout"
    RETURN = "return", "Given back"


class PayoutState(models.TextChoices):
    PENDING = "pending", "Starting"  # row written, balance maybe not yet taken
    SENDING = "sending", "Sending"  # balance taken, transfer not confirmed yet
    PAID = "paid", "Paid"
    FAILED = "failed", "Failed — amount returned to your balance"
    REVERSED = "reversed", "Reversed — amount returned to your balance"
    CANCELLED = "cancelled", "Cancelled — nothing taken"
    APPLIED = "applied", "Applied"  # a return row


# The states in which a payout row has taken its amount out of the balance.
TAKEN_STATES = (PayoutState.SENDING, PayoutState.PAID, PayoutState.FAILED, PayoutState.REVERSED)


class PayoutMethod(models.TextChoices):
    STRIPE = "stripe", "Stripe transfer"
    MANUAL = "manual", "Manual"


class PayoutEntry(models.Model):
    id = ObjectIdPrimaryKey()
    key = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=8, choices=EntryKind.choices, default=EntryKind.PAYOUT)
    model = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        db_column="modelId",
        related_name="payout_entries",
    )
    # Always positive, whole cents; ``kind`` says which way it moves the balance.
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    method = models.CharField(max_length=8, choices=PayoutMethod.choices)
    manual_method = models.CharField(
        max_length=60, blank=True, default="", db_column="manualMethod"
    )
    # A Stripe transfer id (tr_…) or the admin's reference for a manual payout.
    reference = models.CharField(max_length=120, blank=True, default="")
    state = models.CharField(max_length=10, choices=PayoutState.choices)
    run_date = models.DateField(null=True, blank=True, db_column="runDate")
    stripe_account_id = models.CharField(
        max_length=64, blank=True, default="", db_column="stripeAccountId"
    )
    # On a return row: the key of the payout it gives back.
    payout_key = models.CharField(max_length=120, blank=True, default="", db_column="payoutKey")
    error = models.CharField(max_length=500, blank=True, default="")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_column="actorId",
        related_name="+",
    )
    balance_after = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, db_column="balanceAfter"
    )
    created_at = models.DateTimeField(default=timezone.now, db_column="createdAt")
    updated_at = models.DateTimeField(default=timezone.now, db_column="updatedAt")

    class Meta:
        db_table = "payout_ledger"
        ordering = ["-created_at"]
        verbose_name = "payout"
        verbose_name_plural = "payouts"
        indexes = [
            models.Index(fields=["model", "-created_at"], name="payout_ledger_model_created"),
            models.Index(fields=["state"], name="payout_ledger_state"),
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.amount}"

    @property
    def signed_amount(self) -> Decimal:
        return -self.amount if self.kind == EntryKind.PAYOUT else self.amount


class ModelBalance(ModelProfile):
    """The models' royalty balances as the payouts admin shows them (manual payout, hold)."""

    class Meta:
        proxy = True
        verbose_name = "model balance"
        verbose_name_plural = "model balances"
