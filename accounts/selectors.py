"""Reads for account pages, scoped to the requesting user."""

from __future__ import annotations

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


def profile_name(user: User) -> str:
    """The business name or the model's display name ("" before onboarding)."""
    if user.role == Role.BUSINESS:
        business = BusinessProfile.objects.filter(user_id=user.pk)
        return business.values_list("business_name", flat=True).first() or ""
    model = ModelProfile.objects.filter(user_id=user.pk)
    return model.values_list("name", flat=True).first() or ""
