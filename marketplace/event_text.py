"""Audit-trail rows in words: who did it, by name, and what changed, as sentences.

The stored ``old_value``/``new_value`` keep machine fields (``expiresAt``,
``textSha256``…) for the record; a person reads "Ends 1 Dec 2026" and "Release
version 2026-01", never a field name, a hash or an id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils.dateformat import format as date_format

from accounts.models import User
from marketplace.models import ConsentEvent, ConsentEventType
from modelsnapper.garments import garment_labels
from modelsnapper.paging import Paged

SYSTEM = "ModelSnapper (automatic)"
ADMIN = "An administrator"
BUSINESS_REASON_WITHHELD = "The model's reason is with the reviewing administrator."


@dataclass(frozen=True)
class EventRow:
    created_at: datetime
    what: str
    business_name: str
    by: str
    details: list[str] = field(default_factory=list)


def _day(value: Any) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return ""
    return date_format(value, "j M Y")


def _ends(value: Any) -> str:
    return f"Ends {_day(value)}" if _day(value) else "No end date"


def _categories(values: Any) -> str:
    labels = garment_labels(list(values or []))
    return ", ".join(labels) if labels else "no categories"


def _business_name(event: ConsentEvent) -> str:
    business = event.business
    if business is None:
        return ""
    profile = getattr(business, "business_profile", None)
    return profile.business_name if profile is not None else "A business"


def _model_name(event: ConsentEvent) -> str:
    profile = getattr(event.model, "model_profile", None)
    return profile.name if profile is not None else "The model"


def _by(event: ConsentEvent) -> str:
    if event.actor_id is None:
        return SYSTEM
    if event.actor_id == event.model_id:
        return _model_name(event)
    if event.actor_id == event.business_id:
        return _business_name(event) or "The business"
    return ADMIN


def _limits_details(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    details = []
    if "allowedCategories" in new:
        line = f"Allowed: {_categories(new['allowedCategories'])}"
        if "allowedCategories" in old and old["allowedCategories"] != new["allowedCategories"]:
            line += f" (was {_categories(old['allowedCategories'])})"
        details.append(line)
    if "expiresAt" in new:
        line = _ends(new["expiresAt"])
        if "expiresAt" in old and old["expiresAt"] != new["expiresAt"]:
            line += f" (was {_ends(old['expiresAt']).lower()})"
        details.append(line)
    return details


def _details(event: ConsentEvent, *, viewer_is_model: bool) -> list[str]:
    old = event.old_value if isinstance(event.old_value, dict) else {}
    new = event.new_value if isinstance(event.new_value, dict) else {}
    details = []
    if new.get("intendedUse"):
        details.append(f"Intended use: {new['intendedUse']}")
    details.extend(_limits_details(old, new))
    if "defaultCategories" in new:
        details.append(f"Accepts: {_categories(new['defaultCategories'])}")
    if event.event_type == ConsentEventType.RELEASE_SIGNED and new.get("version"):
        details.append(f"Release version {new['version']}")
    if event.event_type == ConsentEventType.REJECTED and new.get("reason"):
        details.append(f"Their reason: {new['reason']}")
    if event.event_type == ConsentEventType.PHOTO_REPORTED:
        reason = str(new.get("reason") or "")
        # The model's own words stay between the model and the admin reviewing them.
        details.append(
            f"Reason: {reason}" if viewer_is_model and reason else BUSINESS_REASON_WITHHELD
        )
    return details


def describe_events(events: list[ConsentEvent], *, viewer: User) -> list[EventRow]:
    """Rows for a trail page; ``viewer`` decides what the report reason shows."""
    rows = []
    for event in events:
        viewer_is_model = event.model_id == viewer.pk
        rows.append(
            EventRow(
                created_at=event.created_at,
                what=str(event.get_event_type_display()),
                business_name=_business_name(event),
                by=_by(event),
                details=_details(event, viewer_is_model=viewer_is_model),
            )
        )
    return rows


def describe_page(events: Paged[ConsentEvent], *, viewer: User) -> Paged[EventRow]:
    """One page of a trail, its rows described (the pager links unchanged)."""
    rows = describe_events(events.rows, viewer=viewer)
    return Paged(page=events.page, rows=rows, param=events.param, query=events.query)
