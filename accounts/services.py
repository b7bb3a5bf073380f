"""Writes for accounts: every change to users and profiles goes through here."""

from __future__ import annotations

import logging
from enum import StrEnum

from django.db import IntegrityError, transaction

from accounts.models import BusinessProfile, ModelProfile, Role, User
from modelsnapper.errors import DomainError
from modelsnapper.text import clean_name

SIGNUP_ROLES = (Role.BUSINESS, Role.MODEL)
ERR_ROLE_NOT_ALLOWED = "Choose Business or Model."
ERR_ALREADY_ONBOARDED = "Your profile is already set up."
ERR_NAME_REQUIRED = "Enter a name."
ERR_NO_PROFILE = "Set up your profile first."
MAX_NAME_LENGTH = 120

logger = logging.getLogger(__name__)


class AccountsCode(StrEnum):
    """The codes of this module's refusals (``DomainError.code``): one name per reason."""

    DUPLICATE = "duplicate"
    NAME = "name"
    NO_PROFILE = "no_profile"
    ROLE = "role"


def user_assign_signup_role(*, user: User, role: str) -> None:
    """Sets the role chosen at sign-up on an unsaved user; ADMIN is never self-chosen."""
    if role not in SIGNUP_ROLES:
        raise DomainError(ERR_ROLE_NOT_ALLOWED, code=AccountsCode.ROLE)
    user.role = role


def user_link_clerk(*, user: User, clerk_id: str) -> None:
    if user.clerk_id == clerk_id:
        return
    user.clerk_id = clerk_id
    user.save(update_fields=["clerk_id"])


def _clean_name(name: str) -> str:
    # NFKC, no hidden or control characters, not blank once rendered (modelsnapper.text):
    # a business name is what a model reads before approving it.
    try:
        return clean_name(name, label="name", field="name", max_length=MAX_NAME_LENGTH)
    except DomainError as error:
        raise DomainError(error.message, code=AccountsCode.NAME, field="name") from None


def profile_onboard(*, user: User, name: str) -> BusinessProfile | ModelProfile:
    """Creates the business or model profile of a newly signed-up user, once."""
    name = _clean_name(name)
    try:
        with transaction.atomic():
            if user.role == Role.BUSINESS:
                return BusinessProfile.objects.create(user=user, business_name=name)
            if user.role == Role.MODEL:
                return ModelProfile.objects.create(user=user, name=name)
    except IntegrityError:
        # userId is unique: a double-submitted form lands here, and nothing changes.
        raise DomainError(ERR_ALREADY_ONBOARDED, code=AccountsCode.DUPLICATE) from None
    raise DomainError(ERR_ROLE_NOT_ALLOWED, code=AccountsCode.ROLE)


def profile_rename(*, user: User, name: str) -> str:
    """The business or display name, changed from the settings page; returns the saved name.

    One conditional single-row update (no read-modify-write), logged with the old name.
    """
    name = _clean_name(name)
    if user.role == Role.BUSINESS:
        businesses = BusinessProfile.objects.filter(user_id=user.pk)
        old = businesses.values_list("business_name", flat=True).first()
        updated = businesses.update(business_name=name)
    elif user.role == Role.MODEL:
        models = ModelProfile.objects.filter(user_id=user.pk)
        old = models.values_list("name", flat=True).first()
        updated = models.update(name=name)
    else:
        raise DomainError(ERR_ROLE_NOT_ALLOWED, code=AccountsCode.ROLE)
    if not updated:
        raise DomainError(ERR_NO_PROFILE, code=AccountsCode.NO_PROFILE)
    logger.info("user %s renamed their profile from %r to %r", user.pk, old, name)
    return name
