"""Sign-up costs the same for a new and an existing address (no account enumeration by
timing). Measured as work done — password hashes computed — never by a clock."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher

from accounts.models import User
from accounts.tests.test_signup import signup

pytestmark = pytest.mark.django_db


class CountingHasher(MD5PasswordHasher):
    """The test hasher, counting how many passwords it hashes (the costly step)."""

    algorithm = "counting_md5"
    calls = 0

    def encode(self, password, salt):
        CountingHasher.calls += 1
        return super().encode(password, salt)


@pytest.fixture
def counting(settings):
    settings.PASSWORD_HASHERS = ["accounts.tests.test_signup_timing.CountingHasher"]
    CountingHasher.calls = 0
    return CountingHasher


def _hashes_for(client, email: str, counting) -> int:
    before = counting.calls
    response = signup(client, email=email)
    assert response.status_code == 302
    return counting.calls - before


def test_an_existing_address_costs_the_same_password_hashing_as_a_new_one(
    client, counting, business_alice
):
    new = _hashes_for(client, "brand-new@shop.test", counting)
    existing = _hashes_for(client, business_alice.email, counting)
    existing_other_case = _hashes_for(client, business_alice.email.upper(), counting)
    assert new >= 1
    assert existing == new == existing_other_case
    assert User.objects.filter(email__iexact=business_alice.email).count() == 1


def test_both_paths_answer_with_the_same_redirect(client, business_alice):
    new = signup(client, email="another@shop.test")
    existing = signup(client, email=business_alice.email)
    assert (new.status_code, new.url) == (existing.status_code, existing.url)
