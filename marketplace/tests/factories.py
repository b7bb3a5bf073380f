"""Factories for marketplace's collections (raw rows; workflows go through services)."""

from __future__ import annotations

import hashlib

import factory

from accounts.models import Role
from accounts.tests.factories import UserFactory
from marketplace.models import (
    AIAvatar,
    ConsentEvent,
    ConsentEventType,
    ConsentRequest,
    ConsentStatus,
    LikenessRelease,
    LikenessSettings,
    ReleaseSignature,
)


class AIAvatarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AIAvatar

    name = factory.Sequence(lambda n: f"AI Model {n}")
    # The shape of a key the avatar service stores (avatars/<32 hex>.jpg).
    s3_url = factory.Sequence(lambda n: f"avatars/{n:032x}.jpg")
    is_active = True


class ConsentRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConsentRequest

    business = factory.SubFactory(UserFactory, role=Role.BUSINESS)
    model = factory.SubFactory(UserFactory, role=Role.MODEL)
    status = ConsentStatus.PENDING
    intended_use = "Product photos for our web shop."


class ConsentEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConsentEvent

    model = factory.SubFactory(UserFactory, role=Role.MODEL)
    event_type = ConsentEventType.REQUESTED


class LikenessReleaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LikenessRelease

    version = factory.Sequence(lambda n: 100 + n)
    title = "Likeness release"
    text = factory.Sequence(lambda n: f"I allow approved businesses to use my likeness ({n}).")
    text_sha256 = factory.LazyAttribute(lambda o: hashlib.sha256(o.text.encode()).hexdigest())


class ReleaseSignatureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReleaseSignature

    model = factory.SubFactory(UserFactory, role=Role.MODEL)
    release = factory.SubFactory(LikenessReleaseFactory)
    release_version = factory.SelfAttribute("release.version")
    text_sha256 = factory.SelfAttribute("release.text_sha256")
    legal_name = "Mia Example"


class LikenessSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LikenessSettings

    model = factory.SubFactory(UserFactory, role=Role.MODEL)
