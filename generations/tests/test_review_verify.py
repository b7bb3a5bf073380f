"""Security review: the verify page keeps uploads in memory, so its budget is per
request, not per file (100 files of 15 MB each would be 1.5 GB of one worker's RAM)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from generations.tests.conftest import product_jpeg
from generations.verify_views import BoundedMemoryUploadHandler

pytestmark = pytest.mark.django_db

URL = "/generations/verify/"


def test_many_files_in_one_request_are_refused_past_the_limit(client, business_alice, settings):
    image = product_jpeg()
    settings.MAX_IMAGE_UPLOAD_BYTES = len(image) * 3
    client.force_login(business_alice)
    files = {f"extra{i}": SimpleUploadedFile(f"x{i}.jpg", image, "image/jpeg") for i in range(5)}

    response = client.post(
        URL, {"image": SimpleUploadedFile("a.jpg", image, "image/jpeg"), **files}
    )

    assert response.status_code == 200
    assert "larger than" in response.content.decode()


def test_one_file_within_the_limit_is_still_checked(client, business_alice, settings):
    image = product_jpeg()
    settings.MAX_IMAGE_UPLOAD_BYTES = len(image) * 3
    client.force_login(business_alice)

    response = client.post(URL, {"image": SimpleUploadedFile("a.jpg", image, "image/jpeg")})

    assert response.status_code == 200
    assert "larger than" not in response.content.decode()


def test_the_handler_counts_bytes_across_files():
    handler = BoundedMemoryUploadHandler(limit=10)
    handler.new_file("a", "a.jpg", "image/jpeg", 6)
    handler.receive_data_chunk(b"123456", 0)
    handler.file_complete(6)
    handler.new_file("b", "b.jpg", "image/jpeg", 6)
    from django.core.files.uploadhandler import StopUpload

    with pytest.raises(StopUpload):
        handler.receive_data_chunk(b"123456", 0)
    assert handler.too_big
