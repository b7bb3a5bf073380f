"""AI avatars are uploaded images under avatars/, never a key someone typed."""

from __future__ import annotations

import io
import os
import re

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from generations.models import Generation
from generations.services import Wearer, generation_create, generation_run
from generations.tests.conftest import (
    credits_of,
    grant_credits,
    person_jpeg,
    photo_upload,
)
from marketplace import services
from marketplace.models import AIAvatar
from modelsnapper import storage
from modelsnapper.errors import DomainError

pytestmark = pytest.mark.django_db

KEY_RE = re.compile(r"^avatars/[0-9a-f]{32}\.jpg$")


def _png_upload(name: str = "sophia.png") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.open(io.BytesIO(person_jpeg())).save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), "image/png")


def _add(client, **data):
    return client.post(reverse("admin:marketplace_aiavatar_add"), data)


def test_an_admin_uploads_an_avatar_through_the_image_pipeline(client, admin_ada):
    client.force_login(admin_ada)
    response = _add(client, name="AI Model Sophia", is_active="on", image=_png_upload())
    assert response.status_code == 302, response.content[:2000]
    avatar = AIAvatar.objects.get()
    assert KEY_RE.match(avatar.s3_url)
    stored = storage.read_private(avatar.s3_url)
    assert stored[:3] == b"\xff\xd8\xff"  # re-encoded as JPEG, whatever was sent
    assert storage.exists_private(storage.variant_key(avatar.s3_url, "thumb"))
    assert LogEntry.objects.filter(object_id=str(avatar.pk)).exists()


def test_a_typed_key_is_never_taken(client, admin_ada, model_mia):
    client.force_login(admin_ada)
    likeness_key = storage.save_private(prefix=f"likeness/{model_mia.pk}", content=person_jpeg())
    for typed in (likeness_key, "../../../etc/passwd"):
        _add(client, name="Sneaky", is_active="on", s3_url=typed, image=_png_upload())
    assert AIAvatar.objects.count() == 2
    assert all(KEY_RE.match(a.s3_url) for a in AIAvatar.objects.all())
    assert not AIAvatar.objects.filter(s3_url__in=[likeness_key, "../../../etc/passwd"]).exists()


def test_a_new_avatar_without_an_image_is_refused(client, admin_ada):
    client.force_login(admin_ada)
    response = _add(client, name="No picture", is_active="on")
    assert response.status_code == 200
    assert services.ERR_AVATAR_IMAGE in response.content.decode()
    assert not AIAvatar.objects.exists()


def test_a_file_that_is_not_an_image_is_refused_with_the_pipeline_message(client, admin_ada):
    client.force_login(admin_ada)
    fake = SimpleUploadedFile("x.png", b"<svg onload=alert(1)></svg>" * 10, "image/png")
    response = _add(client, name="Bad", is_active="on", image=fake)
    assert response.status_code == 200
    assert "not a JPEG, PNG or WebP" in response.content.decode()
    assert not AIAvatar.objects.exists()


def test_replacing_the_image_stores_a_new_key_and_removes_the_old_file(
    client, admin_ada, django_capture_on_commit_callbacks
):
    avatar = services.avatar_create(actor=admin_ada, name="Sophia", upload=person_jpeg())
    old_key = avatar.s3_url
    client.force_login(admin_ada)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:marketplace_aiavatar_change", args=[avatar.pk]),
            {"name": "Sophia", "is_active": "on", "image": _png_upload()},
        )
    assert response.status_code == 302
    avatar.refresh_from_db()
    assert avatar.s3_url != old_key and KEY_RE.match(avatar.s3_url)
    assert not storage.exists_private(old_key)


def test_the_change_page_previews_the_stored_image_for_admins_only(
    client, admin_ada, business_alice
):
    avatar = services.avatar_create(actor=admin_ada, name="Sophia", upload=person_jpeg())
    image_url = reverse("admin:marketplace_aiavatar_image", args=[avatar.pk])
    client.force_login(admin_ada)
    page = client.get(reverse("admin:marketplace_aiavatar_change", args=[avatar.pk]))
    assert image_url in page.content.decode()
    served = client.get(image_url)
    assert served.status_code == 200
    assert b"".join(served.streaming_content)[:3] == b"\xff\xd8\xff"
    client.force_login(business_alice)
    assert client.get(image_url).status_code == 302  # to the admin login


def test_only_an_admin_may_create_an_avatar(business_alice):
    with pytest.raises(DomainError):
        services.avatar_create(actor=business_alice, name="Mine", upload=person_jpeg())
    assert not AIAvatar.objects.exists()


@pytest.mark.parametrize("bad_key", ["likeness/{mia}/photo.jpg", "../../../etc/passwd"])
def test_an_avatar_row_pointing_elsewhere_cannot_be_generated_with(
    business_alice, model_mia, tasks_held, bad_key
):
    key = bad_key.format(mia=model_mia.pk)
    if key.startswith("likeness/"):
        key = storage.save_private(prefix=f"likeness/{model_mia.pk}", content=person_jpeg())
    legacy = AIAvatar.objects.create(name="Legacy", s3_url=key, is_active=True)
    grant_credits(business_alice, 2)
    from accounts.models import BusinessProfile

    with pytest.raises(DomainError):
        generation_create(
            business=BusinessProfile.objects.get(user_id=business_alice.pk),
            wearer=Wearer("avatar", legacy.pk),
            category="top",
            photos=[photo_upload()],
            batch_key="k1",
            actor=business_alice,
        )
    assert credits_of(business_alice) == 2
    assert not Generation.objects.exists()


def test_a_queued_job_whose_avatar_now_points_elsewhere_is_refused_and_refunded(
    business_alice, model_mia, admin_ada, tasks_held
):
    from accounts.models import BusinessProfile
    from generations.models import GenerationStatus

    avatar = services.avatar_create(actor=admin_ada, name="Sophia", upload=person_jpeg())
    grant_credits(business_alice, 1)
    batch = generation_create(
        business=BusinessProfile.objects.get(user_id=business_alice.pk),
        wearer=Wearer("avatar", avatar.pk),
        category="top",
        photos=[photo_upload()],
        batch_key="k2",
        actor=business_alice,
    )
    likeness_key = storage.save_private(prefix=f"likeness/{model_mia.pk}", content=person_jpeg())
    AIAvatar.objects.filter(pk=avatar.pk).update(s3_url=likeness_key)  # a raw write, as before
    generation = Generation.objects.get(batch=batch)
    generation_run(generation_id=generation.pk)
    generation.refresh_from_db()
    assert generation.status != GenerationStatus.SUCCEEDED
    assert not generation.output_s3_url
    assert credits_of(business_alice) == 1


def test_an_avatar_upload_on_failing_storage_says_so_and_keeps_nothing(client, admin_ada, settings):
    from generations.tests.test_storage_failure import FailingAfterStorage

    FailingAfterStorage.allowed, FailingAfterStorage.writes = 1, 0  # the thumbnail fails
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "generations.tests.test_storage_failure.FailingAfterStorage",
            "OPTIONS": {"location": str(settings.MEDIA_ROOT)},
        },
    }
    client.force_login(admin_ada)

    response = _add(client, name="AI Model Sophia", is_active="on", image=_png_upload())
    page = client.get(response["Location"]).content.decode()

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:marketplace_aiavatar_add")
    assert "could not be stored right now, so nothing was saved" in page
    assert not AIAvatar.objects.exists()
    assert not [f for _, _, files in os.walk(settings.MEDIA_ROOT) for f in files]
