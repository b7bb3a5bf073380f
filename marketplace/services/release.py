"""The likeness release: published versions, signatures, withdrawal."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import ModelProfile, User
from marketplace import notifications
from marketplace.models import (
    ConsentEventType,
    ConsentRequest,
    ConsentStatus,
    LikenessRelease,
    ReleaseSignature,
)
from marketplace.release_text import RELEASE_V1_TEXT, RELEASE_V1_TITLE
from marketplace.services.common import (
    _CAS_ATTEMPTS,
    ERR_ALREADY_SIGNED,
    ERR_CONCURRENT,
    ERR_MUST_AGREE,
    ERR_NO_RELEASE,
    ERR_NOT_SIGNED,
    ERR_RELEASE_CHANGED,
    MarketplaceCode,
    _event,
    _likeness_ended_on_commit,
    _model_name,
    _model_profile,
    clean_legal_name,
)
from modelsnapper.errors import DomainError

# --- release ---------------------------------------------------------------------------------


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def release_publish(*, actor: User | None, title: str, text: str) -> LikenessRelease:
    """Publish a new release version (admins). Old versions stay as they were."""
    title = " ".join((title or "").split())
    if not title or not (text or "").strip():
        raise DomainError("A release needs a title and a text.", code=MarketplaceCode.INVALID)
    for _ in range(_CAS_ATTEMPTS):
        latest = LikenessRelease.objects.aggregate(v=Max("version"))["v"] or 0
        try:
            with transaction.atomic():
                return LikenessRelease.objects.create(
                    version=latest + 1,
                    title=title,
                    text=text,
                    text_sha256=text_hash(text),
                    created_by=actor,
                )
        except IntegrityError:
            continue  # another admin published the same number: take the next
    raise DomainError(ERR_CONCURRENT, code=MarketplaceCode.CONCURRENT)


def release_ensure_initial() -> LikenessRelease:
    """The newest release, publishing version 1 first when there is none.

    Migration 0003 seeds version 1, but a ``flush`` (tests, a reset demo database)
    removes it; ``seed_demo`` calls this instead of relying on the migration's row.
    ``get_or_create`` on the unique version makes two concurrent calls publish once.
    """

    latest = LikenessRelease.objects.order_by("-version").first()
    if latest is not None:
        return latest
    release, _ = LikenessRelease.objects.get_or_create(
        version=1,
        defaults={
            "title": RELEASE_V1_TITLE,
            "text": RELEASE_V1_TEXT,
            "text_sha256": text_hash(RELEASE_V1_TEXT),
        },
    )
    return release


@dataclass(frozen=True)
class SignatureContext:
    ip_address: str | None
    user_agent: str


@transaction.atomic
def release_sign(
    *,
    actor: User,
    release_version: int,
    text_sha256: str,
    legal_name: str,
    agreed: bool,
    context: SignatureContext,
) -> ReleaseSignature:
    """Sign the release version the model read (its version and text hash)."""
    _model_profile(actor)
    if not agreed:
        raise DomainError(ERR_MUST_AGREE, code=MarketplaceCode.AGREE, field="agree")
    legal_name = clean_legal_name(legal_name)
    release = LikenessRelease.objects.order_by("-version").first()
    if release is None:
        raise DomainError(ERR_NO_RELEASE, code=MarketplaceCode.NO_RELEASE)
    # The model signs exactly what they saw: a newer version or another text is refused.
    if release.version != release_version or release.text_sha256 != text_sha256:
        raise DomainError(ERR_RELEASE_CHANGED, code=MarketplaceCode.CHANGED)
    if ReleaseSignature.objects.filter(
        model_id=actor.pk, release_version=release.version, withdrawn_at=None
    ).exists():
        raise DomainError(ERR_ALREADY_SIGNED, code=MarketplaceCode.DUPLICATE)
    sequence = ReleaseSignature.objects.filter(model_id=actor.pk).count()
    try:
        with transaction.atomic():
            signature = ReleaseSignature.objects.create(
                model=actor,
                release=release,
                release_version=release.version,
                text_sha256=release.text_sha256,
                legal_name=legal_name,
                ip_address=context.ip_address or None,
                user_agent=(context.user_agent or "")[:500],
                sequence=sequence,
            )
    except IntegrityError:
        # A double-submitted form: the first post signed, this one changes nothing.
        raise DomainError(ERR_ALREADY_SIGNED, code=MarketplaceCode.DUPLICATE) from None
    # Earlier signatures of older versions are superseded by this one.
    ReleaseSignature.objects.filter(model_id=actor.pk, withdrawn_at=None).exclude(
        pk=signature.pk
    ).update(withdrawn_at=signature.signed_at)
    ModelProfile.objects.filter(user_id=actor.pk).update(consent_signed=True)
    _event(
        model_id=actor.pk,
        event_type=ConsentEventType.RELEASE_SIGNED,
        actor=actor,
        new={"version": release.version, "textSha256": release.text_sha256},
    )
    return signature


@transaction.atomic
def release_withdraw(*, actor: User) -> None:
    """Withdraw the release: consentSigned false, every approval suspended at once.

    Approvals keep their status (they come back if the model signs again); every
    use is refused while ``consentSigned`` is false (see selectors.active_consent).
    """
    _model_profile(actor)
    now = timezone.now()
    withdrawn = ReleaseSignature.objects.filter(model_id=actor.pk, withdrawn_at=None).update(
        withdrawn_at=now
    )
    flipped = ModelProfile.objects.filter(user_id=actor.pk, consent_signed=True).update(
        consent_signed=False
    )
    if not withdrawn and not flipped:
        raise DomainError(ERR_NOT_SIGNED, code=MarketplaceCode.NOT_SIGNED)
    _event(
        model_id=actor.pk,
        event_type=ConsentEventType.RELEASE_WITHDRAWN,
        actor=actor,
        old={"consentSigned": True},
        new={"consentSigned": False},
    )
    _likeness_ended_on_commit(model_user_id=actor.pk)
    approved = ConsentRequest.objects.filter(
        model_id=actor.pk, status=ConsentStatus.APPROVED
    ).values_list("business__email", flat=True)
    name = _model_name(actor.pk)
    for email in approved:
        notifications.notify_on_commit(
            "release_withdrawn",
            to=[email],
            name=name,
            url=notifications.absolute_url("marketplace:business-consents"),
        )
