"""Role gates for views: a user reaches only their own role's pages (404 otherwise)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from accounts.models import Role, User
from accounts.selectors import user_has_profile


class AuthenticatedRequest(HttpRequest):
    """What a view behind ``role_required`` or ``login_required`` receives: a signed-in
    user, never AnonymousUser (the annotation django-stubs recommends)."""

    user: User


def role_required(*roles: str, profile_required: bool = True) -> Callable:
    """Anonymous → login; another role → 404; no profile yet → onboarding."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if user.role not in roles:
                raise Http404("No such page.")
            if profile_required and user.role != Role.ADMIN and not user_has_profile(user):
                return redirect("accounts:onboarding")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


business_required = role_required(Role.BUSINESS)
model_required = role_required(Role.MODEL)
