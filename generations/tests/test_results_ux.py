"""Results: product photo beside the output, one ZIP per batch (streamed), failure
reasons in History, and a plain word on what the engine makes."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.urls import reverse
from PIL import Image

from generations.models import Generation, GenerationStatus
from generations.tests.test_views import _post_new, alice_batch  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def test_download_all_streams_one_zip_of_the_batchs_photos(client, alice_batch):  # noqa: F811
    page = client.get(reverse("generations:batch", args=[alice_batch.pk])).content.decode()
    assert "Download all (2) as ZIP" in page
    response = client.get(reverse("generations:batch-zip", args=[alice_batch.pk]))
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.namelist() == ["modelsnapper-01.jpg", "modelsnapper-02.jpg"]
    for name in archive.namelist():
        assert Image.open(io.BytesIO(archive.read(name))).format == "JPEG"


def test_a_reported_photo_is_left_out_of_the_zip(client, alice_batch):  # noqa: F811
    first = Generation.objects.filter(batch=alice_batch).order_by("created_at", "id").first()
    Generation.objects.filter(pk=first.pk).update(is_frozen=True)
    response = client.get(reverse("generations:batch-zip", args=[alice_batch.pk]))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.namelist() == ["modelsnapper-01.jpg"]


def test_another_business_gets_404_for_the_zip(client, alice_batch, business_bob):  # noqa: F811
    client.force_login(business_bob)
    assert client.get(reverse("generations:batch-zip", args=[alice_batch.pk])).status_code == 404


def test_the_detail_page_shows_the_product_photo_beside_the_output_and_the_engine(
    client,
    alice_batch,  # noqa: F811
):
    generation = Generation.objects.filter(batch=alice_batch).first()
    page = client.get(reverse("generations:detail", args=[generation.pk])).content.decode()
    assert 'data-testid="before-after"' in page
    assert reverse("generations:product", args=[generation.pk]) in page
    assert "A layout preview" in page and "not a photo-real try-on" in page
    product = client.get(reverse("generations:product", args=[generation.pk]))
    assert product.status_code == 200


def test_the_product_photo_is_the_owners_only(client, alice_batch, business_bob, model_mia):  # noqa: F811
    generation = Generation.objects.filter(batch=alice_batch).first()
    for outsider in (business_bob, model_mia):
        client.force_login(outsider)
        assert client.get(reverse("generations:product", args=[generation.pk])).status_code == 404


def test_history_shows_why_a_photo_failed(client, alice_batch):  # noqa: F811
    generation = Generation.objects.filter(batch=alice_batch).first()
    Generation.objects.filter(pk=generation.pk).update(
        status=GenerationStatus.FAILED, error_message="We could not find a garment in this photo."
    )
    page = client.get(reverse("generations:history")).content.decode()
    assert "We could not find a garment in this photo." in page
