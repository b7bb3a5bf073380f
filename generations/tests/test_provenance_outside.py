"""Content Credentials read the way outside validators read them: no network, c2pa-rs's
classification of validation codes, RFC 3161 time-stamps. Every file here is made by the
test itself."""

from __future__ import annotations

import datetime as dt

from generations.provenance import DAMAGED, READ, REMOTE_ONLY, read_credentials
from generations.tests.c2pa_fixtures import (
    jpeg_pointing_to_remote_manifest,
    loopback_listener,
    make_signer,
    plain_jpeg,
    sign_with,
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
    now = dt.datetime.now(dt.UTC)
    with loopback_listener() as listener:
        signer = make_signer(
            not_before=now - dt.timedelta(days=1),
            not_after=now + dt.timedelta(days=30),
            ocsp_url=f"{listener.url}/ocsp",
        )
        report = read_credentials(sign_with(signer, plain_jpeg()))
        assert listener.requests == []
    assert report.status == READ and report.has_manifest
