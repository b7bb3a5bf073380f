"""Demo likeness for `seed_demo`: the demo model signs the release and gets 3
reference photos drawn locally, so the model directory is not empty."""

from __future__ import annotations

import contextlib

from accounts.models import ModelProfile, User
from marketplace import rules, services
from marketplace.avatar_art import portrait_jpeg_bytes
from modelsnapper.errors import DomainError

DEMO_LEGAL_NAME = "Demo Model Mia"


def seed_model_likeness(user: User) -> None:
    profile = ModelProfile.objects.get(user_id=user.pk)
    # Three different portraits, each one face (likeness photos must be distinct photos).
    for index in range(len(profile.reference_images), rules.MIN_REFERENCE_PHOTOS):
        services.reference_photo_add(actor=user, upload=portrait_jpeg_bytes(index))
    release = services.release_ensure_initial()
    if not ModelProfile.objects.get(user_id=user.pk).consent_signed:
        # DomainError here means it is already signed (a rerun).
        with contextlib.suppress(DomainError):
            services.release_sign(
                actor=user,
                release_version=release.version,
                text_sha256=release.text_sha256,
                legal_name=DEMO_LEGAL_NAME,
                agreed=True,
                context=services.SignatureContext(ip_address=None, user_agent="seed_demo"),
            )
