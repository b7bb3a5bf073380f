"""Reads for the dashboards: each shows a little of every app, so they live above them all."""

from __future__ import annotations

from django.db.models import Count

from accounts.models import ModelProfile, Role, User
from accounts.selectors import business_profile_for
from generations.models import Generation
from generations.selectors import recent_for
from marketplace.models import ConsentRequest, ConsentStatus
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
    # One grouped query for both counts (the (modelId, status) index).
    by_status = dict(
        ConsentRequest.objects.filter(
            model_id=user.pk, status__in=[ConsentStatus.PENDING, ConsentStatus.APPROVED]
        )
        .values("status")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("status", "n")
    )
    return {
        "profile": profile,
        "reference_count": len(profile.reference_images),
        "pending_requests": by_status.get(ConsentStatus.PENDING, 0),
        "approved_count": by_status.get(ConsentStatus.APPROVED, 0),
        "use_count": Generation.objects.filter(model_id=user.pk).count(),
    }


def admin_dashboard() -> dict[str, object]:
    return {
        "business_count": User.objects.filter(role=Role.BUSINESS).count(),
        "model_count": User.objects.filter(role=Role.MODEL).count(),
        "owed": owed_total(),
    }
