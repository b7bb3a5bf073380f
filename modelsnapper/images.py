"""The one place uploaded images are checked, decoded and re-encoded.

Every photo a person uploads (likeness reference photos, garment photos) goes
through ``process_image_upload``. It refuses, with a message safe to show:

- files above ``settings.MAX_IMAGE_UPLOAD_BYTES`` — judged from the declared size
  first, then by reading at most one byte more than the limit, never the whole
  file;
- anything that is not JPEG, PNG or WebP *by content* (the name and the declared
  content type are ignored): SVG, HTML, PDFs, renamed text files;
- polyglots: files that carry markup (``<script``, ``<html``, ``<svg`` …) or data
  after the image's end, which browsers or other tools could read as something else;
- images above ``settings.MAX_IMAGE_PIXELS``, judged from the header *before*
  any pixel is decoded (decompression bombs);
- images smaller than ``MIN_IMAGE_SIDE`` on a side, and truncated or corrupt files.

What is kept is a fresh JPEG encoded from the decoded pixels: EXIF (GPS, camera
serials), ICC tricks, comments and any trailing payload are gone, and the EXIF
orientation has been applied to the pixels.
"""

from __future__ import annotations

import contextlib
import io
import re
import struct
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from PIL import Image, ImageOps, UnidentifiedImageError

from modelsnapper.errors import DomainError

MIN_IMAGE_SIDE = 64
THUMBNAIL_MAX_SIDE = 400
JPEG_QUALITY = 90
THUMBNAIL_QUALITY = 82
_READ_CHUNK = 1024 * 1024

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP")

# User-facing messages, one per refusal (tests assert on them).
MSG_EMPTY = "The file is empty. Choose a JPEG, PNG or WebP photo."
MSG_TOO_LARGE = "The file is larger than {limit_mb} MB. Upload a smaller photo."
MSG_NOT_IMAGE = "This file is not a JPEG, PNG or WebP image. Other file types are refused."
MSG_POLYGLOT = (
    "This file contains more than an image (markup or hidden data). "
    "Export the photo again as a plain JPEG, PNG or WebP."
)
MSG_TOO_MANY_PIXELS = "The image is {width} x {height} pixels; the limit is {limit_mp} megapixels."
MSG_TOO_SMALL = (
    "The image is {width} x {height} pixels; each side must be at least {minimum} pixels."
)
MSG_CORRUPT = "The image is damaged or incomplete and could not be read. Upload it again."


class ImageCode(StrEnum):
    """The codes of this module's refusals (``DomainError.code``): one name per reason."""

    CORRUPT = "corrupt"
    EMPTY = "empty"
    NOT_IMAGE = "not_image"
    POLYGLOT = "polyglot"
    REQUIRED = "required"
    TOO_LARGE = "too_large"
    TOO_MANY_FILES = "too_many_files"
    TOO_MANY_PIXELS = "too_many_pixels"
    TOO_SMALL = "too_small"
    BUSY = "busy"


MSG_BUSY = (
    "The server is busy processing other large photos right now. Nothing was saved: "
    "try again in a minute."
)


# --- memory bounds of decoding -------------------------------------------------------------
#
# A small file can decode into a lot of memory (a 113 KB PNG of 6300 x 6300 is 119 MB of
# RGB pixels, several times that through orientation, flattening and encoding). Three
# bounds keep a process's memory in hand whatever arrives at once:
# - a pixel budget per process (DECODE_PIXEL_BUDGET): decodes wait for room, up to
#   DECODE_WAIT_SECONDS, then are refused with MSG_BUSY (nothing stored);
# - the image is reduced right after decoding (JPEG: decoded at 1/2, 1/4 or 1/8 scale by
#   libjpeg's draft mode) to MAX_STORED_IMAGE_SIDE before any copy is made;
# - callers pass a lower pixel cap where large images serve no purpose (likeness, verify).

_budget = threading.Condition()
_pixels_in_use = 0


@contextlib.contextmanager
def decode_slot(pixels: int) -> Iterator[None]:
    """Hold ``pixels`` of this process's decode budget while decoding."""
    global _pixels_in_use
    budget = int(settings.DECODE_PIXEL_BUDGET)
    need = min(max(int(pixels), 1), budget)
    deadline = time.monotonic() + float(settings.DECODE_WAIT_SECONDS)
    with _budget:
        while _pixels_in_use + need > budget:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DomainError(MSG_BUSY, code=ImageCode.BUSY)
            _budget.wait(remaining)
        _pixels_in_use += need
    try:
        yield
    finally:
        with _budget:
            _pixels_in_use -= need
            _budget.notify_all()


def _reduce_on_decode(image: Image.Image, max_side: int) -> None:
    """JPEG only: let libjpeg decode at the smallest 1/2^n scale still >= max_side."""
    if image.format == "JPEG" and max(image.size) > max_side:
        scale = max_side / max(image.size)
        image.draft("RGB", (max(int(image.width * scale), 1), max(int(image.height * scale), 1)))


def _shrink(image: Image.Image, max_side: int) -> Image.Image:
    if max(image.size) <= max_side:
        return image
    factor = max(image.size) // max_side
    if factor >= 2:
        # reduce() (box filter by an integer factor) is fast and allocates only the result.
        image = image.reduce(factor)
    if max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return image


@dataclass(frozen=True)
class ProcessedImage:
    image: Image.Image  # RGB, orientation applied
    jpeg_bytes: bytes  # re-encoded, no metadata
    thumbnail_bytes: bytes  # JPEG, at most THUMBNAIL_MAX_SIDE on the long side (b"" if not asked)
    width: int
    height: int
    source_format: str  # 'JPEG' | 'PNG' | 'WEBP'


def _limit_mb() -> int:
    return settings.MAX_IMAGE_UPLOAD_BYTES // (1024 * 1024)


def _read_bounded(upload: Any) -> bytes:
    """Read at most MAX_IMAGE_UPLOAD_BYTES + 1 bytes; refuse larger files early."""
    limit = settings.MAX_IMAGE_UPLOAD_BYTES
    if isinstance(upload, (bytes, bytearray, memoryview)):
        data = bytes(upload)
        if len(data) > limit:
            raise DomainError(MSG_TOO_LARGE.format(limit_mb=_limit_mb()), code=ImageCode.TOO_LARGE)
        return data
    declared = getattr(upload, "size", None)
    if isinstance(declared, int) and declared > limit:
        # The declared size is enough to refuse: nothing is read.
        raise DomainError(MSG_TOO_LARGE.format(limit_mb=_limit_mb()), code=ImageCode.TOO_LARGE)
    if hasattr(upload, "seek"):
        with contextlib.suppress(OSError, ValueError):
            upload.seek(0)
    buffer = bytearray()
    while len(buffer) <= limit:
        chunk = upload.read(min(_READ_CHUNK, limit + 1 - len(buffer)))
        if not chunk:
            break
        buffer.extend(chunk)
    if len(buffer) > limit:
        raise DomainError(MSG_TOO_LARGE.format(limit_mb=_limit_mb()), code=ImageCode.TOO_LARGE)
    return bytes(buffer)


def sniff_format(data: bytes) -> str | None:
    """The image format by magic bytes, or None."""
    if data[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


# Markup that makes a file readable as a web page or script by some other program.
_MARKUP_RE = re.compile(
    rb"<\s*(?:script|html|svg|body|iframe|object|embed|\?php|!doctype)|javascript:",
    re.IGNORECASE,
)


def _jpeg_header(data: bytes) -> bytes:
    """Everything before the first start-of-scan marker: the segments where text
    (comments, EXIF, XMP) can hide. Compressed pixel data is random-looking and
    would match short patterns by chance, so it is not scanned."""
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            break
        while pos < len(data) and data[pos] == 0xFF:
            pos += 1
        if pos >= len(data):
            break
        marker = data[pos]
        if marker == 0xDA:  # start of scan
            return data[:pos]
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            pos += 1
            continue
        (length,) = struct.unpack(">H", data[pos + 1 : pos + 3])
        pos += 1 + length
    return data[:65536]


# Chunks holding compressed pixels (not scanned for markup, see _jpeg_header).
_PNG_PIXEL_CHUNKS = {b"IDAT", b"fdAT"}
_WEBP_PIXEL_CHUNKS = {b"VP8 ", b"VP8L", b"ALPH", b"ANMF"}


def _metadata_regions(data: bytes, fmt: str) -> list[bytes]:
    regions = [data[:16]]
    if fmt == "JPEG":
        regions.append(_jpeg_header(data))
    elif fmt == "PNG":
        pos = 8
        while pos + 8 <= len(data):
            (length,) = struct.unpack(">I", data[pos : pos + 4])
            kind = data[pos + 4 : pos + 8]
            if kind not in _PNG_PIXEL_CHUNKS:
                regions.append(data[pos + 8 : pos + 8 + length])
            pos += 12 + length
    elif fmt == "WEBP":
        pos = 12
        while pos + 8 <= len(data):
            kind = data[pos : pos + 4]
            (length,) = struct.unpack("<I", data[pos + 4 : pos + 8])
            if kind not in _WEBP_PIXEL_CHUNKS:
                regions.append(data[pos + 8 : pos + 8 + length])
            pos += 8 + length + (length & 1)
    return regions


def _png_end(data: bytes) -> int | None:
    """Offset just after the IEND chunk, or None if the chunk list is broken."""
    pos = 8
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        pos += 12 + length
        if kind == b"IEND":
            return int(pos)
    return None


def _has_trailing_data(data: bytes, fmt: str) -> bool:
    if fmt == "PNG":
        end = _png_end(data)
        return end is not None and len(data) > end
    if fmt == "WEBP":
        (riff_size,) = struct.unpack("<I", data[4:8])
        # RIFF chunks are padded to even sizes; allow that one byte.
        return bool(len(data) > 8 + riff_size + (riff_size & 1))
    if fmt == "JPEG":
        # Tolerate a little padding after the end-of-image marker (some cameras add
        # zeros), refuse real payloads appended after it (zip/HTML polyglots).
        # Search after the header segments: inside them FF D9 may be ordinary data.
        end = data.rfind(b"\xff\xd9", len(_jpeg_header(data)))
        if end == -1:
            return False  # truncated: decoding reports it
        tail = data[end + 2 :]
        return len(tail.strip(b"\x00\r\n\xff")) > 0
    return False


def _flatten_to_rgb(image: Image.Image) -> Image.Image:
    if image.mode == "RGB":
        return image
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    if has_alpha:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _encode_jpeg(image: Image.Image, quality: int, *, optimize: bool = True) -> bytes:
    # optimize=True (Huffman tables fitted to the image) makes libjpeg hold every DCT
    # coefficient of the image at once: ~3 bytes a pixel, 36 MB for 12 MP. Full-size
    # re-encodes skip it (a few % larger files); thumbnails keep it.
    buffer = io.BytesIO()
    # No exif=, no icc_profile=: the output carries pixels only.
    image.save(buffer, format="JPEG", quality=quality, optimize=optimize)
    return buffer.getvalue()


def _checked_format(data: bytes) -> str:
    """The format the bytes really are; refused when empty, not an image, or more."""
    if not data:
        raise DomainError(MSG_EMPTY, code=ImageCode.EMPTY)
    fmt = sniff_format(data)
    if fmt is None:
        raise DomainError(MSG_NOT_IMAGE, code=ImageCode.NOT_IMAGE)
    if any(_MARKUP_RE.search(region) for region in _metadata_regions(data, fmt)) or (
        _has_trailing_data(data, fmt)
    ):
        raise DomainError(MSG_POLYGLOT, code=ImageCode.POLYGLOT)
    return fmt


def _opened_header(data: bytes, fmt: str, *, max_pixels: int | None = None) -> Image.Image:
    """The image opened from its header only (no pixel decoded), within the size limits."""
    try:
        image = Image.open(io.BytesIO(data), formats=[fmt])
    except Image.DecompressionBombError:
        raise DomainError(
            _too_many_pixels_message(None, None), code=ImageCode.TOO_MANY_PIXELS
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, struct.error):
        raise DomainError(MSG_CORRUPT, code=ImageCode.CORRUPT) from None
    if image.format not in ALLOWED_FORMATS:
        raise DomainError(MSG_NOT_IMAGE, code=ImageCode.NOT_IMAGE)
    width, height = image.size
    limit = max_pixels or settings.MAX_IMAGE_PIXELS
    if width * height > limit:
        raise DomainError(
            _too_many_pixels_message(width, height, limit), code=ImageCode.TOO_MANY_PIXELS
        )
    if min(width, height) < MIN_IMAGE_SIDE:
        raise DomainError(
            MSG_TOO_SMALL.format(width=width, height=height, minimum=MIN_IMAGE_SIDE),
            code=ImageCode.TOO_SMALL,
        )
    return image


def _thumbnail_of(image: Image.Image) -> Image.Image:
    """At most THUMBNAIL_MAX_SIDE on the long side, resized straight from the original
    (no full-size copy first, as Image.thumbnail would need)."""
    scale = min(1.0, THUMBNAIL_MAX_SIDE / max(image.size))
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def process_image_upload(
    upload: Any, *, thumbnail: bool = True, max_pixels: int | None = None
) -> ProcessedImage:
    """Check and re-encode one uploaded photo (UploadedFile, file object or bytes).

    ``thumbnail=False`` when the caller throws the thumbnail away (product photos:
    the worker makes the output's own), saving its resize and encode.
    ``max_pixels`` lowers the pixel cap (``settings.MAX_IMAGE_PIXELS``) for this use.
    """
    data = _read_bounded(upload)
    fmt = _checked_format(data)
    limit = min(max_pixels or settings.MAX_IMAGE_PIXELS, settings.MAX_IMAGE_PIXELS)
    max_side = int(settings.MAX_STORED_IMAGE_SIDE)
    with warnings.catch_warnings():
        # Our own pixel limit (below) is stricter than Pillow's warning threshold.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        image = _opened_header(data, fmt, max_pixels=limit)
        width, height = image.size
        with decode_slot(width * height):
            try:
                _reduce_on_decode(image, max_side)
                image.load()
                # Smaller first, then every copy (flattening) is small; the orientation
                # is fixed in place (no second full-size copy when it is not rotated).
                shrunk = _shrink(image, max_side)
                ImageOps.exif_transpose(shrunk, in_place=True)
                rgb = _flatten_to_rgb(shrunk)
                del image, shrunk
            except Image.DecompressionBombError:
                raise DomainError(
                    _too_many_pixels_message(width, height, limit), code=ImageCode.TOO_MANY_PIXELS
                ) from None
            except (OSError, SyntaxError, ValueError, struct.error, EOFError):
                raise DomainError(MSG_CORRUPT, code=ImageCode.CORRUPT) from None

            rgb.load()
            jpeg_bytes = _encode_jpeg(rgb, JPEG_QUALITY, optimize=False)
            thumbnail_bytes = (
                _encode_jpeg(_thumbnail_of(rgb), THUMBNAIL_QUALITY) if thumbnail else b""
            )
    return ProcessedImage(
        image=rgb,
        jpeg_bytes=jpeg_bytes,
        thumbnail_bytes=thumbnail_bytes,
        width=rgb.width,
        height=rgb.height,
        source_format=fmt,
    )


def _too_many_pixels_message(
    width: int | None, height: int | None, limit: int | None = None
) -> str:
    limit_mp = (limit or settings.MAX_IMAGE_PIXELS) // 1_000_000
    if width is None or height is None:
        return f"The image has more than {limit_mp} megapixels, which is the limit."
    return MSG_TOO_MANY_PIXELS.format(width=width, height=height, limit_mp=limit_mp)


# --- forms ------------------------------------------------------------------------------


ACCEPT_ATTR = "image/jpeg,image/png,image/webp"


class MultipleFileInput(forms.ClearableFileInput):
    """Django's documented pattern for a file input that takes several files."""

    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """A form field returning a list of UploadedFiles (validated later by
    ``process_image_upload`` in the service, which owns the messages).

    ``max_files`` refuses more files than the page allows, before any is read.
    """

    def __init__(self, *args: Any, max_files: int = 20, **kwargs: Any) -> None:
        self.max_files = max_files
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT_ATTR}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single_clean = super().clean
        if isinstance(data, (list, tuple)):
            files = [single_clean(item, initial) for item in data if item]
            if not files and self.required:
                raise forms.ValidationError(
                    self.error_messages["required"], code=ImageCode.REQUIRED
                )
        else:
            cleaned = single_clean(data, initial)
            files = [cleaned] if cleaned else []
        if len(files) > self.max_files:
            raise forms.ValidationError(
                f"Upload at most {self.max_files} photos at once (you chose {len(files)}).",
                code=ImageCode.TOO_MANY_FILES,
            )
        return files


class SingleImageField(forms.FileField):
    """A file field whose browser picker offers images only; checks happen in services."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTR}))
        super().__init__(*args, **kwargs)


# --- upload handler: refuse oversized bodies while they stream ------------------------------


class SizeLimitedUploadHandler(FileUploadHandler):
    """Stops reading a multipart body as soon as one file exceeds the limit.

    Install it first on a view that takes uploads (``request.upload_handlers.insert(0,
    SizeLimitedUploadHandler(request))``, before ``request.POST``/``FILES`` is read;
    see Django's "Modifying upload handlers on the fly"). A too-large upload then
    costs at most the limit in bytes read, and the view sees
    ``request.upload_too_large`` set to True.
    """

    def __init__(self, request: Any = None, *, limit: int | None = None) -> None:
        super().__init__(request)
        self.limit = limit if limit is not None else settings.MAX_IMAGE_UPLOAD_BYTES
        self._file_bytes = 0
        if request is not None:
            request.upload_too_large = False

    def handle_raw_input(
        self,
        input_data: Any,
        META: Any,
        content_length: int,
        boundary: str,
        encoding: str | None = None,
    ) -> None:
        return None

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self._file_bytes = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self._file_bytes += len(raw_data)
        if self._file_bytes > self.limit:
            if self.request is not None:
                # Read by the upload views to answer with a clear message.
                setattr(self.request, "upload_too_large", True)  # noqa: B010
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def too_large_message() -> str:
    return MSG_TOO_LARGE.format(limit_mb=_limit_mb())
