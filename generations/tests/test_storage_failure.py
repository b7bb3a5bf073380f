"""Storage failing mid-batch (or under a likeness upload) leaves no file and no row
behind, and answers with a clear message instead of a 500."""

from __future__ import annotations

import os

import pytest
from django.core.files.storage import FileSystemStorage
from django.urls import reverse

from accounts.models import BusinessProfile, ModelProfile
from generations.models import Generation, GenerationBatch
from generations.services import Wearer, generation_create
from generations.tests.conftest import credits_of, grant_credits, photo_upload
from marketplace.avatar_art import portrait_jpeg_bytes
from marketplace.selectors import photo_id_for
from marketplace.services import reference_photo_add, reference_photo_replace
from modelsnapper.errors import DomainError
from modelsnapper.storage import MSG_STORAGE_DOWN

pytestmark = pytest.mark.django_db


class FailingAfterStorage(FileSystemStorage):
    """Local storage whose disk 'fills up' after ``FailingAfterStorage.allowed`` writes."""

    allowed = 2
    writes = 0

    def _save(self, name, content):
        FailingAfterStorage.writes += 1
        if FailingAfterStorage.writes > FailingAfterStorage.allowed:
            raise OSError(28, "No space left on device")
        return super()._save(name, content)


@pytest.fixture
def failing_storage(settings):
    def install(allowed: int):
        FailingAfterStorage.allowed = allowed
        FailingAfterStorage.writes = 0
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "generations.tests.test_storage_failure.FailingAfterStorage",
                "OPTIONS": {"location": str(settings.MEDIA_ROOT)},
            },
        }

    return install


def _files(root) -> list[str]:
    return [os.path.join(d, f) for d, _, files in os.walk(root) for f in files]


def test_a_storage_failure_mid_batch_removes_the_stored_photos(
    settings, failing_storage, business_alice, avatar, tasks_held
):
    grant_credits(business_alice, 5)
    before = set(_files(settings.MEDIA_ROOT))
    failing_storage(allowed=2)  # photo 3 of 5 fails
    with pytest.raises(DomainError) as refused:
        generation_create(
            business=BusinessProfile.objects.get(user_id=business_alice.pk),
            wearer=Wearer("avatar", avatar.pk),
            category="top",
            photos=[photo_upload() for _ in range(5)],
            batch_key="fails",
            actor=business_alice,
        )
    assert refused.value.message == MSG_STORAGE_DOWN
    assert set(_files(settings.MEDIA_ROOT)) == before  # nothing left behind
    assert not Generation.objects.exists() and not GenerationBatch.objects.exists()
    assert credits_of(business_alice) == 5


def test_the_new_photos_page_shows_the_message_not_a_500(
    client, settings, failing_storage, business_alice, avatar, tasks_held
):
    grant_credits(business_alice, 3)
    client.force_login(business_alice)
    page = client.get(reverse("generations:new"))
    form = page.context["form"]
    failing_storage(allowed=1)
    response = client.post(
        reverse("generations:new"),
        {
            "wearer": f"avatar:{avatar.pk}",
            "category": "top",
            "photos": [photo_upload(), photo_upload(), photo_upload()],
            "batch_token": form["batch_token"].value() if "batch_token" in form.fields else "",
            **{
                name: form[name].value()
                for name in form.fields
                if name not in {"wearer", "category", "photos"} and form[name].value()
            },
        },
    )
    assert response.status_code == 200
    assert "could not be stored right now" in response.content.decode()
    assert not Generation.objects.exists()


@pytest.mark.parametrize("allowed", [0, 1])  # the photo fails, or its thumbnail does
def test_a_likeness_upload_on_failing_storage_keeps_nothing(
    settings, failing_storage, model_mia, allowed
):
    before = set(_files(settings.MEDIA_ROOT))
    failing_storage(allowed=allowed)
    with pytest.raises(DomainError) as refused:
        reference_photo_add(actor=model_mia, upload=portrait_jpeg_bytes(0))
    assert "could not be stored" in refused.value.message
    assert set(_files(settings.MEDIA_ROOT)) == before
    assert ModelProfile.objects.get(user=model_mia).reference_images == []


def test_a_likeness_replace_on_failing_storage_keeps_the_old_photo(
    settings, failing_storage, model_mia
):
    key = reference_photo_add(actor=model_mia, upload=portrait_jpeg_bytes(0))
    before = set(_files(settings.MEDIA_ROOT))
    failing_storage(allowed=0)
    with pytest.raises(DomainError):
        reference_photo_replace(
            actor=model_mia, photo_id=photo_id_for(key), upload=portrait_jpeg_bytes(1)
        )
    assert ModelProfile.objects.get(user=model_mia).reference_images == [key]
    assert set(_files(settings.MEDIA_ROOT)) == before
