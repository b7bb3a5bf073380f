"""Forms for generation pages; every check with a business rule lives in services."""

from __future__ import annotations

from django import forms

from generations.models import GenerationStatus, ModelType
from generations.selectors import WearerOption
from generations.services import MAX_PHOTOS_PER_BATCH
from modelsnapper.garments import GarmentCategory
from modelsnapper.images import MultipleImageField


def _wearer_label(option: WearerOption) -> str:
    if option.kind == "model":
        limits = ", ".join(option.usage_limits) or "no categories"
        return f"{option.label} — allows: {limits}"
    return option.label


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
    wearer = forms.ChoiceField(label="Worn by", widget=forms.RadioSelect)
    # Idempotency token: the same submit twice (double-click, replay) is one batch.
    batch_token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, wearers: list[WearerOption], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        wearer = self.fields["wearer"]
        assert isinstance(wearer, forms.ChoiceField)
        wearer.choices = [(w.token, _wearer_label(w)) for w in wearers]


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
