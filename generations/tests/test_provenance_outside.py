"""Content Credentials read the way outside validators read them: no network, c2pa-rs's
classification of validation codes, RFC 3161 time-stamps. Every file here is made by the
test itself."""

from __future__ import annotations

import datetime as dt
import io
import json

import c2pa
import pytest

from generations import provenance
from generations.provenance import (
    CANNOT_CHECK,
    DAMAGED,
    INTACT,
    INVALID_SIGNER,
    READ,
    REMOTE_ONLY,
    TAMPERED,
    ProvenanceError,
    classify,
    read_credentials,
    sign_output,
)
from generations.tests.c2pa_fixtures import (
    jpeg_pointing_to_remote_manifest,
    local_tsa,
    loopback_listener,
    make_signer,
    plain_jpeg,
    real_now,
    short_lived_signer,
    sign_with,
    sign_with_cawg_identity,
    wait_until_expired,
)


def test_a_file_naming_a_remote_manifest_makes_the_server_fetch_nothing():
    with loopback_listener() as listener:
        data = jpeg_pointing_to_remote_manifest(f"{listener.url}/manifest.c2pa")
        report = read_credentials(data)
        assert listener.requests == []  # before: ['GET /manifest.c2pa']
    assert report.status == REMOTE_ONLY  # before: DAMAGED
    assert report.status != DAMAGED and not report.intact and not report.tampered
    assert "points to a copy stored elsewhere" in report.message


def test_an_ocsp_responder_named_in_a_signer_certificate_is_never_asked():
    now = real_now()
    with loopback_listener() as listener:
        signer = make_signer(
            not_before=now - dt.timedelta(days=1),
            not_after=now + dt.timedelta(days=30),
            ocsp_url=f"{listener.url}/ocsp",
        )
        report = read_credentials(sign_with(signer, plain_jpeg()))
        assert listener.requests == []
    assert report.status == READ and report.has_manifest


def a_signer(**names):
    now = real_now()
    return make_signer(
        not_before=now - dt.timedelta(days=1), not_after=now + dt.timedelta(days=30), **names
    )


# --- classification as c2pa-rs does it, on files made here --------------------------------


def test_a_valid_file_with_a_cawg_identity_assertion_is_not_called_tampered():
    """The shape of c2pa-rs's C_with_CAWG_data.jpg: c2pa-rs rates it Valid."""
    data = sign_with_cawg_identity(a_signer(), a_signer(common_name="Identity"), plain_jpeg())
    report = read_credentials(data)
    assert report.validation_state == "Valid"  # c2pa-rs's own verdict
    assert "cawg.x509.credential.untrusted" in report.identity_codes
    assert report.verdict == INTACT and report.intact  # before: tampered
    assert not report.tampered
    assert report.failure_codes == ("signingCredential.untrusted",)
    assert "another signer" in report.message


def test_an_untrusted_signer_is_not_tampering():
    report = read_credentials(sign_with(a_signer(), plain_jpeg()))
    assert report.verdict == INTACT and not report.tampered
    assert report.failure_codes == ("signingCredential.untrusted",)


def test_a_third_party_signer_that_expired_is_an_invalid_signer_not_intact():
    signer = short_lived_signer()
    data = sign_with(signer, plain_jpeg())
    wait_until_expired(signer)
    report = read_credentials(data)
    assert "signingCredential.expired" in report.failure_codes
    assert report.verdict == INVALID_SIGNER  # before: "Intact"
    assert not report.intact and not report.tampered
    assert "expired, revoked or not valid" in report.message


def test_a_tampered_third_party_file_is_still_tampered():
    data = bytearray(sign_with(a_signer(), plain_jpeg((400, 400))))
    data[-200] ^= 0x01
    report = read_credentials(bytes(data))
    assert report.verdict == TAMPERED and report.tampered
    assert "assertion.dataHash.mismatch" in report.failure_codes


@pytest.mark.parametrize(
    ("code", "verdict"),
    [
        ("signingCredential.ocsp.revoked", INVALID_SIGNER),
        ("signingCredential.invalid", INVALID_SIGNER),
        ("algorithm.unsupported", CANNOT_CHECK),
        ("com.adobe.prerelease", CANNOT_CHECK),
        ("manifest.inaccessible", CANNOT_CHECK),
        ("timeStamp.untrusted", INTACT),  # informational in c2pa-rs
        ("cawg.ica.invalid_issuer", INTACT),  # identity, reported on its own
        ("claimSignature.mismatch", TAMPERED),
        ("assertion.hashedURI.mismatch", TAMPERED),
    ],
)
def test_codes_no_local_file_can_produce_classify_as_c2pa_rs_does(code, verdict):
    """Revocation needs a stapled OCSP answer, an unknown algorithm or a pre-release
    manifest a writer c2pa no longer has: the store c2pa read from a generated file, with
    that failure code in it (as c2pa-rs would list it)."""
    data = sign_with(a_signer(), plain_jpeg())
    with c2pa.Reader("image/jpeg", io.BytesIO(data)) as reader:
        store = json.loads(reader.json())
    store["validation_results"]["activeManifest"]["failure"].append({"code": code})
    report = provenance._report_from_store(store, image_format="JPEG", ours=None)
    assert report.verdict == verdict
    assert classify([code]) == verdict
    if verdict == CANNOT_CHECK:
        assert "cannot be checked" in report.message and not report.tampered


# --- RFC 3161 time-stamps ------------------------------------------------------------------


def _configure_short_lived_signer(settings, tmp_path, seconds: float = 2.0):
    signer = short_lived_signer(seconds)
    (tmp_path / "chain.pem").write_bytes(signer.chain_pem)
    (tmp_path / "key.pem").write_bytes(signer.key_pem)
    settings.C2PA_SIGN_CERT = str(tmp_path / "chain.pem")
    settings.C2PA_SIGN_KEY = str(tmp_path / "key.pem")
    return signer


def test_an_output_time_stamped_while_our_certificate_was_valid_verifies_after_it_expires(
    settings, tmp_path
):
    from generations.tests.test_provenance import avatar_info

    with local_tsa(tmp_path / "tsa") as tsa:
        (tmp_path / "tsa-roots.pem").write_bytes(tsa.ca_pem)
        settings.C2PA_TSA_URL = tsa.url
        settings.C2PA_TSA_ROOTS = str(tmp_path / "tsa-roots.pem")
        signer = _configure_short_lived_signer(settings, tmp_path)
        stamped = sign_output(plain_jpeg((300, 400)), info=avatar_info())
        assert len(tsa.requests) == 1  # one RFC 3161 query per signature

        settings.C2PA_TSA_URL = ""
        unstamped = sign_output(plain_jpeg((300, 400)), info=avatar_info())
        assert len(tsa.requests) == 1

        wait_until_expired(signer)
        after = read_credentials(stamped)
        control = read_credentials(unstamped)

    assert after.timestamped and after.validation_state == "Trusted"
    assert after.is_modelsnapper and after.intact and after.failure_codes == ()
    assert "intact ModelSnapper" in after.message
    # Without a time-stamp (as before this change) the same certificate's expiry makes the
    # output look forged:
    assert "signingCredential.expired" in control.failure_codes
    assert not control.is_modelsnapper and control.verdict == INVALID_SIGNER


def test_an_unreachable_time_stamp_authority_fails_the_signing_as_retryable(settings, tmp_path):
    from generations.tests.test_provenance import avatar_info

    with loopback_listener() as listener:  # answers 404 to every query
        settings.C2PA_TSA_URL = f"{listener.url}/tsa"
        with pytest.raises(ProvenanceError) as caught:
            sign_output(plain_jpeg(), info=avatar_info())
        assert listener.requests  # it was asked
    assert caught.value.code == "tsa_failed" and caught.value.retryable
