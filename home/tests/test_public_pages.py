"""What a visitor sees before signing up: landing with real examples, pricing, the
operator's terms/privacy/contact pages."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.cache import cache
from PIL import Image

from billing.models import Package
from home.examples import EXAMPLES, examples_available, seed_examples
from home.models import SitePage
from home.pages import DEFAULT_PAGES
from home.services import site_page_save

pytestmark = pytest.mark.django_db


def _image_bytes(response) -> bytes:
    return b"".join(response.streaming_content)


def test_landing_shows_no_example_before_the_seed(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.context["examples"] == []
    assert b'data-testid="examples"' not in response.content


def test_seeded_examples_are_real_engine_outputs_shown_on_the_landing_page(client):
    seed_examples()
    response = client.get("/")
    assert [e.slug for e in response.context["examples"]] == [e.slug for e in EXAMPLES]
    page = response.content.decode()
    for example in EXAMPLES:
        assert f"/examples/{example.slug}.jpg" in page
        assert f"/examples/{example.slug}-product.jpg" in page
    output = client.get(f"/examples/{EXAMPLES[0].slug}.jpg")
    assert output.status_code == 200 and output["Content-Type"] == "image/jpeg"
    image = Image.open(io.BytesIO(_image_bytes(output)))
    # The offline engine's 3:4 output, not the product photo.
    assert image.size == (1024, 1365)
    product = Image.open(
        io.BytesIO(_image_bytes(client.get(f"/examples/{EXAMPLES[0].slug}-product.jpg")))
    )
    assert product.size == (480, 640)


def test_seeding_twice_keeps_one_file_per_example(settings):
    seed_examples()
    seed_examples()
    import os

    names = sorted(os.listdir(os.path.join(settings.MEDIA_ROOT, "examples")))
    assert names == sorted(
        [f"{e.slug}.jpg" for e in EXAMPLES] + [f"{e.slug}-product.jpg" for e in EXAMPLES]
    )


def test_the_example_view_serves_only_the_fixed_examples(client, settings):
    seed_examples()
    assert client.get("/examples/not-an-example.jpg").status_code == 404
    # Nothing else in private storage is reachable through it.
    assert client.get("/examples/..%2Fgenerations%2Fx.jpg").status_code == 404


def test_landing_explains_consent_and_royalties_to_each_side(client):
    page = client.get("/").content.decode()
    assert 'data-testid="for-businesses"' in page and 'data-testid="for-models"' in page
    assert "$1.00 per photo" in page
    assert "Revoke at any time" in page


def test_examples_cache_is_cleared_by_a_new_seed(client):
    assert examples_available() == []
    seed_examples()
    assert len(examples_available()) == len(EXAMPLES)
    cache.clear()
    assert len(examples_available()) == len(EXAMPLES)


def test_pricing_is_public_and_lists_only_active_packages(client):
    Package.objects.create(
        stripe_price_id="price_a", name="GROWTH TIER", ai_credits_granted=250,
        price_amount=Decimal("99.00"), human_model_access=True,
    )  # fmt: skip
    Package.objects.create(
        stripe_price_id="price_b", name="RETIRED", ai_credits_granted=5, is_active=False
    )
    response = client.get("/pricing/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "GROWTH TIER" in page and "99.00 USD" in page and "250 photos" in page
    assert "real models who approve you" in page
    assert "Retired" not in page and "RETIRED" not in page


@pytest.mark.parametrize("slug", ["terms", "privacy", "contact"])
def test_public_pages_show_the_default_text_until_an_operator_saves_theirs(client, admin_ada, slug):
    response = client.get(f"/{slug}/")
    assert response.status_code == 200
    title, body = DEFAULT_PAGES[slug]
    assert title in response.content.decode()
    site_page_save(
        slug=slug, title="Our own words", body="First.\n\nSecond <b>bold</b>.", actor=admin_ada
    )
    page = client.get(f"/{slug}/").content.decode()
    assert "Our own words" in page and "<p>First.</p>" in page
    # Plain text: the operator's markup is shown, never run.
    assert "&lt;b&gt;bold&lt;/b&gt;" in page and "<b>bold</b>" not in page
    assert body.split(".")[0] not in page
    assert SitePage.objects.get(slug=slug).updated_by == admin_ada


def test_an_admin_edits_a_page_in_the_django_admin(client, admin_ada):
    client.force_login(admin_ada)
    response = client.post(
        "/admin/home/sitepage/add/",
        {"slug": "terms", "title": "Terms", "body": "Be kind."},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    saved = SitePage.objects.get(slug="terms")
    assert saved.body == "Be kind." and saved.updated_by == admin_ada
    assert SitePage.objects.count() == 1


def test_signed_in_visitors_of_the_landing_go_to_their_dashboard(client, business_alice):
    client.force_login(business_alice)
    assert client.get("/").url == "/dashboard/"
