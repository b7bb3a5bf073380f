"""Every URL of the project, every persona, one table of expected answers.

The URL patterns are enumerated from the URLconf itself (not from a decorator's
attribute, which a removed decorator takes with it): a pattern without an entry in
``EXPECTED`` fails the suite, and so does a view whose gate was removed, because an
outsider then gets something other than the 404 (or login redirect) written here.
Ids in the URLs are real objects of alice (a business) and mia (a model); bob and
noah are the outsiders of the same roles. django-allauth's and the Django admin's
own URLs are left to those frameworks; the admin's gate is checked on its index.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

pytestmark = pytest.mark.django_db

PERSONAS = ("anonymous", "business_alice", "business_bob", "model_mia", "model_noah", "admin_ada")
LOGIN = "login"  # 302 to /accounts/login/
ONBOARD_OR_HOME = "redirect"  # 302 somewhere else (dashboard, onboarding, a detail page)
THIRD_PARTY = ("admin/", "accounts/")


@dataclass(frozen=True)
class Expect:
    """GET answers per persona, and the outsiders' POST answer for pages that change state."""

    kwargs: tuple[str, ...] = ()  # names of the world's ids the URL takes
    anonymous: object = LOGIN
    alice: object = 404
    bob: object = 404
    mia: object = 404
    noah: object = 404
    ada: object = 404
    # POSTs by people who must not change this object: ((persona, answer), …).
    post_by_outsiders: tuple[tuple[str, object], ...] = ()

    def for_persona(self, persona: str) -> object:
        return getattr(self, persona.split("_")[-1])


def business(status=200, *, bob=None, **rest) -> dict:
    return {"alice": status, "bob": status if bob is None else bob, **rest}


def model(status=200, *, noah=None, **rest) -> dict:
    return {"mia": status, "noah": status if noah is None else noah, **rest}


NOAH_POSTS = (("model_noah", 404), ("business_alice", 404), ("admin_ada", 404))
EVERYONE_SIGNED_IN = {"alice": 200, "bob": 200, "mia": 200, "noah": 200, "ada": 200}

EXPECTED: dict[str, Expect] = {
    "healthz": Expect(anonymous=200, **EVERYONE_SIGNED_IN),
    "readyz": Expect(anonymous=200, **EVERYONE_SIGNED_IN),
    "home:landing": Expect(
        anonymous=200,
        alice=ONBOARD_OR_HOME,
        bob=ONBOARD_OR_HOME,
        mia=ONBOARD_OR_HOME,
        noah=ONBOARD_OR_HOME,
        ada=ONBOARD_OR_HOME,
    ),
    # Everyone here already has a profile: onboarding sends them on to the dashboard.
    "accounts:onboarding": Expect(**business(ONBOARD_OR_HOME), **model(ONBOARD_OR_HOME), ada=404),
    "home:dashboard": Expect(**EVERYONE_SIGNED_IN),
    "accounts:settings": Expect(**business(), **model()),
    # Public pages: anyone, signed in or not.
    "home:pricing": Expect(anonymous=200, **EVERYONE_SIGNED_IN),
    "home:terms": Expect(anonymous=200, **EVERYONE_SIGNED_IN),
    "home:privacy": Expect(anonymous=200, **EVERYONE_SIGNED_IN),
    "home:contact": Expect(anonymous=200, **EVERYONE_SIGNED_IN),
    # Only the seed's fixed examples; none exist in this world.
    "home:example-image": Expect(
        kwargs=("slug",), anonymous=404, alice=404, bob=404, mia=404, noah=404, ada=404
    ),
    # --- a model's own likeness ---------------------------------------------------------
    "marketplace:likeness": Expect(**model()),
    "marketplace:likeness-limits": Expect(**model(405)),
    "marketplace:likeness-replace": Expect(
        kwargs=("photo_id",), **model(405), post_by_outsiders=NOAH_POSTS
    ),
    "marketplace:likeness-delete": Expect(
        kwargs=("photo_id",), **model(405), post_by_outsiders=NOAH_POSTS
    ),
    "marketplace:reference-full": Expect(kwargs=("photo_id",), **model(200, noah=404)),
    # A business sees an approving model's thumbnails; another model never does.
    "marketplace:reference-thumb": Expect(
        kwargs=("model_user_id", "photo_id"), **business(200), **model(200, noah=404)
    ),
    # Stock avatars: for businesses choosing a wearer and admins; a model never.
    "marketplace:avatar-image": Expect(kwargs=("avatar_id",), **business(200), ada=200),
    "marketplace:release": Expect(**model()),
    # Noah signed a release too (make_listed): each model gets their own copy.
    "marketplace:release-copy": Expect(**model()),
    "marketplace:release-withdraw": Expect(**model(405)),
    "marketplace:consent-inbox": Expect(**model()),
    "marketplace:consent-approve": Expect(
        kwargs=("request_id",), **model(200, noah=404), post_by_outsiders=NOAH_POSTS
    ),
    "marketplace:consent-reject": Expect(
        kwargs=("request_id",), **model(405), post_by_outsiders=NOAH_POSTS
    ),
    "marketplace:consent-revoke": Expect(
        kwargs=("request_id",), **model(405), post_by_outsiders=NOAH_POSTS
    ),
    "marketplace:consent-limits": Expect(
        kwargs=("request_id",), **model(200, noah=404), post_by_outsiders=NOAH_POSTS
    ),
    "marketplace:audit-trail": Expect(**model()),
    # --- a business's side of consent -------------------------------------------------
    "marketplace:directory": Expect(**business()),
    "marketplace:consent-request": Expect(kwargs=("model_user_id",), **business(200)),
    "marketplace:business-consents": Expect(**business()),
    "marketplace:business-consent-detail": Expect(kwargs=("request_id",), **business(200, bob=404)),
    # --- billing ----------------------------------------------------------------------
    "billing:packages": Expect(**business()),
    "billing:checkout": Expect(kwargs=("package_id",), **business(405)),
    # Without a checkout session of theirs in the query string there is nothing to show.
    "billing:checkout-success": Expect(**business(404)),
    "billing:checkout-cancel": Expect(**business(ONBOARD_OR_HOME)),
    "billing:invoices": Expect(**business()),
    "billing:invoice": Expect(kwargs=("invoice_id",), **business(200, bob=404)),
    "billing:portal": Expect(**business(405)),
    "billing:credits": Expect(**business()),
    # Signed by Stripe, not by a session: a GET is refused for everyone.
    "billing:stripe-webhook": Expect(anonymous=405, alice=405, bob=405, mia=405, noah=405, ada=405),
    # --- generations ------------------------------------------------------------------
    "generations:new": Expect(**business()),
    "generations:batch": Expect(kwargs=("batch_id",), **business(200, bob=404)),
    "generations:batch-status": Expect(kwargs=("batch_id",), **business(200, bob=404)),
    "generations:batch-zip": Expect(kwargs=("batch_id",), **business(200, bob=404)),
    "generations:product": Expect(kwargs=("generation_id",), **business(200, bob=404)),
    "generations:history": Expect(**business()),
    "generations:royalties": Expect(**model()),
    "generations:royalties-csv": Expect(**model()),
    # --- payouts (a model's own; businesses and admins get 404) -------------------------
    "payouts:page": Expect(**model()),
    "payouts:export": Expect(**model()),
    "payouts:setup": Expect(**model(405)),
    # Without a connected account yet both send the model back to the payouts page.
    "payouts:refresh": Expect(**model(ONBOARD_OR_HOME)),
    "payouts:return": Expect(**model(ONBOARD_OR_HOME)),
    # The business that made it and the model it shows; nobody else.
    "generations:detail": Expect(
        kwargs=("generation_id",), **business(200, bob=404), **model(200, noah=404)
    ),
    "generations:image": Expect(kwargs=("generation_id",), **business(200, bob=404)),
    "generations:thumbnail": Expect(
        kwargs=("generation_id",), **business(200, bob=404), **model(200, noah=404)
    ),
    # FASHN's callback: POST only, authenticated by its HMAC token, not by a session.
    "generations:fashn-webhook": Expect(
        kwargs=("generation_id",),
        anonymous=405,
        **business(405),
        **model(405),
        ada=405,
        post_by_outsiders=(("anonymous", 404), ("business_bob", 404), ("model_noah", 404)),
    ),
    # The licence record: the two parties to it; nobody else.
    "generations:licence": Expect(
        kwargs=("generation_id",), **business(200, bob=404), **model(200, noah=404)
    ),
    "generations:licence-json": Expect(
        kwargs=("generation_id",), **business(200, bob=404), **model(200, noah=404)
    ),
    # POST only, refused before the gate for a GET; the gate is checked with POSTs.
    "generations:report": Expect(
        kwargs=("generation_id",),
        anonymous=405,
        **business(405),
        **model(405),
        ada=405,
        post_by_outsiders=(*NOAH_POSTS, ("business_bob", 404), ("anonymous", LOGIN)),
    ),
    # Admins review any generation's images; nobody else reaches them here.
    "generations:admin-media": Expect(kwargs=("generation_id", "variant"), ada=200),
    "generations:verify": Expect(anonymous=200, **EVERYONE_SIGNED_IN),
}


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(part for part in (namespace, entry.namespace or "") if part)
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield prefix + str(entry.pattern), name


def _project_url_names() -> set[str]:
    return {
        name
        for route, name in _walk(get_resolver().url_patterns)
        if not route.startswith(THIRD_PARTY)
    }


@pytest.fixture
def world(business_alice, business_bob, model_mia, model_noah, admin_ada):
    """Real objects: mia approved alice, alice made a photo with mia and has an invoice."""
    from accounts.models import BusinessProfile, ModelProfile
    from billing.models import Package
    from billing.tests.factories import InvoiceFactory
    from generations.models import Generation
    from generations.services import Wearer, generation_create, generation_run
    from generations.tests.conftest import approve, grant_credits, photo_upload
    from marketplace.selectors import photo_id_for
    from marketplace.tests.conftest import give_package, make_listed

    package = Package.objects.create(
        stripe_price_id="price_world", name="GROWTH", ai_credits_granted=5, human_model_access=True
    )
    for business_user in (business_alice, business_bob):
        give_package(business_user, package)
    for model_user in (model_mia, model_noah):
        make_listed(model_user)
    request = approve(business_alice, model_mia)
    grant_credits(business_alice, 1)
    from marketplace.models import AIAvatar
    from modelsnapper.storage import save_private

    avatar = AIAvatar.objects.create(
        name="World avatar", s3_url=save_private(prefix="avatars", content=b"x"), is_active=True
    )
    batch = generation_create(
        business=BusinessProfile.objects.select_related("package").get(user_id=business_alice.pk),
        wearer=Wearer("model", model_mia.pk),
        category="top",
        photos=[photo_upload()],
        batch_key="world",
        actor=business_alice,
    )
    generation = Generation.objects.get(batch=batch)
    generation_run(generation_id=generation.pk)
    invoice = InvoiceFactory(user=business_alice)
    return {
        "photo_id": photo_id_for(
            ModelProfile.objects.get(user_id=model_mia.pk).reference_images[0]
        ),
        "model_user_id": model_mia.pk,
        "request_id": request.pk,
        "package_id": package.pk,
        "invoice_id": invoice.pk,
        "batch_id": batch.pk,
        "generation_id": generation.pk,
        "slug": "red-tee",
        "avatar_id": avatar.pk,
        "variant": "output",
    }


def _path(name: str, world: dict) -> str:
    return reverse(name, kwargs={key: world[key] for key in EXPECTED[name].kwargs})


def _answer(response) -> object:
    if response.status_code == 302:
        return LOGIN if response.url.startswith("/accounts/login/") else ONBOARD_OR_HOME
    return response.status_code


def test_every_url_of_the_project_has_an_entry_and_no_entry_is_stale():
    names = _project_url_names()
    assert names - set(EXPECTED) == set(), "URLs without an expected answer per persona"
    assert set(EXPECTED) - names == set(), "entries for URLs that no longer exist"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_persona_gets_the_expected_answer(client, request, world, name):
    path = _path(name, world)
    answers = {}
    for persona in PERSONAS:
        client.logout()
        if persona != "anonymous":
            client.force_login(request.getfixturevalue(persona))
        answers[persona] = _answer(client.get(path))
    expected = {persona: EXPECTED[name].for_persona(persona) for persona in PERSONAS}
    assert answers == expected, path


@pytest.mark.parametrize(
    "name", sorted(name for name, expect in EXPECTED.items() if expect.post_by_outsiders)
)
def test_outsiders_posting_to_anothers_object_change_nothing(client, request, world, name):
    path = _path(name, world)
    answers, expected = {}, {}
    for persona, answer in EXPECTED[name].post_by_outsiders:
        client.logout()
        if persona != "anonymous":
            client.force_login(request.getfixturevalue(persona))
        answers[persona], expected[persona] = _answer(client.post(path)), answer
    assert answers == expected, path


def test_the_admin_is_for_admins_only(client, business_alice, model_mia, admin_ada):
    index = reverse("admin:index")
    assert client.get(index).status_code == 302
    for outsider in (business_alice, model_mia):
        client.force_login(outsider)
        response = client.get(index)
        assert response.status_code == 302 and response.url.startswith(reverse("admin:login"))
    client.force_login(admin_ada)
    assert client.get(index).status_code == 200
