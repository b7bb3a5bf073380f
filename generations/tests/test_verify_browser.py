"""A model checks an image found online in the browser and sees it was made with her likeness."""

from __future__ import annotations

import pytest
from django.test import Client

from generations.engines import EngineRequest
from generations.engines.offline import OfflineEngine
from generations.models import Generation, GenerationStatus, ModelType
from generations.provenance import ProvenanceInfo, sign_output
from generations.tests.test_engine_offline import avatar, tee_photo
from marketplace.avatar_art import TORSO_BOX
from marketplace.models import ConsentRequest, ConsentStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"


def _log_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def test_model_verifies_a_found_image_in_the_browser(
    browser_page, screenshot, live_server, business_alice, model_mia
):
    consent = ConsentRequest.objects.create(
        business=business_alice,
        model=model_mia,
        status=ConsentStatus.APPROVED,
        allowed_categories=["top"],
    )
    generation = Generation.objects.create(
        user=business_alice,
        model=model_mia,
        model_type=ModelType.HUMAN_MODEL,
        status=GenerationStatus.SUCCEEDED,
        consent_request=consent,
        release_version="2025-01",
        usage_limits=["top"],
    )
    output = OfflineEngine().generate(
        EngineRequest(
            generation_id=str(generation.pk),
            garment_jpeg=tee_photo(),
            wearer_jpeg=avatar(),
            category="top",
            wearer_torso_box=TORSO_BOX,
        )
    )
    signed = sign_output(
        output.image_jpeg,
        info=ProvenanceInfo(
            generation_id=str(generation.pk),
            wearer_type=ModelType.HUMAN_MODEL,
            digital_source_type=output.digital_source_type,
            consent_request_id=str(consent.pk),
            release_version="2025-01",
            usage_limits=["top"],
            engine_name="offline",
        ),
    )

    page = browser_page
    _log_in(page, live_server, model_mia)
    page.goto("/generations/verify/")
    screenshot("verify-empty")
    page.set_input_files(
        "input[type=file]",
        files=[{"name": "found-online.jpg", "mimeType": "image/jpeg", "buffer": signed}],
    )
    page.get_by_role("button", name="Check the image").click()
    page.get_by_text("Made with your likeness").wait_for()
    screenshot("verify-own-likeness")

    assert page.get_by_text("intact ModelSnapper Content Credential").is_visible()
    assert page.get_by_text("Alice Boutique").is_visible()
    assert str(consent.pk) not in page.content()
    assert "approved now" in page.content()

    changed = bytearray(signed)
    changed[-2000] ^= 0x01
    page.set_input_files(
        "input[type=file]",
        files=[{"name": "edited.jpg", "mimeType": "image/jpeg", "buffer": bytes(changed)}],
    )
    page.get_by_role("button", name="Check the image").click()
    page.get_by_text("changed after it was signed").first.wait_for()
    screenshot("verify-tampered")
