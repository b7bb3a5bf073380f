"""Every view has a body limit that fits it, refused before the body is read."""

from __future__ import annotations

import pytest
from django.urls import reverse

from generations.tests.conftest import photo_upload

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


class CountingInput:
    """A wsgi.input that would stream ``size`` bytes, counting what is read of it."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.read_bytes = 0

    def read(self, n: int = -1) -> bytes:
        left = self.size - self.read_bytes
        n = left if n is None or n < 0 else min(n, left)
        self.read_bytes += n
        return b"a" * n

    def readline(self, n: int = -1) -> bytes:
        return self.read(min(n, 64 * 1024) if n and n > 0 else 64 * 1024)


def _post_declared(client, url: str, size: int, content_type="application/x-www-form-urlencoded"):
    stream = CountingInput(size)
    response = client.generic(
        "POST",
        url,
        b"",
        content_type=content_type,
        CONTENT_LENGTH=str(size),
        **{"wsgi.input": stream},
    )
    return response, stream


@pytest.mark.parametrize("url_name", ["account_login", "account_signup", "account_reset_password"])
def test_an_anonymous_100_mb_post_to_a_form_is_refused_unread(client, url_name):
    response, stream = _post_declared(client, reverse(url_name), 100 * MB)
    assert response.status_code == 413
    assert stream.read_bytes == 0


def test_an_anonymous_big_post_to_an_upload_view_is_refused_unread(client):
    response, stream = _post_declared(
        client, reverse("generations:verify"), 10 * MB, "multipart/form-data; boundary=x"
    )
    assert response.status_code == 413
    assert stream.read_bytes == 0


def test_a_signed_in_form_post_is_limited_too(client, business_alice):
    client.force_login(business_alice)
    response, stream = _post_declared(client, reverse("billing:portal"), 2 * MB)
    assert response.status_code == 413
    assert stream.read_bytes == 0


def test_an_upload_view_takes_15_mb_but_not_more(client, model_mia):
    client.force_login(model_mia)
    url = reverse("marketplace:likeness")
    small, _ = _post_declared(client, url, 10 * MB, "multipart/form-data; boundary=x")
    assert small.status_code != 413
    big, stream = _post_declared(client, url, 40 * MB, "multipart/form-data; boundary=x")
    assert big.status_code == 413
    assert stream.read_bytes == 0


def test_the_webhook_takes_a_stripe_sized_body_but_not_100_mb(client, settings):
    settings.STRIPE_WEBHOOK_SECRET = "whsec_body_limit_test"
    response, stream = _post_declared(
        client, reverse("billing:stripe-webhook"), 100 * MB, "application/json"
    )
    assert response.status_code == 413 and stream.read_bytes == 0
    ok, _ = _post_declared(
        client, reverse("billing:stripe-webhook"), 300 * 1024, "application/json"
    )
    assert ok.status_code == 400  # read, then refused for its (missing) signature


def test_ordinary_posts_still_work(client, business_alice, password):
    response = client.post(
        reverse("account_login"), {"login": business_alice.email, "password": password}
    )
    assert response.status_code == 302


def test_a_real_photo_upload_still_works(client, model_mia):
    from accounts.models import ModelProfile
    from marketplace.avatar_art import portrait_jpeg_bytes

    client.force_login(model_mia)
    response = client.post(
        reverse("marketplace:likeness"),
        {"photo": photo_upload(name="me.jpg", data=portrait_jpeg_bytes())},
    )
    assert response.status_code == 302
    assert len(ModelProfile.objects.get(user=model_mia).reference_images) == 1
