"""Reads for account pages, scoped to the requesting user."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from allauth.account.models import EmailAddress

from accounts.models import BusinessProfile, ModelProfile, Role, User


def user_has_profile(user: User) -> bool:
    if user.role == Role.BUSINESS:
        return BusinessProfile.objects.filter(user_id=user.pk).exists()
    if user.role == Role.MODEL:
        return ModelProfile.objects.filter(user_id=user.pk).exists()
    return True


def business_profile_for(user: User) -> BusinessProfile:
    """The business's own profile (raises DoesNotExist → callers 404/redirect).

    Its approvedModels array (an id per approving model) is left undecoded: no page
    shows it, and every business page reads this profile.
    """
    return (
        BusinessProfile.objects.select_related("package")
        .defer("approved_models")
        .get(user_id=user.pk)
    )


@dataclass(frozen=True)
class BusinessIdentity:
    """What tells two businesses with look-alike names apart in a model's inbox."""

    verified_domain: str  # the domain of a verified email address, "" when none is
    member_since: datetime


def business_identities(*, user_ids: Iterable[str]) -> dict[str, BusinessIdentity]:
    """Per business user id: its verified email domain and sign-up date (two queries)."""
    ids = {str(user_id) for user_id in user_ids}
    if not ids:
        return {}
    verified: dict[str, str] = {}
    for address in EmailAddress.objects.filter(user_id__in=ids, verified=True).order_by("-primary"):
        verified.setdefault(str(address.user_id), address.email.rsplit("@", 1)[-1].lower())
    joined = User.objects.filter(pk__in=ids).values_list("pk", "created_at")
    return {
        str(pk): BusinessIdentity(verified_domain=verified.get(str(pk), ""), member_since=created)
        for pk, created in joined
    }


def profile_name(user: User) -> str:
    """The business name or the model's display name ("" before onboarding)."""
    if user.role == Role.BUSINESS:
        business = BusinessProfile.objects.filter(user_id=user.pk)
        return business.values_list("business_name", flat=True).first() or ""
    model = ModelProfile.objects.filter(user_id=user.pk)
    return model.values_list("name", flat=True).first() or ""
