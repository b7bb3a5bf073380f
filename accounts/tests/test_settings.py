"""The settings page: business or display name, and the way to email and password."""

from __future__ import annotations

import pytest

from accounts.models import BusinessProfile, ModelProfile

pytestmark = pytest.mark.django_db

URL = "/settings/"


def test_a_business_renames_itself(client, business_alice):
    client.force_login(business_alice)
    page = client.get(URL).content.decode()
    assert 'value="Alice Boutique"' in page
    assert "/accounts/email/" in page and "/accounts/password/change/" in page
    response = client.post(URL, {"name": "  Alice   Atelier "})
    assert response.status_code == 302
    assert BusinessProfile.objects.get(user=business_alice).business_name == "Alice Atelier"
    assert "Your name is saved." in client.get(URL).content.decode()


def test_a_model_renames_their_display_name(client, model_mia):
    client.force_login(model_mia)
    client.post(URL, {"name": "Mia R."})
    assert ModelProfile.objects.get(user=model_mia).name == "Mia R."


def test_an_empty_name_is_refused_and_nothing_changes(client, business_alice):
    client.force_login(business_alice)
    response = client.post(URL, {"name": "   "})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert BusinessProfile.objects.get(user=business_alice).business_name == "Alice Boutique"


def test_the_settings_link_is_in_the_header(client, business_alice):
    client.force_login(business_alice)
    assert 'href="/settings/"' in client.get("/dashboard/").content.decode()
