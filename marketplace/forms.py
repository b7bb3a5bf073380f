"""Forms for marketplace pages; the services hold the rules and the messages."""

from __future__ import annotations

from django import forms

from marketplace.rules import MAX_REFERENCE_PHOTOS
from modelsnapper.garments import GarmentCategory
from modelsnapper.images import MultipleImageField, SingleImageField


class LikenessLimitsForm(forms.Form):
    allowed_categories = forms.MultipleChoiceField(
        label="Garment categories you accept",
        choices=GarmentCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Businesses see these before they ask; each approval can narrow them.",
    )


class ReferencePhotoForm(forms.Form):
    # Several at once: a model starting out picks their 3-4 photos in one go.
    photo = MultipleImageField(
        max_files=MAX_REFERENCE_PHOTOS,
        label="Photos",
        help_text=(
            f"Choose up to {MAX_REFERENCE_PHOTOS} at once: JPEG, PNG or WebP, up to 15 MB each. "
            "Clear, front-facing, full-body photos work best."
        ),
    )


class ReplacePhotoForm(forms.Form):
    photo = SingleImageField(
        label="Photo",
        help_text=(
            "JPEG, PNG or WebP, up to 15 MB. A clear, front-facing, full-body photo works best."
        ),
    )


class ReleaseSignForm(forms.Form):
    release_version = forms.IntegerField(widget=forms.HiddenInput)
    text_sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64)
    legal_name = forms.CharField(label="Your full legal name", max_length=200)
    agree = forms.BooleanField(
        label="I have read the release above and agree to it.", required=False
    )


class ConsentRequestForm(forms.Form):
    intended_use = forms.CharField(
        label="Intended use",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What photos you will create and where they will appear (10-500 characters).",
    )


class ConsentDecisionForm(forms.Form):
    allowed_categories = forms.MultipleChoiceField(
        label="Garment categories you allow",
        choices=GarmentCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    expires_on = forms.DateField(
        label="Consent ends on (optional)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Leave empty for no end date. You can revoke at any time.",
    )
