"""The verify page: what an uploaded image's Content Credentials say, to whom, storing nothing."""

from __future__ import annotations

import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from generations.engines import EngineRequest
from generations.engines.offline import COMPOSITE_SYNTHETIC, OfflineEngine
from generations.models import Generation, GenerationStatus, ModelType
from generations.provenance import ProvenanceInfo, sign_output
from generations.tests.test_engine_offline import avatar, tee_photo
from marketplace.avatar_art import TORSO_BOX
from marketplace.models import ConsentRequest, ConsentStatus

pytestmark = pytest.mark.django_db

TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
URL = "/generations/verify/"


@pytest.fixture(scope="module")
def output_jpeg() -> bytes:
    request = EngineRequest(
        generation_id="0" * 24,
        garment_jpeg=tee_photo(),
        wearer_jpeg=avatar(),
        category="top",
        wearer_torso_box=TORSO_BOX,
    )
    return OfflineEngine().generate(request).image_jpeg


@pytest.fixture
def mia_generation(business_alice, model_mia):
    """Alice's generation wearing Mia's likeness under an approved consent."""
    consent = ConsentRequest.objects.create(
        business=business_alice,
        model=model_mia,
        status=ConsentStatus.APPROVED,
        allowed_categories=["top"],
    )
    return Generation.objects.create(
        user=business_alice,
        model=model_mia,
        model_type=ModelType.HUMAN_MODEL,
        status=GenerationStatus.SUCCEEDED,
        garment_category="top",
        consent_request=consent,
        release_version="2025-01",
        usage_limits=["top"],
    )


@pytest.fixture
def signed_image(mia_generation, output_jpeg) -> bytes:
    return sign_output(
        output_jpeg,
        info=ProvenanceInfo(
            generation_id=str(mia_generation.pk),
            wearer_type=ModelType.HUMAN_MODEL,
            digital_source_type=TRAINED,
            consent_request_id=str(mia_generation.consent_request_id),
            release_version="2025-01",
            usage_limits=["top"],
            engine_name="offline",
        ),
    )


def upload(client, data: bytes, name: str = "found-online.jpg"):
    return client.post(URL, {"image": SimpleUploadedFile(name, data, "image/jpeg")})


def _files_under(path) -> set[str]:
    found = set()
    for root, _dirs, files in os.walk(path):
        found.update(os.path.join(root, name) for name in files)
    return found


def test_the_url_name_resolves():
    assert reverse("generations:verify") == URL


def test_anyone_without_an_account_may_check_an_image_but_sees_no_consent_details(
    client, mia_generation, signed_image
):
    assert client.get(URL).status_code == 200
    response = upload(client, signed_image)
    assert response.status_code == 200
    assert response.context["report"].is_modelsnapper
    assert response.context["report"].intact
    assert response.context["match"] is None
    page = response.content.decode()
    assert "intact ModelSnapper Content Credential" in page
    assert str(mia_generation.pk) not in page
    assert str(mia_generation.consent_request_id) not in page
    assert "Alice Boutique" not in page and "Mia" not in page


@pytest.mark.parametrize("persona", ["business_alice", "model_mia", "model_noah", "admin_ada"])
def test_every_signed_in_role_sees_the_form(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(URL)
    assert response.status_code == 200
    assert b'enctype="multipart/form-data"' in response.content
    assert b"csrfmiddlewaretoken" in response.content


def test_the_business_that_made_it_sees_which_generation_and_consent(
    client, business_alice, mia_generation, signed_image
):
    client.force_login(business_alice)
    response = upload(client, signed_image)
    assert response.status_code == 200
    assert response.context["report"].is_modelsnapper
    assert response.context["report"].intact
    match = response.context["match"]
    assert match.generation.pk == mia_generation.pk and match.viewer_side == "business"
    page = response.content.decode()
    assert "intact ModelSnapper Content Credential" in page
    assert "Your generation" in page
    assert reverse("generations:detail", args=[mia_generation.pk]) in page
    # The consent in words (when, and its state now), never its id.
    assert "Given " in page and "approved now" in page
    text = page.replace(reverse("generations:detail", args=[mia_generation.pk]), "")
    assert str(mia_generation.pk) not in text
    assert str(mia_generation.consent_request_id) not in text
    assert "Content Credentials" in page and "AI-generated" in page


def test_the_model_whose_likeness_it_is_sees_the_business_and_consent(
    client, model_mia, mia_generation, signed_image
):
    client.force_login(model_mia)
    response = upload(client, signed_image)
    match = response.context["match"]
    assert match.viewer_side == "model"
    page = response.content.decode()
    assert "Made with your likeness" in page
    assert "Alice Boutique" in page
    assert "approved now" in page
    assert str(mia_generation.consent_request_id) not in page


@pytest.mark.parametrize("outsider", ["business_bob", "model_noah", "admin_ada"])
def test_other_users_learn_it_is_ours_and_intact_but_not_whose(
    client, request, outsider, mia_generation, signed_image
):
    client.force_login(request.getfixturevalue(outsider))
    response = upload(client, signed_image)
    assert response.status_code == 200
    report = response.context["report"]
    assert report.is_modelsnapper and report.intact
    assert response.context["match"] is None
    page = response.content.decode()
    assert "intact ModelSnapper Content Credential" in page
    assert str(mia_generation.pk) not in page
    assert str(mia_generation.consent_request_id) not in page
    assert "Alice Boutique" not in page
    assert "not by you and not with your likeness" in page


def test_a_tampered_copy_shows_as_tampered(client, business_alice, signed_image):
    client.force_login(business_alice)
    changed = bytearray(signed_image)
    changed[-2000] ^= 0x01
    response = upload(client, bytes(changed))
    report = response.context["report"]
    assert report.tampered and not report.intact
    page = response.content.decode()
    assert "Tampered" in page
    assert "changed after it was signed" in page
    # The signed record itself is genuine: the owner still learns what it was made from.
    assert response.context["match"] is not None
    assert "altered after ModelSnapper made it" in page


def test_a_forged_generation_id_is_not_followed(client, business_alice, signed_image):
    client.force_login(business_alice)
    forged = signed_image.replace(str(Generation.objects.get().pk).encode(), b"f" * 24, 1)
    response = upload(client, forged)
    assert response.context["report"].tampered
    assert response.context["match"] is None


def test_a_manifest_from_another_signer_is_not_ours(
    client, settings, tmp_path, business_alice, mia_generation, output_jpeg, signed_image
):
    ours = settings.C2PA_LOCAL_DIR
    settings.C2PA_LOCAL_DIR = tmp_path / "stranger-ca"
    forged = sign_output(
        output_jpeg,
        info=ProvenanceInfo(
            generation_id=str(mia_generation.pk),
            wearer_type=ModelType.HUMAN_MODEL,
            digital_source_type=COMPOSITE_SYNTHETIC,
        ),
    )
    settings.C2PA_LOCAL_DIR = ours
    client.force_login(business_alice)
    response = upload(client, forged)
    report = response.context["report"]
    assert report.claims_modelsnapper and not report.is_modelsnapper
    assert response.context["match"] is None  # a stranger cannot point at our records
    assert "not signed with ModelSnapper" in response.content.decode()
    assert "Claimed, not signed by us" in response.content.decode()


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 90, 160)).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "name", "words"),
    [
        (b"MZ\x90\x00 an executable, not an image", "photo.jpg", "not an image"),
        (b"plain text notes", "notes.txt", "not an image"),
        (_png(), "screenshot.png", "no Content Credentials"),
    ],
    ids=["executable", "text", "image-without-manifest"],
)
def test_bad_uploads_get_a_clear_answer(client, model_noah, data, name, words):
    client.force_login(model_noah)
    response = upload(client, data, name)
    assert response.status_code == 200
    assert words in response.content.decode()
    assert response.context["match"] is None


def test_a_truncated_file_gets_a_clear_answer(client, model_noah, signed_image):
    client.force_login(model_noah)
    for cut in (len(signed_image) // 2, 3000):
        response = upload(client, signed_image[:cut])
        report = response.context["report"]
        assert not report.intact
        page = response.content.decode()
        assert ("incomplete or damaged" in page) or ("changed after it was signed" in page)


def test_a_huge_file_is_refused_before_it_is_read(client, settings, business_alice):
    settings.MAX_IMAGE_UPLOAD_BYTES = 200_000
    client.force_login(business_alice)
    response = upload(client, b"\xff\xd8\xff" + b"\x00" * 300_000)
    assert response.status_code == 200
    assert response.context["report"] is None
    assert "larger than" in response.content.decode()


def test_a_post_without_a_file_asks_for_one(client, business_alice):
    client.force_login(business_alice)
    response = client.post(URL, {})
    assert "Choose an image file to check." in response.content.decode()
    assert response.context["report"] is None


def test_a_post_without_csrf_token_is_refused(business_alice, signed_image):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(business_alice)
    response = strict.post(URL, {"image": SimpleUploadedFile("a.jpg", signed_image)})
    assert response.status_code == 403


def test_verifying_stores_nothing(client, settings, business_alice, signed_image, tmp_path):
    client.force_login(business_alice)
    generations_before = list(Generation.objects.values_list("pk", "status", "output_s3_url"))
    consents_before = list(ConsentRequest.objects.values_list("pk", "status"))
    media_before = _files_under(settings.MEDIA_ROOT)
    tmp_before = _files_under(tmp_path)

    for data in (signed_image, b"junk", _png()):
        assert upload(client, data).status_code == 200

    assert list(Generation.objects.values_list("pk", "status", "output_s3_url")) == (
        generations_before
    )
    assert list(ConsentRequest.objects.values_list("pk", "status")) == consents_before
    assert _files_under(settings.MEDIA_ROOT) == media_before
    assert _files_under(tmp_path) == tmp_before


def test_the_upload_never_touches_the_disk(
    client, settings, tmp_path, business_alice, signed_image
):
    # Django's default handlers would spill this upload into a temporary file in a
    # folder that does not exist, and crash; the page's in-memory handler never does.
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1_000
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "no-such-folder")
    client.force_login(business_alice)
    response = upload(client, signed_image)
    assert response.status_code == 200
    assert response.context["report"].is_modelsnapper
    assert not (tmp_path / "no-such-folder").exists()


@pytest.mark.parametrize("bad_id", [None, 42, "", "not-an-id", "g" * 24, "a" * 25, {"$ne": 1}])
def test_the_lookup_ignores_ids_that_are_not_object_ids(business_alice, mia_generation, bad_id):
    from generations.selectors import generation_for_credentials

    assert generation_for_credentials(user=business_alice, generation_id=bad_id) is None


def test_the_lookup_is_scoped_to_the_business_and_the_model(
    business_alice, business_bob, model_mia, model_noah, admin_ada, mia_generation
):
    from generations.selectors import generation_for_credentials

    gid = str(mia_generation.pk).upper()  # ids are matched case-insensitively
    assert generation_for_credentials(user=business_alice, generation_id=gid).viewer_side == (
        "business"
    )
    assert generation_for_credentials(user=model_mia, generation_id=gid).viewer_side == "model"
    for outsider in (business_bob, model_noah, admin_ada):
        assert generation_for_credentials(user=outsider, generation_id=gid) is None


def test_a_generation_page_can_read_its_stored_credentials(mia_generation, signed_image):
    from generations.selectors import generation_credentials
    from modelsnapper.storage import save_private

    assert generation_credentials(generation=mia_generation) is None  # nothing stored yet
    mia_generation.output_s3_url = save_private(prefix="generations", content=signed_image)
    report = generation_credentials(generation=mia_generation)
    assert report.is_modelsnapper and report.intact
    assert report.generation_id == str(mia_generation.pk)

    mia_generation.output_s3_url = "generations/missing.jpg"
    assert generation_credentials(generation=mia_generation).status == "not_an_image"
