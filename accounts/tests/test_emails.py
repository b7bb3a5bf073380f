"""Account emails are the product's: its words, a text and an HTML part, SITE_URL links."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from accounts.tests.test_signup import PASSWORD, signup

pytestmark = pytest.mark.django_db

SITE = "https://app.modelsnapper.example"


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE
    settings.ALLOWED_HOSTS = ["testserver", "internal-host"]


def _html(message) -> str:
    (html, mimetype), *_ = message.alternatives
    assert mimetype == "text/html"
    return html


def test_the_signup_email_speaks_for_the_product_with_a_link_on_site_url(client):
    # The request arrives on an internal host name: the link must not use it.
    client.post(
        reverse("account_signup"),
        {"email": "new@shop.test", "password1": PASSWORD, "password2": PASSWORD, "role": "MODEL"},
        HTTP_HOST="internal-host:9000",
    )

    (message,) = mail.outbox
    assert message.subject == "ModelSnapper: Confirm your email address"
    assert "Hello from" not in message.body and "127.0.0.1" not in message.body
    assert "internal-host" not in message.body
    assert f"{SITE}/accounts/confirm-email/" in message.body
    assert "The ModelSnapper team" in message.body
    html = _html(message)
    assert f'href="{SITE}/accounts/confirm-email/' in html
    assert "internal-host" not in html


def test_the_password_reset_email_links_to_site_url(client, business_alice):
    client.post(
        reverse("account_reset_password"),
        {"email": "alice@boutique.test"},
        HTTP_HOST="internal-host:9000",
    )

    (message,) = mail.outbox
    assert message.subject == "ModelSnapper: Reset your password"
    assert f"{SITE}/accounts/password/reset/key/" in message.body
    assert f"{SITE}/accounts/password/reset/key/" in _html(message)


def test_signing_up_again_with_a_taken_address_says_so_in_the_products_words(
    client, business_alice
):
    signup(client, email="alice@boutique.test")

    (message,) = mail.outbox
    assert message.subject == "ModelSnapper: You already have an account"
    assert f"{SITE}/accounts/password/reset/" in message.body
    assert PASSWORD not in message.body


def test_consent_emails_have_an_html_part_too(model_mia, django_capture_on_commit_callbacks):
    from marketplace.notifications import absolute_url, notify_on_commit

    with django_capture_on_commit_callbacks(execute=True):
        notify_on_commit(
            "consent_requested",
            to=[model_mia.email],
            business_name="Alice <Boutique>",
            intended_use="Spring lookbook for our web shop",
            url=absolute_url("marketplace:consent-inbox"),
        )

    (message,) = mail.outbox
    html = _html(message)
    assert "Alice <Boutique>" in message.body
    assert "Alice &lt;Boutique&gt;" in html and "<Boutique>" not in html
    assert f'href="{SITE}/marketplace/inbox/"' in html
