"""Admins see what they release or take down: the images, in the changelist and on the
generation's admin page, through an admin-only view (reported images included)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from generations.models import Generation
from generations.services import Wearer, generation_report_misuse, generation_run
from generations.tests.conftest import grant_credits
from generations.tests.test_generation_run import _queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def reported(business_alice, model_mia, mia_approves_alice):
    grant_credits(business_alice, 1)
    (generation,) = _queue(business_alice, Wearer("model", model_mia.pk))
    assert generation_run(generation_id=generation.pk) == "succeeded"
    generation_report_misuse(
        generation=Generation.objects.get(pk=generation.pk), actor=model_mia, reason="Not me"
    )
    return Generation.objects.get(pk=generation.pk)


@pytest.mark.parametrize("variant", ["output", "thumbnail", "product"])
def test_an_admin_sees_a_reported_generations_images(client, admin_ada, reported, variant):
    client.force_login(admin_ada)
    response = client.get(reverse("generations:admin-media", args=[reported.pk, variant]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"


def test_the_business_cannot_use_the_admin_view_to_see_its_frozen_image(
    client, business_alice, model_mia, reported
):
    for user in (business_alice, model_mia):
        client.force_login(user)
        url = reverse("generations:admin-media", args=[reported.pk, "output"])
        assert client.get(url).status_code == 404


def test_an_unknown_variant_is_404(client, admin_ada, reported):
    client.force_login(admin_ada)
    assert (
        client.get(reverse("generations:admin-media", args=[reported.pk, "raw"])).status_code == 404
    )


def test_changelist_and_change_page_show_the_images(client, admin_ada, reported):
    client.force_login(admin_ada)
    changelist = client.get(reverse("admin:generations_generation_changelist")).content.decode()
    assert reverse("generations:admin-media", args=[reported.pk, "thumbnail"]) in changelist
    change = client.get(
        reverse("admin:generations_generation_change", args=[reported.pk])
    ).content.decode()
    assert reverse("generations:admin-media", args=[reported.pk, "output"]) in change
    assert reverse("generations:admin-media", args=[reported.pk, "product"]) in change
    assert "Generation batchs" not in change
