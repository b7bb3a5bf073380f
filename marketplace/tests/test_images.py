"""process_image_upload: every bad file the issue lists gets a clear message."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.utils.datastructures import MultiValueDict
from PIL import Image

from marketplace.tests.conftest import image_bytes
from modelsnapper import images
from modelsnapper.errors import DomainError
from modelsnapper.images import process_image_upload


def _refused(data, code: str) -> DomainError:
    with pytest.raises(DomainError) as info:
        process_image_upload(data)
    assert info.value.code == code, info.value.message
    return info.value


def _png_with_size(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height but carries a tiny body (a bomb's header)."""
    small = image_bytes(64, 64, fmt="PNG")
    ihdr_data = struct.pack(">II", width, height) + small[24:29]
    chunk = b"IHDR" + ihdr_data
    patched_ihdr = struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk))
    return small[:8] + patched_ihdr + small[33:]


def test_a_good_jpeg_is_reencoded_with_a_thumbnail():
    result = process_image_upload(image_bytes(1200, 1600))
    assert (result.width, result.height, result.source_format) == (1200, 1600, "JPEG")
    assert result.image.mode == "RGB"
    thumb = Image.open(io.BytesIO(result.thumbnail_bytes))
    assert thumb.format == "JPEG" and max(thumb.size) == 400


def test_a_product_photo_skips_the_thumbnail_nobody_keeps():
    result = process_image_upload(image_bytes(1200, 1600), thumbnail=False)
    assert result.thumbnail_bytes == b""
    assert Image.open(io.BytesIO(result.jpeg_bytes)).size == (1200, 1600)


def test_a_small_photo_keeps_its_size_as_thumbnail():
    thumb = Image.open(io.BytesIO(process_image_upload(image_bytes(320, 240)).thumbnail_bytes))
    assert thumb.size == (320, 240)


def test_png_and_webp_are_accepted_and_become_jpeg():
    for fmt in ("PNG", "WEBP"):
        result = process_image_upload(image_bytes(300, 300, fmt=fmt))
        assert result.source_format == fmt
        assert Image.open(io.BytesIO(result.jpeg_bytes)).format == "JPEG"


def test_transparent_png_is_flattened_on_white():
    result = process_image_upload(image_bytes(100, 100, fmt="PNG", color=(0, 0, 0, 0), alpha=True))
    assert result.image.getpixel((5, 5)) == (255, 255, 255)


def test_exif_and_gps_are_stripped_and_orientation_applied():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise when displayed
    exif[0x010F] = "SecretCam"
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0)}  # GPS IFD
    data = image_bytes(400, 200, exif=exif.tobytes())
    assert b"SecretCam" in data
    result = process_image_upload(data)
    assert (result.width, result.height) == (200, 400)
    reopened = Image.open(io.BytesIO(result.jpeg_bytes))
    assert not reopened.getexif()
    assert b"SecretCam" not in result.jpeg_bytes and b"Exif" not in result.jpeg_bytes


def test_a_text_file_renamed_jpg_is_refused():
    upload = SimpleUploadedFile("photo.jpg", b"just some text\n" * 100, content_type="image/jpeg")
    error = _refused(upload, "not_image")
    assert "not a JPEG, PNG or WebP" in error.message


def test_svg_is_refused():
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    _refused(SimpleUploadedFile("a.svg", svg, content_type="image/svg+xml"), "not_image")


def test_html_is_refused():
    _refused(b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", "not_image")


def test_gif_is_refused_even_though_it_is_an_image():
    _refused(image_bytes(100, 100, fmt="GIF"), "not_image")


def test_jpeg_with_html_appended_is_refused_as_polyglot():
    data = image_bytes(200, 200) + b"<html><script>alert(document.cookie)</script></html>"
    error = _refused(data, "polyglot")
    assert "more than an image" in error.message


def test_jpeg_with_a_zip_appended_is_refused_as_polyglot():
    _refused(image_bytes(200, 200) + b"PK\x03\x04" + b"\x01" * 200, "polyglot")


def test_jpeg_with_script_in_a_comment_segment_is_refused():
    good = image_bytes(200, 200)
    comment = b"<script>alert(1)</script>"
    segment = b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment
    _refused(good[:2] + segment + good[2:], "polyglot")


def test_png_with_trailing_data_is_refused():
    _refused(image_bytes(100, 100, fmt="PNG") + b"MZ\x90\x00 payload", "polyglot")


def test_a_truncated_jpeg_is_refused():
    data = image_bytes(800, 800)
    error = _refused(data[: len(data) // 2], "corrupt")
    assert "damaged or incomplete" in error.message


def test_a_truncated_png_is_refused():
    data = image_bytes(400, 400, fmt="PNG")
    _refused(data[: len(data) - 200], "corrupt")


def test_a_one_by_one_image_is_refused():
    error = _refused(image_bytes(1, 1, fmt="PNG"), "too_small")
    assert "1 x 1" in error.message


def test_a_30000_by_30000_header_is_refused_before_decoding():
    bomb = _png_with_size(30000, 30000)
    assert len(bomb) < 2000  # only the header claims the size: nothing big is ever allocated
    error = _refused(bomb, "too_many_pixels")
    assert "megapixels" in error.message


def test_an_image_just_over_the_pixel_limit_is_refused_from_its_header(settings):
    settings.MAX_IMAGE_PIXELS = 40_000_000
    error = _refused(_png_with_size(8000, 5001), "too_many_pixels")
    assert "8000 x 5001" in error.message


class _CountingStream(io.RawIOBase):
    """A 100 MB upload that is produced lazily and counts what is read from it."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.size - self.read_bytes)
        buffer[:n] = b"\xff" * n
        self.read_bytes += n
        return n


def test_a_100_mb_upload_with_a_declared_size_is_refused_without_reading():
    stream = _CountingStream(100 * 1024 * 1024)
    upload = UploadedFile(file=stream, name="big.jpg", size=stream.size)
    error = _refused(upload, "too_large")
    assert "15 MB" in error.message
    assert stream.read_bytes == 0


def test_a_100_mb_stream_without_a_size_is_refused_after_reading_just_past_the_limit(settings):
    stream = _CountingStream(100 * 1024 * 1024)
    upload = UploadedFile(file=stream, name="big.jpg", size=None)
    _refused(upload, "too_large")
    assert stream.read_bytes == settings.MAX_IMAGE_UPLOAD_BYTES + 1


def test_an_empty_file_is_refused():
    _refused(SimpleUploadedFile("empty.jpg", b"", content_type="image/jpeg"), "empty")


def test_multiple_image_field_refuses_more_files_than_allowed():
    from django import forms

    class Form(forms.Form):
        photos = images.MultipleImageField(max_files=2)

    files = [SimpleUploadedFile(f"{i}.jpg", image_bytes(80, 80)) for i in range(3)]
    form = Form(data={}, files=MultiValueDict({"photos": files}))
    assert not form.is_valid()
    assert "at most 2" in str(form.errors)
    ok = Form(data={}, files=MultiValueDict({"photos": files[:2]}))
    assert ok.is_valid() and len(ok.cleaned_data["photos"]) == 2
