"""Forms for generation pages; every check with a business rule lives in services."""

from __future__ import annotations

from django import forms

from generations.models import GenerationStatus, ModelType
from generations.services import MAX_PHOTOS_PER_BATCH
from modelsnapper.garments import GarmentCategory
from modelsnapper.images import MultipleImageField

MSG_STALE_FORM = (
    "This form was out of date, so nothing was sent. Choose your product photos again and "
    "press Generate."
)
MSG_CHOOSE_WEARER = "Choose who wears the garment: an AI avatar or a model who approved you."


class NewGenerationForm(forms.Form):
    photos = MultipleImageField(
        max_files=MAX_PHOTOS_PER_BATCH,
        label="Product photos",
        help_text=f"Up to {MAX_PHOTOS_PER_BATCH} JPEG, PNG or WebP photos; one credit each.",
    )
    category = forms.ChoiceField(
        choices=GarmentCategory.choices,
        label="Garment category",
        initial=GarmentCategory.TOP,
    )
    # Rendered by the picker (image cards), not by this widget. Whether the business may
    # use this wearer is the service's decision, with a sentence when it may not (a
    # consent revoked since the page loaded), never "not one of the available choices".
    wearer = forms.CharField(
        label="Worn by",
        max_length=40,
        widget=forms.HiddenInput,
        error_messages={"required": MSG_CHOOSE_WEARER, "max_length": MSG_CHOOSE_WEARER},
    )
    # Idempotency token: the same submit twice (double-click, replay) is one batch.
    batch_token = forms.CharField(
        widget=forms.HiddenInput,
        max_length=64,
        error_messages={"required": MSG_STALE_FORM, "max_length": MSG_STALE_FORM},
    )


class ReportMisuseForm(forms.Form):
    reason = forms.CharField(
        label="What is wrong with this image?",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class HistoryFilterForm(forms.Form):
    wearer_type = forms.ChoiceField(
        required=False,
        label="Wearer",
        choices=[("", "All wearers"), *ModelType.choices],
    )
    status = forms.ChoiceField(
        required=False,
        label="State",
        choices=[("", "All states"), *GenerationStatus.choices],
    )
