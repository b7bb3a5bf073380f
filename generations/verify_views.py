"""The verify page: anyone, signed in or not, uploads an image and learns what its Content
Credentials say. Which generation and consent it names is shown only to the business that
made it and the model it shows.

The upload is read into memory (bounded by MAX_IMAGE_UPLOAD_BYTES), checked and
forgotten: nothing is written to disk, storage or the database.
"""

from __future__ import annotations

import io

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.models import Role
from generations import selectors
from generations.provenance import read_credentials
from modelsnapper.errors import DomainError
from modelsnapper.http import upload_view

MSG_NO_FILE = "Choose an image file to check."
MSG_TOO_BIG = "That file is larger than {limit} MB. Images from ModelSnapper are far smaller."
MSG_EMPTY = "The file is empty."


def _limit_mb() -> int:
    return settings.MAX_IMAGE_UPLOAD_BYTES // (1024 * 1024)


class BoundedMemoryUploadHandler(FileUploadHandler):
    """Keeps an upload in memory and gives up past ``limit`` bytes, so no temp file exists."""

    def __init__(self, request: HttpRequest | None = None, *, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.too_big = False
        self.buffer = io.BytesIO()
        # Across every file of the request: each completed file stays in memory, so a
        # per-file limit would let one request hold 100 (DATA_UPLOAD_MAX_NUMBER_FILES) x limit.
        self.total = 0

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.buffer = io.BytesIO()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.total += len(raw_data)
        if self.total > self.limit:
            self.too_big = True
            self.buffer = io.BytesIO()
            raise StopUpload(connection_reset=False)
        self.buffer.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            file=self.buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )


class VerifyForm(forms.Form):
    image = forms.FileField(
        label="Image to check",
        required=False,
        help_text="JPEG, PNG or WebP. The file is checked in memory and not kept.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )

    def __init__(self, *args, too_big: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.too_big = too_big

    def clean_image(self) -> bytes:
        upload = self.cleaned_data.get("image")
        if self.too_big:
            raise forms.ValidationError(MSG_TOO_BIG.format(limit=_limit_mb()))
        if not upload:
            raise forms.ValidationError(MSG_NO_FILE)
        if upload.size > settings.MAX_IMAGE_UPLOAD_BYTES:
            raise forms.ValidationError(MSG_TOO_BIG.format(limit=_limit_mb()))
        data = upload.read(settings.MAX_IMAGE_UPLOAD_BYTES + 1)
        if not data:
            raise forms.ValidationError(MSG_EMPTY)
        return data


def _bounded_handler(request: HttpRequest) -> BoundedMemoryUploadHandler:
    return BoundedMemoryUploadHandler(request, limit=settings.MAX_IMAGE_UPLOAD_BYTES)


# Public: a buyer of a photo, a journalist or a model without an account may check one.
# The upload is bounded in memory and never stored.
@require_http_methods(["GET", "POST"])
@upload_view(_bounded_handler, only=True)
def verify(request: HttpRequest) -> HttpResponse:
    (handler,) = request.upload_handlers
    assert isinstance(handler, BoundedMemoryUploadHandler)
    report = match = None
    if request.method == "POST":
        form = VerifyForm(request.POST, request.FILES, too_big=handler.too_big)
        if form.is_valid():
            try:
                report = read_credentials(form.cleaned_data["image"])
            except DomainError as error:  # the decode budget is spent: busy, try again
                messages.error(request, error.message)
                return redirect("generations:verify")
            if (
                report.is_modelsnapper
                and report.manifest_authentic
                and request.user.is_authenticated
                and request.user.role in (Role.BUSINESS, Role.MODEL)
            ):
                match = selectors.generation_for_credentials(
                    user=request.user, generation_id=report.generation_id
                )
            form = VerifyForm()  # the file is gone; offer a fresh field
    else:
        form = VerifyForm()
    return render(
        request,
        "generations/verify.html",
        {"form": form, "report": report, "match": match, "limit_mb": _limit_mb()},
    )
