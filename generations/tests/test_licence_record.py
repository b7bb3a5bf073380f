"""A licence record per human-model output: printable page + JSON, named by the C2PA
manifest by id and SHA-256."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.urls import reverse

from generations.licence import licence_record_ensure
from generations.models import Generation, GenerationStatus, LicenceRecord
from generations.provenance import read_credentials
from generations.services import Wearer, generation_run
from generations.tests.conftest import grant_credits
from generations.tests.test_generation_run import _queue
from marketplace.models import ReleaseSignature
from modelsnapper.storage import read_private

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_held")]


@pytest.fixture
def made(business_alice, model_mia, mia_approves_alice):
    grant_credits(business_alice, 1)
    (generation,) = _queue(business_alice, Wearer("model", model_mia.pk), category="top")
    assert generation_run(generation_id=generation.pk) == GenerationStatus.SUCCEEDED
    return Generation.objects.get(pk=generation.pk)


def test_a_human_model_output_gets_one_licence_record_with_the_consent_terms(
    made, business_alice, model_mia, mia_approves_alice
):
    record = LicenceRecord.objects.get(generation_id=made.pk)  # before: no such record
    doc = json.loads(record.document)
    consent = mia_approves_alice
    signature = ReleaseSignature.objects.get(model_id=model_mia.pk)
    assert doc["generationId"] == str(made.pk) and doc["licenceId"] == str(record.pk)
    assert doc["parties"]["business"]["id"] == str(business_alice.pk)
    assert doc["parties"]["business"]["name"]
    assert doc["parties"]["model"] == {
        "id": str(model_mia.pk),
        "displayName": model_mia.model_profile.name,
        "legalName": "Mia Example",
    }
    assert doc["consent"]["consentRequestId"] == str(consent.pk)
    assert doc["consent"]["status"] == "APPROVED"
    assert doc["consent"]["allowedCategories"] == ["top", "bottom"]
    assert doc["consent"]["intendedUse"].startswith("Product photos of our spring collection")
    assert doc["consent"]["approvedAt"] and doc["consent"]["expiresAt"] is None
    assert doc["release"]["version"] == made.release_version
    assert doc["release"]["textSha256"] == signature.text_sha256
    assert doc["pay"] == {"royaltyPerGeneration": "1.00", "currency": "USD", "payee": "model"}
    assert doc["use"]["garmentCategory"] == "top"
    assert doc["times"]["generationCreatedAt"].endswith("Z")
    assert record.sha256 == hashlib.sha256(record.document.encode()).hexdigest()


def test_the_signed_output_names_the_record_by_id_and_hash(made):
    record = LicenceRecord.objects.get(generation_id=made.pk)
    for key in (made.output_s3_url, made.thumbnail_s3_url):
        report = read_credentials(read_private(key))
        assert report.is_modelsnapper and report.intact
        assert report.licence_record_id == str(record.pk)
        assert report.licence_record_sha256 == record.sha256


def test_the_json_is_the_exact_bytes_the_manifest_hashes(client, made, business_alice):
    client.force_login(business_alice)
    response = client.get(reverse("generations:licence-json", args=[made.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    report = read_credentials(read_private(made.output_s3_url))
    assert hashlib.sha256(response.content).hexdigest() == report.licence_record_sha256


def test_the_printable_page_shows_parties_scope_release_and_pay(client, made, model_mia):
    client.force_login(model_mia)
    page = client.get(reverse("generations:licence", args=[made.pk])).content.decode()
    record = LicenceRecord.objects.get(generation_id=made.pk)
    for text in ("Mia Example", "$1.00 USD per generation", record.sha256, "Product photos"):
        assert text in page
    detail = client.get(reverse("generations:detail", args=[made.pk])).content.decode()
    assert reverse("generations:licence", args=[made.pk]) in detail


def test_outsiders_get_404(client, made, business_bob, model_noah):
    for user in (business_bob, model_noah):
        client.force_login(user)
        for name in ("generations:licence", "generations:licence-json"):
            assert client.get(reverse(name, args=[made.pk])).status_code == 404


def test_a_photo_refused_after_its_record_was_written_shows_no_licence(
    client, made, business_alice
):
    """The record is written before consent is checked a last time: a job refused then
    has a record for a photo that was never made, and no page may offer it."""
    Generation.objects.filter(pk=made.pk).update(status=GenerationStatus.REFUSED)
    client.force_login(business_alice)

    for name in ("generations:licence", "generations:licence-json"):
        assert client.get(reverse(name, args=[made.pk])).status_code == 404
    detail = client.get(reverse("generations:detail", args=[made.pk])).content.decode()
    assert reverse("generations:licence", args=[made.pk]) not in detail


def test_a_retried_job_keeps_the_first_record(made):
    first = LicenceRecord.objects.get(generation_id=made.pk)
    again = licence_record_ensure(generation=made)
    assert again is not None and (again.pk, again.sha256) == (first.pk, first.sha256)
    assert LicenceRecord.objects.filter(generation_id=made.pk).count() == 1


def test_an_ai_avatar_output_has_no_licence_record(business_alice, avatar):
    grant_credits(business_alice, 1)
    (generation,) = _queue(business_alice, Wearer("avatar", avatar.pk))
    assert generation_run(generation_id=generation.pk) == GenerationStatus.SUCCEEDED
    assert not LicenceRecord.objects.exists()
    report = read_credentials(read_private(Generation.objects.get().output_s3_url))
    assert report.licence_record_id is None


def test_a_time_stamp_authority_that_does_not_answer_sends_the_job_back_to_the_queue(
    business_alice, avatar, settings
):
    """Nothing unsigned is stored, the credit stays spent for the retry, no refund yet."""
    from generations.tests.c2pa_fixtures import loopback_listener
    from generations.tests.conftest import credits_of

    grant_credits(business_alice, 1)
    (generation,) = _queue(business_alice, Wearer("avatar", avatar.pk))
    with loopback_listener() as tsa:  # answers 404 to every time-stamp query
        settings.C2PA_TSA_URL = f"{tsa.url}/tsa"
        assert generation_run(generation_id=generation.pk) == GenerationStatus.QUEUED
        assert tsa.requests
    generation.refresh_from_db()
    assert generation.status == GenerationStatus.QUEUED
    assert "time-stamp service did not answer" in generation.error_message
    assert not generation.output_s3_url and credits_of(business_alice) == 0
    assert not list(settings.MEDIA_ROOT.rglob("outputs/*.jpg"))
