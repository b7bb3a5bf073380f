"""In the browser: a model lists herself, a business asks, she approves, the
business sees it, she revokes and the business sees that at once."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from marketplace.avatar_art import portrait_jpeg_bytes
from marketplace.models import ConsentRequest, ConsentStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def test_model_gets_listed_and_approves_a_business_in_the_browser(
    browser_page, screenshot, live_server, model_mia, alice
):
    page = browser_page
    _log_in(page, live_server, model_mia)

    page.goto("/marketplace/likeness/")
    for index in range(3):
        page.set_input_files(
            "#id_photo",
            files=[
                {
                    "name": f"me-{index}.jpg",
                    "mimeType": "image/jpeg",
                    "buffer": portrait_jpeg_bytes(index),  # one face, a different photo each
                }
            ],
        )
        page.get_by_role("button", name="Upload").click()
        page.get_by_text("Photo added.").wait_for()
    assert page.locator('[data-testid="reference-photo"]').count() == 3
    screenshot("likeness-three-photos")

    page.goto("/marketplace/release/")
    page.get_by_label("Your full legal name").fill("Mia Example")
    page.get_by_label("I have read the release above and agree to it.").check()
    screenshot("release-before-signing")
    page.get_by_role("button", name="Sign the release").click()
    page.get_by_text("Signed by Mia Example").wait_for()

    _log_in(page, live_server, alice)
    page.goto("/marketplace/models/")
    page.get_by_text("Accepts: Top, Bottom, One-piece").wait_for()
    screenshot("directory")
    page.get_by_role("link", name="Request consent").click()
    page.get_by_label("Intended use").fill("Spring collection photos for our web shop.")
    page.get_by_role("button", name="Send request").click()
    page.wait_for_url(re.compile(r"/marketplace/consents/$"))
    assert mail.outbox[-1].to == [model_mia.email]

    _log_in(page, live_server, model_mia)
    page.goto("/marketplace/inbox/")
    page.get_by_text("Spring collection photos").wait_for()
    screenshot("inbox-pending")
    page.get_by_role("link", name="Approve…").click()
    page.get_by_label("One-piece").uncheck()
    page.get_by_role("button", name="Approve").click()
    page.get_by_text("Approved. The business can now use your likeness").wait_for()
    assert mail.outbox[-1].to == [alice.email]

    _log_in(page, live_server, alice)
    page.goto("/marketplace/consents/")
    page.get_by_text("Top, Bottom").wait_for()
    screenshot("business-sees-approval")

    _log_in(page, live_server, model_mia)
    page.goto("/marketplace/inbox/")
    # Revoking asks for confirmation first; the model confirms.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke").click()
    page.get_by_text("Consent revoked").wait_for()

    _log_in(page, live_server, alice)
    page.goto("/marketplace/consents/")
    page.locator('[data-testid="business-consent"]').get_by_text("Revoked").wait_for()
    screenshot("business-sees-revocation")
    assert ConsentRequest.objects.get().status == ConsentStatus.REVOKED
