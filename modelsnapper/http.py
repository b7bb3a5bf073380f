"""Helpers of the HTTP layer: the one place where absence becomes a 404 for a view.

Selectors answer None and storage raises ``PrivateFileMissing``; views call these.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
)
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from modelsnapper import ratelimit, storage

T = TypeVar("T")
View = Callable[..., HttpResponseBase]


def found_or_404(value: T | None, message: str = "Not found.") -> T:
    """The object a selector found for this user, or a 404 (never "someone else's")."""
    if value is None:
        raise Http404(message)
    return value


def private_file_response(key: str) -> HttpResponseBase:
    """Serve a private file. Call only after the view's own ownership check.

    Local storage streams the file; S3 redirects to a presigned URL. Both are
    marked private so shared caches never keep them.
    """
    response: HttpResponseBase
    try:
        if storage.is_s3():
            response = HttpResponseRedirect(storage.presigned_url(key))
            # The URL expires; never cache the redirect beyond one request.
            response["Cache-Control"] = "private, no-store"
        else:
            handle = storage.open_private(key)
            response = FileResponse(handle, content_type=storage.content_type_for(key))
            response["Cache-Control"] = "private, max-age=300"
    except storage.PrivateFileMissing:
        raise Http404("No such file.") from None
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


MSG_UPLOAD_RATE = (
    "You sent many uploads in the last minute. Nothing was saved from this one: "
    "wait a minute and try again."
)


def _upload_rate_exceeded(request: HttpRequest) -> bool:
    """Per user: at most UPLOADS_PER_MINUTE upload POSTs in a minute (counted from the
    first one, so no calendar-minute edge lets twice as many through)."""
    user = getattr(request, "user", None)
    if request.method != "POST" or user is None or not user.is_authenticated:
        return False
    return not ratelimit.allow(
        f"upload-rate:{user.pk}", limit=int(settings.UPLOADS_PER_MINUTE), window_seconds=60
    )


def upload_view(
    make_handler: Callable[[HttpRequest], FileUploadHandler],
    *,
    only: bool = False,
    max_body: int | None = None,
) -> Callable[[View], View]:
    """A view taking uploads: ``make_handler(request)`` is installed before anything reads
    the body (first, or as the ``only`` handler), then CSRF is checked.

    Django's documented way to change upload handlers ("Modifying upload handlers on
    the fly"): the CSRF middleware would read ``request.POST`` with the default,
    disk-spilling handlers, so the view is csrf_exempt outside and csrf_protect inside.
    """

    def decorator(view: View) -> View:
        protected = csrf_protect(view)

        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if _upload_rate_exceeded(request):
                return HttpResponse(MSG_UPLOAD_RATE, status=429, content_type="text/plain")
            handler = make_handler(request)
            if only:
                request.upload_handlers = [handler]
            else:
                # Before the body is read, upload_handlers is still a plain list.
                request.upload_handlers.insert(0, handler)  # type: ignore[union-attr]
            return protected(request, *args, **kwargs)

        # Read by modelsnapper.middleware.BodyLimitMiddleware before the body is.
        wrapped.body_limit = (  # type: ignore[attr-defined]
            max_body if max_body is not None else settings.MAX_UPLOAD_BODY_BYTES
        )
        return wrapped

    return decorator
