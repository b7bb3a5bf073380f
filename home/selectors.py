"""Reads for the dashboards: each shows a little of every app, so they live above them all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Sum
from django.db.models.functions import TruncDay
from django.utils import timezone

from accounts.models import BusinessProfile, ModelProfile, Role, User
from accounts.selectors import business_profile_for, model_profile_for
from billing.models import EventState, StripeEvent
from billing.selectors import active_packages
from generations.models import ROYALTY_PER_GENERATION, Generation, GenerationStatus
from home.examples import examples_available
from home.models import SitePage
from home.pages import DEFAULT_PAGES
from marketplace.models import ConsentRequest, ConsentStatus
from modelsnapper.charts import Chart, bar_chart


def business_dashboard(*, user: User) -> dict[str, object]:
    profile = business_profile_for(user)
    generations = Generation.objects.filter(user_id=user.pk)
    return {
        "profile": profile,
        "generation_count": generations.count(),
        "recent_generations": list(generations.order_by("-generated_at")[:6]),
    }


def model_dashboard(*, user: User) -> dict[str, object]:
    profile = model_profile_for(user)
    uses = Generation.objects.filter(model_id=user.pk)
    return {
        "profile": profile,
        "reference_count": len(profile.reference_images),
        "pending_requests": ConsentRequest.objects.filter(
            model_id=user.pk, status=ConsentStatus.PENDING
        ).count(),
        "approved_count": len(profile.approved_businesses),
        "use_count": uses.count(),
        "royalties_total": uses.aggregate(total=Sum("royalty_paid"))["total"] or 0,
    }


ATTENTION_DAYS = 14


def _generations_per_day(today: date) -> Chart | None:
    start = today - timedelta(days=ATTENTION_DAYS - 1)
    since = datetime.combine(start, time.min, tzinfo=timezone.get_current_timezone())
    counts = {
        (day.date() if isinstance(day, datetime) else day): count
        for day, count in Generation.objects.filter(created_at__gte=since)
        .annotate(day=TruncDay("created_at"))
        .values("day")
        .annotate(count=Count("id"))
        .order_by("day")
        .values_list("day", "count")
    }
    days = [start + timedelta(days=offset) for offset in range(ATTENTION_DAYS)]
    if not any(counts.get(day) for day in days):
        return None
    return bar_chart([(f"{day.day} {day:%b}", counts.get(day, 0)) for day in days])


def admin_dashboard(*, today: date | None = None) -> dict[str, object]:
    """What needs an admin: open reports, failed jobs and webhooks, and the money owed."""
    today = today or timezone.localdate()
    week_ago = timezone.now() - timedelta(days=7)
    return {
        "business_count": User.objects.filter(role=Role.BUSINESS).count(),
        "model_count": User.objects.filter(role=Role.MODEL).count(),
        "open_reports": Generation.objects.filter(is_frozen=True)
        .exclude(status=GenerationStatus.TAKEN_DOWN)
        .count(),
        "failed_week": Generation.objects.filter(
            status=GenerationStatus.FAILED, created_at__gte=week_ago
        ).count(),
        "failed_webhooks": StripeEvent.objects.filter(state=EventState.FAILED).count(),
        "pending_consents": ConsentRequest.objects.filter(status=ConsentStatus.PENDING).count(),
        "credits_outstanding": BusinessProfile.objects.aggregate(total=Sum("ai_credits"))["total"]
        or 0,
        "royalties_owed": Decimal(
            ModelProfile.objects.aggregate(total=Sum("royalty_balance"))["total"] or 0
        ).quantize(Decimal("0.01")),
        "per_day": _generations_per_day(today),
        "attention_days": ATTENTION_DAYS,
    }


# --- public pages ----------------------------------------------------------------------


@dataclass(frozen=True)
class PublicPage:
    slug: str
    title: str
    paragraphs: list[str]
    updated_at: datetime | None


def public_page(*, slug: str) -> PublicPage:
    """The operator's text for ``slug``, or the default text until they save one."""
    saved = SitePage.objects.filter(slug=slug).first()
    if saved is not None:
        title, body, updated = saved.title, saved.body, saved.updated_at
    else:
        title, body = DEFAULT_PAGES[slug]
        updated = None
    paragraphs = [part.strip() for part in body.replace("\r\n", "\n").split("\n\n") if part.strip()]
    return PublicPage(slug=slug, title=title, paragraphs=paragraphs, updated_at=updated)


def pricing_page() -> dict[str, object]:
    """What anyone may see before signing up: the packages on sale."""
    return {"packages": active_packages(), "royalty": ROYALTY_PER_GENERATION}


def landing_page() -> dict[str, object]:
    return {
        "examples": examples_available(),
        "packages": active_packages(),
        "royalty": ROYALTY_PER_GENERATION,
    }
