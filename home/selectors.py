"""Reads for the dashboards: each shows a little of every app, so they live above them all."""

from __future__ import annotations

from django.db.models import Sum

from accounts.models import Role, User
from accounts.selectors import business_profile_for, model_profile_for
from generations.models import Generation
from marketplace.models import ConsentRequest, ConsentStatus
from payouts.selectors import owed_total


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
        "owed": owed_total(),
    }
