"""The New-photos wearer picker: image cards, searched and paged in the database, so
it stays a few queries with thousands of approving models; a consent revoked after
the page loaded is refused with a sentence."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import BusinessProfile, ModelProfile
from accounts.tests.factories import ModelProfileFactory
from generations.models import Generation
from generations.selectors import PICKER_PAGE_SIZE, wearer_chosen, wearer_picker
from generations.tests.conftest import credits_of, give_package, grant_credits, photo_upload
from marketplace.models import ConsentRequest, ConsentStatus

pytestmark = pytest.mark.django_db

NEW = "/generations/new/"


def _approving_models(business_user, count: int, *, prefix: str = "Model") -> list[ModelProfile]:
    """``count`` models who approved the business, written straight to the rows the
    consent services keep (request APPROVED, both whitelists, release signed)."""
    business = BusinessProfile.objects.get(user_id=business_user.pk)
    profiles = []
    for index in range(count):
        profile = ModelProfileFactory(
            name=f"{prefix} {index:04d}",
            consent_signed=True,
            approved_businesses=[business_user.pk],
            reference_images=[f"likeness/x/{index:032x}.jpg"],
        )
        ConsentRequest.objects.create(
            business=business_user,
            model=profile.user,
            status=ConsentStatus.APPROVED,
            allowed_categories=["top"],
        )
        profiles.append(profile)
    business.approved_models = [*business.approved_models, *[p.pk for p in profiles]]
    business.save(update_fields=["approved_models"])
    return profiles


@pytest.fixture
def alice_with_models(business_alice, human_package):
    give_package(business_alice, human_package)
    return _approving_models(business_alice, 30)


def _business(user) -> BusinessProfile:
    return BusinessProfile.objects.select_related("package", "user").get(user_id=user.pk)


def test_the_picker_pages_the_approving_models_by_name(business_alice, alice_with_models):
    first = wearer_picker(business=_business(business_alice))
    assert first.model_total == 30 and first.num_pages == 3
    assert [m.name for m in first.models] == [f"Model {i:04d}" for i in range(PICKER_PAGE_SIZE)]
    assert first.has_next and not first.has_previous
    last = wearer_picker(business=_business(business_alice), page=3)
    assert [m.name for m in last.models] == [f"Model {i:04d}" for i in range(24, 30)]
    assert last.has_previous and not last.has_next
    option = first.models[0]
    assert option.usage_limits == ["Top"] and str(option.royalty) == "1.00"
    assert option.image_url and option.image_url.startswith("/marketplace/media/models/")


def test_the_picker_searches_by_name(business_alice, alice_with_models):
    found = wearer_picker(business=_business(business_alice), query="  model 0017 ")
    assert [m.name for m in found.models] == ["Model 0017"] and found.model_total == 1
    assert wearer_picker(business=_business(business_alice), query="nobody").models == []


def test_the_picker_costs_the_same_queries_with_ten_or_sixty_models(business_alice, human_package):
    give_package(business_alice, human_package)
    _approving_models(business_alice, 10, prefix="A")
    business = _business(business_alice)
    with CaptureQueriesContext(connection) as few:
        wearer_picker(business=business)
    _approving_models(business_alice, 50, prefix="B")
    business = _business(business_alice)
    with CaptureQueriesContext(connection) as many:
        picker = wearer_picker(business=business)
    assert len(picker.models) == PICKER_PAGE_SIZE and picker.model_total == 60
    # Avatars, the count, the page of profiles, that page's consents.
    assert len(many) == len(few) <= 4


def test_a_model_who_approved_another_business_is_not_in_the_picker(
    business_alice, business_bob, human_package
):
    give_package(business_alice, human_package)
    give_package(business_bob, human_package)
    _approving_models(business_bob, 3)
    assert wearer_picker(business=_business(business_alice)).models == []


def test_an_expired_consent_not_yet_swept_is_left_off(business_alice, alice_with_models):
    from datetime import timedelta

    from django.utils import timezone

    expired = alice_with_models[0]
    ConsentRequest.objects.filter(model_id=expired.user_id).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    names = [m.name for m in wearer_picker(business=_business(business_alice)).models]
    assert expired.name not in names
    assert (
        wearer_chosen(business=_business(business_alice), token=f"model:{expired.user_id}") is None
    )


def test_the_page_shows_image_cards_and_pages_with_a_search(
    client, business_alice, alice_with_models, avatar
):
    client.force_login(business_alice)
    page = client.get(NEW).content.decode()
    assert page.count('data-testid="wearer-card"') == PICKER_PAGE_SIZE + 1  # + the avatar
    assert f"/marketplace/avatars/{avatar.pk}/image/" in page
    assert "Page 1 of 3" in page and "page=2" in page
    searched = client.get(NEW, {"q": "Model 0029"}).content.decode()
    assert searched.count('data-testid="wearer-card"') == 1
    assert "Model 0029" in searched and "AI Model Sophia" not in searched


def test_a_revocation_after_the_page_loaded_is_refused_in_words(
    client, business_alice, model_mia, mia_approves_alice
):
    from marketplace.services import consent_revoke

    grant_credits(business_alice, 1)
    client.force_login(business_alice)
    assert f"model:{model_mia.pk}" in client.get(NEW).content.decode()
    consent_revoke(actor=model_mia, consent_request_id=mia_approves_alice.pk)
    response = client.post(
        NEW,
        {
            "photos": [photo_upload()],
            "category": "top",
            "wearer": f"model:{model_mia.pk}",
            "batch_token": "tok-revoked",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Select a valid choice" not in page and "is not one of the available" not in page
    assert "has not given your business consent, or it has ended" in page
    assert str(model_mia.pk) not in page.replace(f"model:{model_mia.pk}", "")
    assert not Generation.objects.exists() and credits_of(business_alice) == 1


def test_no_wearer_chosen_is_a_sentence(client, business_alice, avatar):
    grant_credits(business_alice, 1)
    client.force_login(business_alice)
    response = client.post(NEW, {"photos": [photo_upload()], "category": "top", "batch_token": "t"})
    assert "Choose who wears the garment" in response.content.decode()


def test_the_avatar_image_is_served_to_businesses_only_while_active(
    client, business_alice, model_mia, avatar
):
    url = reverse("marketplace:avatar-image", args=[avatar.pk])
    client.force_login(business_alice)
    assert client.get(url).status_code == 200
    client.force_login(model_mia)
    assert client.get(url).status_code == 404
    avatar.is_active = False
    avatar.save(update_fields=["is_active"])
    client.force_login(business_alice)
    assert client.get(url).status_code == 404


def test_an_avatar_row_naming_any_other_stored_file_serves_nothing(
    client, business_alice, model_mia, mia_approves_alice, avatar
):
    """An old row pointing at a model's likeness photo must not show it to businesses."""
    from accounts.models import ModelProfile
    from marketplace.models import AIAvatar

    likeness_key = ModelProfile.objects.get(user_id=model_mia.pk).reference_images[0]
    AIAvatar.objects.filter(pk=avatar.pk).update(s3_url=likeness_key)
    client.force_login(business_alice)

    response = client.get(reverse("marketplace:avatar-image", args=[avatar.pk]))

    assert response.status_code == 404
