"""Consent between one business and one model: request, decide, limit, revoke, expire."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import BusinessProfile, ModelProfile, Role, User
from marketplace import notifications, rules
from marketplace.models import (
    ConsentEventType,
    ConsentRequest,
    ConsentStatus,
)
from marketplace.rules import MIN_REFERENCE_PHOTOS
from marketplace.services.common import (
    ERR_ALREADY_APPROVED,
    ERR_ALREADY_PENDING,
    ERR_COOLDOWN,
    ERR_NO_ACCESS,
    ERR_NOT_A_MODEL,
    ERR_NOT_APPROVED,
    ERR_NOT_LISTED,
    ERR_NOT_PENDING,
    ERR_ONLY_BUSINESSES,
    ERR_RELEASE_FIRST,
    ERR_SELF,
    RENEWAL_NOTICE,
    MarketplaceCode,
    _business_name,
    _clean_expiry,
    _event,
    _iso,
    _likeness_ended_on_commit,
    _model_name,
    _model_profile,
    _request_for_model,
    _set_membership,
    _sync_membership,
    _transition,
    clean_categories,
    clean_intended_use,
)
from modelsnapper.errors import DomainError

# --- consent requests ---------------------------------------------------------------------


def _business_with_access(actor: User) -> BusinessProfile:
    if actor.role != Role.BUSINESS:
        raise DomainError(ERR_ONLY_BUSINESSES, code=MarketplaceCode.ROLE)
    profile = BusinessProfile.objects.select_related("package").filter(user_id=actor.pk).first()
    if profile is None or not profile.includes_human_models:
        raise DomainError(ERR_NO_ACCESS, code=MarketplaceCode.NO_ACCESS)
    return profile


@transaction.atomic
def consent_request(*, actor: User, model_user_id: str, intended_use: str) -> ConsentRequest:
    """A business asks a model for consent (one document per pair, reused later)."""
    if str(model_user_id) == str(actor.pk):
        raise DomainError(ERR_SELF, code=MarketplaceCode.SELF)
    _business_with_access(actor)
    target = _listed_model(model_user_id)
    intended_use = clean_intended_use(intended_use)
    now = timezone.now()
    existing = ConsentRequest.objects.filter(business_id=actor.pk, model_id=target.pk).first()
    if existing is None:
        request, version, old = _first_request(actor, target, intended_use, now), 1, None
    else:
        version = _ask_again(existing, intended_use, now)
        request, old = existing, {"status": existing.status}
        request.refresh_from_db()
    _event(
        model_id=target.pk,
        business_id=actor.pk,
        request=request,
        event_type=ConsentEventType.REQUESTED,
        actor=actor,
        sequence=version,
        old=old,
        new={"status": ConsentStatus.PENDING, "intendedUse": intended_use},
    )
    notifications.notify_on_commit(
        "consent_requested",
        to=[target.email],
        business_name=_business_name(actor.pk),
        intended_use=intended_use,
        url=notifications.absolute_url("marketplace:consent-inbox"),
    )
    return request


def _listed_model(model_user_id: str) -> User:
    """The model asked: an active model in the directory (signed release, enough photos)."""
    target = User.objects.filter(pk=model_user_id, role=Role.MODEL, is_active=True).first()
    profile = ModelProfile.objects.filter(user_id=model_user_id).first() if target else None
    if target is None or profile is None:
        raise DomainError(ERR_NOT_A_MODEL, code=MarketplaceCode.NOT_MODEL)
    if not profile.consent_signed or len(profile.reference_images) < MIN_REFERENCE_PHOTOS:
        raise DomainError(ERR_NOT_LISTED, code=MarketplaceCode.NOT_LISTED)
    return target


def _first_request(actor: User, target: User, intended_use: str, now: datetime) -> ConsentRequest:
    try:
        with transaction.atomic():
            return ConsentRequest.objects.create(
                business=actor,
                model=target,
                intended_use=intended_use,
                requested_at=now,
                updated_at=now,
                version=1,
            )
    except IntegrityError:
        # The unique (business, model) index refused a double post.
        raise DomainError(ERR_ALREADY_PENDING, code=MarketplaceCode.DUPLICATE) from None


def _ask_again(existing: ConsentRequest, intended_use: str, now: datetime) -> int:
    """The pair's one document, pending again (rules.request_window says when it may be)."""
    window = rules.request_window(existing, now=now)
    if window.block in {rules.RequestBlock.PENDING, rules.RequestBlock.APPROVED}:
        message = (
            ERR_ALREADY_PENDING
            if window.block == rules.RequestBlock.PENDING
            else ERR_ALREADY_APPROVED
        )
        raise DomainError(message, code=MarketplaceCode.DUPLICATE)
    if window.opens_at is not None:
        raise DomainError(
            ERR_COOLDOWN.format(date=window.opens_at.date().isoformat()),
            code=MarketplaceCode.COOLDOWN,
        )
    version = _transition(
        request=existing,
        expected=[existing.status],
        now=now,
        expected_version=existing.version,
        status=ConsentStatus.PENDING,
        intended_use=intended_use,
        requested_at=now,
        decided_at=None,
        expires_at=None,
        renewal_prompted_at=None,
        allowed_categories=[],
    )
    if version is None:
        raise DomainError(ERR_ALREADY_PENDING, code=MarketplaceCode.DUPLICATE)
    return version


def _decide(
    *,
    request: ConsentRequest,
    actor: User,
    expected: ConsentStatus,
    status: ConsentStatus,
    event_type: int,
    refusal: DomainError,
    now: datetime,
    event_details: dict[str, Any] | None = None,
    **fields: Any,
) -> None:
    """The model's decision on a request: one conditional transition (refused with
    ``refusal`` when the request is no longer ``expected``), its trail row, then the
    two whitelists re-synced to the request's current status."""
    version = _transition(
        request=request, expected=[expected], now=now, status=status, decided_at=now, **fields
    )
    if version is None:
        raise refusal
    _event(
        model_id=actor.pk,
        business_id=request.business_id,
        request=request,
        event_type=event_type,
        actor=actor,
        sequence=version,
        old={"status": expected},
        new={"status": status, **(event_details or {})},
    )
    _sync_membership(request.pk)


@transaction.atomic
def consent_approve(
    *,
    actor: User,
    consent_request_id: str,
    allowed_categories: Iterable[str],
    expires_on: date | None = None,
) -> ConsentRequest:
    request = _request_for_model(actor=actor, consent_request_id=consent_request_id)
    categories = clean_categories(allowed_categories)
    now = timezone.now()
    expires_at = _clean_expiry(expires_on, now)
    profile = _model_profile(actor)
    if not profile.consent_signed:
        raise DomainError(ERR_RELEASE_FIRST, code=MarketplaceCode.RELEASE)
    _decide(
        request=request,
        actor=actor,
        expected=ConsentStatus.PENDING,
        status=ConsentStatus.APPROVED,
        event_type=ConsentEventType.APPROVED,
        refusal=DomainError(ERR_NOT_PENDING, code=MarketplaceCode.NOT_PENDING),
        now=now,
        event_details={"allowedCategories": categories, "expiresAt": _iso(expires_at)},
        allowed_categories=categories,
        expires_at=expires_at,
        renewal_prompted_at=None,
    )
    name = _model_name(actor.pk)
    limits = ", ".join(categories)
    until = f" until {expires_at:%Y-%m-%d}" if expires_at else ""
    notifications.notify_on_commit(
        "consent_approved",
        to=[request.business.email],
        name=name,
        until=until,
        limits=limits,
        url=notifications.absolute_url("marketplace:business-consents"),
    )
    request.refresh_from_db()
    return request


@transaction.atomic
def consent_reject(*, actor: User, consent_request_id: str, reason: str = "") -> ConsentRequest:
    """The model declines; an optional reason (for the business) goes in the trail and email."""
    request = _request_for_model(actor=actor, consent_request_id=consent_request_id)
    reason = " ".join((reason or "").split())[:MAX_REJECT_REASON]
    now = timezone.now()
    _decide(
        request=request,
        actor=actor,
        expected=ConsentStatus.PENDING,
        status=ConsentStatus.REJECTED,
        event_type=ConsentEventType.REJECTED,
        refusal=DomainError(ERR_NOT_PENDING, code=MarketplaceCode.NOT_PENDING),
        now=now,
        event_details={"reason": reason} if reason else None,
    )
    name = _model_name(actor.pk)
    notifications.notify_on_commit(
        "consent_rejected",
        to=[request.business.email],
        name=name,
        reason=reason,
        url=notifications.absolute_url("marketplace:business-consents"),
    )
    request.refresh_from_db()
    return request


MAX_REJECT_REASON = 300


@transaction.atomic
def consent_revoke(*, actor: User, consent_request_id: str) -> ConsentRequest:
    """The model withdraws an approval; it takes effect at once, queued jobs included."""
    request = _request_for_model(actor=actor, consent_request_id=consent_request_id)
    now = timezone.now()
    _decide(
        request=request,
        actor=actor,
        expected=ConsentStatus.APPROVED,
        status=ConsentStatus.REVOKED,
        event_type=ConsentEventType.REVOKED,
        refusal=DomainError(ERR_NOT_APPROVED, code=MarketplaceCode.NOT_APPROVED),
        now=now,
    )
    _likeness_ended_on_commit(model_user_id=actor.pk, business_user_id=request.business_id)
    name = _model_name(actor.pk)
    notifications.notify_on_commit(
        "consent_revoked",
        to=[request.business.email],
        name=name,
        url=notifications.absolute_url("marketplace:business-consents"),
    )
    request.refresh_from_db()
    return request


@transaction.atomic
def consent_limits_change(
    *,
    actor: User,
    consent_request_id: str,
    allowed_categories: Iterable[str],
    expires_on: date | None = None,
) -> ConsentRequest:
    request = _request_for_model(actor=actor, consent_request_id=consent_request_id)
    categories = clean_categories(allowed_categories)
    now = timezone.now()
    expires_at = _clean_expiry(expires_on, now)
    old = {"allowedCategories": request.allowed_categories, "expiresAt": _iso(request.expires_at)}
    new = {"allowedCategories": categories, "expiresAt": _iso(expires_at)}
    if old == new:
        return request  # a replayed form changes nothing and logs nothing
    version = _transition(
        request=request,
        expected=[ConsentStatus.APPROVED],
        now=now,
        allowed_categories=categories,
        expires_at=expires_at,
        renewal_prompted_at=None,
    )
    if version is None:
        raise DomainError(ERR_NOT_APPROVED, code=MarketplaceCode.NOT_APPROVED)
    _event(
        model_id=actor.pk,
        business_id=request.business_id,
        request=request,
        event_type=ConsentEventType.LIMITS_CHANGED,
        actor=actor,
        sequence=version,
        old=old,
        new=new,
    )
    request.refresh_from_db()
    return request


@transaction.atomic
def consent_expire(*, consent_request_id: str, now: datetime | None = None) -> bool:
    """System action: an approval past its expiry date becomes EXPIRED (= revoked)."""
    now = now or timezone.now()
    request = (
        ConsentRequest.objects.filter(pk=consent_request_id).select_related("business", "model")
    ).first()
    if request is None:
        return False
    version = _transition(
        request=request,
        expected=[ConsentStatus.APPROVED],
        now=now,
        extra_filter={"expires_at__lte": now},
        status=ConsentStatus.EXPIRED,
        decided_at=now,
    )
    if version is None:
        return False
    _event(
        model_id=request.model_id,
        business_id=request.business_id,
        request=request,
        event_type=ConsentEventType.EXPIRED,
        actor=None,
        sequence=version,
        old={"status": ConsentStatus.APPROVED, "expiresAt": _iso(request.expires_at)},
        new={"status": ConsentStatus.EXPIRED},
    )
    _sync_membership(request.pk)
    _likeness_ended_on_commit(model_user_id=request.model_id, business_user_id=request.business_id)
    business_name = _business_name(request.business_id)
    model_name = _model_name(request.model_id)
    notifications.notify_on_commit(
        "consent_expired_business",
        to=[request.business.email],
        model_name=model_name,
        url=notifications.absolute_url("marketplace:directory"),
    )
    notifications.notify_on_commit(
        "consent_expired_model",
        to=[request.model.email],
        business_name=business_name,
        url=notifications.absolute_url("marketplace:consent-inbox"),
    )
    return True


@transaction.atomic
def consent_prompt_renewal(*, consent_request_id: str, now: datetime | None = None) -> bool:
    """Remind both sides a week before an approval expires (once per expiry date)."""
    now = now or timezone.now()
    request = (
        ConsentRequest.objects.filter(pk=consent_request_id).select_related("business", "model")
    ).first()
    if request is None:
        return False
    claimed = ConsentRequest.objects.filter(
        pk=request.pk,
        status=ConsentStatus.APPROVED,
        version=request.version,
        renewal_prompted_at=None,
        expires_at__gt=now,
        expires_at__lte=now + RENEWAL_NOTICE,
    ).update(renewal_prompted_at=now)
    if not claimed:
        return False
    _event(
        model_id=request.model_id,
        business_id=request.business_id,
        request=request,
        event_type=ConsentEventType.RENEWAL_PROMPTED,
        actor=None,
        sequence=request.version,
        new={"expiresAt": _iso(request.expires_at)},
    )
    business_name = _business_name(request.business_id)
    model_name = _model_name(request.model_id)
    day = f"{request.expires_at:%Y-%m-%d}"
    notifications.notify_on_commit(
        "renewal_model",
        to=[request.model.email],
        business_name=business_name,
        day=day,
        url=notifications.absolute_url("marketplace:consent-inbox"),
    )
    notifications.notify_on_commit(
        "renewal_business",
        to=[request.business.email],
        model_name=model_name,
        day=day,
        url=notifications.absolute_url("marketplace:business-consents"),
    )
    return True


def consents_reconcile() -> int:
    """Repair whitelists that disagree with request statuses (e.g. a process died
    between a status update and its array sync). Returns how many were repaired.

    Until repaired such a pair fails closed: active_consent needs both the APPROVED
    status and the array entry.
    """
    repaired = 0
    approved = set(
        ConsentRequest.objects.filter(status=ConsentStatus.APPROVED).values_list(
            "business_id", "model_id"
        )
    )
    in_arrays = {
        (business_id, model_user_id)
        for model_user_id, ids in ModelProfile.objects.values_list("user_id", "approved_businesses")
        for business_id in ids
    }
    for business_id, model_user_id in approved ^ in_arrays:
        request = ConsentRequest.objects.filter(
            business_id=business_id, model_id=model_user_id
        ).first()
        if request is not None:
            _sync_membership(request.pk)
        else:
            _set_membership(business_user_id=business_id, model_user_id=model_user_id, member=False)
        repaired += 1
    return repaired


def consents_expire_due(*, now: datetime | None = None) -> tuple[int, int]:
    """Expire what is due and send renewal prompts; returns (expired, prompted)."""
    now = now or timezone.now()
    due = ConsentRequest.objects.filter(
        status=ConsentStatus.APPROVED, expires_at__lte=now
    ).values_list("pk", flat=True)
    expired = sum(consent_expire(consent_request_id=pk, now=now) for pk in list(due))
    soon = ConsentRequest.objects.filter(
        status=ConsentStatus.APPROVED,
        renewal_prompted_at=None,
        expires_at__gt=now,
        expires_at__lte=now + RENEWAL_NOTICE,
    ).values_list("pk", flat=True)
    prompted = sum(consent_prompt_renewal(consent_request_id=pk, now=now) for pk in list(soon))
    return expired, prompted


@dataclass(frozen=True)
class DailySweep:
    expired: int
    prompted: int
    repaired: int

    def __str__(self) -> str:
        return (
            f"expired {self.expired} consent(s), sent {self.prompted} renewal reminder(s), "
            f"repaired {self.repaired} whitelist entr(y/ies)"
        )


def consents_daily_sweep(*, now: datetime | None = None) -> DailySweep:
    """The daily consent job (the scheduler's and ``expire_consents``'s)."""
    expired, prompted = consents_expire_due(now=now)
    return DailySweep(expired=expired, prompted=prompted, repaired=consents_reconcile())
