"""Generation pages show the Content Credentials read back from the stored files."""

from __future__ import annotations

import pytest
from django.urls import reverse

from generations.services import Wearer, generation_run
from generations.tests.conftest import grant_credits
from generations.tests.test_generation_run import _queue

pytestmark = pytest.mark.django_db


def test_business_and_model_pages_show_an_intact_modelsnapper_credential(
    client, business_alice, model_mia, mia_approves_alice
):
    grant_credits(business_alice, 1)
    (generation,) = _queue(business_alice, Wearer("model", model_mia.pk))
    assert generation_run(generation_id=generation.pk) == "succeeded"
    url = reverse("generations:detail", args=[generation.pk])

    for viewer in (business_alice, model_mia):
        client.force_login(viewer)
        page = client.get(url).content.decode()

        assert "Content Credentials" in page
        assert "ModelSnapper · intact" in page
        # The consent that allowed it, in words: when it was given and its state now.
        assert "<dt>Consent</dt><dd>Given " in page and "approved now" in page
        assert mia_approves_alice.pk not in page
        assert f"this photo, made {generation.generated_at:%-d %b %Y}" in page


def test_a_failed_generation_shows_no_badge(client, business_alice, avatar):
    from generations.models import Generation, GenerationStatus

    grant_credits(business_alice, 1)
    (generation,) = _queue(business_alice, Wearer("avatar", avatar.pk))
    Generation.objects.filter(pk=generation.pk).update(status=GenerationStatus.FAILED)
    client.force_login(business_alice)

    page = client.get(reverse("generations:detail", args=[generation.pk])).content.decode()

    assert "Content Credentials" not in page
