"""Security review: outsiders try every owner-only URL with the owners' *real* ids.

The role-isolation test walks the URLconf with random ids; here Alice (business)
and Mia (model) own real objects (a consent request, reference photos, a batch, a
succeeded human-model generation, an invoice, a checkout session) and the two
outsiders of each role — Bob (business, no human-model access) and Noah (model) —
ask for each of them. Every answer is 404 (or 405 for a wrong method), and nothing
the owners have changes.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import BusinessProfile, ModelProfile
from billing.models import CheckoutSession, Invoice, Package
from generations.models import Generation, GenerationBatch, GenerationStatus
from generations.tests.conftest import credits_of, grant_credits, photo_upload
from marketplace.models import ConsentRequest, ConsentStatus
from marketplace.selectors import photo_id_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(
    client,
    business_alice,
    business_bob,
    model_mia,
    model_noah,
    mia_approves_alice,
    django_capture_on_commit_callbacks,
):
    """Alice made one Mia photo through the page; she has an invoice and a checkout."""
    grant_credits(business_alice, 3)
    client.force_login(business_alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("generations:new"),
            {
                "photos": [photo_upload()],
                "category": "top",
                "wearer": f"model:{model_mia.pk}",
                "batch_token": "review-token-1",
            },
        )
    assert response.status_code == 302
    generation = Generation.objects.get(user_id=business_alice.pk)
    assert generation.status == GenerationStatus.SUCCEEDED
    alice_profile = BusinessProfile.objects.get(user_id=business_alice.pk)
    package = Package.objects.create(
        stripe_price_id="price_review", name="REVIEW", ai_credits_granted=5
    )
    invoice = Invoice.objects.create(
        user=business_alice, stripe_invoice_id="in_review_1", amount_due="10.00", status="paid"
    )
    checkout = CheckoutSession.objects.create(
        stripe_session_id="cs_review_1", business=alice_profile, package=package, credits=5
    )
    client.logout()
    mia_profile = ModelProfile.objects.get(user_id=model_mia.pk)
    return {
        "consent": mia_approves_alice,
        "photo_id": photo_id_for(mia_profile.reference_images[0]),
        "generation": generation,
        "batch": GenerationBatch.objects.get(user_id=business_alice.pk),
        "invoice": invoice,
        "checkout": checkout,
        "alice_credits": credits_of(business_alice),
        "mia_photos": list(mia_profile.reference_images),
    }


def _requests(world, model_mia):
    consent = world["consent"].pk
    photo = world["photo_id"]
    gen = world["generation"].pk
    batch = world["batch"].pk
    return [
        ("get", reverse("marketplace:reference-full", args=[photo])),
        ("post", reverse("marketplace:likeness-delete", args=[photo])),
        ("post", reverse("marketplace:likeness-replace", args=[photo])),
        ("get", reverse("marketplace:consent-approve", args=[consent])),
        ("post", reverse("marketplace:consent-approve", args=[consent])),
        ("get", reverse("marketplace:consent-limits", args=[consent])),
        ("post", reverse("marketplace:consent-limits", args=[consent])),
        ("post", reverse("marketplace:consent-reject", args=[consent])),
        ("post", reverse("marketplace:consent-revoke", args=[consent])),
        ("get", reverse("marketplace:business-consent-detail", args=[consent])),
        ("get", reverse("generations:batch", args=[batch])),
        ("get", reverse("generations:batch-status", args=[batch])),
        ("get", reverse("generations:detail", args=[gen])),
        ("get", reverse("generations:image", args=[gen])),
        ("get", reverse("generations:thumbnail", args=[gen])),
        ("post", reverse("generations:report", args=[gen])),
        ("get", reverse("billing:invoice", args=[world["invoice"].pk])),
        ("get", reverse("billing:checkout-success") + "?session_id=cs_review_1"),
    ]


@pytest.mark.parametrize("outsider", ["business_bob", "model_noah"])
def test_outsiders_get_404_for_every_real_object_of_others(
    client, request, world, model_mia, business_alice, outsider
):
    client.force_login(request.getfixturevalue(outsider))
    for method, path in _requests(world, model_mia):
        data = {"allowed_categories": ["top"], "reason": "not me"} if method == "post" else None
        response = getattr(client, method)(path, data or {})
        assert response.status_code in (404, 405), (outsider, method, path, response.status_code)

    consent = ConsentRequest.objects.get(pk=world["consent"].pk)
    assert consent.status == ConsentStatus.APPROVED
    assert consent.allowed_categories == ["top", "bottom"]
    assert ModelProfile.objects.get(user_id=model_mia.pk).reference_images == world["mia_photos"]
    generation = Generation.objects.get(pk=world["generation"].pk)
    assert generation.is_frozen is False
    assert generation.status == GenerationStatus.SUCCEEDED
    assert credits_of(business_alice) == world["alice_credits"]


def test_business_without_model_access_cannot_see_a_models_likeness_thumbnail(
    client, world, business_bob, model_mia
):
    client.force_login(business_bob)
    path = reverse("marketplace:reference-thumb", args=[model_mia.pk, world["photo_id"]])
    assert client.get(path).status_code == 404


def test_other_model_cannot_see_a_models_likeness_thumbnail(client, world, model_noah, model_mia):
    client.force_login(model_noah)
    path = reverse("marketplace:reference-thumb", args=[model_mia.pk, world["photo_id"]])
    assert client.get(path).status_code == 404


def test_owners_still_reach_their_objects(client, world, business_alice, model_mia):
    """The same URLs work for their owners (so the 404s above are about ownership)."""
    client.force_login(business_alice)
    gen = world["generation"].pk
    for path in (
        reverse("generations:detail", args=[gen]),
        reverse("generations:image", args=[gen]),
        reverse("generations:thumbnail", args=[gen]),
        reverse("billing:invoice", args=[world["invoice"].pk]),
        reverse("marketplace:business-consent-detail", args=[world["consent"].pk]),
        reverse("generations:batch", args=[world["batch"].pk]),
    ):
        assert client.get(path).status_code == 200, path
    client.force_login(model_mia)
    for path in (
        reverse("generations:detail", args=[gen]),
        reverse("generations:thumbnail", args=[gen]),
        reverse("marketplace:reference-full", args=[world["photo_id"]]),
    ):
        assert client.get(path).status_code == 200, path
    # The model sees their likeness' thumbnail only, never the business's full image.
    assert client.get(reverse("generations:image", args=[gen])).status_code == 404


def test_private_media_responses_are_not_sniffable_or_shared(client, world, business_alice):
    client.force_login(business_alice)
    response = client.get(reverse("generations:image", args=[world["generation"].pk]))
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "private" in response["Cache-Control"]


def test_media_root_is_not_served_at_any_url(client, world, business_alice, settings):
    key = world["generation"].output_s3_url
    client.force_login(business_alice)
    for prefix in ("/media/", settings.MEDIA_URL, "/static/../media/"):
        assert client.get(prefix + key).status_code == 404, prefix


def _walk(patterns, prefix=""):
    from django.urls import URLPattern, URLResolver

    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def _own_paths(world, owner_id: str) -> list[str]:
    """Every route of our apps, with the owners' real ids filled in."""
    import re

    from django.urls import get_resolver

    values = {
        "photo_id": world["photo_id"],
        "model_user_id": owner_id,
        "request_id": world["consent"].pk,
        "generation_id": world["generation"].pk,
        "batch_id": world["batch"].pk,
        "invoice_id": world["invoice"].pk,
        "package_id": world["checkout"].package_id,
        "slug": "red-tee",
        "avatar_id": "0" * 24,
        "variant": "output",
    }
    paths = []
    for route in _walk(get_resolver().url_patterns):
        if route.startswith(("admin/", "accounts/", "^")) or "(?P" in route:
            continue
        paths.append("/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], route))
    return paths


@pytest.mark.parametrize("persona", ["business_alice", "model_mia", "admin_ada"])
def test_every_post_without_a_csrf_token_is_refused(request, world, model_mia, persona):
    """Only the Stripe webhook takes a POST without a CSRF token (403 everywhere else,
    or 404 where the role gate answers first), and nothing changes."""
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(request.getfixturevalue(persona))
    checked = 0
    for path in _own_paths(world, model_mia.pk):
        if path == reverse("billing:stripe-webhook"):
            continue
        response = csrf_client.post(
            path, {"allowed_categories": ["top"], "reason": "x", "intended_use": "x" * 20}
        )
        assert response.status_code in (403, 404), (persona, path, response.status_code)
        checked += 1
    assert checked > 25
    consent = ConsentRequest.objects.get(pk=world["consent"].pk)
    assert consent.status == ConsentStatus.APPROVED
    assert ModelProfile.objects.get(user_id=model_mia.pk).reference_images == world["mia_photos"]
    assert Generation.objects.get(pk=world["generation"].pk).is_frozen is False


def test_the_new_generation_page_is_business_only_though_the_role_walk_cannot_see_it(
    client, model_mia, admin_ada
):
    """``generations:new`` is a csrf_exempt wrapper without ``allowed_roles``, so the
    URLconf walk in accounts' role-isolation test skips it."""
    path = reverse("generations:new")
    response = client.get(path)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    for user in (model_mia, admin_ada):
        client.force_login(user)
        assert client.get(path).status_code == 404
        assert client.post(path).status_code == 404
    assert not Generation.objects.exists()
