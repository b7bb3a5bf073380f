from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts import selectors, services
from accounts.forms import NameForm, OnboardingForm
from accounts.models import Role
from accounts.permissions import AuthenticatedRequest, role_required
from modelsnapper.errors import DomainError, add_to_form


@role_required(Role.BUSINESS, Role.MODEL, profile_required=False)
@require_http_methods(["GET", "POST"])
def onboarding(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    if selectors.user_has_profile(user):
        return redirect("home:dashboard")
    form = OnboardingForm(request.POST or None, role=user.role)
    if request.method == "POST" and form.is_valid():
        try:
            services.profile_onboard(user=user, name=form.cleaned_data["name"])
        except DomainError as error:
            if error.code == services.AccountsCode.DUPLICATE:
                return redirect("home:dashboard")
            add_to_form(form, error)
        else:
            messages.success(request, "Welcome to ModelSnapper — your profile is ready.")
            return redirect("home:dashboard")
    return render(request, "accounts/onboarding.html", {"form": form})


@role_required(Role.BUSINESS, Role.MODEL)
@require_http_methods(["GET", "POST"])
def settings_page(request: AuthenticatedRequest) -> HttpResponse:
    """Name here; email addresses and password on allauth's own pages (linked)."""
    user = request.user
    current = selectors.profile_name(user)
    form = NameForm(request.POST or None, role=user.role, initial={"name": current})
    if request.method == "POST" and form.is_valid():
        try:
            services.profile_rename(user=user, name=form.cleaned_data["name"])
        except DomainError as error:
            add_to_form(form, error)
        else:
            messages.success(request, "Your name is saved.")
            return redirect("accounts:settings")
    return render(request, "accounts/settings.html", {"form": form, "current_name": current})
