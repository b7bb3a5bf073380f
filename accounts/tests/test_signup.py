from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from accounts.models import BusinessProfile, ModelProfile, Role, User

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-unusual-passphrase-9"


def signup(client, *, email="new@shop.test", role="BUSINESS", **extra):
    data = {"email": email, "password1": PASSWORD, "password2": PASSWORD, "role": role, **extra}
    return client.post(reverse("account_signup"), data)


def confirmation_link(message_body: str) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+/)", message_body)
    assert match, message_body
    return match.group(1)


@pytest.mark.parametrize("role", [Role.BUSINESS, Role.MODEL])
def test_signup_stores_the_chosen_role_and_sends_a_verification_email(client, role):
    response = signup(client, email=f"{role.lower()}@shop.test", role=role)

    assert response.status_code == 302
    user = User.objects.get(email=f"{role.lower()}@shop.test")
    assert user.role == role
    assert len(mail.outbox) == 1
    assert not EmailAddress.objects.get(user=user).verified


@pytest.mark.parametrize("role", [Role.BUSINESS, Role.MODEL])
def test_verification_link_logs_in_and_leads_to_onboarding_then_dashboard(client, role):
    signup(client, email="verify@shop.test", role=role)
    link = confirmation_link(mail.outbox[0].body)

    # Mandatory verification: the dashboard is out of reach before confirming.
    client.logout()
    login = client.post(
        reverse("account_login"), {"login": "verify@shop.test", "password": PASSWORD}
    )
    assert "confirm-email" in login.url or login.url == reverse("account_email_verification_sent")

    response = client.post(link)
    assert response.status_code == 302
    assert EmailAddress.objects.get(email="verify@shop.test").verified

    home = client.get(reverse("home:dashboard"))
    assert home.status_code == 302
    assert home.url == reverse("accounts:onboarding")

    done = client.post(reverse("accounts:onboarding"), {"name": "Maison Verte"})
    assert done.status_code == 302
    assert client.get(reverse("home:dashboard")).status_code == 200
    profile_model = BusinessProfile if role == Role.BUSINESS else ModelProfile
    assert profile_model.objects.filter(user__email="verify@shop.test").count() == 1


def test_signup_with_an_existing_email_in_another_case_writes_nothing(client, business_alice):
    # allauth's enumeration prevention: the page looks like a normal sign-up, and
    # the clear message goes to the address's owner, who alone can read it.
    response = signup(client, email="ALICE@Boutique.TEST")

    assert response.status_code == 302
    assert User.objects.filter(email__iexact="alice@boutique.test").count() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@boutique.test"]
    assert "already" in mail.outbox[0].body.lower()


@pytest.mark.parametrize("forged_role", ["ADMIN", "SUPERUSER", "", "business; DROP"])
def test_signup_with_a_missing_or_forged_role_writes_nothing(client, forged_role):
    response = signup(client, email="forger@shop.test", role=forged_role)

    assert response.status_code == 200
    assert b"role" in response.content.lower()
    assert not User.objects.filter(email="forger@shop.test").exists()


def test_signup_without_role_field_is_refused(client):
    data = {"email": "norole@shop.test", "password1": PASSWORD, "password2": PASSWORD}
    response = client.post(reverse("account_signup"), data)

    assert response.status_code == 200
    assert not User.objects.filter(email="norole@shop.test").exists()


def test_signup_stores_the_email_in_lower_case(client):
    signup(client, email="Mixed.Case@Shop.Test")
    assert User.objects.filter(email="mixed.case@shop.test").exists()


def test_password_reset_sends_a_link(client, business_alice):
    response = client.post(reverse("account_reset_password"), {"email": "alice@boutique.test"})

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


def test_password_reset_link_sets_a_new_password(client, business_alice):
    client.post(reverse("account_reset_password"), {"email": "alice@boutique.test"})
    path = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", mail.outbox[0].body)[1]
    form_page = client.get(path, follow=True)
    action = form_page.redirect_chain[-1][0] if form_page.redirect_chain else path

    response = client.post(
        action, {"password1": "n3w-passphrase-xyz", "password2": "n3w-passphrase-xyz"}
    )

    assert response.status_code == 302
    business_alice.refresh_from_db()
    assert business_alice.check_password("n3w-passphrase-xyz")


def test_a_user_left_unverified_by_a_failed_signup_can_still_verify(client):
    """The old Mongo-mode bug answered 500 after the user and the address were written
    (no rollback there). Signing in again sends a working link, and it verifies."""
    user = User.objects.create_user(email="halfmade@shop.test", password=PASSWORD, role="MODEL")
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)

    login = client.post(
        reverse("account_login"), {"login": "halfmade@shop.test", "password": PASSWORD}
    )

    assert login.status_code == 302
    assert len(mail.outbox) == 1
    response = client.post(confirmation_link(mail.outbox[0].body))
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    assert User.objects.filter(email="halfmade@shop.test").count() == 1
