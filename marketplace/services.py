"""Writes for marketplace: likeness photos, the release, consent requests.

Every consent change is a conditional single-document update of the request
(``filter(pk=..., status=<expected>).update(...)``, 0 rows = refused), followed
by ``_sync_membership`` which makes the two whitelists (``approvedBusinesses`` on
the model, ``approvedModels`` on the business) agree with the request's status,
and one append-only ``consent_events`` row. Emails go out in
``transaction.on_commit``. Nothing relies on a multi-document transaction
(``atomic()`` is a no-op on MongoDB).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import F, Max
from django.utils import timezone

from accounts.models import BusinessProfile, ModelProfile, Role, User
from marketplace import hooks, notifications, rules
from marketplace.models import (
    ConsentEvent,
    ConsentEventType,
    ConsentRequest,
    ConsentStatus,
    LikenessRelease,
    LikenessSettings,
    ReleaseSignature,
)
from marketplace.rules import MAX_REFERENCE_PHOTOS, MIN_REFERENCE_PHOTOS
from marketplace.selectors import photo_id_for
from modelsnapper import storage
from modelsnapper.errors import DomainError
from modelsnapper.garments import ALL_GARMENT_CATEGORIES
from modelsnapper.images import process_image_upload

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
    EXPIRY = "expiry"
    INTENDED_USE = "intended_use"
    INVALID = "invalid"
    NAME = "name"
    NO_ACCESS = "no_access"
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


# --- reference photos ----------------------------------------------------------------------


def _model_profile(actor: User) -> ModelProfile:
    if actor.role != Role.MODEL:
        raise DomainError(ERR_NOT_A_MODEL, code=MarketplaceCode.ROLE)
    profile = ModelProfile.objects.filter(user_id=actor.pk).first()
    if profile is None:
        raise DomainError(ERR_NOT_A_MODEL, code=MarketplaceCode.ROLE)
    return profile


def _key_for_photo(profile: ModelProfile, photo_id: str) -> str | None:
    for key in profile.reference_images:
        if photo_id_for(key) == photo_id:
            return str(key)
    return None


def _store_photo(*, actor: User, upload: Any) -> str:
    processed = process_image_upload(upload)
    key = storage.save_private(prefix=f"likeness/{actor.pk}", content=processed.jpeg_bytes)
    try:
        storage.save_private_variant(key=key, variant="thumb", content=processed.thumbnail_bytes)
    except Exception:
        storage.delete_private(key)
        raise
    return key


def _delete_photo_files(key: str) -> None:
    storage.delete_private(key)
    storage.delete_private(storage.variant_key(key, "thumb"))


def reference_photo_add(*, actor: User, upload: Any) -> str:
    """Check, re-encode and store one likeness photo; returns its storage key."""
    profile = _model_profile(actor)
    if len(profile.reference_images) >= MAX_REFERENCE_PHOTOS:
        raise DomainError(ERR_TOO_MANY_PHOTOS, code=MarketplaceCode.TOO_MANY)
    # The file is stored before the key is recorded (a key must never point at
    # nothing); if recording fails the file is removed again.
    key = _store_photo(actor=actor, upload=upload)

    def add(keys: list[str]) -> list[str]:
        if len(keys) >= MAX_REFERENCE_PHOTOS:
            raise DomainError(ERR_TOO_MANY_PHOTOS, code=MarketplaceCode.TOO_MANY)
        return [*keys, key]

    try:
        _cas_list(ModelProfile, profile.pk, "reference_images", add)
    except Exception:
        _delete_photo_files(key)
        raise
    _event(
        model_id=actor.pk,
        event_type=ConsentEventType.REFERENCE_PHOTO_ADDED,
        actor=actor,
        new={"photo": photo_id_for(key)},
    )
    return key


def reference_photo_replace(*, actor: User, photo_id: str, upload: Any) -> str:
    profile = _model_profile(actor)
    old_key = _key_for_photo(profile, photo_id)
    if old_key is None:
        raise DomainError(ERR_PHOTO_NOT_FOUND, code=MarketplaceCode.NOT_FOUND)
    key = _store_photo(actor=actor, upload=upload)

    def replace(keys: list[str]) -> list[str]:
        if old_key not in keys:
            raise DomainError(ERR_PHOTO_NOT_FOUND, code=MarketplaceCode.NOT_FOUND)
        return [key if k == old_key else k for k in keys]

    try:
        _cas_list(ModelProfile, profile.pk, "reference_images", replace)
    except Exception:
        _delete_photo_files(key)
        raise
    _event(
        model_id=actor.pk,
        event_type=ConsentEventType.REFERENCE_PHOTO_REPLACED,
        actor=actor,
        old={"photo": photo_id},
        new={"photo": photo_id_for(key)},
    )
    # Last, after every write: in Mongo mode on_commit runs at once.
    transaction.on_commit(lambda: _delete_photo_files(old_key))
    return key


@transaction.atomic
def reference_photo_delete(*, actor: User, photo_id: str) -> None:
    profile = _model_profile(actor)
    old_key = _key_for_photo(profile, photo_id)
    if old_key is None:
        raise DomainError(ERR_PHOTO_NOT_FOUND, code=MarketplaceCode.NOT_FOUND)

    def remove(keys: list[str]) -> list[str]:
        if old_key not in keys:
            raise DomainError(ERR_PHOTO_NOT_FOUND, code=MarketplaceCode.NOT_FOUND)
        return [k for k in keys if k != old_key]

    _cas_list(ModelProfile, profile.pk, "reference_images", remove)
    _event(
        model_id=actor.pk,
        event_type=ConsentEventType.REFERENCE_PHOTO_DELETED,
        actor=actor,
        old={"photo": photo_id},
    )
    # Last, after every write: in Mongo mode on_commit runs at once.
    transaction.on_commit(lambda: _delete_photo_files(old_key))


# --- standing usage limits ------------------------------------------------------------------


@transaction.atomic
def likeness_limits_set(*, actor: User, allowed_categories: Iterable[str]) -> list[str]:
    """The categories the model accepts in general (shown in the directory, the
    default for new approvals). Existing approvals keep their own limits."""
    _model_profile(actor)
    categories = clean_categories(allowed_categories)
    now = timezone.now()
    current = LikenessSettings.objects.filter(model_id=actor.pk).first()
    old = current.allowed_categories if current else None
    if old == categories:
        return categories
    if current is None:
        try:
            with transaction.atomic():
                LikenessSettings.objects.create(
                    model=actor, allowed_categories=categories, updated_at=now
                )
        except IntegrityError:
            # A double-submitted first save: the unique modelId kept one row.
            LikenessSettings.objects.filter(model_id=actor.pk).update(
                allowed_categories=categories, updated_at=now
            )
    else:
        LikenessSettings.objects.filter(model_id=actor.pk).update(
            allowed_categories=categories, updated_at=now
        )
    _event(
        model_id=actor.pk,
        event_type=ConsentEventType.LIMITS_CHANGED,
        actor=actor,
        old={"defaultCategories": old},
        new={"defaultCategories": categories},
    )
    return categories


# --- release ---------------------------------------------------------------------------------


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def release_publish(*, actor: User | None, title: str, text: str) -> LikenessRelease:
    """Publish a new release version (admins). Old versions stay as they were."""
    title = " ".join((title or "").split())
    if not title or not (text or "").strip():
        raise DomainError("A release needs a title and a text.", code=MarketplaceCode.INVALID)
    for _ in range(_CAS_ATTEMPTS):
        latest = LikenessRelease.objects.aggregate(v=Max("version"))["v"] or 0
        try:
            with transaction.atomic():
                return LikenessRelease.objects.create(
                    version=latest + 1,
                    title=title,
                    text=text,
                    text_sha256=text_hash(text),
                    created_by=actor,
                )
        except IntegrityError:
            continue  # another admin published the same number: take the next
    raise DomainError(ERR_CONCURRENT, code=MarketplaceCode.CONCURRENT)


def release_ensure_initial() -> LikenessRelease:
    """The newest release, publishing version 1 first when there is none.

    Migration 0003 seeds version 1, but a ``flush`` (tests, a reset demo database)
    removes it; ``seed_demo`` calls this instead of relying on the migration's row.
    ``get_or_create`` on the unique version makes two concurrent calls publish once.
    """
    from marketplace.release_text import RELEASE_V1_TEXT, RELEASE_V1_TITLE

    latest = LikenessRelease.objects.order_by("-version").first()
    if latest is not None:
        return latest
    release, _ = LikenessRelease.objects.get_or_create(
        version=1,
        defaults={
            "title": RELEASE_V1_TITLE,
            "text": RELEASE_V1_TEXT,
            "text_sha256": text_hash(RELEASE_V1_TEXT),
        },
    )
    return release


@dataclass(frozen=True)
class SignatureContext:
    ip_address: str | None
    user_agent: str


@transaction.atomic
def release_sign(
    *,
    actor: User,
    release_version: int,
    text_sha256: str,
    legal_name: str,
    agreed: bool,
    context: SignatureContext,
) -> ReleaseSignature:
    """Sign the release version the model read (its version and text hash)."""
    _model_profile(actor)
    if not agreed:
        raise DomainError(ERR_MUST_AGREE, code=MarketplaceCode.AGREE, field="agree")
    legal_name = " ".join((legal_name or "").split())
    if not 2 <= len(legal_name) <= 200:
        raise DomainError(ERR_LEGAL_NAME, code=MarketplaceCode.NAME, field="legal_name")
    release = LikenessRelease.objects.order_by("-version").first()
    if release is None:
        raise DomainError(ERR_NO_RELEASE, code=MarketplaceCode.NO_RELEASE)
    # The model signs exactly what they saw: a newer version or another text is refused.
    if release.version != release_version or release.text_sha256 != text_sha256:
        raise DomainError(ERR_RELEASE_CHANGED, code=MarketplaceCode.CHANGED)
    if ReleaseSignature.objects.filter(
        model_id=actor.pk, release_version=release.version, withdrawn_at=None
    ).exists():
        raise DomainError(ERR_ALREADY_SIGNED, code=MarketplaceCode.DUPLICATE)
    sequence = ReleaseSignature.objects.filter(model_id=actor.pk).count()
    try:
        with transaction.atomic():
            signature = ReleaseSignature.objects.create(
                model=actor,
                release=release,
                release_version=release.version,
                text_sha256=release.text_sha256,
                legal_name=legal_name,
                ip_address=context.ip_address or None,
                user_agent=(context.user_agent or "")[:500],
                sequence=sequence,
            )
    except IntegrityError:
        # A double-submitted form: the first post signed, this one changes nothing.
        raise DomainError(ERR_ALREADY_SIGNED, code=MarketplaceCode.DUPLICATE) from None
    # Earlier signatures of older versions are superseded by this one.
    ReleaseSignature.objects.filter(model_id=actor.pk, withdrawn_at=None).exclude(
        pk=signature.pk
    ).update(withdrawn_at=signature.signed_at)
    ModelProfile.objects.filter(user_id=actor.pk).update(consent_signed=True)
    _event(
        model_id=actor.pk,
        event_type=ConsentEventType.RELEASE_SIGNED,
        actor=actor,
        new={"version": release.version, "textSha256": release.text_sha256},
    )
    return signature


@transaction.atomic
def release_withdraw(*, actor: User) -> None:
    """Withdraw the release: consentSigned false, every approval suspended at once.

    Approvals keep their status (they come back if the model signs again); every
    use is refused while ``consentSigned`` is false (see selectors.active_consent).
    """
    _model_profile(actor)
    now = timezone.now()
    withdrawn = ReleaseSignature.objects.filter(model_id=actor.pk, withdrawn_at=None).update(
        withdrawn_at=now
    )
    flipped = ModelProfile.objects.filter(user_id=actor.pk, consent_signed=True).update(
        consent_signed=False
    )
    if not withdrawn and not flipped:
        raise DomainError(ERR_NOT_SIGNED, code=MarketplaceCode.NOT_SIGNED)
    _event(
        model_id=actor.pk,
        event_type=ConsentEventType.RELEASE_WITHDRAWN,
        actor=actor,
        old={"consentSigned": True},
        new={"consentSigned": False},
    )
    _likeness_ended_on_commit(model_user_id=actor.pk)
    approved = ConsentRequest.objects.filter(
        model_id=actor.pk, status=ConsentStatus.APPROVED
    ).values_list("business__email", flat=True)
    name = _model_name(actor.pk)
    for email in approved:
        notifications.notify_on_commit(
            "release_withdrawn",
            to=[email],
            name=name,
            url=notifications.absolute_url("marketplace:business-consents"),
        )


# --- consent requests ---------------------------------------------------------------------


def _business_with_access(actor: User) -> BusinessProfile:
    if actor.role != Role.BUSINESS:
        raise DomainError(ERR_ONLY_BUSINESSES, code=MarketplaceCode.ROLE)
    profile = BusinessProfile.objects.select_related("package").filter(user_id=actor.pk).first()
    if profile is None or not profile.includes_human_models:
        raise DomainError(ERR_NO_ACCESS, code=MarketplaceCode.NO_ACCESS)
    return profile


@transaction.atomic
def consent_request(*, actor: User, model_user_id: str, intended_use: str) -> ConsentRequest:
    """A business asks a model for consent (one document per pair, reused later)."""
    if str(model_user_id) == str(actor.pk):
        raise DomainError(ERR_SELF, code=MarketplaceCode.SELF)
    _business_with_access(actor)
    target = _listed_model(model_user_id)
    intended_use = (intended_use or "").strip()
    if not MIN_INTENDED_USE <= len(intended_use) <= MAX_INTENDED_USE:
        raise DomainError(ERR_INTENDED_USE, code=MarketplaceCode.INTENDED_USE, field="intended_use")
    now = timezone.now()
    existing = ConsentRequest.objects.filter(business_id=actor.pk, model_id=target.pk).first()
    if existing is None:
        request, version, old = _first_request(actor, target, intended_use, now), 1, None
    else:
        version = _ask_again(existing, intended_use, now)
        request, old = existing, {"status": existing.status}
        request.refresh_from_db()
    _event(
        model_id=target.pk,
        business_id=actor.pk,
        request=request,
        event_type=ConsentEventType.REQUESTED,
        actor=actor,
        sequence=version,
        old=old,
        new={"status": ConsentStatus.PENDING, "intendedUse": intended_use},
    )
    notifications.notify_on_commit(
        "consent_requested",
        to=[target.email],
        business_name=_business_name(actor.pk),
        intended_use=intended_use,
        url=notifications.absolute_url("marketplace:consent-inbox"),
    )
    return request


def _listed_model(model_user_id: str) -> User:
    """The model asked: an active model in the directory (signed release, enough photos)."""
    target = User.objects.filter(pk=model_user_id, role=Role.MODEL, is_active=True).first()
    profile = ModelProfile.objects.filter(user_id=model_user_id).first() if target else None
    if target is None or profile is None:
        raise DomainError(ERR_NOT_A_MODEL, code=MarketplaceCode.NOT_MODEL)
    if not profile.consent_signed or len(profile.reference_images) < MIN_REFERENCE_PHOTOS:
        raise DomainError(ERR_NOT_LISTED, code=MarketplaceCode.NOT_LISTED)
    return target


def _first_request(actor: User, target: User, intended_use: str, now: datetime) -> ConsentRequest:
    try:
        with transaction.atomic():
            return ConsentRequest.objects.create(
                business=actor,
                model=target,
                intended_use=intended_use,
                requested_at=now,
                updated_at=now,
                version=1,
            )
    except IntegrityError:
        # The unique (business, model) index refused a double post.
        raise DomainError(ERR_ALREADY_PENDING, code=MarketplaceCode.DUPLICATE) from None


def _ask_again(existing: ConsentRequest, intended_use: str, now: datetime) -> int:
    """The pair's one document, pending again (rules.request_window says when it may be)."""
    window = rules.request_window(existing, now=now)
    if window.block in {rules.RequestBlock.PENDING, rules.RequestBlock.APPROVED}:
        message = (
            ERR_ALREADY_PENDING
            if window.block == rules.RequestBlock.PENDING
            else ERR_ALREADY_APPROVED
        )
        raise DomainError(message, code=MarketplaceCode.DUPLICATE)
    if window.opens_at is not None:
        raise DomainError(
            ERR_COOLDOWN.format(date=window.opens_at.date().isoformat()),
            code=MarketplaceCode.COOLDOWN,
        )
    version = _transition(
        request=existing,
        expected=[existing.status],
        now=now,
        expected_version=existing.version,
        status=ConsentStatus.PENDING,
        intended_use=intended_use,
        requested_at=now,
        decided_at=None,
        expires_at=None,
        renewal_prompted_at=None,
        allowed_categories=[],
    )
    if version is None:
        raise DomainError(ERR_ALREADY_PENDING, code=MarketplaceCode.DUPLICATE)
    return version


def _decide(
    *,
    request: ConsentRequest,
    actor: User,
    expected: ConsentStatus,
    status: ConsentStatus,
    event_type: int,
    refusal: DomainError,
    now: datetime,
    event_details: dict[str, Any] | None = None,
    **fields: Any,
) -> None:
    """The model's decision on a request: one conditional transition (refused with
    ``refusal`` when the request is no longer ``expected``), its trail row, then the
    two whitelists re-synced to the request's current status."""
    version = _transition(
        request=request, expected=[expected], now=now, status=status, decided_at=now, **fields
    )
    if version is None:
        raise refusal
    _event(
        model_id=actor.pk,
        business_id=request.business_id,
        request=request,
        event_type=event_type,
        actor=actor,
        sequence=version,
        old={"status": expected},
        new={"status": status, **(event_details or {})},
    )
    _sync_membership(request.pk)


@transaction.atomic
def consent_approve(
    *,
    actor: User,
    consent_request_id: str,
    allowed_categories: Iterable[str],
    expires_on: date | None = None,
) -> ConsentRequest:
    request = _request_for_model(actor=actor, consent_request_id=consent_request_id)
    categories = clean_categories(allowed_categories)
    now = timezone.now()
    expires_at = _clean_expiry(expires_on, now)
    profile = _model_profile(actor)
    if not profile.consent_signed:
        raise DomainError(ERR_RELEASE_FIRST, code=MarketplaceCode.RELEASE)
    _decide(
        request=request,
        actor=actor,
        expected=ConsentStatus.PENDING,
        status=ConsentStatus.APPROVED,
        event_type=ConsentEventType.APPROVED,
        refusal=DomainError(ERR_NOT_PENDING, code=MarketplaceCode.NOT_PENDING),
        now=now,
        event_details={"allowedCategories": categories, "expiresAt": _iso(expires_at)},
        allowed_categories=categories,
        expires_at=expires_at,
        renewal_prompted_at=None,
    )
    name = _model_name(actor.pk)
    limits = ", ".join(categories)
    until = f" until {expires_at:%Y-%m-%d}" if expires_at else ""
    notifications.notify_on_commit(
        "consent_approved",
        to=[request.business.email],
        name=name,
        until=until,
        limits=limits,
        url=notifications.absolute_url("marketplace:business-consents"),
    )
    request.refresh_from_db()
    return request


@transaction.atomic
def consent_reject(*, actor: User, consent_request_id: str) -> ConsentRequest:
    request = _request_for_model(actor=actor, consent_request_id=consent_request_id)
    now = timezone.now()
    _decide(
        request=request,
        actor=actor,
        expected=ConsentStatus.PENDING,
        status=ConsentStatus.REJECTED,
        event_type=ConsentEventType.REJECTED,
        refusal=DomainError(ERR_NOT_PENDING, code=MarketplaceCode.NOT_PENDING),
        now=now,
    )
    name = _model_name(actor.pk)
    notifications.notify_on_commit(
        "consent_rejected",
        to=[request.business.email],
        name=name,
        url=notifications.absolute_url("marketplace:business-consents"),
    )
    request.refresh_from_db()
    return request


@transaction.atomic
def consent_revoke(*, actor: User, consent_request_id: str) -> ConsentRequest:
    """The model withdraws an approval; it takes effect at once, queued jobs included."""
    request = _request_for_model(actor=actor, consent_request_id=consent_request_id)
    now = timezone.now()
    _decide(
        request=request,
        actor=actor,
        expected=ConsentStatus.APPROVED,
        status=ConsentStatus.REVOKED,
        event_type=ConsentEventType.REVOKED,
        refusal=DomainError(ERR_NOT_APPROVED, code=MarketplaceCode.NOT_APPROVED),
        now=now,
    )
    _likeness_ended_on_commit(model_user_id=actor.pk, business_user_id=request.business_id)
    name = _model_name(actor.pk)
    notifications.notify_on_commit(
        "consent_revoked",
        to=[request.business.email],
        name=name,
        url=notifications.absolute_url("marketplace:business-consents"),
    )
    request.refresh_from_db()
    return request


@transaction.atomic
def consent_limits_change(
    *,
    actor: User,
    consent_request_id: str,
    allowed_categories: Iterable[str],
    expires_on: date | None = None,
) -> ConsentRequest:
    request = _request_for_model(actor=actor, consent_request_id=consent_request_id)
    categories = clean_categories(allowed_categories)
    now = timezone.now()
    expires_at = _clean_expiry(expires_on, now)
    old = {"allowedCategories": request.allowed_categories, "expiresAt": _iso(request.expires_at)}
    new = {"allowedCategories": categories, "expiresAt": _iso(expires_at)}
    if old == new:
        return request  # a replayed form changes nothing and logs nothing
    version = _transition(
        request=request,
        expected=[ConsentStatus.APPROVED],
        now=now,
        allowed_categories=categories,
        expires_at=expires_at,
        renewal_prompted_at=None,
    )
    if version is None:
        raise DomainError(ERR_NOT_APPROVED, code=MarketplaceCode.NOT_APPROVED)
    _event(
        model_id=actor.pk,
        business_id=request.business_id,
        request=request,
        event_type=ConsentEventType.LIMITS_CHANGED,
        actor=actor,
        sequence=version,
        old=old,
        new=new,
    )
    request.refresh_from_db()
    return request


@transaction.atomic
def consent_expire(*, consent_request_id: str, now: datetime | None = None) -> bool:
    """System action: an approval past its expiry date becomes EXPIRED (= revoked)."""
    now = now or timezone.now()
    request = (
        ConsentRequest.objects.filter(pk=consent_request_id).select_related("business", "model")
    ).first()
    if request is None:
        return False
    version = _transition(
        request=request,
        expected=[ConsentStatus.APPROVED],
        now=now,
        extra_filter={"expires_at__lte": now},
        status=ConsentStatus.EXPIRED,
        decided_at=now,
    )
    if version is None:
        return False
    _event(
        model_id=request.model_id,
        business_id=request.business_id,
        request=request,
        event_type=ConsentEventType.EXPIRED,
        actor=None,
        sequence=version,
        old={"status": ConsentStatus.APPROVED, "expiresAt": _iso(request.expires_at)},
        new={"status": ConsentStatus.EXPIRED},
    )
    _sync_membership(request.pk)
    _likeness_ended_on_commit(model_user_id=request.model_id, business_user_id=request.business_id)
    business_name = _business_name(request.business_id)
    model_name = _model_name(request.model_id)
    notifications.notify_on_commit(
        "consent_expired_business",
        to=[request.business.email],
        model_name=model_name,
        url=notifications.absolute_url("marketplace:directory"),
    )
    notifications.notify_on_commit(
        "consent_expired_model",
        to=[request.model.email],
        business_name=business_name,
        url=notifications.absolute_url("marketplace:consent-inbox"),
    )
    return True


@transaction.atomic
def consent_prompt_renewal(*, consent_request_id: str, now: datetime | None = None) -> bool:
    """Remind both sides a week before an approval expires (once per expiry date)."""
    now = now or timezone.now()
    request = (
        ConsentRequest.objects.filter(pk=consent_request_id).select_related("business", "model")
    ).first()
    if request is None:
        return False
    claimed = ConsentRequest.objects.filter(
        pk=request.pk,
        status=ConsentStatus.APPROVED,
        version=request.version,
        renewal_prompted_at=None,
        expires_at__gt=now,
        expires_at__lte=now + RENEWAL_NOTICE,
    ).update(renewal_prompted_at=now)
    if not claimed:
        return False
    _event(
        model_id=request.model_id,
        business_id=request.business_id,
        request=request,
        event_type=ConsentEventType.RENEWAL_PROMPTED,
        actor=None,
        sequence=request.version,
        new={"expiresAt": _iso(request.expires_at)},
    )
    business_name = _business_name(request.business_id)
    model_name = _model_name(request.model_id)
    day = f"{request.expires_at:%Y-%m-%d}"
    notifications.notify_on_commit(
        "renewal_model",
        to=[request.model.email],
        business_name=business_name,
        day=day,
        url=notifications.absolute_url("marketplace:consent-inbox"),
    )
    notifications.notify_on_commit(
        "renewal_business",
        to=[request.business.email],
        model_name=model_name,
        day=day,
        url=notifications.absolute_url("marketplace:business-consents"),
    )
    return True


def consents_reconcile() -> int:
    """Repair whitelists that disagree with request statuses (e.g. a process died
    between a status update and its array sync). Returns how many were repaired.

    Until repaired such a pair fails closed: active_consent needs both the APPROVED
    status and the array entry.
    """
    repaired = 0
    approved = set(
        ConsentRequest.objects.filter(status=ConsentStatus.APPROVED).values_list(
            "business_id", "model_id"
        )
    )
    in_arrays = {
        (business_id, model_user_id)
        for model_user_id, ids in ModelProfile.objects.values_list("user_id", "approved_businesses")
        for business_id in ids
    }
    for business_id, model_user_id in approved ^ in_arrays:
        request = ConsentRequest.objects.filter(
            business_id=business_id, model_id=model_user_id
        ).first()
        if request is not None:
            _sync_membership(request.pk)
        else:
            _set_membership(business_user_id=business_id, model_user_id=model_user_id, member=False)
        repaired += 1
    return repaired


def consents_expire_due(*, now: datetime | None = None) -> tuple[int, int]:
    """Expire what is due and send renewal prompts; returns (expired, prompted)."""
    now = now or timezone.now()
    due = ConsentRequest.objects.filter(
        status=ConsentStatus.APPROVED, expires_at__lte=now
    ).values_list("pk", flat=True)
    expired = sum(consent_expire(consent_request_id=pk, now=now) for pk in list(due))
    soon = ConsentRequest.objects.filter(
        status=ConsentStatus.APPROVED,
        renewal_prompted_at=None,
        expires_at__gt=now,
        expires_at__lte=now + RENEWAL_NOTICE,
    ).values_list("pk", flat=True)
    prompted = sum(consent_prompt_renewal(consent_request_id=pk, now=now) for pk in list(soon))
    return expired, prompted
