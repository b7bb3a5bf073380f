"""A model's likeness: reference photos and the garment categories they accept."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from PIL import Image

from accounts.models import ModelProfile, User
from marketplace.models import (
    ConsentEventType,
    LikenessSettings,
)
from marketplace.rules import MAX_REFERENCE_PHOTOS
from marketplace.selectors import photo_id_for
from marketplace.services.common import (
    ERR_DUPLICATE_PHOTO,
    ERR_MANY_FACES,
    ERR_NO_FACE,
    ERR_PHOTO_NOT_FOUND,
    ERR_TOO_MANY_PHOTOS,
    MarketplaceCode,
    _cas_list,
    _event,
    _model_profile,
    clean_categories,
)
from modelsnapper import faces, storage
from modelsnapper.errors import DomainError
from modelsnapper.images import ProcessedImage, process_image_upload

# --- reference photos ----------------------------------------------------------------------

ERR_LIKENESS_STORAGE = (
    "Your photo could not be stored right now, so nothing changed. Please try again in a few "
    "minutes."
)


def _key_for_photo(profile: ModelProfile, photo_id: str) -> str | None:
    for key in profile.reference_images:
        if photo_id_for(key) == photo_id:
            return str(key)
    return None


def _stored_signature(key: str) -> faces.FaceSignature | None:
    try:
        with Image.open(io.BytesIO(storage.read_private(key))) as image:
            image.load()
            return faces.single_face_signature(image)[1]
    except (storage.PrivateFileMissing, OSError, ValueError):
        return None  # a missing or unreadable file cannot be a duplicate


def _check_likeness(
    processed: ProcessedImage, *, profile: ModelProfile, replacing: str | None
) -> None:
    """Exactly one person's face, and not the same photo as another of this model's."""
    count, signature = faces.single_face_signature(processed.image)
    if count == 0:
        raise DomainError(ERR_NO_FACE, code=MarketplaceCode.NO_FACE, field="photo")
    if signature is None:
        raise DomainError(ERR_MANY_FACES, code=MarketplaceCode.MANY_FACES, field="photo")
    for key in profile.reference_images:
        if key == replacing:
            continue
        other = _stored_signature(str(key))
        if other is not None and signature.same_photo_as(other):
            raise DomainError(
                ERR_DUPLICATE_PHOTO, code=MarketplaceCode.DUPLICATE_PHOTO, field="photo"
            )


def _store_photo(
    *, actor: User, upload: Any, profile: ModelProfile, replacing: str | None = None
) -> str:
    # A face and body, not a poster: the lower cap bounds each decode's memory.
    processed = process_image_upload(upload, max_pixels=settings.LIKENESS_MAX_IMAGE_PIXELS)
    _check_likeness(processed, profile=profile, replacing=replacing)
    try:
        key = storage.save_private(prefix=f"likeness/{actor.pk}", content=processed.jpeg_bytes)
    except storage.StorageUnavailable:
        raise DomainError(ERR_LIKENESS_STORAGE, code=MarketplaceCode.STORAGE) from None
    try:
        storage.save_private_variant(key=key, variant="thumb", content=processed.thumbnail_bytes)
    except Exception as exc:
        storage.delete_private(key)
        if isinstance(exc, storage.StorageUnavailable):
            raise DomainError(ERR_LIKENESS_STORAGE, code=MarketplaceCode.STORAGE) from None
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
    key = _store_photo(actor=actor, upload=upload, profile=profile)

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
    key = _store_photo(actor=actor, upload=upload, profile=profile, replacing=old_key)

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
