"""The one seam over private media (reference photos, garments, generated images).

``default_storage`` is the local ``FileSystemStorage`` under ``MEDIA_ROOT`` unless
``AWS_STORAGE_BUCKET_NAME`` is set, in which case it is django-storages' S3
backend on a private bucket (``default_acl="private"``, query-string auth). No
media URL is ever public:

- local files are streamed (``open_private``, served by ``modelsnapper.http``) from a
  view that has already checked the requester may see the file;
- S3 files are reached through a presigned URL valid for
  ``AWS_PRESIGNED_EXPIRY_SECONDS`` (default 300), handed out by the same views.

Keys are ``<prefix>/<32 random hex>.<ext>``: unguessable, never derived from the
uploaded file name, never reused. A key that is missing, or malformed (so cannot
exist), raises ``PrivateFileMissing``, a ``FileNotFoundError``: this adapter knows
nothing of HTTP, and only views turn absence into a 404.
"""

from __future__ import annotations

import contextlib
import mimetypes
import re
import uuid

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage

_PREFIX_RE = re.compile(r"^[a-z0-9][a-z0-9_\-/]{0,120}$")
_EXTENSION_RE = re.compile(r"^[a-z0-9]{1,5}$")
_CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "json": "application/json",
}


class PrivateFileMissing(FileNotFoundError):
    """No stored file has this key (or the key is malformed, so none can)."""


class StorageUnavailable(Exception):
    """The storage backend refused or failed a write (disk full, S3 down, ...)."""


MSG_STORAGE_DOWN = (
    "Your photos could not be stored right now, so nothing was saved and nothing was "
    "charged. Please try again in a few minutes."
)


def _check_key(key: str) -> str:
    if (
        not key
        or not isinstance(key, str)
        or key.startswith("/")
        or "\\" in key
        or ".." in key.split("/")
        or "\x00" in key
    ):
        raise PrivateFileMissing(repr(key))
    return key


def is_s3() -> bool:
    """True when media lives in the S3 bucket (presigned URLs), False for local files."""
    return bool(getattr(settings, "AWS_STORAGE_BUCKET_NAME", "")) and hasattr(
        default_storage, "bucket_name"
    )


def content_type_for(key: str) -> str:
    extension = key.rsplit(".", 1)[-1].lower() if "." in key else ""
    return (
        _CONTENT_TYPES.get(extension) or mimetypes.guess_type(key)[0] or "application/octet-stream"
    )


def save_private(*, prefix: str, content: bytes, extension: str = "jpg") -> str:
    """Store ``content`` privately under a fresh unguessable name; returns the key."""
    prefix = prefix.strip("/")
    if not _PREFIX_RE.match(prefix) or ".." in prefix.split("/"):
        raise ValueError(f"Invalid storage prefix {prefix!r}.")
    extension = extension.lower().lstrip(".")
    if not _EXTENSION_RE.match(extension):
        raise ValueError(f"Invalid file extension {extension!r}.")
    name = f"{prefix}/{uuid.uuid4().hex}.{extension}"
    file = ContentFile(content, name=name)
    # S3: the content type travels as object metadata so presigned GETs serve it.
    # Read by django-storages (getattr) as the object's Content-Type.
    setattr(file, "content_type", content_type_for(name))  # noqa: B010
    try:
        return default_storage.save(name, file)
    except Exception as exc:  # any backend failure (OSError, botocore): one error type
        raise StorageUnavailable(f"{type(exc).__name__}: {exc}") from exc


def save_private_all(*, prefix: str, contents: list[bytes], extension: str = "jpg") -> list[str]:
    """Store every file or none: when one write fails, those already written are
    deleted again (no file without a row pointing at it) and StorageUnavailable is raised."""
    keys: list[str] = []
    try:
        for content in contents:
            keys.append(save_private(prefix=prefix, content=content, extension=extension))
    except StorageUnavailable:
        for key in keys:
            with contextlib.suppress(Exception):
                delete_private(key)
        raise
    return keys


def variant_key(key: str, variant: str) -> str:
    """The key of a derived file (e.g. ``thumb``) stored beside ``key``: as
    unguessable as the original, and found again without a lookup table."""
    _check_key(key)
    base = key.rsplit(".", 1)[0] if "." in key.rsplit("/", 1)[-1] else key
    return f"{base}_{variant}.jpg"


def save_private_variant(*, key: str, variant: str, content: bytes) -> str:
    """Store a derived file (thumbnail) at ``variant_key(key, variant)``."""
    if not re.match(r"^[a-z0-9]{1,16}$", variant):
        raise ValueError(f"Invalid variant {variant!r}.")
    name = variant_key(key, variant)
    file = ContentFile(content, name=name)
    # Read by django-storages (getattr) as the object's Content-Type.
    setattr(file, "content_type", content_type_for(name))  # noqa: B010
    try:
        saved = default_storage.save(name, file)
    except Exception as exc:
        raise StorageUnavailable(f"{type(exc).__name__}: {exc}") from exc
    if saved != name:
        # Only possible if the derived name already existed: keep one file per key.
        default_storage.delete(saved)
        raise FileExistsError(name)
    return saved


def read_private(key: str) -> bytes:
    """The stored bytes; FileNotFoundError when the key does not exist."""
    _check_key(key)
    try:
        with default_storage.open(key, "rb") as handle:
            return bytes(handle.read())
    except FileNotFoundError:
        raise PrivateFileMissing(key) from None
    except SuspiciousFileOperation:
        raise PrivateFileMissing(key) from None
    except Exception as exc:  # botocore ClientError (404/403) and friends
        if is_s3():
            raise PrivateFileMissing(key) from exc
        raise


def delete_private(key: str) -> None:
    """Delete a stored file; a missing file is not an error (deletes are retried)."""
    if not key:
        return
    _check_key(key)
    with contextlib.suppress(FileNotFoundError):
        default_storage.delete(key)


def exists_private(key: str) -> bool:
    try:
        _check_key(key)
    except PrivateFileMissing:
        return False
    return default_storage.exists(key)


def presigned_url(key: str) -> str:
    """A short-lived GET URL for ``key`` (S3 only)."""
    _check_key(key)
    # S3Storage.url takes the lifetime; Storage.url (the stubs' type) does not.
    return default_storage.url(key, expire=settings.AWS_PRESIGNED_EXPIRY_SECONDS)  # type: ignore[call-arg]


def open_private(key: str) -> File[bytes]:
    """The stored file, open for reading (local storage); PrivateFileMissing if absent."""
    _check_key(key)
    try:
        return default_storage.open(key, "rb")
    except (FileNotFoundError, SuspiciousFileOperation, IsADirectoryError):
        raise PrivateFileMissing(key) from None
