"""Content Credentials: sign outputs, read them back, detect tampering and foreign signers."""

from __future__ import annotations

import io
import json
import stat

import c2pa
import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID
from django.core.management import call_command
from PIL import Image, ImageChops

from generations.engines import EngineError, EngineRequest
from generations.engines.offline import COMPOSITE_SYNTHETIC, OfflineEngine
from generations.provenance import (
    ASSERTION_LABEL,
    DAMAGED,
    LOCAL_CA_FILE,
    LOCAL_CHAIN_FILE,
    LOCAL_KEY_FILE,
    NO_MANIFEST,
    NOT_AN_IMAGE,
    READ,
    UNSUPPORTED,
    ProvenanceError,
    ProvenanceInfo,
    ensure_local_signer,
    expected_credentials,
    read_credentials,
    sign_output,
)
from generations.tests.test_engine_offline import avatar, tee_photo
from marketplace.avatar_art import TORSO_BOX

TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
GEN_ID = "65f0a1b2c3d4e5f6a7b8c9d0"
CONSENT_ID = "65f0a1b2c3d4e5f6a7b8c9ff"


@pytest.fixture(scope="module")
def offline_output() -> bytes:
    request = EngineRequest(
        generation_id=GEN_ID,
        garment_jpeg=tee_photo(),
        wearer_jpeg=avatar(),
        category="top",
        wearer_torso_box=TORSO_BOX,
    )
    return OfflineEngine().generate(request).image_jpeg


def avatar_info(**overrides) -> ProvenanceInfo:
    values = {
        "generation_id": GEN_ID,
        "wearer_type": "AI_AVATAR",
        "digital_source_type": COMPOSITE_SYNTHETIC,
        "engine_name": "offline",
    }
    return ProvenanceInfo(**{**values, **overrides})


def human_info() -> ProvenanceInfo:
    return ProvenanceInfo(
        generation_id=GEN_ID,
        wearer_type="HUMAN_MODEL",
        digital_source_type=TRAINED,
        consent_request_id=CONSENT_ID,
        release_version="2025-01",
        usage_limits=["top", "bottom"],
        engine_name="fashn",
    )


def signed_by_another_ca(settings, tmp_path, jpeg: bytes, info: ProvenanceInfo) -> bytes:
    """Sign with a second, self-made CA (a stranger who copies our assertion label)."""
    ours = settings.C2PA_LOCAL_DIR
    settings.C2PA_LOCAL_DIR = tmp_path / "stranger"
    try:
        return sign_output(jpeg, info=info)
    finally:
        settings.C2PA_LOCAL_DIR = ours


def test_a_signed_offline_output_reads_back_intact_with_its_assertions(offline_output):
    signed = sign_output(offline_output, info=avatar_info())
    report = read_credentials(signed)

    assert report.status == READ
    assert report.has_manifest and report.is_modelsnapper and report.intact
    assert not report.tampered and report.failure_codes == ()
    assert report.validation_state == "Trusted"  # chained to our own CA
    assert report.actions == ("c2pa.created",)
    assert report.digital_source_type == COMPOSITE_SYNTHETIC
    assert report.ai_generated
    assert report.generation_id == GEN_ID
    assert report.wearer_type == "AI_AVATAR"
    assert report.consent_request_id is None
    assert report.signer.algorithm.upper() == "ES256"
    assert "intact ModelSnapper" in report.message


def test_signing_changes_no_pixels(offline_output):
    signed = sign_output(offline_output, info=avatar_info())
    before = Image.open(io.BytesIO(offline_output)).convert("RGB")
    after = Image.open(io.BytesIO(signed)).convert("RGB")
    assert ImageChops.difference(before, after).getbbox() is None


def test_a_human_model_output_names_its_consent_and_nothing_personal(offline_output):
    signed = sign_output(offline_output, info=human_info())
    report = read_credentials(signed)
    assert report.intact and report.is_modelsnapper
    assert report.digital_source_type == TRAINED
    assert report.assertion == {
        "schema": 1,
        "generationId": GEN_ID,
        "wearerType": "HUMAN_MODEL",
        "consentRequestId": CONSENT_ID,
        "releaseVersion": "2025-01",
        "usageLimits": ["top", "bottom"],
        "engine": "fashn",
        "aiGenerated": True,
    }
    with c2pa.Reader("image/jpeg", io.BytesIO(signed)) as reader:
        store = json.loads(reader.json())
    labels = [a["label"] for m in store["manifests"].values() for a in m["assertions"]]
    assert ASSERTION_LABEL in labels and any(label.startswith("c2pa.actions") for label in labels)
    assert "@" not in json.dumps(store)  # no e-mail address or other personal data


def test_a_one_byte_change_in_the_image_is_detected_as_tampered(offline_output):
    signed = bytearray(sign_output(offline_output, info=avatar_info()))
    signed[-2000] ^= 0x01  # inside the compressed image data, after the manifest
    report = read_credentials(bytes(signed))
    assert report.has_manifest and report.tampered and not report.intact
    assert "assertion.dataHash.mismatch" in report.failure_codes
    assert report.manifest_authentic  # the signed record is genuine; the pixels are not
    assert "changed after it was signed" in report.message


def test_an_edited_assertion_is_detected_as_tampered(offline_output):
    signed = sign_output(offline_output, info=avatar_info())
    forged = signed.replace(GEN_ID.encode(), b"f" * 24, 1)
    assert forged != signed
    report = read_credentials(forged)
    assert report.tampered and not report.intact
    assert not report.manifest_authentic  # the generation it names cannot be trusted


def test_a_truncated_signed_file_is_not_reported_intact(offline_output):
    signed = sign_output(offline_output, info=avatar_info())
    for cut in (len(signed) // 2, 3000, 40):
        report = read_credentials(signed[:cut])
        assert not report.intact
        assert report.status in (READ, DAMAGED)


def test_a_manifest_from_another_signer_is_not_taken_for_ours(settings, tmp_path, offline_output):
    foreign = signed_by_another_ca(settings, tmp_path, offline_output, avatar_info())
    report = read_credentials(foreign)
    assert report.has_manifest and report.intact  # valid C2PA, just not ours
    assert report.claims_modelsnapper and not report.is_modelsnapper
    assert report.failure_codes == ("signingCredential.untrusted",)
    assert "not signed with ModelSnapper's certificate" in report.message


def test_a_foreign_manifest_without_our_assertion_says_another_signer(
    settings, tmp_path, offline_output
):
    ours = settings.C2PA_LOCAL_DIR
    settings.C2PA_LOCAL_DIR = tmp_path / "camera-maker"
    from generations import provenance

    manifest = {
        "claim_generator_info": [{"name": "SomeCamera", "version": "1"}],
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {"actions": [{"action": "c2pa.created", "digitalSourceType": (
                    "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture")}]},
            }
        ],
    }  # fmt: skip
    credentials = provenance.signing_credentials()
    signer = c2pa.Signer.from_info(
        c2pa.C2paSignerInfo(credentials.algorithm, credentials.chain_pem, credentials.key_pem, None)
    )
    out = io.BytesIO()
    with signer, c2pa.Builder(manifest) as builder:
        builder.sign(signer, "image/jpeg", io.BytesIO(offline_output), out)
    settings.C2PA_LOCAL_DIR = ours
    sign_output(offline_output, info=avatar_info())  # make sure our own signer exists

    report = read_credentials(out.getvalue())
    assert report.has_manifest and not report.claims_modelsnapper and not report.is_modelsnapper
    assert report.assertion is None
    assert "another signer" in report.message


def test_without_our_anchors_a_local_signature_reports_only_untrusted(
    settings, tmp_path, offline_output
):
    signed = sign_output(offline_output, info=avatar_info())
    settings.C2PA_LOCAL_DIR = tmp_path / "a-fresh-machine"  # no local CA here
    report = read_credentials(signed)
    assert report.failure_codes == ("signingCredential.untrusted",)
    assert report.intact and not report.tampered  # expected for a local CA
    assert not report.is_modelsnapper  # this machine cannot vouch for that CA
    assert not (tmp_path / "a-fresh-machine").exists()  # reading creates no keys


def _png(**kwargs) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 200, 30)).save(out, format="PNG")
    return out.getvalue()


def _bmp() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30)).save(out, format="BMP")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "status", "words"),
    [
        (b"", NOT_AN_IMAGE, "empty"),
        (b"%PDF-1.7 definitely not an image", NOT_AN_IMAGE, "not an image"),
        (b"\x00" * 5000, NOT_AN_IMAGE, "not an image"),
        (b"\xff\xd8\xff\xe0 truncated jpeg", DAMAGED, "incomplete or damaged"),
        (_png(), NO_MANIFEST, "no Content Credentials"),
        (_bmp(), UNSUPPORTED, "cannot carry"),
    ],
    ids=["empty", "pdf", "zeros", "truncated-jpeg", "png-without-manifest", "bmp"],
)
def test_bad_input_gets_a_clear_report_and_never_raises(data, status, words):
    report = read_credentials(data)
    assert report.status == status
    assert words in report.message
    assert not report.is_modelsnapper and not report.intact


def test_an_unsigned_jpeg_has_no_manifest(offline_output):
    report = read_credentials(offline_output)
    assert report.status == NO_MANIFEST and not report.has_manifest


def test_the_local_signer_is_created_once_with_a_ca_above_it(settings):
    directory = settings.C2PA_LOCAL_DIR
    assert ensure_local_signer() is True
    first = (directory / LOCAL_CHAIN_FILE).read_bytes()
    assert ensure_local_signer() is False
    assert (directory / LOCAL_CHAIN_FILE).read_bytes() == first

    leaf, ca = x509.load_pem_x509_certificates(first)
    assert leaf.issuer == ca.subject
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert leaf.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in eku
    assert (directory / LOCAL_CA_FILE).read_bytes() in first
    assert stat.S_IMODE((directory / LOCAL_KEY_FILE).stat().st_mode) == 0o600
    assert not list(directory.parent.glob(".c2pa-*"))  # no staging folder left behind


def test_sign_output_creates_the_local_signer_lazily(settings, offline_output):
    assert not settings.C2PA_LOCAL_DIR.exists()
    sign_output(offline_output, info=avatar_info())
    assert (settings.C2PA_LOCAL_DIR / LOCAL_KEY_FILE).is_file()


def test_an_incomplete_local_folder_is_refused_not_overwritten(settings):
    settings.C2PA_LOCAL_DIR.mkdir(parents=True)
    (settings.C2PA_LOCAL_DIR / LOCAL_CA_FILE).write_text("half")
    with pytest.raises(ProvenanceError) as caught:
        ensure_local_signer()
    assert "Delete the folder" in caught.value.user_message
    assert (settings.C2PA_LOCAL_DIR / LOCAL_CA_FILE).read_text() == "half"


def test_configured_certificate_and_key_are_used_instead_of_a_local_ca(
    settings, tmp_path, offline_output
):
    issued = tmp_path / "issued"
    ensure_local_signer(issued)  # stands in for a certificate bought from a CA
    settings.C2PA_SIGN_CERT = str(issued / LOCAL_CHAIN_FILE)
    settings.C2PA_SIGN_KEY = str(issued / LOCAL_KEY_FILE)

    report = read_credentials(sign_output(offline_output, info=avatar_info()))
    assert report.is_modelsnapper and report.intact
    assert not settings.C2PA_LOCAL_DIR.exists()  # no local CA was made


def test_half_a_configuration_is_a_clear_error(settings, offline_output):
    settings.C2PA_SIGN_CERT = "/etc/modelsnapper/c2pa-chain.pem"
    with pytest.raises(ProvenanceError) as caught:
        sign_output(offline_output, info=avatar_info())
    assert "must be set together" in caught.value.user_message
    # Jobs treat it like an engine failure: failed and refunded, never retried, nothing stored.
    assert isinstance(caught.value, EngineError) and caught.value.retryable is False


@pytest.mark.parametrize(
    ("data", "info", "code"),
    [
        (b"\x89PNG\r\n\x1a\n...", avatar_info(), "not_jpeg"),
        (None, avatar_info(digital_source_type="AI"), "bad_info"),
        (None, avatar_info(generation_id=""), "bad_info"),
    ],
)
def test_sign_output_refuses_bad_arguments(offline_output, data, info, code):
    with pytest.raises(ProvenanceError) as caught:
        sign_output(data or offline_output, info=info)
    assert caught.value.code == code


def test_the_management_command_creates_then_reuses_the_local_signer(settings, capsys):
    call_command("ensure_local_signer")
    assert "created a local signer" in capsys.readouterr().out
    call_command("ensure_local_signer")
    assert "using the local signer" in capsys.readouterr().out
    assert (settings.C2PA_LOCAL_DIR / LOCAL_KEY_FILE).is_file()


def test_expected_credentials_describe_what_was_signed():
    report = expected_credentials(human_info())
    assert report.is_modelsnapper and report.intact and not report.checked
    assert report.consent_request_id == CONSENT_ID and report.usage_limits == ["top", "bottom"]


def test_randomly_damaged_files_always_get_a_report(offline_output):
    import random

    signed = sign_output(offline_output, info=avatar_info())
    rng = random.Random(20261125)  # fixed seed: the same damage every run
    for _ in range(40):
        damaged = bytearray(signed)
        for _ in range(rng.randint(1, 8)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        if rng.random() < 0.3:
            damaged = damaged[: rng.randrange(len(damaged))]
        report = read_credentials(bytes(damaged))
        assert report.message
        if report.intact:  # only possible when the damage missed every signed byte
            assert report.has_manifest and not report.tampered
