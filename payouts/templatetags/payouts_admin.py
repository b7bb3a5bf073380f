from __future__ import annotations

from typing import Any

from django import template

from payouts.selectors import owed_total

register = template.Library()


@register.inclusion_tag("admin/payouts/owed_total.html")
def payouts_owed_total() -> dict[str, Any]:
    """The platform's owed total for the admin overview."""
    return {"owed": owed_total()}
