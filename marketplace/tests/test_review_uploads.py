"""Security review: no upload view accepts more files per request than any page
needs (20 product photos; 25 leaves room for the form's own message), so one
request cannot park gigabytes in temp files."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import ModelProfile
from marketplace.tests.conftest import image_bytes

pytestmark = pytest.mark.django_db


def test_a_request_with_more_files_than_any_page_takes_is_refused(client, model_mia):
    client.force_login(model_mia)
    client.raise_request_exception = False
    data = image_bytes()
    files = {f"extra{i}": SimpleUploadedFile(f"{i}.jpg", data, "image/jpeg") for i in range(25)}

    response = client.post(
        reverse("marketplace:likeness"),
        {"photo": SimpleUploadedFile("p.jpg", data, "image/jpeg"), **files},
    )

    assert response.status_code == 400
    assert ModelProfile.objects.get(user_id=model_mia.pk).reference_images == []


def test_twenty_product_photos_are_still_accepted_by_the_form(settings):
    from generations.services import MAX_PHOTOS_PER_BATCH

    # The batch page's own limit fits inside the request-wide one (photos + no others).
    assert settings.DATA_UPLOAD_MAX_NUMBER_FILES >= MAX_PHOTOS_PER_BATCH
