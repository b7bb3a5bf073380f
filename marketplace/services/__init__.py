"""Writes for marketplace, by workflow (find the module from the page):

- ``likeness``: reference photos and standing garment limits (/marketplace/likeness/);
- ``release``: the likeness release, signatures, withdrawal (/marketplace/release/);
- ``consent``: requests, decisions, limits, revocation, expiry (/marketplace/inbox/,
  /marketplace/models/, /marketplace/consents/);
- ``common``: the audit trail, the conditional transition, codes and messages.

Every consent change is a conditional single-document update of the request
(``filter(pk=..., status=<expected>).update(...)``, 0 rows = refused), followed
by ``_sync_membership`` which makes the two whitelists (``approvedBusinesses`` on
the model, ``approvedModels`` on the business) agree with the request's status,
and one append-only ``consent_events`` row. Emails go out in
``transaction.on_commit``. Nothing relies on a multi-document transaction
(``atomic()`` is a no-op on MongoDB).
"""

from __future__ import annotations

from marketplace.services.common import (
    ERR_ALREADY_APPROVED,
    ERR_ALREADY_PENDING,
    ERR_ALREADY_SIGNED,
    ERR_CATEGORIES,
    ERR_CONCURRENT,
    ERR_COOLDOWN,
    ERR_EXPIRY_FAR,
    ERR_EXPIRY_PAST,
    ERR_INTENDED_USE,
    ERR_LEGAL_NAME,
    ERR_MUST_AGREE,
    ERR_NO_ACCESS,
    ERR_NO_RELEASE,
    ERR_NOT_A_MODEL,
    ERR_NOT_APPROVED,
    ERR_NOT_FOUND,
    ERR_NOT_LISTED,
    ERR_NOT_PENDING,
    ERR_NOT_SIGNED,
    ERR_ONLY_BUSINESSES,
    ERR_PHOTO_NOT_FOUND,
    ERR_RELEASE_CHANGED,
    ERR_RELEASE_FIRST,
    ERR_SELF,
    ERR_TOO_MANY_PHOTOS,
    ERR_UNKNOWN_CATEGORY,
    LIKENESS_USE_EVENTS,
    MAX_EXPIRY,
    MAX_INTENDED_USE,
    MIN_INTENDED_USE,
    RENEWAL_NOTICE,
    MarketplaceCode,
    clean_categories,
    likeness_use_event_record,
)
from marketplace.services.consent import (
    consent_approve,
    consent_expire,
    consent_limits_change,
    consent_prompt_renewal,
    consent_reject,
    consent_request,
    consent_revoke,
    consents_expire_due,
    consents_reconcile,
)
from marketplace.services.likeness import (
    likeness_limits_set,
    reference_photo_add,
    reference_photo_delete,
    reference_photo_replace,
)
from marketplace.services.release import (
    SignatureContext,
    release_ensure_initial,
    release_publish,
    release_sign,
    release_withdraw,
    text_hash,
)

__all__ = [
    "ERR_ALREADY_APPROVED",
    "ERR_ALREADY_PENDING",
    "ERR_ALREADY_SIGNED",
    "ERR_CATEGORIES",
    "ERR_CONCURRENT",
    "ERR_COOLDOWN",
    "ERR_EXPIRY_FAR",
    "ERR_EXPIRY_PAST",
    "ERR_INTENDED_USE",
    "ERR_LEGAL_NAME",
    "ERR_MUST_AGREE",
    "ERR_NOT_APPROVED",
    "ERR_NOT_A_MODEL",
    "ERR_NOT_FOUND",
    "ERR_NOT_LISTED",
    "ERR_NOT_PENDING",
    "ERR_NOT_SIGNED",
    "ERR_NO_ACCESS",
    "ERR_NO_RELEASE",
    "ERR_ONLY_BUSINESSES",
    "ERR_PHOTO_NOT_FOUND",
    "ERR_RELEASE_CHANGED",
    "ERR_RELEASE_FIRST",
    "ERR_SELF",
    "ERR_TOO_MANY_PHOTOS",
    "ERR_UNKNOWN_CATEGORY",
    "LIKENESS_USE_EVENTS",
    "MAX_EXPIRY",
    "MAX_INTENDED_USE",
    "MIN_INTENDED_USE",
    "RENEWAL_NOTICE",
    "MarketplaceCode",
    "SignatureContext",
    "clean_categories",
    "consent_approve",
    "consent_expire",
    "consent_limits_change",
    "consent_prompt_renewal",
    "consent_reject",
    "consent_request",
    "consent_revoke",
    "consents_expire_due",
    "consents_reconcile",
    "likeness_limits_set",
    "likeness_use_event_record",
    "reference_photo_add",
    "reference_photo_delete",
    "reference_photo_replace",
    "release_ensure_initial",
    "release_publish",
    "release_sign",
    "release_withdraw",
    "text_hash",
]
