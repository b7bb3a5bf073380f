"""allauth hooks: the role chosen at sign-up, Clerk ids, where users land."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse

from accounts import services
from modelsnapper.emails import PRODUCT_NAME, build_email, on_site


class _Site:
    """What allauth's templates call ``current_site``: the product, not the request host."""

    name = PRODUCT_NAME

    @property
    def domain(self) -> str:
        return settings.SITE_URL.split("://", 1)[-1]


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        services.user_assign_signup_role(user=user, role=form.cleaned_data["role"])
        if commit:
            user.save()
        return user

    def get_login_redirect_url(self, request) -> str:
        # home:dashboard sends a user without a profile to onboarding.
        return reverse("home:dashboard")

    def get_signup_redirect_url(self, request) -> str:
        return reverse("home:dashboard")

    # --- emails: the product's words, a text and an HTML part, links on SITE_URL ----
    def format_email_subject(self, subject: str) -> str:
        return f"{PRODUCT_NAME}: {subject}"

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        links = {
            key: on_site(value)
            for key, value in context.items()
            if key.endswith("_url") and isinstance(value, str)
        }
        super().send_mail(template_prefix, email, {**context, **links})

    def render_mail(
        self,
        template_prefix: str,
        email: str | list[str],
        context: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> EmailMessage:
        context = {**context, "current_site": _Site(), "site_url": settings.SITE_URL}
        subject = render_to_string(f"{template_prefix}_subject.txt", context)
        text = render_to_string(f"{template_prefix}_message.txt", context).strip()
        to = [email] if isinstance(email, str) else email
        message = build_email(self.format_email_subject(subject), text, to)
        message.extra_headers.update(headers or {})
        return message

    def get_email_confirmation_url(self, request, emailconfirmation) -> str:
        return on_site(super().get_email_confirmation_url(request, emailconfirmation))

    def get_reset_password_from_key_url(self, key: str) -> str:
        return on_site(super().get_reset_password_from_key_url(key))


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def save_user(self, request, sociallogin, form=None):
        user = sociallogin.user
        role = form.cleaned_data["role"] if form is not None else ""
        services.user_assign_signup_role(user=user, role=role)
        user = super().save_user(request, sociallogin, form)
        if sociallogin.account.provider == "clerk":
            services.user_link_clerk(user=user, clerk_id=sociallogin.account.uid)
        return user

    def pre_social_login(self, request, sociallogin) -> None:
        # A returning Clerk user whose account predates clerkId gets it filled in.
        if sociallogin.is_existing and sociallogin.account.provider == "clerk":
            services.user_link_clerk(user=sociallogin.user, clerk_id=sociallogin.account.uid)
