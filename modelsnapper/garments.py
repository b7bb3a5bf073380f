"""Garment categories: one vocabulary for consent limits, generation forms and engines."""

from __future__ import annotations

from django.db import models


class GarmentCategory(models.TextChoices):
    TOP = "top", "Top"
    BOTTOM = "bottom", "Bottom"
    ONE_PIECE = "one-piece", "One-piece"
    SWIMWEAR = "swimwear", "Swimwear"
    LINGERIE = "lingerie", "Lingerie"


ALL_GARMENT_CATEGORIES: list[str] = [choice.value for choice in GarmentCategory]


def garment_labels(values: list[str] | tuple[str, ...]) -> list[str]:
    """The labels of garment categories, in order: the one place a value becomes words.
    A value no longer in the vocabulary is shown as stored rather than hidden."""
    labels = []
    for value in values or ():
        try:
            labels.append(str(GarmentCategory(value).label))
        except ValueError:
            labels.append(str(value))
    return labels
