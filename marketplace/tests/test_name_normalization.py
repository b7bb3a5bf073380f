"""Names and short texts: NFKC, nothing hidden, not blank once rendered; the inbox shows
what tells look-alike businesses apart."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from accounts.models import BusinessProfile, ModelProfile, Role, User
from accounts.services import profile_onboard
from marketplace.models import ConsentRequest, ReleaseSignature
from marketplace.selectors import current_release
from marketplace.services import consent_request, release_sign
from marketplace.services.release import SignatureContext
from modelsnapper.errors import DomainError
from modelsnapper.text import clean_name, visible_length

pytestmark = pytest.mark.django_db

HIDDEN = [
    "Demo\u200b Boutique",  # zero-width space
    "Demo\u202eeuqituoB",  # right-to-left override
    "Demo\u2066Boutique\u2069",  # bidi isolate
    "Demo\u00adBoutique",  # soft hyphen
    "Demo\ufeffBoutique",  # BOM / zero-width no-break space
    "Demo\x07Boutique",  # control
    "Demo\ue000Boutique",  # private use
]
BLANK = ["", "   ", "\u3164", "\u3164\u3164 \u115f", "\u2800\u2800", "\u0301\u0301", "\u00a0\u2003"]


@pytest.fixture
def new_business(db):
    return User.objects.create_user(email="new@shop.test", password="x" * 12, role=Role.BUSINESS)


@pytest.fixture
def new_model(db):
    return User.objects.create_user(email="newm@models.test", password="x" * 12, role=Role.MODEL)


@pytest.mark.parametrize("name", HIDDEN + BLANK)
def test_a_business_name_with_hidden_characters_or_blank_is_refused(new_business, name):
    with pytest.raises(DomainError):
        profile_onboard(user=new_business, name=name)
    assert not BusinessProfile.objects.exists()


@pytest.mark.parametrize("name", HIDDEN + BLANK)
def test_a_display_name_with_hidden_characters_or_blank_is_refused(new_model, name):
    with pytest.raises(DomainError):
        profile_onboard(user=new_model, name=name)
    assert not ModelProfile.objects.exists()


def test_names_are_nfkc_normalised(new_business):
    profile = profile_onboard(user=new_business, name="\uff24\uff45\uff4d\uff4f  Boutique\u2163")
    assert profile.business_name == "Demo BoutiqueIV"


def test_ordinary_names_in_any_script_pass():
    for name in ("Zoë Ateliér", "東京ブティック", "Ōsaka & Co.", "מודל", "Café Noir"):
        assert clean_name(name) == name


def test_the_onboarding_form_shows_the_refusal(client, new_business):
    client.force_login(new_business)
    response = client.post(reverse("accounts:onboarding"), {"name": "Demo\u200b Boutique"})
    assert response.status_code == 200
    assert "invisible" in response.content.decode()
    assert not BusinessProfile.objects.exists()


@pytest.mark.parametrize(
    "text",
    [
        "\u200b" * 12,
        "\u3164" * 12,
        "short \u200b\u200b\u200b\u200b\u200b\u200b",  # 5 visible characters
        "Product photos\u202e for the shop",
        "a\u0301b\u0301c\u0301d\u0301",  # 4 letters with marks
    ],
)
def test_intended_use_counts_visible_characters_and_refuses_hidden_ones(alice, mia, text):
    with pytest.raises(DomainError) as refused:
        consent_request(actor=alice, model_user_id=mia.pk, intended_use=text)
    assert refused.value.field == "intended_use"
    assert not ConsentRequest.objects.exists()


def test_an_ordinary_intended_use_is_kept(alice, mia):
    request = consent_request(
        actor=alice, model_user_id=mia.pk, intended_use="Web shop photos\nfor summer."
    )
    assert request.intended_use == "Web shop photos\nfor summer."


@pytest.mark.parametrize(
    "legal", ["\u200b\u200b\u200b", "A", "A\u0301", "Mia\u202e Rossi", "\u3164\u3164"]
)
def test_a_legal_name_with_hidden_characters_or_under_two_visible_is_refused(model_mia, legal):
    release = current_release()
    with pytest.raises(DomainError):
        release_sign(
            actor=model_mia,
            release_version=release.version,
            text_sha256=release.text_sha256,
            legal_name=legal,
            agreed=True,
            context=SignatureContext(ip_address="127.0.0.1", user_agent="pytest"),
        )
    assert not ReleaseSignature.objects.exists()


def test_visible_length_ignores_spaces_marks_and_fillers():
    assert visible_length("a\u0301 b\u3164\u200b") == 2


def test_the_inbox_tells_look_alike_businesses_apart(client, pending, mia, alice):
    EmailAddress.objects.update_or_create(
        user=alice, email=alice.email, defaults={"verified": True, "primary": True}
    )
    User.objects.filter(pk=alice.pk).update(created_at=datetime(2025, 3, 14, tzinfo=UTC))
    client.force_login(mia)
    page = client.get(reverse("marketplace:consent-inbox")).content.decode()
    assert "verified email at boutique.test" in page
    assert "member since Mar 2025" in page


def test_an_unverified_business_email_is_said_so(client, pending, mia, alice):
    EmailAddress.objects.filter(user=alice).delete()
    client.force_login(mia)
    page = client.get(reverse("marketplace:consent-inbox")).content.decode()
    assert "email not verified" in page
