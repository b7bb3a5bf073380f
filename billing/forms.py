from __future__ import annotations

import uuid

from django import forms

from billing.models import Package
from billing.services import MAX_ADJUSTMENT


class AdjustCreditsForm(forms.Form):
    delta = forms.IntegerField(
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
