"""Helpers of the HTTP layer: the one place where absence becomes a 404 for a view.

Selectors answer None and storage raises ``PrivateFileMissing``; views call these.
"""

from __future__ import annotations

from typing import TypeVar

from django.http import FileResponse, Http404, HttpResponseRedirect
from django.http.response import HttpResponseBase

from modelsnapper import storage

T = TypeVar("T")


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
