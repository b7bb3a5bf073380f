"""Journeys in Debian's Chromium for a business, a model and an admin, at 1280 and 390 px.

On every page: it answers 200, nothing is wider than the window (no sideways
scrolling), the page's key controls lie inside the viewport's width once scrolled to,
and its text shows no internal id (24 hex digits) or code (enum values, stored field
names, form-library messages). A screenshot of every page is kept under
``test-artifacts/screenshots/journey-*.png``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from django.test import Client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"desktop": (1280, 900), "phone": (390, 844)}
HEX_ID = re.compile(r"(?<![0-9a-fA-F])[0-9a-f]{24}(?![0-9a-fA-F])")
CODES = (
    "HUMAN_MODEL",
    "AI_AVATAR",
    "GROWTER",
    "PENDING",
    "APPROVED",
    "REVOKED",
    "taken_down",
    "no_consent",
    "textSha256",
    "expiresAt",
    "allowedCategories",
    "intendedUse",
    "generationId",
    "Select a valid choice",
    "is not one of the available choices",
    "Nonce",
    "batchs",
    "None</",
)


@dataclass(frozen=True)
class Stop:
    name: str
    path: str
    # (role, accessible name) of controls that must be reachable on this page.
    controls: tuple[tuple[str, str], ...] = ()
    texts: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)


def _log_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def _check_page(page, screenshot, journey: str, stop: Stop, viewport: str) -> None:
    response = page.goto(stop.path)
    assert response is not None and response.status == 200, (
        stop.path,
        response and response.status,
    )
    width = page.viewport_size["width"]
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{stop.path} at {width}px scrolls sideways by {overflow}px"
    for role, name in stop.controls:
        control = page.get_by_role(role, name=name).first
        control.scroll_into_view_if_needed()
        box = control.bounding_box()
        assert box is not None, (stop.path, role, name)
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, (
            f"{stop.path}: {role} {name!r} is outside the {width}px window: {box}"
        )
        viewport_height = page.viewport_size["height"]
        assert box["y"] >= 0 and box["y"] + box["height"] <= viewport_height + 0.5, (
            f"{stop.path}: {role} {name!r} not in view after scrolling: {box}"
        )
    for text in stop.texts:
        assert page.get_by_text(text, exact=True).first.is_visible(), (stop.path, text)
    body = page.evaluate("() => document.body.textContent")
    html = page.content()
    found = HEX_ID.findall(body)
    assert not found, f"{stop.path} shows internal ids: {found[:3]}"
    for code in CODES:
        assert code not in (html if code.endswith("</") else body), f"{stop.path} shows {code!r}"
    screenshot(f"journey-{journey}-{stop.name}-{viewport}")


@pytest.fixture
def world(business_alice, business_bob, model_mia, model_noah, admin_ada, settings):
    """Alice holds Mia's consent and made photos; Bob waits for Mia's answer; one
    photo is reported; the landing examples are seeded."""
    from accounts.models import BusinessProfile
    from billing.models import Package
    from billing.services import credits_grant
    from generations.models import Generation
    from generations.services import (
        Wearer,
        generation_create,
        generation_report_misuse,
    )
    from generations.tests.conftest import approve, person_jpeg, photo_upload
    from home.examples import seed_examples
    from marketplace.models import AIAvatar
    from marketplace.services import consent_request
    from marketplace.tests.conftest import give_package, make_listed
    from modelsnapper.storage import save_private

    seed_examples()
    package = Package.objects.create(
        stripe_price_id="price_journey_growth",
        name="GROWTH TIER",
        ai_credits_granted=250,
        price_amount="99.00",
        human_model_access=True,
    )
    Package.objects.create(
        stripe_price_id="price_journey_starter",
        name="STARTER TIER",
        ai_credits_granted=50,
        price_amount="29.00",
    )
    AIAvatar.objects.create(
        name="AI Model Sophia",
        s3_url=save_private(prefix="avatars", content=person_jpeg()),
        is_active=True,
    )
    for business_user in (business_alice, business_bob):
        give_package(business_user, package)
    make_listed(model_mia)
    approve(business_alice, model_mia)
    bob_request = consent_request(
        actor=business_bob,
        model_user_id=model_mia.pk,
        intended_use="Lookbook photos for our autumn range.",
    )
    business = BusinessProfile.objects.select_related("package").get(user_id=business_alice.pk)
    credits_grant(business=business, amount=5, key="grant:journey")
    batch = generation_create(
        business=BusinessProfile.objects.select_related("package").get(pk=business.pk),
        wearer=Wearer("model", model_mia.pk),
        category="top",
        photos=[photo_upload(), photo_upload()],
        batch_key="journey",
        actor=business_alice,
    )
    reported = Generation.objects.filter(user_id=business_alice.pk).first()
    generation_report_misuse(generation=reported, actor=model_mia, reason="That is not me.")
    shown = Generation.objects.filter(user_id=business_alice.pk, is_frozen=False).first()
    return {"generation": shown, "reported": reported, "bob_request": bob_request, "batch": batch}


@pytest.fixture(params=sorted(VIEWPORTS))
def viewport(request, browser_page):
    width, height = VIEWPORTS[request.param]
    browser_page.set_viewport_size({"width": width, "height": height})
    return request.param


def test_a_visitor_then_a_business(
    browser_page, screenshot, live_server, world, viewport, business_alice
):
    page = browser_page
    generation = world["generation"]
    for stop in (
        Stop("landing", "/", (("link", "Create an account"),), ("For businesses", "For models")),
        Stop("pricing", "/pricing/", (), ("GROWTH TIER",)),
        Stop("verify-public", "/generations/verify/", (("button", "Check the image"),)),
        Stop("terms", "/terms/", (), ("Terms of service",)),
    ):
        _check_page(page, screenshot, "visitor", stop, viewport)
    assert page.locator("img[src^='/examples/']").count() == 0  # not on the terms page
    page.goto("/")
    assert page.locator("[data-testid=examples] img").count() == 6

    _log_in(page, live_server, business_alice)
    for stop in (
        Stop("dashboard", "/dashboard/"),
        Stop(
            "new-photos",
            "/generations/new/",
            (("button", "Generate"), ("button", "Search")),
            ("Allows: Top, Bottom", "$1.00 royalty to Mia per photo"),
        ),
        Stop(
            "batch",
            f"/generations/batches/{world['batch'].pk}/",
            (("link", "Download all (1) as ZIP"), ("link", "More photos")),
        ),
        Stop("history", "/generations/history/", (("link", "Open"), ("link", "Download"))),
        Stop("detail", f"/generations/{generation.pk}/", (), ("Content Credentials",)),
        Stop("credits", "/billing/packages/", (("button", "Buy GROWTH TIER"),)),
        Stop("credit-history", "/billing/credits/"),
        Stop("models", "/marketplace/models/"),
        Stop("consents", "/marketplace/consents/", (("link", "History"),)),
        Stop("settings", "/settings/", (("button", "Save name"), ("link", "Change password"))),
        Stop("verify", "/generations/verify/", (("button", "Check the image"),)),
    ):
        _check_page(page, screenshot, "business", stop, viewport)


def test_a_model(browser_page, screenshot, live_server, world, viewport, model_mia):
    page = browser_page
    _log_in(page, live_server, model_mia)
    for stop in (
        Stop("dashboard", "/dashboard/"),
        Stop("likeness", "/marketplace/likeness/"),
        Stop("release", "/marketplace/release/"),
        Stop(
            "consent-inbox",
            "/marketplace/inbox/",
            (
                ("link", "Approve…"),
                ("button", "Reject"),
                ("button", "Revoke"),
                ("link", "About this business"),
            ),
            ("Lookbook photos for our autumn range.",),
        ),
        Stop(
            "consent-approve",
            f"/marketplace/inbox/{world['bob_request'].pk}/approve/",
            (("button", "Approve"),),
            ("Who is asking",),
        ),
        Stop("release-copy", "/marketplace/release/copy/", (("link", "Download a copy"),)),
        Stop("royalties", "/generations/royalties/", (("link", "Export CSV"),), ("Total",)),
        Stop("detail", f"/generations/{world['generation'].pk}/"),
        Stop("audit-trail", "/marketplace/trail/", (), ("Mia",)),
        Stop("settings", "/settings/", (("button", "Save name"),)),
    ):
        _check_page(page, screenshot, "model", stop, viewport)


def test_an_admin(browser_page, screenshot, live_server, world, viewport, admin_ada):
    page = browser_page
    _log_in(page, live_server, admin_ada)
    reported = world["reported"]
    _check_page(
        page,
        screenshot,
        "admin",
        Stop("overview", "/dashboard/", (("link", "Open the Django admin"),), ("Needs attention",)),
        viewport,
    )
    # The Django admin's own pages show ids by design; only the images are checked there.
    page.goto(f"/admin/generations/generation/{reported.pk}/change/")
    images = page.locator("img[src*='/review/']")
    assert images.count() == 2
    for index in range(2):
        assert images.nth(index).evaluate("img => img.complete && img.naturalWidth > 0")
    screenshot(f"journey-admin-reported-generation-{viewport}")
    page.goto("/admin/generations/generation/?is_frozen__exact=1")
    assert page.locator("img[src*='/review/']").first.evaluate("img => img.naturalWidth > 0")
    screenshot(f"journey-admin-reported-list-{viewport}")
