"""What every marketplace workflow shares: codes, messages, the audit trail, the
conditional transition and the whitelist sync.

Every consent change is a conditional single-document update of the request
(``filter(pk=..., status=<expected>).update(...)``, 0 rows = refused), followed
by ``_sync_membership`` which makes the two whitelists (``approvedBusinesses`` on
the model, ``approvedModels`` on the business) agree with the request's status,
and one append-only ``consent_events`` row. Emails go out in
``transaction.on_commit``. Nothing relies on a multi-document transaction
(``atomic()`` is a no-op on MongoDB).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import BusinessProfile, ModelProfile, Role, User
from marketplace import hooks
from marketplace.models import (
    ConsentEvent,
    ConsentEventType,
    ConsentRequest,
    ConsentStatus,
)
from marketplace.rules import MAX_REFERENCE_PHOTOS
from modelsnapper.errors import DomainError
from modelsnapper.garments import ALL_GARMENT_CATEGORIES
from modelsnapper.text import TextCode, clean_name, clean_prose, visible_length

logger = logging.getLogger(__name__)

RENEWAL_NOTICE = timedelta(days=7)
MAX_INTENDED_USE = 500
MIN_INTENDED_USE = 10
MAX_EXPIRY = timedelta(days=3 * 365)
_CAS_ATTEMPTS = 20

# User-facing messages.
ERR_NOT_FOUND = "That request does not exist."
ERR_PHOTO_NOT_FOUND = "That photo does not exist."
ERR_TOO_MANY_PHOTOS = (
    f"You already have {MAX_REFERENCE_PHOTOS} reference photos. Delete or replace one first."
)
ERR_NO_FACE = (
    "We could not find a person's face in this photo. A likeness photo shows your face, "
    "from the front, clearly lit."
)
ERR_MANY_FACES = (
    "This photo shows more than one face. A likeness photo shows only you: crop it or "
    "choose another."
)
ERR_DUPLICATE_PHOTO = (
    "This is the same photo as one you already uploaded (a mirrored, cropped or resized copy "
    "counts as the same). Your likeness photos must be different photos of you."
)
ERR_NO_ACCESS = (
    "Your package does not include human models. Upgrade to a package with human-model "
    "access to request consent."
)
ERR_NOT_A_MODEL = "That person is not a model on ModelSnapper."
ERR_SELF = "You cannot request consent from yourself."
ERR_ONLY_BUSINESSES = "Only businesses can request consent."
ERR_NOT_LISTED = (
    "This model is not accepting requests right now (their release is not signed or "
    "they have fewer than 3 reference photos)."
)
ERR_ALREADY_PENDING = "You already asked this model; the request is waiting for their answer."
ERR_ALREADY_APPROVED = "This model has already approved your business."
ERR_COOLDOWN = "You can ask this model again on {date}: requests are limited to one every 7 days."
ERR_INTENDED_USE = (
    f"Describe the intended use in {MIN_INTENDED_USE} to {MAX_INTENDED_USE} characters."
)
ERR_NOT_PENDING = "This request is no longer pending (it was answered already)."
ERR_NOT_APPROVED = "This consent is not approved, so there is nothing to change."
ERR_CATEGORIES = "Choose at least one garment category you allow."
ERR_UNKNOWN_CATEGORY = "Unknown garment category: {value}."
ERR_EXPIRY_PAST = "The expiry date must be in the future."
ERR_EXPIRY_FAR = "The expiry date can be at most 3 years ahead."
ERR_RELEASE_FIRST = "Sign the likeness release before approving businesses."
ERR_NO_RELEASE = "No likeness release has been published yet."
ERR_RELEASE_CHANGED = (
    "The release text changed since you opened the page. Read the current version and sign again."
)
ERR_MUST_AGREE = "Tick the box to agree to the release."
ERR_LEGAL_NAME = "Type your full legal name (2 to 200 characters)."


def clean_intended_use(text: str) -> str:
    """NFKC, nothing hidden; the minimum counts visible characters (ten zero-width
    spaces are not a statement of use)."""
    try:
        return clean_prose(
            text,
            label="intended use",
            field="intended_use",
            max_length=MAX_INTENDED_USE,
            min_visible=MIN_INTENDED_USE,
        )
    except DomainError as error:
        message = error.message if error.code == TextCode.INVISIBLE else ERR_INTENDED_USE
        raise DomainError(
            message, code=MarketplaceCode.INTENDED_USE, field="intended_use"
        ) from None


def clean_legal_name(text: str) -> str:
    try:
        name = clean_name(text, label="legal name", field="legal_name", max_length=200)
    except DomainError as error:
        message = error.message if error.code == TextCode.INVISIBLE else ERR_LEGAL_NAME
        raise DomainError(message, code=MarketplaceCode.NAME, field="legal_name") from None
    if visible_length(name) < 2:
        raise DomainError(ERR_LEGAL_NAME, code=MarketplaceCode.NAME, field="legal_name")
    return name


ERR_ALREADY_SIGNED = "You have already signed this version of the release."
ERR_NOT_SIGNED = "Your release is not signed, so there is nothing to withdraw."
ERR_CONCURRENT = "Something changed at the same moment. Reload the page and try again."


# --- helpers -----------------------------------------------------------------------------


class MarketplaceCode(StrEnum):
    """The codes of this module's refusals (``DomainError.code``): one name per reason."""

    AGREE = "agree"
    CATEGORY = "category"
    CHANGED = "changed"
    CONCURRENT = "concurrent"
    COOLDOWN = "cooldown"
    DUPLICATE = "duplicate"
    DUPLICATE_PHOTO = "duplicate_photo"
    EXPIRY = "expiry"
    INTENDED_USE = "intended_use"
    INVALID = "invalid"
    NAME = "name"
    MANY_FACES = "many_faces"
    NO_ACCESS = "no_access"
    NO_FACE = "no_face"
    NO_RELEASE = "no_release"
    NOT_APPROVED = "not_approved"
    NOT_FOUND = "not_found"
    NOT_LISTED = "not_listed"
    NOT_MODEL = "not_model"
    NOT_PENDING = "not_pending"
    NOT_SIGNED = "not_signed"
    RELEASE = "release"
    ROLE = "role"
    SELF = "self"
    STORAGE = "storage"
    TOO_MANY = "too_many"


def _event(
    *,
    model_id: str,
    event_type: int,
    actor: User | None,
    business_id: str | None = None,
    request: ConsentRequest | None = None,
    sequence: int = 0,
    old: Any = None,
    new: Any = None,
) -> ConsentEvent:
    return ConsentEvent.objects.create(
        model_id=model_id,
        business_id=business_id,
        consent_request=request,
        actor=actor,
        event_type=event_type,
        sequence=sequence,
        old_value=old,
        new_value=new,
    )


LIKENESS_USE_EVENTS = {
    ConsentEventType.PHOTO_REPORTED,
    ConsentEventType.PHOTO_RELEASED,
    ConsentEventType.PHOTO_TAKEN_DOWN,
}


def likeness_use_event_record(
    *,
    model_user_id: str,
    business_user_id: str,
    consent_request_id: str | None,
    generation_id: str,
    event_type: int,
    actor: User,
    detail: dict[str, Any] | None = None,
) -> ConsentEvent:
    """Adds a review step of a generation of the likeness to the model's audit trail."""
    if event_type not in LIKENESS_USE_EVENTS:
        raise ValueError(f"{event_type} is not a likeness-use event")
    return ConsentEvent.objects.create(
        model_id=model_user_id,
        business_id=business_user_id,
        consent_request_id=consent_request_id,
        actor=actor,
        event_type=event_type,
        new_value={"generationId": str(generation_id), **(detail or {})},
    )


def _likeness_ended_on_commit(*, model_user_id: str, business_user_id: str | None = None) -> None:
    """Revocation reaches queued jobs at once: the apps above (generations) refuse and
    refund them after commit, through the hook they registered (``marketplace.hooks``).

    Jobs also re-check consent when they run; this makes the refund immediate.
    """
    event = hooks.LikenessEnded(model_user_id=model_user_id, business_user_id=business_user_id)
    transaction.on_commit(lambda: hooks.likeness_ended(event))


def _business_name(user_id: str) -> str:
    profile = BusinessProfile.objects.filter(user_id=user_id).only("business_name").first()
    return profile.business_name if profile else "A business"


def _model_name(user_id: str) -> str:
    profile = ModelProfile.objects.filter(user_id=user_id).only("name").first()
    return profile.name if profile else "A model"


def _cas_list(
    model_cls: type[models.Model], pk: str, field: str, change: Callable[[list[str]], list[str]]
) -> bool:
    """Compare-and-set a list field: re-read, change, write only if unchanged meanwhile.

    Returns True if the list changed. Concurrent writers to the same array (two
    businesses approved at once) retry instead of overwriting each other.
    """
    for _ in range(_CAS_ATTEMPTS):
        row = model_cls._default_manager.filter(pk=pk).values_list(field, flat=True).first()
        if row is None:
            return False
        current = list(row)
        wanted = change(current)
        if wanted == current:
            return False
        if model_cls._default_manager.filter(pk=pk, **{field: current}).update(**{field: wanted}):
            return True
    raise DomainError(ERR_CONCURRENT, code=MarketplaceCode.CONCURRENT)


def _set_membership(*, business_user_id: str, model_user_id: str, member: bool) -> None:
    model_profile = ModelProfile.objects.filter(user_id=model_user_id).only("id").first()
    business_profile = BusinessProfile.objects.filter(user_id=business_user_id).only("id").first()
    if model_profile is not None:
        _cas_list(
            ModelProfile,
            model_profile.pk,
            "approved_businesses",
            (lambda ids: ids if business_user_id in ids else [*ids, business_user_id])
            if member
            else (lambda ids: [i for i in ids if i != business_user_id]),
        )
    if business_profile is not None and model_profile is not None:
        model_profile_id = model_profile.pk
        _cas_list(
            BusinessProfile,
            business_profile.pk,
            "approved_models",
            (lambda ids: ids if model_profile_id in ids else [*ids, model_profile_id])
            if member
            else (lambda ids: [i for i in ids if i != model_profile_id]),
        )


def _sync_membership(request_id: str) -> None:
    """Make both whitelists agree with the request's *current* status.

    Read the status, apply it, read it again; repeat while it moved. Whichever
    action changed the status last also syncs last on a fresh read, so approve and
    revoke racing each other end with arrays that match the final status.
    """
    for _ in range(_CAS_ATTEMPTS):
        row = (
            ConsentRequest.objects.filter(pk=request_id)
            .values("status", "business_id", "model_id", "version")
            .first()
        )
        if row is None:
            return
        _set_membership(
            business_user_id=row["business_id"],
            model_user_id=row["model_id"],
            member=row["status"] == ConsentStatus.APPROVED,
        )
        again = ConsentRequest.objects.filter(pk=request_id).values("status", "version").first()
        if again is not None and again["version"] == row["version"]:
            return
    raise DomainError(ERR_CONCURRENT, code=MarketplaceCode.CONCURRENT)


def _transition(
    *,
    request: ConsentRequest,
    expected: Iterable[str],
    now: datetime,
    extra_filter: dict[str, Any] | None = None,
    expected_version: int | None = None,
    **changes: Any,
) -> int | None:
    """Conditionally move the request; returns the new version, or None if refused.

    ``expected_version`` pins the exact version the caller decided on (no retry).
    """
    for _ in range(_CAS_ATTEMPTS):
        current = ConsentRequest.objects.filter(pk=request.pk).values("status", "version").first()
        if current is None or current["status"] not in set(expected):
            return None
        if expected_version is not None and current["version"] != expected_version:
            return None
        updated = ConsentRequest.objects.filter(
            pk=request.pk,
            status=current["status"],
            version=current["version"],
            **(extra_filter or {}),
        ).update(version=F("version") + 1, updated_at=now, **changes)
        if updated:
            return current["version"] + 1
        if extra_filter or expected_version is not None:
            return None
    raise DomainError(ERR_CONCURRENT, code=MarketplaceCode.CONCURRENT)


def _request_for_model(*, actor: User, consent_request_id: str) -> ConsentRequest:
    request = (
        ConsentRequest.objects.filter(pk=consent_request_id, model_id=actor.pk)
        .select_related("business", "model")
        .first()
    )
    if request is None:
        raise DomainError(ERR_NOT_FOUND, code=MarketplaceCode.NOT_FOUND)
    return request


def clean_categories(values: Iterable[str]) -> list[str]:
    chosen = []
    for value in values:
        if value not in ALL_GARMENT_CATEGORIES:
            raise DomainError(
                ERR_UNKNOWN_CATEGORY.format(value=value),
                code=MarketplaceCode.CATEGORY,
                field="allowed_categories",
            )
        if value not in chosen:
            chosen.append(value)
    if not chosen:
        raise DomainError(ERR_CATEGORIES, code=MarketplaceCode.CATEGORY, field="allowed_categories")
    # Stored in the vocabulary's order, so equal limits compare equal.
    return [c for c in ALL_GARMENT_CATEGORIES if c in chosen]


def _clean_expiry(expires_on: date | None, now: datetime) -> datetime | None:
    if expires_on is None:
        return None
    # Valid until the end of the chosen day (UTC).
    moment = datetime.combine(expires_on, time.max).replace(microsecond=0)
    moment = timezone.make_aware(moment, timezone.get_default_timezone())
    if moment <= now:
        raise DomainError(ERR_EXPIRY_PAST, code=MarketplaceCode.EXPIRY, field="expires_on")
    if moment - now > MAX_EXPIRY:
        raise DomainError(ERR_EXPIRY_FAR, code=MarketplaceCode.EXPIRY, field="expires_on")
    return moment


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _model_profile(actor: User) -> ModelProfile:
    if actor.role != Role.MODEL:
        raise DomainError(ERR_NOT_A_MODEL, code=MarketplaceCode.ROLE)
    profile = ModelProfile.objects.filter(user_id=actor.pk).first()
    if profile is None:
        raise DomainError(ERR_NOT_A_MODEL, code=MarketplaceCode.ROLE)
    return profile
