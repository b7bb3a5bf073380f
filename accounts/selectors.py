"""Reads for account pages, scoped to the requesting user."""

from __future__ import annotations

from django.db.models import Sum

from accounts.models import BusinessProfile, ModelProfile, Role, User


def user_has_profile(user: User) -> bool:
    if user.role == Role.BUSINESS:
        return BusinessProfile.objects.filter(user_id=user.pk).exists()
    if user.role == Role.MODEL:
        return ModelProfile.objects.filter(user_id=user.pk).exists()
    return True


def business_profile_for(user: User) -> BusinessProfile:
    """The business's own profile (raises DoesNotExist → callers 404/redirect)."""
    return BusinessProfile.objects.select_related("package").get(user_id=user.pk)


def model_profile_for(user: User) -> ModelProfile:
    return ModelProfile.objects.get(user_id=user.pk)


def business_dashboard(*, user: User) -> dict[str, object]:
    from generations.models import Generation

    profile = business_profile_for(user)
    generations = Generation.objects.filter(user_id=user.pk)
    return {
        "profile": profile,
        "generation_count": generations.count(),
        "recent_generations": list(generations.order_by("-generated_at")[:6]),
    }


def model_dashboard(*, user: User) -> dict[str, object]:
    from generations.models import Generation
    from marketplace.models import ConsentRequest, ConsentStatus

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
