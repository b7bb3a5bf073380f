"""Request and response guards: a body limit per view, the Permissions-Policy header.

The body limit is enforced before anything reads the body.

Django reads a POST body whole (into memory or a temp file) as soon as anything touches
``request.POST`` — the CSRF middleware does, for every view. Without a limit an anonymous
100 MB POST to /accounts/login/ is read and spooled to disk. This middleware runs before
CSRF and refuses, from ``Content-Length`` alone, a body larger than what the view may take:

- a view marked with ``body_limit(n)`` (``modelsnapper.http.upload_view`` marks the upload
  views) takes up to ``n`` bytes, from a signed-in user only;
- the Django admin takes ``ADMIN_MAX_BODY_BYTES`` from staff (the avatar upload);
- every other view takes ``MAX_REQUEST_BODY_BYTES`` (default 256 KB: forms are small).

The WSGI input stream is a ``LimitedStream`` of ``Content-Length`` bytes, so a body
cannot grow past the length it declared: refusing on the header is refusing before a
single byte of the body is read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse

V = TypeVar("V", bound=Callable[..., Any])

MSG_TOO_LARGE = "The request is too large for this page (at most {limit})."


def body_limit(limit: int, *, anonymous: bool = False) -> Callable[[V], V]:
    """Mark a view as taking bodies of up to ``limit`` bytes: from signed-in users only,
    unless ``anonymous`` (a signed webhook: its signature authenticates it)."""

    def mark(view: V) -> V:
        view.body_limit = limit  # type: ignore[attr-defined]
        view.body_limit_anonymous = anonymous  # type: ignore[attr-defined]
        return view

    return mark


def _human(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"{limit // (1024 * 1024)} MB"
    return f"{max(limit // 1024, 1)} KB"


def _declared_length(request: HttpRequest) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def limit_for(request: HttpRequest, view: Callable[..., Any]) -> int:
    default = int(settings.MAX_REQUEST_BODY_BYTES)
    user = getattr(request, "user", None)
    signed_in = bool(user is not None and user.is_authenticated)
    marked = getattr(view, "body_limit", None)
    if marked is not None:
        # Large bodies only for someone signed in: an anonymous upload is pointless.
        anonymous = bool(getattr(view, "body_limit_anonymous", False))
        return int(marked) if signed_in or anonymous else default
    match = getattr(request, "resolver_match", None)
    if (
        match is not None
        and match.app_name == "admin"
        and signed_in
        and getattr(user, "is_staff", False)
    ):
        return max(default, int(settings.ADMIN_MAX_BODY_BYTES))
    return default


class BodyLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        limit = limit_for(request, view)
        if _declared_length(request) > limit:
            response = HttpResponse(
                MSG_TOO_LARGE.format(limit=_human(limit)),
                status=413,
                content_type="text/plain; charset=utf-8",
            )
            # The unread body stays on the connection: do not keep it alive.
            response["Connection"] = "close"
            return response
        return None


class PermissionsPolicyMiddleware:
    """The Permissions-Policy header (Django has no setting for it)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
