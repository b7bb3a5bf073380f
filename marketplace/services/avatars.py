"""Stock AI avatars: uploaded by an admin through the image pipeline, stored under
their own prefix. An avatar's key is only ever one this module wrote (``avatars/<32
hex>.jpg``): an admin cannot point an avatar at a model's likeness photo or any
other stored file, so no generation can use a person's likeness as an "AI avatar"."""

from __future__ import annotations

import logging
import re
from typing import Any

from django.db import transaction

from accounts.models import User
from marketplace.models import AIAvatar
from marketplace.services.common import MarketplaceCode
from modelsnapper import storage
from modelsnapper.errors import DomainError
from modelsnapper.images import ProcessedImage, process_image_upload
from modelsnapper.text import clean_name

logger = logging.getLogger(__name__)

AVATAR_PREFIX = "avatars"
_AVATAR_KEY_RE = re.compile(r"^avatars/[0-9a-f]{32}\.jpg$")
MAX_AVATAR_NAME = 120

ERR_AVATAR_ADMIN = "Only an admin can change AI avatars."
ERR_AVATAR_IMAGE = "Upload an image for the avatar (JPEG, PNG or WebP)."
ERR_AVATAR_STORAGE = (
    "The avatar's image could not be stored right now, so nothing was saved. "
    "Please try again in a few minutes."
)


def is_avatar_key(key: str) -> bool:
    """True only for a key that avatar_create/avatar_update stored."""
    return bool(_AVATAR_KEY_RE.match(key or ""))


def _check_admin(actor: User) -> None:
    if not actor.is_platform_admin:
        raise DomainError(ERR_AVATAR_ADMIN, code=MarketplaceCode.ROLE)


def _clean_name(name: str) -> str:
    return clean_name(name, label="avatar name", field="name", max_length=MAX_AVATAR_NAME)


def _store(upload: Any) -> str:
    # An admin form may have run the pipeline already (to show its message on the field).
    processed = upload if isinstance(upload, ProcessedImage) else process_image_upload(upload)
    try:
        key = storage.save_private(prefix=AVATAR_PREFIX, content=processed.jpeg_bytes)
    except storage.StorageUnavailable:
        raise DomainError(ERR_AVATAR_STORAGE, code=MarketplaceCode.STORAGE) from None
    try:
        storage.save_private_variant(key=key, variant="thumb", content=processed.thumbnail_bytes)
    except Exception as exc:
        storage.delete_private(key)
        if isinstance(exc, storage.StorageUnavailable):
            raise DomainError(ERR_AVATAR_STORAGE, code=MarketplaceCode.STORAGE) from None
        raise
    return key


def _delete_files(key: str) -> None:
    if is_avatar_key(key):
        storage.delete_private(key)
        storage.delete_private(storage.variant_key(key, "thumb"))


def avatar_create(*, actor: User, name: str, upload: Any, is_active: bool = True) -> AIAvatar:
    """Check, re-encode and store the image, then create the avatar pointing at it."""
    _check_admin(actor)
    cleaned = _clean_name(name)
    if upload is None:
        raise DomainError(ERR_AVATAR_IMAGE, code=MarketplaceCode.INVALID, field="image")
    key = _store(upload)
    try:
        avatar = AIAvatar.objects.create(name=cleaned, s3_url=key, is_active=is_active)
    except Exception:
        _delete_files(key)
        raise
    logger.info("AI avatar %s (%s) created by %s with %s", avatar.pk, cleaned, actor.pk, key)
    return avatar


def avatar_update(
    *, actor: User, avatar: AIAvatar, name: str, is_active: bool, upload: Any = None
) -> AIAvatar:
    """Rename, (de)activate and optionally replace the image; the old file goes after."""
    _check_admin(actor)
    cleaned = _clean_name(name)
    old_key = avatar.s3_url
    fields = {"name": cleaned, "is_active": is_active}
    new_key = _store(upload) if upload is not None else None
    if new_key is not None:
        fields["s3_url"] = new_key
    try:
        AIAvatar.objects.filter(pk=avatar.pk).update(**fields)
    except Exception:
        if new_key is not None:
            _delete_files(new_key)
        raise
    avatar.refresh_from_db()
    logger.info(
        "AI avatar %s updated by %s: name=%s active=%s image=%s",
        avatar.pk,
        actor.pk,
        cleaned,
        is_active,
        new_key or "unchanged",
    )
    if new_key is not None and old_key != new_key:
        # Last, after every write: in Mongo mode on_commit runs at once.
        transaction.on_commit(lambda: _delete_files(old_key))
    return avatar
