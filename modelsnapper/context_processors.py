from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from modelsnapper.navigation import navigation_for


def navigation(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    role = None
    if user is not None and user.is_authenticated:
        role = "ADMIN" if user.is_superuser else user.role
    return {
        "nav_items": navigation_for(role, request.path),
        "clerk_enabled": settings.CLERK_ENABLED,
        "generation_engine": settings.GENERATION_ENGINE,
    }
