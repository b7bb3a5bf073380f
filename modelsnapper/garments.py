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
