"""The admin sign-in is rate limited like /accounts/login/ (allauth's login_failed limit)."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

WRONG = "not-the-password-1"


def _admin_login(client, email: str, password: str):
    return client.post(
        reverse("admin:login") + "?next=/admin/",
        {"username": email, "password": password, "next": "/admin/"},
    )


def test_the_right_password_still_opens_the_admin(client, admin_ada, password):
    response = _admin_login(client, admin_ada.email, password)
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_after_five_wrong_passwords_the_right_one_is_refused(client, admin_ada, password):
    for _ in range(5):
        response = _admin_login(client, admin_ada.email, WRONG)
        assert response.status_code == 200
    response = _admin_login(client, admin_ada.email, password)
    assert response.status_code == 200
    assert b"Too many failed" in response.content
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302  # still sent to the login page


def test_thirty_wrong_passwords_from_one_address_are_cut_off(client, admin_ada, password):
    refused = 0
    for i in range(30):
        # Different addresses each time: the per-IP limit (10/minute) still holds.
        response = _admin_login(client, f"guess{i}@modelsnapper.test", WRONG)
        refused += b"Too many failed" in response.content
    assert refused >= 20
    assert b"Too many failed" in _admin_login(client, admin_ada.email, password).content


def test_admin_and_site_sign_in_share_one_counter(client, admin_ada, password):
    for _ in range(5):
        client.post(reverse("account_login"), {"login": admin_ada.email, "password": WRONG})
    response = _admin_login(client, admin_ada.email, password)
    assert b"Too many failed" in response.content
    assert "_auth_user_id" not in client.session


def test_a_success_does_not_reset_the_count_of_failures(client, admin_ada, password):
    for _ in range(4):
        _admin_login(client, admin_ada.email, WRONG)
    assert _admin_login(client, admin_ada.email, password).status_code == 302
    client.logout()
    _admin_login(client, admin_ada.email, WRONG)
    assert b"Too many failed" in _admin_login(client, admin_ada.email, password).content
