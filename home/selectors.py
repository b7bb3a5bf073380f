"""Reads for the dashboards: each shows a little of every app, so they live above them all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Sum

from accounts.models import Role, User
from accounts.selectors import business_profile_for, model_profile_for
from billing.selectors import active_packages
from generations.models import ROYALTY_PER_GENERATION, Generation
from home.examples import examples_available
from home.models import SitePage
from home.pages import DEFAULT_PAGES
from marketplace.models import ConsentRequest, ConsentStatus


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


def admin_dashboard() -> dict[str, object]:
    return {
        "business_count": User.objects.filter(role=Role.BUSINESS).count(),
        "model_count": User.objects.filter(role=Role.MODEL).count(),
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
