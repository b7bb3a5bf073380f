from __future__ import annotations

import uuid
from decimal import Decimal

from django import forms

from billing.models import Package
from billing.services import (
    MAX_ADJUSTMENT,
    MAX_PACKAGE_CREDITS,
    MAX_PACKAGE_PRICE,
    package_price_refusal,
)
from modelsnapper.formfields import AsciiDecimalField, AsciiIntegerField


class AdjustCreditsForm(forms.Form):
    delta = AsciiIntegerField(
        label="Credits",
        # Bounded: a typo of many digits must not overflow the balance column (500).
        min_value=-MAX_ADJUSTMENT,
        max_value=MAX_ADJUSTMENT,
        help_text="Positive to grant, negative to take back (never below zero).",
    )
    reason = forms.CharField(max_length=200, help_text="Shown in the ledger and the audit trail.")
    # One adjustment per rendered form: a double-submitted form is a no-op.
    nonce = forms.CharField(widget=forms.HiddenInput, initial=lambda: uuid.uuid4().hex)

    def clean_delta(self) -> int:
        delta = self.cleaned_data["delta"]
        if delta == 0:
            raise forms.ValidationError("Enter a non-zero number of credits.")
        return delta


class PackageAdminForm(forms.ModelForm):
    """Bounded, ASCII-only numbers; a recurring Stripe price is refused at save (the
    checkout is a one-time payment, so it would fail for every buyer)."""

    ai_credits_granted = AsciiIntegerField(
        label="AI credits granted", min_value=1, max_value=MAX_PACKAGE_CREDITS
    )
    price_amount = AsciiDecimalField(
        label="Price amount",
        min_value=Decimal("0.00"),
        max_value=MAX_PACKAGE_PRICE,
        max_digits=10,
        decimal_places=2,
        help_text="Display price; the amount charged is the Stripe price's own.",
    )
    currency = forms.RegexField(
        regex=r"^[A-Za-z]{3}$",
        max_length=3,
        initial="USD",
        error_messages={"invalid": "Use a three-letter ISO currency code such as USD."},
    )

    class Meta:
        model = Package
        fields = [
            "name",
            "stripe_price_id",
            "ai_credits_granted",
            "price_amount",
            "currency",
            "human_model_access",
            "tier",
            "is_active",
        ]

    def clean_currency(self) -> str:
        return str(self.cleaned_data["currency"]).upper()

    def clean_stripe_price_id(self) -> str:
        price_id = str(self.cleaned_data["stripe_price_id"]).strip()
        refusal = package_price_refusal(price_id=price_id)
        if refusal:
            raise forms.ValidationError(refusal)
        return price_id


class GrantPackageForm(forms.Form):
    package = forms.ModelChoiceField(
        queryset=Package.objects.order_by("price_amount", "name"),
        empty_label=None,
        help_text="Its credits are added once and its access applies, as after a purchase.",
    )
    reason = forms.CharField(
        max_length=160, help_text="Why no payment (e.g. “partner pilot”): shown in the ledger."
    )
    # One grant per rendered form: a double-submitted form grants once.
    nonce = forms.CharField(widget=forms.HiddenInput, initial=lambda: uuid.uuid4().hex)
