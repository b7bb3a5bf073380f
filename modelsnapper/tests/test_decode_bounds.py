"""Decode memory bounds: lower caps for likeness and verify, reduced decode, a
per-process decode budget, a per-user upload rate limit."""

from __future__ import annotations

import io
import threading

import pytest
from django.urls import reverse
from PIL import Image

from accounts.models import ModelProfile
from marketplace.services import reference_photo_add
from modelsnapper import images
from modelsnapper.errors import DomainError
from modelsnapper.images import decode_slot, process_image_upload

pytestmark = pytest.mark.django_db


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (180, 170, 160)).save(out, format="PNG")
    return out.getvalue()


def _jpeg(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (90, 120, 150)).save(out, format="JPEG", quality=80)
    return out.getvalue()


def test_a_likeness_photo_has_a_lower_pixel_cap_than_a_product_photo(settings, model_mia):
    settings.LIKENESS_MAX_IMAGE_PIXELS = 1_000_000
    data = _png(1200, 1000)  # 1.2 MP
    assert process_image_upload(data).width == 1200  # a product photo may be this big
    with pytest.raises(DomainError) as refused:
        reference_photo_add(actor=model_mia, upload=data)
    assert refused.value.code == images.ImageCode.TOO_MANY_PIXELS
    assert "limit is 1 megapixels" in refused.value.message
    assert ModelProfile.objects.get(user=model_mia).reference_images == []


@pytest.mark.parametrize("maker", [_png, _jpeg])
def test_stored_images_are_reduced_to_the_stored_side(settings, maker):
    settings.MAX_STORED_IMAGE_SIDE = 1000
    processed = process_image_upload(maker(3000, 2400))
    assert max(processed.width, processed.height) <= 1000
    assert max(Image.open(io.BytesIO(processed.jpeg_bytes)).size) <= 1000


def test_a_jpeg_is_decoded_at_a_reduced_scale(settings):
    settings.MAX_STORED_IMAGE_SIDE = 1000
    image = Image.open(io.BytesIO(_jpeg(4000, 3000)))
    images._reduce_on_decode(image, 1000)
    image.load()
    assert image.size == (1000, 750)  # libjpeg's 1/4 scale: a sixteenth of the pixels


def test_when_the_decode_budget_is_spent_an_upload_is_refused_with_a_clear_message(settings):
    settings.DECODE_PIXEL_BUDGET = 2_000_000
    settings.DECODE_WAIT_SECONDS = 0
    with decode_slot(2_000_000), pytest.raises(DomainError) as refused:
        process_image_upload(_png(800, 600))
    assert refused.value.code == images.ImageCode.BUSY
    assert "try again" in refused.value.message
    assert process_image_upload(_png(800, 600)).width == 800  # room again


def test_concurrent_decodes_never_hold_more_than_the_budget(settings):
    settings.DECODE_PIXEL_BUDGET = 3_000_000
    settings.DECODE_WAIT_SECONDS = 30
    data = _png(1600, 1200)  # 1.92 MP: only one fits at a time
    peak = 0
    lock = threading.Lock()
    real_load = Image.Image.load

    def watching_load(self):
        nonlocal peak
        with lock:
            peak = max(peak, images._pixels_in_use)
        return real_load(self)

    results: list[object] = []

    def upload():
        try:
            results.append(process_image_upload(data).width)
        except DomainError as error:
            results.append(error.code)

    Image.Image.load = watching_load
    try:
        threads = [threading.Thread(target=upload) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        Image.Image.load = real_load
    assert results == [1600] * 8
    assert 0 < peak <= 3_000_000
    assert images._pixels_in_use == 0


def test_the_verify_page_goes_through_the_budget(client, settings, business_alice):
    settings.DECODE_PIXEL_BUDGET = 1_000_000
    settings.DECODE_WAIT_SECONDS = 0
    client.force_login(business_alice)
    upload = io.BytesIO(_png(900, 700))
    upload.name = "check.png"
    with decode_slot(1_000_000):
        response = client.post(reverse("generations:verify"), {"image": upload}, follow=True)
    assert "busy" in response.content.decode()


def test_the_verify_page_does_not_decode_above_its_lower_cap(settings):
    from generations.provenance import _sniff

    settings.VERIFY_MAX_IMAGE_PIXELS = 500_000
    settings.DECODE_PIXEL_BUDGET = 1  # any decode would be refused
    settings.DECODE_WAIT_SECONDS = 0
    assert _sniff(_png(900, 700)) == ("PNG", True)  # header only: not decoded


def test_uploads_per_user_are_rate_limited(client, settings, model_mia):
    settings.UPLOADS_PER_MINUTE = 3
    client.force_login(model_mia)
    statuses = [
        client.post(reverse("marketplace:likeness"), {"photo": io.BytesIO(b"x")}).status_code
        for _ in range(5)
    ]
    assert statuses[:3] != [429] * 3 and statuses[3:] == [429, 429]
