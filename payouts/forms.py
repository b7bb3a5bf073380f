from __future__ import annotations

import uuid

from django import forms

from payouts.services import MAX_MANUAL_PAYOUT


class ManualPayoutForm(forms.Form):
    amount = forms.DecimalField(
        label="Amount (USD)",
        min_value=0.01,
        max_value=MAX_MANUAL_PAYOUT,
        decimal_places=2,
        help_text="Taken from the model's balance; never more than the balance.",
    )
    method = forms.CharField(max_length=60, help_text="How it was paid, e.g. bank transfer.")
    reference = forms.CharField(
        max_length=120, help_text="The bank or payment reference; the model sees it."
    )
    # One payout per rendered form: a double-submitted form records once.
    token = forms.CharField(widget=forms.HiddenInput, initial=lambda: uuid.uuid4().hex)


class HoldForm(forms.Form):
    reason = forms.CharField(
        max_length=300, help_text="Why payouts are held (e.g. misuse report open); the run skips."
    )
