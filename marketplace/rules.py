"""Consent rules that a service enforces and a page shows: written once, here.

Pure functions over rows already loaded (no queries), so a service, a selector and
a template all read the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from marketplace.models import ConsentRequest, ConsentStatus

# A model is listed (and can be asked) with 3 reference photos; 4 at most.
MIN_REFERENCE_PHOTOS = 3
MAX_REFERENCE_PHOTOS = 4

# After a rejection or revocation a business waits this long before asking again
# (an expired approval may be renewed at once).
RE_REQUEST_COOLDOWN = timedelta(days=7)


class RequestBlock(StrEnum):
    NONE = ""
    PENDING = "pending"
    APPROVED = "approved"
    COOLDOWN = "cooldown"


@dataclass(frozen=True)
class RequestWindow:
    """May this business ask this model (again) now, and if not, why and until when."""

    block: RequestBlock
    opens_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.block == RequestBlock.NONE


OPEN = RequestWindow(RequestBlock.NONE)


def request_window(existing: ConsentRequest | None, *, now: datetime) -> RequestWindow:
    if existing is None:
        return OPEN
    if existing.status == ConsentStatus.PENDING:
        return RequestWindow(RequestBlock.PENDING)
    if existing.status == ConsentStatus.APPROVED:
        return RequestWindow(RequestBlock.APPROVED)
    if existing.status == ConsentStatus.EXPIRED:
        return OPEN
    last = max(moment for moment in (existing.requested_at, existing.decided_at) if moment)
    opens_at = last + RE_REQUEST_COOLDOWN
    if now < opens_at:
        return RequestWindow(RequestBlock.COOLDOWN, opens_at)
    return OPEN


def approval_suspended(request: ConsentRequest, *, consent_signed: bool) -> bool:
    """An approval stands but is not in effect while the model's release is withdrawn."""
    return request.status == ConsentStatus.APPROVED and not consent_signed
