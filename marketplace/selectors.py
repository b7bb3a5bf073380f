"""Reads for marketplace, scoped to the requesting user.

``active_consent`` is the one question every human-model generation asks (at
creation and again when the job runs): may this business use this model's
likeness right now?
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from accounts.models import BusinessProfile, ModelProfile, Role, User
from accounts.selectors import business_identities
from marketplace import rules
from marketplace.models import (
    AIAvatar,
    ConsentEvent,
    ConsentRequest,
    ConsentStatus,
    LikenessRelease,
    LikenessSettings,
    ReleaseSignature,
)
from marketplace.rules import MIN_REFERENCE_PHOTOS
from modelsnapper.garments import GarmentCategory, garment_labels
from modelsnapper.paging import Paged, page_of

# Until a model says otherwise: everyday garments yes, swimwear and lingerie opt-in.
DEFAULT_ACCEPTED_CATEGORIES = [
    GarmentCategory.TOP.value,
    GarmentCategory.BOTTOM.value,
    GarmentCategory.ONE_PIECE.value,
]


# --- the contract used by generations ---------------------------------------------------------


@dataclass(frozen=True)
class ConsentGrant:
    consent_request_id: str
    release_version: int
    allowed_categories: list[str]
    expires_at: datetime | None


def active_consent(*, business_user_id: str, model_user_id: str) -> ConsentGrant | None:
    """The grant letting this business use this model's likeness *now*, or None.

    All of: the pair's request is APPROVED and not past its expiry; the business is
    in the model's ``approvedBusinesses``; the model's release is signed.
    """
    now = timezone.now()
    request = (
        ConsentRequest.objects.filter(
            business_id=business_user_id, model_id=model_user_id, status=ConsentStatus.APPROVED
        )
        .only("id", "allowed_categories", "expires_at")
        .first()
    )
    if request is None or (request.expires_at is not None and request.expires_at <= now):
        return None
    profile = (
        ModelProfile.objects.filter(
            user_id=model_user_id,
            consent_signed=True,
            approved_businesses__contains_id=business_user_id,
        )
        .only("id")
        .first()
    )
    if profile is None:
        return None
    signature = (
        ReleaseSignature.objects.filter(model_id=model_user_id, withdrawn_at=None)
        .order_by("-signed_at")
        .values_list("release_version", flat=True)
        .first()
    )
    if signature is None:
        return None
    return ConsentGrant(
        consent_request_id=request.pk,
        release_version=signature,
        allowed_categories=list(request.allowed_categories),
        expires_at=request.expires_at,
    )


def consent_allows_category(grant: ConsentGrant, category: str) -> bool:
    return category in grant.allowed_categories


def model_reference_image_key(*, model_user_id: str) -> str | None:
    """The first reference photo's storage key (the wearer image for engines)."""
    keys = (
        ModelProfile.objects.filter(user_id=model_user_id)
        .values_list("reference_images", flat=True)
        .first()
    )
    return keys[0] if keys else None


def photo_id_for(key: str) -> str:
    return key.rsplit("/", 1)[-1].split(".", 1)[0]


def reference_thumb_url(model_user_id: str, key: str) -> str:
    return reverse(
        "marketplace:reference-thumb",
        kwargs={"model_user_id": model_user_id, "photo_id": photo_id_for(key)},
    )


@dataclass(frozen=True)
class ApprovedModel:
    model_user_id: str
    name: str
    thumbnail_url: str | None
    allowed_categories: list[str]
    expires_at: datetime | None
    consent_request_id: str

    @property
    def allowed_category_labels(self) -> list[str]:
        return garment_labels(self.allowed_categories)


def approved_models_page(
    *,
    business_user: User,
    approved_profile_ids: list[str],
    query: str = "",
    offset: int = 0,
    limit: int = 12,
    model_user_id: str | None = None,
) -> tuple[list[ApprovedModel], int]:
    """One page of the models this business holds consent from, by name (the picker).

    Starts from the business's own whitelist (``approvedModels``: model_profiles ids),
    or one model of it (``model_user_id``), filters and pages in
    the database, then reads the consent rows of that page only: constant work per page
    whether the business holds ten consents or ten thousand. Returns the page and how
    many models match. A model whose consent ended a moment ago (expiry not yet swept)
    is left off its page.
    """
    if not approved_profile_ids:
        return [], 0
    profiles = ModelProfile.objects.filter(pk__in=list(approved_profile_ids), consent_signed=True)
    if model_user_id is not None:
        profiles = profiles.filter(user_id=model_user_id)
    if query:
        profiles = profiles.filter(name__icontains=query)
    total = profiles.count()
    page = list(profiles.order_by("name", "user_id")[offset : offset + limit])
    now = timezone.now()
    requests = {
        r.model_id: r
        for r in ConsentRequest.objects.filter(
            business_id=business_user.pk,
            model_id__in=[p.user_id for p in page],
            status=ConsentStatus.APPROVED,
        ).filter(Q(expires_at=None) | Q(expires_at__gt=now))
    }
    result = []
    for profile in page:
        request = requests.get(profile.user_id)
        if request is None or business_user.pk not in profile.approved_businesses:
            continue
        keys = profile.reference_images
        result.append(
            ApprovedModel(
                model_user_id=profile.user_id,
                name=profile.name,
                thumbnail_url=reference_thumb_url(profile.user_id, keys[0]) if keys else None,
                allowed_categories=list(request.allowed_categories),
                expires_at=request.expires_at,
                consent_request_id=request.pk,
            )
        )
    return result, total


def avatar_for_viewer(*, viewer: User, avatar_id: str) -> AIAvatar | None:
    """Businesses see the avatars on offer; admins every avatar (to review them)."""
    avatars = AIAvatar.objects.filter(pk=avatar_id)
    if viewer.role != Role.ADMIN and not viewer.is_superuser:
        avatars = avatars.filter(is_active=True)
    return avatars.first()


@dataclass(frozen=True)
class BusinessCard:
    """What a model sees of a business before deciding: who, since when, how trusted."""

    name: str
    member_since: datetime
    models_approving: int
    earlier_requests: int


def business_card_for(*, business_user_id: str, model_user_id: str) -> BusinessCard | None:
    profile = (
        BusinessProfile.objects.select_related("user").filter(user_id=business_user_id).first()
    )
    if profile is None:
        return None
    return BusinessCard(
        name=profile.business_name,
        member_since=profile.user.created_at,
        models_approving=len(profile.approved_models),
        earlier_requests=ConsentRequest.objects.filter(
            business_id=business_user_id, model_id=model_user_id
        )
        .exclude(status=ConsentStatus.PENDING)
        .count(),
    )


# --- model side ---------------------------------------------------------------------------------


def accepted_categories(*, model_user_id: str) -> list[str]:
    """The model's standing limits (shown before a business asks)."""
    stored = (
        LikenessSettings.objects.filter(model_id=model_user_id)
        .values_list("allowed_categories", flat=True)
        .first()
    )
    return list(stored) if stored else list(DEFAULT_ACCEPTED_CATEGORIES)


@dataclass(frozen=True)
class ReferencePhoto:
    photo_id: str
    key: str
    thumbnail_url: str
    full_url: str


def reference_photos(*, model_user: User) -> list[ReferencePhoto]:
    keys = (
        ModelProfile.objects.filter(user_id=model_user.pk)
        .values_list("reference_images", flat=True)
        .first()
    ) or []
    return [
        ReferencePhoto(
            photo_id=photo_id_for(key),
            key=key,
            thumbnail_url=reference_thumb_url(model_user.pk, key),
            full_url=reverse("marketplace:reference-full", kwargs={"photo_id": photo_id_for(key)}),
        )
        for key in keys
    ]


def current_release() -> LikenessRelease | None:
    return LikenessRelease.objects.order_by("-version").first()


@dataclass(frozen=True)
class ReleaseState:
    release: LikenessRelease | None
    signature: ReleaseSignature | None  # the standing signature, if any
    consent_signed: bool
    history: list[ReleaseSignature] = field(default_factory=list)

    @property
    def needs_new_signature(self) -> bool:
        return self.release is not None and (
            self.signature is None or self.signature.release_version != self.release.version
        )


def release_state(*, model_user: User) -> ReleaseState:
    history = list(ReleaseSignature.objects.filter(model_id=model_user.pk).order_by("-signed_at"))
    standing = next((s for s in history if s.withdrawn_at is None), None)
    signed = (
        ModelProfile.objects.filter(user_id=model_user.pk)
        .values_list("consent_signed", flat=True)
        .first()
    )
    return ReleaseState(
        release=current_release(),
        signature=standing,
        consent_signed=bool(signed),
        history=history,
    )


def signed_release_copy(*, model_user: User) -> ReleaseSignature | None:
    """The model's standing signature with the exact release text it signed."""
    return (
        ReleaseSignature.objects.select_related("release")
        .filter(model_id=model_user.pk, withdrawn_at=None)
        .order_by("-signed_at")
        .first()
    )


def _with_business(qs: QuerySet[ConsentRequest]) -> QuerySet[ConsentRequest]:
    # The business's name is shown, not its approvals array.
    return qs.select_related("business", "business__business_profile").defer(
        "business__business_profile__approved_models"
    )


PAST_STATUSES = [
    status
    for status in ConsentStatus
    if status not in (ConsentStatus.PENDING, ConsentStatus.APPROVED)
]


@dataclass(frozen=True)
class ConsentInbox:
    # Pending first, each section paged on its own (pending_page, approved_page, past_page).
    pending: Paged[ConsentRequest]
    approved: Paged[ConsentRequest]
    past: Paged[ConsentRequest]
    consent_signed: bool


def _with_identities(requests: list[ConsentRequest]) -> list[ConsentRequest]:
    # Names need not be unique: each row also shows the business's verified email
    # domain and since when it is a member (templates: partials/business_identity.html).
    identities = business_identities(user_ids={r.business_id for r in requests})
    for request in requests:
        request.business_identity = identities.get(str(request.business_id))  # type: ignore[attr-defined]
    return requests


def consent_inbox(*, model_user: User, params: QueryDict | None = None) -> ConsentInbox:
    params = params if params is not None else QueryDict()
    mine = _with_business(ConsentRequest.objects.filter(model_id=model_user.pk))
    signed = bool(
        ModelProfile.objects.filter(user_id=model_user.pk)
        .values_list("consent_signed", flat=True)
        .first()
    )
    inbox = ConsentInbox(
        pending=page_of(
            mine.filter(status=ConsentStatus.PENDING).order_by("requested_at", "pk"),
            params,
            param="pending_page",
        ),
        approved=page_of(
            mine.filter(status=ConsentStatus.APPROVED).order_by("-requested_at", "-pk"),
            params,
            param="approved_page",
        ),
        past=page_of(
            mine.filter(status__in=PAST_STATUSES).order_by("-requested_at", "-pk"),
            params,
            param="past_page",
        ),
        consent_signed=signed,
    )
    # One identity lookup for the rows on screen (at most three pages' worth).
    _with_identities([*inbox.pending.rows, *inbox.approved.rows, *inbox.past.rows])
    return inbox


def request_for_model(*, model_user: User, consent_request_id: str) -> ConsentRequest | None:
    request = (
        _with_business(ConsentRequest.objects.filter(pk=consent_request_id, model_id=model_user.pk))
    ).first()
    return _with_identities([request])[0] if request is not None else None


# A trail row names both sides; their approval arrays are never shown.
_TRAIL_UNSHOWN = (
    "business__business_profile__approved_models",
    "model__model_profile__approved_businesses",
)


def audit_trail_for_model(*, model_user: User) -> QuerySet[ConsentEvent]:
    """Every consent event of this model, newest first (paged by the view)."""
    return (
        ConsentEvent.objects.filter(model_id=model_user.pk)
        .select_related("business", "business__business_profile", "model__model_profile")
        .defer(*_TRAIL_UNSHOWN)
        .order_by("-created_at", "-sequence")
    )


# --- business side -------------------------------------------------------------------------------


def business_has_model_access(*, business_user: User) -> bool:
    profile = (
        BusinessProfile.objects.select_related("package")
        .only("id", "package__human_model_access")
        .filter(user_id=business_user.pk)
        .first()
    )
    return profile is not None and profile.includes_human_models


@dataclass(frozen=True)
class DirectoryEntry:
    model_user_id: str
    name: str
    thumbnail_urls: list[str]
    request: ConsentRequest | None
    accepted_categories: list[str] = field(default_factory=list)
    # May this business ask now (rules.request_window: pending, approved, 7-day wait).
    window: rules.RequestWindow = field(
        default_factory=lambda: rules.RequestWindow(rules.RequestBlock.NONE)
    )

    @property
    def accepted_labels(self) -> list[str]:
        return garment_labels(self.accepted_categories)

    @property
    def status(self) -> str | None:
        return self.request.status if self.request else None


def listed_profiles() -> QuerySet[ModelProfile]:
    """Models in the directory: release signed, active, at least MIN_REFERENCE_PHOTOS photos.

    Filtered, counted and sliced in the database; the approvals array is never loaded.
    """
    return (
        ModelProfile.objects.filter(
            consent_signed=True,
            user__is_active=True,
            user__role=Role.MODEL,
            reference_images__length_gte=MIN_REFERENCE_PHOTOS,
        )
        .only("id", "user_id", "name", "reference_images")
        .order_by("name", "pk")
    )


def model_directory(
    *, business_user: User, profiles: list[ModelProfile] | None = None
) -> list[DirectoryEntry]:
    """Directory entries (with this business's request) for ``profiles`` (default: all listed)."""
    now = timezone.now()
    profiles = list(listed_profiles()) if profiles is None else profiles
    ids = [p.user_id for p in profiles]
    if not ids:
        return []
    requests = {
        r.model_id: r
        for r in ConsentRequest.objects.filter(business_id=business_user.pk, model_id__in=ids)
    }
    accepted = {
        row["model_id"]: row["allowed_categories"]
        for row in LikenessSettings.objects.filter(model_id__in=ids).values(
            "model_id", "allowed_categories"
        )
    }
    return [
        DirectoryEntry(
            model_user_id=p.user_id,
            name=p.name,
            thumbnail_urls=[reference_thumb_url(p.user_id, k) for k in p.reference_images],
            request=requests.get(p.user_id),
            accepted_categories=list(accepted.get(p.user_id) or DEFAULT_ACCEPTED_CATEGORIES),
            window=rules.request_window(requests.get(p.user_id), now=now),
        )
        for p in profiles
    ]


# How long the number of listed models may be reused: it sizes the pager only (the rows of
# a page are always read live), and counting means reading every listed model.
DIRECTORY_COUNT_SECONDS = 60


def listed_count() -> int:
    """How many models the directory lists, counted at most once a minute."""
    count = cache.get_or_set(
        "directory:listed-count", lambda: listed_profiles().count(), DIRECTORY_COUNT_SECONDS
    )
    return int(count or 0)


def directory_page(*, business_user: User, params: QueryDict) -> Paged[DirectoryEntry]:
    """One page of the directory: only its models' requests and limits are read."""
    paged = page_of(listed_profiles(), params, count=listed_count())
    entries = model_directory(business_user=business_user, profiles=paged.rows)
    return Paged(page=paged.page, rows=entries, param=paged.param, query=paged.query)


def directory_model(*, business_user: User, model_user_id: str) -> DirectoryEntry | None:
    profiles = list(listed_profiles().filter(user_id=model_user_id)[:1])
    if not profiles:
        return None
    return model_directory(business_user=business_user, profiles=profiles)[0]


@dataclass(frozen=True)
class BusinessConsentRow:
    request: ConsentRequest
    model_name: str
    suspended: bool  # rules.approval_suspended: approved, release withdrawn


def business_consents(*, business_user: User, params: QueryDict) -> Paged[BusinessConsentRow]:
    """This business's requests, newest first, one page at a time."""
    requests = (
        ConsentRequest.objects.filter(business_id=business_user.pk)
        .select_related("model", "model__model_profile")
        # The model's approvals array is not shown: leave it undecoded.
        .defer("model__model_profile__approved_businesses")
        .order_by("-requested_at", "-pk")
    )
    paged = page_of(requests, params)
    rows = [
        BusinessConsentRow(
            request=request,
            model_name=request.model.model_profile.name,
            suspended=rules.approval_suspended(
                request, consent_signed=request.model.model_profile.consent_signed
            ),
        )
        for request in paged.rows
    ]
    return Paged(page=paged.page, rows=rows, param=paged.param, query=paged.query)


def request_for_business(*, business_user: User, consent_request_id: str) -> ConsentRequest | None:
    return (
        ConsentRequest.objects.filter(pk=consent_request_id, business_id=business_user.pk)
        .select_related("model", "model__model_profile")
        .first()
    )


def audit_trail_for_pair(*, business_user: User, model_user_id: str) -> QuerySet[ConsentEvent]:
    """A business sees only its own pair's consent events (no photo or release details)."""
    return (
        ConsentEvent.objects.filter(business_id=business_user.pk, model_id=model_user_id)
        .select_related("business", "business__business_profile", "model__model_profile")
        .defer(*_TRAIL_UNSHOWN)
        .order_by("-created_at", "-sequence")
    )


def can_view_reference_thumb(*, viewer: User, model_user_id: str) -> bool:
    """A model sees their own; a business sees a model's thumbnails while the model is
    in the directory (and it has human-model access) or while it holds their consent."""
    if viewer.role == Role.MODEL:
        return bool(viewer.pk == model_user_id)
    if viewer.role != Role.BUSINESS:
        return False
    if active_consent(business_user_id=viewer.pk, model_user_id=model_user_id):
        return True
    if not business_has_model_access(business_user=viewer):
        return False
    profile = ModelProfile.objects.filter(
        user_id=model_user_id, consent_signed=True, user__is_active=True
    ).first()
    return profile is not None and len(profile.reference_images) >= MIN_REFERENCE_PHOTOS


def reference_key_for(*, model_user_id: str, photo_id: str) -> str | None:
    keys = (
        ModelProfile.objects.filter(user_id=model_user_id)
        .values_list("reference_images", flat=True)
        .first()
    ) or []
    for key in keys:
        if photo_id_for(key) == photo_id:
            return str(key)
    return None
