from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import services
from accounts.models import BusinessProfile, ModelProfile, Role
from accounts.tests.factories import UserFactory
from modelsnapper.errors import DomainError

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh_business(db):
    return UserFactory(email="fresh@shop.test", role=Role.BUSINESS)


@pytest.fixture
def fresh_model(db):
    return UserFactory(email="fresh@models.test", role=Role.MODEL)


def test_onboarding_creates_the_business_profile_once(client, fresh_business):
    client.force_login(fresh_business)

    first = client.post(reverse("accounts:onboarding"), {"name": "  Maison   Verte "})
    second = client.post(reverse("accounts:onboarding"), {"name": "Other name"})

    assert first.status_code == second.status_code == 302
    profile = BusinessProfile.objects.get(user=fresh_business)
    assert profile.business_name == "Maison Verte"
    assert profile.ai_credits == 0
    assert BusinessProfile.objects.filter(user=fresh_business).count() == 1


def test_onboarding_creates_the_model_profile(client, fresh_model):
    client.force_login(fresh_model)

    client.post(reverse("accounts:onboarding"), {"name": "Mia Rossi"})

    profile = ModelProfile.objects.get(user=fresh_model)
    assert profile.name == "Mia Rossi"
    assert profile.consent_signed is False
    assert profile.reference_images == []


def test_onboarding_refuses_a_too_long_name(client, fresh_business):
    client.force_login(fresh_business)

    response = client.post(reverse("accounts:onboarding"), {"name": "x" * 121})

    assert response.status_code == 200
    assert "at most 120 characters" in response.content.decode()
    assert not BusinessProfile.objects.filter(user=fresh_business).exists()


def test_onboarding_refuses_a_blank_name(client, fresh_business):
    client.force_login(fresh_business)

    response = client.post(reverse("accounts:onboarding"), {"name": "   "})

    assert response.status_code == 200
    assert not BusinessProfile.objects.filter(user=fresh_business).exists()


def test_profile_onboard_twice_raises_a_domain_error(fresh_model):
    services.profile_onboard(user=fresh_model, name="Mia")
    with pytest.raises(DomainError):
        services.profile_onboard(user=fresh_model, name="Mia again")
    assert ModelProfile.objects.filter(user=fresh_model).count() == 1


def test_user_without_profile_is_sent_to_onboarding(client, fresh_business):
    client.force_login(fresh_business)

    response = client.get(reverse("home:dashboard"))

    assert response.status_code == 302
    assert response.url == reverse("accounts:onboarding")


def test_onboarded_user_visiting_onboarding_goes_to_dashboard(client, business_alice):
    client.force_login(business_alice)

    response = client.get(reverse("accounts:onboarding"))

    assert response.status_code == 302
    assert response.url == reverse("home:dashboard")


def test_admin_cannot_use_onboarding(client, admin_ada):
    client.force_login(admin_ada)
    assert client.get(reverse("accounts:onboarding")).status_code == 404


@pytest.mark.parametrize(
    ("persona", "heading"),
    [("business_alice", "Alice Boutique"), ("model_mia", "Mia"), ("admin_ada", "Platform")],
)
def test_each_role_lands_on_its_own_dashboard(client, request, persona, heading):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(reverse("home:dashboard"))

    assert response.status_code == 200
    assert heading in response.content.decode()


def test_anonymous_dashboard_redirects_to_login(client):
    response = client.get(reverse("home:dashboard"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_logged_in_landing_redirects_to_dashboard(client, business_alice):
    client.force_login(business_alice)
    assert client.get("/").url == reverse("home:dashboard")


def test_non_staff_users_cannot_reach_the_admin(client, business_alice):
    client.force_login(business_alice)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response.url


def test_signup_role_cannot_be_admin():
    user = UserFactory.build()
    with pytest.raises(DomainError):
        services.user_assign_signup_role(user=user, role=Role.ADMIN)


@pytest.mark.parametrize("persona", ["business_alice", "model_mia", "admin_ada"])
def test_dashboards_render_each_section_once(client, request, persona):
    client.force_login(request.getfixturevalue(persona))

    page = client.get(reverse("home:dashboard")).content.decode()

    # A template slip once repeated the model checklist thousands of times.
    assert len(page) < 60_000
    assert page.count("<main") == 1
    if persona == "model_mia":
        assert page.count("Sign the likeness release") == 1
