"""Reads for generations, scoped to the requesting user."""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import CharField, Count, Q, QuerySet, Sum
from django.db.models.functions import Cast, Substr, TruncDay
from django.http import QueryDict
from django.urls import reverse

from accounts.models import BusinessProfile, ModelProfile, User
from generations.models import (
    ROYALTY_PER_GENERATION,
    TERMINAL_STATUSES,
    Generation,
    GenerationBatch,
    GenerationStatus,
    LicenceRecord,
    ModelType,
)
from generations.provenance import CredentialReport, read_stored_credentials
from marketplace.models import AIAvatar
from marketplace.selectors import approved_models_page
from modelsnapper import heartbeat
from modelsnapper.charts import bar_chart
from modelsnapper.garments import garment_labels
from modelsnapper.paging import page_of


@dataclass(frozen=True)
class WearerOption:
    token: str  # "avatar:<id>" | "model:<users._id>"
    name: str
    kind: str  # "avatar" | "model"
    image_url: str | None
    usage_limits: list[str]
    expires_at: Any = None
    royalty: Decimal = Decimal("0.00")

    @property
    def label(self) -> str:
        return f"{'AI avatar' if self.kind == 'avatar' else 'Human model'} · {self.name}"


def generation_paused() -> bool:
    """No worker has beaten lately: New photos says so and the service refuses."""
    return not heartbeat.workers_alive()


@dataclass(frozen=True)
class WearerPicker:
    """What the New-photos page shows: the avatars, then one page of approved models."""

    avatars: list[WearerOption]
    models: list[WearerOption]
    human_access: bool
    query: str
    page: int
    model_total: int
    page_size: int

    @property
    def has_next(self) -> bool:
        return self.page * self.page_size < self.model_total

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.model_total // self.page_size))


PICKER_PAGE_SIZE = 12
# Stock avatars are curated by admins (a handful); the cap keeps the page bounded anyway.
MAX_PICKER_AVATARS = 24
MAX_PICKER_QUERY = 80


def _avatar_option(avatar: AIAvatar) -> WearerOption:
    return WearerOption(
        token=f"avatar:{avatar.pk}",
        name=avatar.name,
        kind="avatar",
        image_url=reverse("marketplace:avatar-image", args=[avatar.pk]),
        usage_limits=[],
    )


def wearer_picker(
    *, business: BusinessProfile, query: str = "", page: int = 1, page_size: int = PICKER_PAGE_SIZE
) -> WearerPicker:
    """Active AI avatars, then (if the package grants it) a page of the models who approved
    this business, searched by name: a few queries whatever the number of consents."""
    query = (query or "").strip()[:MAX_PICKER_QUERY]
    avatars = AIAvatar.objects.filter(is_active=True).order_by("name")
    if query:
        avatars = avatars.filter(name__icontains=query)
    avatar_options = [_avatar_option(avatar) for avatar in avatars[:MAX_PICKER_AVATARS]]
    models: list[WearerOption] = []
    total = 0
    human = business.includes_human_models
    page = max(1, page)
    if human:
        approved, total = approved_models_page(
            business_user=business.user,
            approved_profile_ids=list(business.approved_models),
            query=query,
            offset=(page - 1) * page_size,
            limit=page_size,
        )
        models = [
            WearerOption(
                token=f"model:{entry.model_user_id}",
                name=entry.name,
                kind="model",
                image_url=entry.thumbnail_url,
                usage_limits=garment_labels(list(entry.allowed_categories)),
                expires_at=entry.expires_at,
                royalty=ROYALTY_PER_GENERATION,
            )
            for entry in approved
        ]
    return WearerPicker(
        avatars=avatar_options,
        models=models,
        human_access=human,
        query=query,
        page=page,
        model_total=total,
        page_size=page_size,
    )


def wearer_chosen(*, business: BusinessProfile, token: str) -> WearerOption | None:
    """The wearer a submitted form names, if this business may still use it (one lookup)."""
    kind, _, ident = (token or "").partition(":")
    if kind == "avatar" and re.fullmatch(r"[0-9a-f]{24}", ident):
        avatar = AIAvatar.objects.filter(pk=ident, is_active=True).first()
        return _avatar_option(avatar) if avatar is not None else None
    if kind == "model" and business.includes_human_models and re.fullmatch(r"[0-9a-f]{24}", ident):
        approved, _total = approved_models_page(
            business_user=business.user,
            approved_profile_ids=list(business.approved_models),
            limit=1,
            model_user_id=ident,
        )
        if approved:
            entry = approved[0]
            return WearerOption(
                token=token,
                name=entry.name,
                kind="model",
                image_url=entry.thumbnail_url,
                usage_limits=garment_labels(list(entry.allowed_categories)),
                expires_at=entry.expires_at,
                royalty=ROYALTY_PER_GENERATION,
            )
    return None


def generation_for_admin(*, generation_id: str) -> Generation | None:
    """Admins review every generation (the view's role gate lets only them here)."""
    return Generation.objects.filter(pk=generation_id).first()


# --- business --------------------------------------------------------------------------


def batch_for(*, user: User, batch_id: str) -> GenerationBatch | None:
    return GenerationBatch.objects.filter(pk=batch_id, user_id=user.pk).first()


def batch_generations(*, batch: GenerationBatch) -> list[Generation]:
    return list(
        Generation.objects.filter(batch=batch)
        .select_related("avatar", "model__model_profile")
        .order_by("created_at", "id")
    )


def batch_downloads(*, batch: GenerationBatch) -> list[Generation]:
    """The batch's photos a business may download: made, and not under review."""
    return list(
        Generation.objects.filter(batch=batch, status=GenerationStatus.SUCCEEDED, is_frozen=False)
        .exclude(output_s3_url="")
        .order_by("created_at", "id")
    )


def batch_progress(*, batch: GenerationBatch) -> dict[str, Any]:
    """What the progress page polls: counts, percent done, each job's state."""

    generations = batch_generations(batch=batch)
    total = len(generations)
    done = sum(1 for g in generations if g.status in TERMINAL_STATUSES)
    counts: dict[str, int] = {status.value: 0 for status in GenerationStatus}
    for generation in generations:
        counts[generation.status] += 1
    return {
        "batch": str(batch.pk),
        "total": total,
        "done": done,
        "percent": round(100 * done / total) if total else 100,
        "finished": done == total,
        "counts": counts,
        "downloadable": sum(
            1
            for g in generations
            if g.status == GenerationStatus.SUCCEEDED and not g.is_frozen and g.output_s3_url
        ),
        "items": [
            {
                "id": str(g.pk),
                "status": g.status,
                "status_label": str(g.get_status_display()),
                "error": g.error_message,
                # A reported (frozen) image is not served: no thumbnail to show.
                "thumbnail_url": reverse("generations:thumbnail", args=[g.pk])
                if g.thumbnail_s3_url and not g.is_frozen
                else None,
                "frozen": g.is_frozen,
                "detail_url": reverse("generations:detail", args=[g.pk]),
            }
            for g in generations
        ],
    }


# Columns of the wearing model's profile a list row never shows (large arrays).
WEARER_PROFILE_UNUSED = (
    "model__model_profile__approved_businesses",
    "model__model_profile__reference_images",
)


def recent_for(*, user: User, limit: int = 6) -> list[Generation]:
    """The business's newest generations with their wearers (one query, whatever the wearer)."""
    return list(
        Generation.objects.filter(user_id=user.pk)
        .select_related("avatar", "model__model_profile")
        .defer(*WEARER_PROFILE_UNUSED)
        .order_by("-generated_at", "-id")[:limit]
    )


def history_for(*, user: User, wearer_type: str = "", status: str = "") -> QuerySet[Generation]:
    """The business's generations, newest first (the ``(userId, generatedAt)`` index)."""
    qs = Generation.objects.filter(user_id=user.pk)
    if wearer_type in ModelType.values:
        qs = qs.filter(model_type=wearer_type)
    if status in GenerationStatus.values:
        qs = qs.filter(status=status)
    return (
        qs.select_related("avatar", "model__model_profile")
        # Only the wearer's name is shown: the model's arrays stay undecoded.
        .defer(*WEARER_PROFILE_UNUSED)
        .order_by("-generated_at", "-id")
    )


def generation_for_business(*, user: User, generation_id: str) -> Generation | None:
    return (
        Generation.objects.select_related("avatar", "model__model_profile", "batch")
        .filter(pk=generation_id, user_id=user.pk)
        .first()
    )


def generation_for_viewer(*, user: User, generation_id: str) -> Generation | None:
    """The business that made it, or the human model whose likeness it uses."""
    generation = (
        Generation.objects.select_related("avatar", "model__model_profile")
        .filter(pk=generation_id)
        .first()
    )
    if generation is None or user.pk not in {generation.user_id, generation.model_id}:
        return None
    return generation


# A record is written before the output is stored and consent checked a last time: a
# job refused or failed after that has a record for a photo that does not exist.
LICENSED_STATUSES = (GenerationStatus.SUCCEEDED, GenerationStatus.TAKEN_DOWN)


def licence_record_for(*, generation: Generation) -> LicenceRecord | None:
    """The licence record of a photo that was made (the caller may see the generation)."""
    if generation.status not in LICENSED_STATUSES:
        return None
    return LicenceRecord.objects.filter(generation_id=generation.pk).first()


def generation_for_model(*, user: User, generation_id: str) -> Generation | None:
    return Generation.objects.filter(pk=generation_id, model_id=user.pk).first()


def engine_label(name: str) -> str:
    """The label the UI shows for an engine name (the offline one is a preview)."""
    return {"offline": "Offline preview", "fashn": "FASHN try-on"}.get(name or "", name or "—")


# --- model: royalties -----------------------------------------------------------------------


def royalty_lines_for(*, user: User) -> QuerySet[Generation]:
    """Every paid use of the model's likeness, newest first (``(modelId, generatedAt)``)."""
    return (
        Generation.objects.filter(model_id=user.pk, royalty_paid__gt=0)
        .select_related("user__business_profile")
        .defer("user__business_profile__approved_models")
        .order_by("-generated_at", "-id")
    )


RoyaltyDay = tuple[Any, Any, int]  # (day, amount, uses)


def _day_of_use() -> Any:
    if connection.vendor == "sqlite":
        # SQLite's TruncDay is a Python function called once per row; the stored text's
        # date part is the same UTC day (TIME_ZONE is UTC) and SQLite groups it natively.
        return Substr(Cast("generated_at", output_field=CharField()), 1, 10)
    return TruncDay("generated_at")  # MongoDB: $dateTrunc


def _as_date(value: Any) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def royalty_days_for(*, user: User) -> list[RoyaltyDay]:
    """Paid uses grouped by day: one query the summary, the chart and the pager share."""
    rows = (
        Generation.objects.filter(model_id=user.pk, royalty_paid__gt=0)
        .annotate(day=_day_of_use())
        .values("day")
        .annotate(amount=Sum("royalty_paid"), uses=Count("id"))
        .order_by("day")
        .values_list("day", "amount", "uses")
    )
    return [(_as_date(day), amount, uses) for day, amount, uses in rows]


def royalty_summary_for(*, user: User, days: list[RoyaltyDay] | None = None) -> dict[str, Any]:
    days = royalty_days_for(user=user) if days is None else days
    profile = ModelProfile.objects.only("id", "user_id", "royalty_balance").get(user_id=user.pk)
    total = sum((Decimal(amount) for _, amount, _ in days), Decimal("0")).quantize(CENT)
    return {
        "profile": profile,
        "balance": profile.royalty_balance,
        "total": total,
        "count": sum(uses for _, _, uses in days),
    }


def royalty_page(*, user: User, params: QueryDict) -> dict[str, Any]:
    """The royalties page: one grouped query for summary, chart and row count, one page of rows."""
    days = royalty_days_for(user=user)
    summary = royalty_summary_for(user=user, days=days)
    return {
        "page": page_of(royalty_lines_for(user=user), params, count=summary["count"]),
        "summary": summary,
        "chart": royalty_chart_for(user=user, days=days),
    }


CENT = Decimal("0.01")


def _dollars(value: Decimal) -> str:
    return f"${value.quantize(CENT)}"


def royalty_chart_for(
    *, user: User, today: date | None = None, days: list[RoyaltyDay] | None = None
) -> dict[str, Any]:
    """Royalties per month (or per day when they all fall in one month), as SVG bars.

    One grouped query by day serves both views: the months are summed from the days
    here, so the page makes the same queries however its rows fall on the calendar,
    and costs the same for a model with ten uses or ten thousand.
    """
    days = royalty_days_for(user=user) if days is None else days
    by_day = len({(day.year, day.month) for day, _, _ in days}) == 1
    buckets: OrderedDict[str, Decimal] = OrderedDict()
    for day, amount, _ in days:
        label = f"{day.day} {day:%b}" if by_day else f"{day:%b %Y}"
        buckets[label] = (buckets.get(label, Decimal("0.00")) + Decimal(amount)).quantize(CENT)
    chart = bar_chart(list(buckets.items()), fmt=_dollars)
    return {
        "chart": chart,
        "bars": chart.bars if chart else [],
        "by": "day" if by_day else "month",
    }


# --- Content Credentials (verify page, badges) ------------------------------------------


@dataclass(frozen=True)
class CredentialMatch:
    """The generation a verified image names, seen from the viewer's side."""

    generation: Generation
    viewer_side: str  # "business" (they made it) | "model" (their likeness)
    business_name: str
    model_name: str


def generation_for_credentials(*, user: User, generation_id: Any) -> CredentialMatch | None:
    """The generation a Content Credential names — only if the viewer made it or is its model.

    Anyone else (another business, another model, an admin) gets None, whatever the id.
    """

    if not isinstance(generation_id, str) or not re.fullmatch(r"[0-9a-fA-F]{24}", generation_id):
        return None
    generation = (
        Generation.objects.select_related("user", "model", "consent_request")
        .filter(Q(user_id=user.pk) | Q(model_id=user.pk), pk=generation_id.lower())
        .first()
    )
    if generation is None:
        return None
    business = BusinessProfile.objects.filter(user_id=generation.user_id).first()
    model = (
        ModelProfile.objects.filter(user_id=generation.model_id).first()
        if generation.model_id
        else None
    )
    return CredentialMatch(
        generation=generation,
        viewer_side="business" if generation.user_id == user.pk else "model",
        business_name=business.business_name if business else "",
        model_name=model.name if model else "",
    )


def generation_credentials(
    *, generation: Generation, full_image: bool = True
) -> CredentialReport | None:
    """What the stored file's Content Credentials say (read back from the file), or None.

    The business sees its full output; the model whose likeness it uses sees only the
    (separately signed) thumbnail, so that is what is read for them.
    """
    key = generation.output_s3_url if full_image else generation.thumbnail_s3_url
    if not key:
        return None
    return read_stored_credentials(key)
