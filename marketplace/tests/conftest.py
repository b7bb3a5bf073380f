"""Fixtures for marketplace tests: images built with Pillow, a package with
human-model access, and a listed model (3 photos, signed release)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from marketplace import services
from marketplace.selectors import current_release


def image_bytes(
    width: int = 640, height: int = 800, fmt: str = "JPEG", color=(180, 120, 90), **save
) -> bytes:
    buffer = io.BytesIO()
    mode = "RGBA" if fmt == "PNG" and save.pop("alpha", False) else "RGB"
    image = Image.new(mode, (width, height), color)
    # A little structure so encoders produce realistic data.
    for x in range(0, width, 16):
        image.putpixel((x, height // 2), (10, 20, 30) if mode == "RGB" else (10, 20, 30, 255))
    image.save(buffer, format=fmt, **save)
    return buffer.getvalue()


@pytest.fixture
def human_package(db):
    from billing.models import Package

    return Package.objects.create(
        stripe_price_id="price_test_human",
        name="GROWTH TIER",
        ai_credits_granted=100,
        human_model_access=True,
    )


@pytest.fixture
def starter_package(db):
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
def alice(business_alice, human_package):
    """Alice's boutique, on a package with human-model access."""
    give_package(business_alice, human_package)
    return business_alice


@pytest.fixture
def bob(business_bob, human_package):
    give_package(business_bob, human_package)
    return business_bob


def ensure_release():
    """Release v1 comes from a data migration; transactional tests flush it, so
    put it back when it is missing."""
    from marketplace.models import LikenessRelease
    from marketplace.release_text import RELEASE_V1_TEXT, RELEASE_V1_TITLE

    if not LikenessRelease.objects.exists():
        services.release_publish(actor=None, title=RELEASE_V1_TITLE, text=RELEASE_V1_TEXT)
    return current_release()


@pytest.fixture(autouse=True)
def _release_v1(request):
    # Only for tests that already use the database.
    if "django_db" in request.keywords or any(
        name in request.fixturenames for name in ("db", "transactional_db")
    ):
        request.getfixturevalue(
            "transactional_db" if "transactional_db" in request.fixturenames else "db"
        )
        ensure_release()


def sign_release(user) -> None:
    release = ensure_release()
    services.release_sign(
        actor=user,
        release_version=release.version,
        text_sha256=release.text_sha256,
        legal_name="Mia Example",
        agreed=True,
        context=services.SignatureContext(ip_address="127.0.0.1", user_agent="pytest"),
    )


def make_listed(user, photos: int = 3) -> None:
    from marketplace.avatar_art import portrait_jpeg_bytes

    for index in range(photos):  # different photos, each of one face
        services.reference_photo_add(actor=user, upload=portrait_jpeg_bytes(index))
    sign_release(user)


@pytest.fixture
def mia(model_mia):
    """Mia: three reference photos and a signed release, so she is in the directory."""
    make_listed(model_mia)
    return model_mia


@pytest.fixture
def noah(model_noah):
    make_listed(model_noah)
    return model_noah


@pytest.fixture
def pending(alice, mia):
    return services.consent_request(
        actor=alice, model_user_id=mia.pk, intended_use="Summer lookbook for our web shop."
    )


@pytest.fixture
def approved(pending, mia):
    return services.consent_approve(
        actor=mia, consent_request_id=pending.pk, allowed_categories=["top", "bottom"]
    )
