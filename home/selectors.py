"""Reads for the dashboards: each shows a little of every app, so they live above them all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncDay
from django.utils import timezone

from accounts.models import BusinessProfile, ModelProfile, Role, User
from accounts.selectors import business_profile_for
from billing.models import EventState, StripeEvent
from billing.selectors import active_packages
from generations.models import ROYALTY_PER_GENERATION, Generation, GenerationStatus
from generations.selectors import recent_for
from home.examples import examples_available
from home.models import SitePage
from home.pages import DEFAULT_PAGES
from marketplace.models import ConsentRequest, ConsentStatus
from modelsnapper.charts import Chart, bar_chart
from payouts.selectors import owed_total


def business_dashboard(*, user: User) -> dict[str, object]:
    profile = business_profile_for(user)
    generations = Generation.objects.filter(user_id=user.pk)
    return {
        "profile": profile,
        "generation_count": generations.count(),
        # With their wearers in the same query: not two more per recent photo.
        "recent_generations": recent_for(user=user),
    }


def model_dashboard(*, user: User) -> dict[str, object]:
    # Only what the page shows: the approvals array (one id per business) stays undecoded.
    profile = ModelProfile.objects.only(
        "id", "user_id", "name", "royalty_balance", "reference_images"
    ).get(user_id=user.pk)
    requests = ConsentRequest.objects.filter(model_id=user.pk)
    pending = _capped_count(requests.filter(status=ConsentStatus.PENDING))
    approved = _capped_count(requests.filter(status=ConsentStatus.APPROVED))
    return {
        "profile": profile,
        "reference_count": len(profile.reference_images),
        "pending_requests": pending,
        "approved_count": approved,
        "count_cap": COUNT_CAP,
        "use_count": Generation.objects.filter(model_id=user.pk).count(),
    }


# A dashboard says "100+" past this: counting stops there, whatever the inbox holds.
COUNT_CAP = 100


def _capped_count(queryset: QuerySet[Any]) -> int:
    """At most COUNT_CAP (COUNT over a LIMITed subquery: constant cost)."""
    return int(queryset.order_by()[:COUNT_CAP].count())


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
    owed = owed_total()
    return {
        "business_count": User.objects.filter(role=Role.BUSINESS).count(),
        "model_count": User.objects.filter(role=Role.MODEL).count(),
        # What the models are owed now: royalty balances plus payouts still in flight.
        "owed": owed,
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
        "royalties_owed": owed.balances,
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
