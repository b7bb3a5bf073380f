"""allauth hooks: the role chosen at sign-up, Clerk ids, where users land."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.urls import reverse

from accounts import services


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
