"""``{% load garments %}`` … ``{{ consent.allowed_categories|garment_labels|join:", " }}``."""

from __future__ import annotations

from django import template

from modelsnapper.garments import garment_labels as _garment_labels

register = template.Library()


@register.filter
def garment_labels(values: list[str] | None) -> list[str]:
    return _garment_labels(values or [])
