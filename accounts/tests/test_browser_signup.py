"""A new business signs up, verifies the emailed link, onboards and sees its dashboard."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from accounts.models import BusinessProfile, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_business_signs_up_verifies_and_onboards(browser_page, screenshot):
    page = browser_page
    page.goto("/")
    page.get_by_role("link", name="Create an account").click()

    page.get_by_label("I run a business").check()
    page.get_by_placeholder("Email address").fill("journey@shop.test")
    page.get_by_placeholder("Password", exact=True).fill("a-long-unusual-passphrase-9")
    page.get_by_placeholder("Password (again)").fill("a-long-unusual-passphrase-9")
    screenshot("signup-form")
    page.get_by_role("button", name="Sign Up").click()
    page.wait_for_url(re.compile(r"/accounts/confirm-email/"))
    screenshot("signup-verify-sent")

    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", mail.outbox[-1].body)[1]
    page.goto(link)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile(r"/onboarding/"))

    page.get_by_label("Business name").fill("Journey Boutique")
    screenshot("onboarding")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/dashboard/"))
    screenshot("business-dashboard")

    assert page.get_by_role("heading", name="Journey Boutique").is_visible()
    assert User.objects.get(email="journey@shop.test").role == "BUSINESS"
    assert BusinessProfile.objects.filter(business_name="Journey Boutique").count() == 1
