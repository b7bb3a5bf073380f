"""Fixtures for generation tests: photos, an avatar, a package, credits, consent."""

from __future__ import annotations

import io
import itertools
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

_counter = itertools.count(1)


def product_jpeg(color: tuple[int, int, int] = (200, 40, 60), size=(480, 640)) -> bytes:
    """A garment (a T-shirt shape) on a plain light background, as shops photograph them."""
    image = Image.new("RGB", size, (245, 245, 242))
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.polygon(
        [
            (w * 0.30, h * 0.15),
            (w * 0.70, h * 0.15),
            (w * 0.92, h * 0.32),
            (w * 0.80, h * 0.42),
            (w * 0.72, h * 0.36),
            (w * 0.72, h * 0.85),
            (w * 0.28, h * 0.85),
            (w * 0.28, h * 0.36),
            (w * 0.20, h * 0.42),
            (w * 0.08, h * 0.32),
        ],
        fill=color,
    )
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def person_jpeg(tone: tuple[int, int, int] = (205, 160, 130), size=(480, 640)) -> bytes:
    """A simple standing figure on a studio backdrop (wearer image)."""
    image = Image.new("RGB", size, (220, 225, 232))
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.ellipse((w * 0.42, h * 0.06, w * 0.58, h * 0.20), fill=tone)
    draw.rectangle((w * 0.34, h * 0.21, w * 0.66, h * 0.58), fill=(60, 60, 70))
    draw.rectangle((w * 0.36, h * 0.58, w * 0.64, h * 0.95), fill=(40, 40, 60))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def photo_upload(name: str | None = None, data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name or f"product-{next(_counter)}.jpg", data or product_jpeg(), "image/jpeg"
    )


def grant_credits(user, amount: int) -> None:
    from accounts.models import BusinessProfile
    from billing.services import credits_grant

    business = BusinessProfile.objects.get(user_id=user.pk)
    credits_grant(business=business, amount=amount, key=f"grant:test:{uuid.uuid4().hex}")


def credits_of(user) -> int:
    from accounts.models import BusinessProfile

    return BusinessProfile.objects.get(user_id=user.pk).ai_credits


def royalty_of(user):
    from accounts.models import ModelProfile

    return ModelProfile.objects.get(user_id=user.pk).royalty_balance


@pytest.fixture
def avatar(db):
    from marketplace.models import AIAvatar
    from modelsnapper.storage import save_private

    key = save_private(prefix="avatars", content=person_jpeg())
    return AIAvatar.objects.create(name="AI Model Sophia", s3_url=key, is_active=True)


@pytest.fixture
def human_package(db):
    from billing.models import Package

    return Package.objects.create(
        stripe_price_id="price_test_growth",
        name="GROWTH TIER",
        ai_credits_granted=50,
        human_model_access=True,
    )


@pytest.fixture
def basic_package(db):
    from billing.models import Package

    return Package.objects.create(
        stripe_price_id="price_test_starter",
        name="STARTER TIER",
        ai_credits_granted=10,
        human_model_access=False,
    )


def give_package(user, package) -> None:
    from accounts.models import BusinessProfile

    BusinessProfile.objects.filter(user_id=user.pk).update(package=package)


@pytest.fixture
def release(admin_ada):
    from marketplace.services import release_publish

    return release_publish(
        actor=admin_ada, title="Likeness release", text="I allow approved businesses to..."
    )


def make_model_ready(model_user, release) -> None:
    """Three reference photos and a signed release: the model can be asked for consent."""
    from marketplace.avatar_art import portrait_jpeg_bytes
    from marketplace.services import SignatureContext, reference_photo_add, release_sign

    for index in range(3):  # different photos, each of one face
        reference_photo_add(actor=model_user, upload=portrait_jpeg_bytes(index))
    release_sign(
        actor=model_user,
        release_version=release.version,
        text_sha256=release.text_sha256,
        legal_name="Mia Example",
        agreed=True,
        context=SignatureContext(ip_address="127.0.0.1", user_agent="pytest"),
    )


def approve(business_user, model_user, categories=("top", "bottom")):
    """The business asks, the model approves: returns the ConsentRequest."""
    from marketplace.services import consent_approve, consent_request

    request = consent_request(
        actor=business_user,
        model_user_id=model_user.pk,
        intended_use="Product photos of our spring collection for the web shop.",
    )
    return consent_approve(
        actor=model_user, consent_request_id=request.pk, allowed_categories=list(categories)
    )


@pytest.fixture
def mia_approves_alice(business_alice, model_mia, human_package, release):
    """Alice's package grants human models; Mia approved Alice for tops and bottoms."""
    give_package(business_alice, human_package)
    make_model_ready(model_mia, release)
    return approve(business_alice, model_mia)
