"""The dashboard each role lands on after signing in."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render

from accounts.models import Role
from accounts.permissions import AuthenticatedRequest
from accounts.selectors import user_has_profile
from home import selectors


@login_required
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    if user.is_superuser or user.role == Role.ADMIN:
        return render(request, "home/dashboard_admin.html", selectors.admin_dashboard())
    if not user_has_profile(user):
        return redirect("accounts:onboarding")
    if user.role == Role.BUSINESS:
        context = selectors.business_dashboard(user=user)
        return render(request, "home/dashboard_business.html", context)
    context = selectors.model_dashboard(user=user)
    return render(request, "home/dashboard_model.html", context)
