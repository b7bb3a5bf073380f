"""The private media seam: local files through an owner-checked view, S3 through
presigned URLs — tested against moto's S3 server on 127.0.0.1."""

from __future__ import annotations

import contextlib
from urllib.parse import parse_qs, urlparse

import boto3
import pytest
import requests
from django.http import Http404

from modelsnapper import storage
from modelsnapper.http import private_file_response

BUCKET = "modelsnapper-test-media"


# --- local filesystem --------------------------------------------------------------------------


def test_save_read_delete_locally(settings):
    key = storage.save_private(prefix="likeness/abc", content=b"\xff\xd8\xffdata")
    assert key.startswith("likeness/abc/") and key.endswith(".jpg")
    assert len(key.rsplit("/", 1)[1].split(".")[0]) == 32  # uuid4 hex: unguessable
    assert (settings.MEDIA_ROOT / key).exists()
    assert storage.read_private(key) == b"\xff\xd8\xffdata"
    storage.delete_private(key)
    assert not (settings.MEDIA_ROOT / key).exists()
    storage.delete_private(key)  # deleting twice is harmless


def test_two_saves_never_share_a_key():
    keys = {storage.save_private(prefix="x", content=b"1") for _ in range(20)}
    assert len(keys) == 20


def test_local_response_streams_with_private_headers():
    key = storage.save_private(prefix="t", content=b"\xff\xd8\xffabc")
    response = private_file_response(key)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"].startswith("private")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"\xff\xd8\xffabc"


@pytest.mark.parametrize("key", ["../etc/passwd", "/etc/passwd", "a/../../b.jpg", "", "a\\b.jpg"])
def test_traversal_keys_are_missing_files_and_404_to_a_view(key):
    with pytest.raises(storage.PrivateFileMissing):
        storage.read_private(key)
    with pytest.raises(Http404):
        private_file_response(key)


def test_missing_file_is_404_and_read_raises_file_not_found():
    with pytest.raises(Http404):
        private_file_response("t/does-not-exist.jpg")
    with pytest.raises(storage.PrivateFileMissing):  # a FileNotFoundError
        storage.read_private("t/does-not-exist.jpg")


@pytest.mark.parametrize("prefix", ["../up", "a/../b", "UPPER", "a b", ""])
def test_bad_prefixes_are_refused(prefix):
    with pytest.raises(ValueError):
        storage.save_private(prefix=prefix, content=b"x")


def test_variant_sits_beside_the_original():
    key = storage.save_private(prefix="t", content=b"full")
    thumb = storage.save_private_variant(key=key, variant="thumb", content=b"small")
    assert thumb == key[: -len(".jpg")] + "_thumb.jpg"
    assert storage.read_private(thumb) == b"small"


# --- S3 through moto's server --------------------------------------------------------------------


@pytest.fixture
def s3_settings(settings, moto_s3, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    client = boto3.client(
        "s3",
        endpoint_url=moto_s3,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
        client.create_bucket(Bucket=BUCKET)
    settings.AWS_STORAGE_BUCKET_NAME = BUCKET
    settings.AWS_PRESIGNED_EXPIRY_SECONDS = 120
    # The same OPTIONS settings.py builds when AWS_STORAGE_BUCKET_NAME is set.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": moto_s3,
                "region_name": "us-east-1",
                "default_acl": "private",
                "querystring_auth": True,
                "querystring_expire": 120,
                "file_overwrite": False,
                "signature_version": "s3v4",
            },
        },
    }
    return client


def test_s3_save_and_read(s3_settings):
    key = storage.save_private(prefix="likeness/u1", content=b"\xff\xd8\xffs3-bytes")
    assert storage.is_s3()
    stored = s3_settings.get_object(Bucket=BUCKET, Key=key)
    assert stored["Body"].read() == b"\xff\xd8\xffs3-bytes"
    assert stored["ContentType"] == "image/jpeg"
    assert storage.read_private(key) == b"\xff\xd8\xffs3-bytes"


def test_s3_response_redirects_to_a_working_presigned_url(s3_settings):
    key = storage.save_private(prefix="likeness/u1", content=b"\xff\xd8\xffpresigned")
    response = private_file_response(key)
    assert response.status_code == 302
    assert "no-store" in response["Cache-Control"]
    url = response["Location"]
    fetched = requests.get(url, timeout=10)
    assert fetched.status_code == 200
    assert fetched.content == b"\xff\xd8\xffpresigned"


def test_s3_presigned_url_is_short_lived(s3_settings):
    key = storage.save_private(prefix="t", content=b"x")
    query = parse_qs(urlparse(storage.presigned_url(key)).query)
    # moto does not enforce expiry, so the signed lifetime is asserted instead.
    assert query["X-Amz-Expires"] == ["120"]
    assert "X-Amz-Signature" in query


def test_s3_objects_are_private_no_public_url(s3_settings, moto_s3):
    key = storage.save_private(prefix="t", content=b"secret")
    anonymous = requests.get(f"{moto_s3}/{BUCKET}/{key}", timeout=10)
    assert anonymous.status_code == 403
    grants = s3_settings.get_object_acl(Bucket=BUCKET, Key=key)["Grants"]
    assert all(g["Grantee"].get("URI", "").endswith("AllUsers") is False for g in grants)
    assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]


def test_s3_delete_and_missing_read(s3_settings):
    key = storage.save_private(prefix="t", content=b"gone soon")
    storage.delete_private(key)
    with pytest.raises(FileNotFoundError):
        storage.read_private(key)
    storage.delete_private(key)
