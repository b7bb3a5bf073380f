"""Generation pages: new batch, progress, history, detail, private images, royalties."""

from __future__ import annotations

import csv
import secrets
import zipfile
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Role
from accounts.permissions import (
    AuthenticatedRequest,
    business_required,
    model_required,
    role_required,
)
from accounts.selectors import business_profile_for
from generations import selectors, services
from generations.engines import fashn
from generations.forms import HistoryFilterForm, NewGenerationForm, ReportMisuseForm
from generations.licence import licence_document
from generations.models import GenerationStatus
from generations.services import GenerationCode
from modelsnapper import storage
from modelsnapper.errors import DomainError
from modelsnapper.http import found_or_404, private_file_response, upload_view
from modelsnapper.images import SizeLimitedUploadHandler, too_large_message
from modelsnapper.middleware import body_limit
from modelsnapper.paging import page_size

HISTORY_PAGE_SIZE = 24


def _new_token() -> str:
    return secrets.token_urlsafe(24)


# Refusals about the wearer are shown beside the picker, the rest at the top of the form.
WEARER_CODES = {
    GenerationCode.WEARER,
    GenerationCode.NO_CONSENT,
    GenerationCode.NO_HUMAN_ACCESS,
    GenerationCode.AVATAR_INACTIVE,
}


def _picker_page(request: AuthenticatedRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


@upload_view(SizeLimitedUploadHandler, max_body=settings.MAX_BATCH_BODY_BYTES)
@require_http_methods(["GET", "POST"])
@business_required
def new(request: AuthenticatedRequest) -> HttpResponse:
    business = business_profile_for(request.user)
    if request.method == "POST":
        form = NewGenerationForm(request.POST, request.FILES)
        if getattr(request, "upload_too_large", False):
            form.add_error("photos", too_large_message())
        elif form.is_valid():
            try:
                batch = services.generation_create(
                    business=business,
                    wearer=services.Wearer.parse(form.cleaned_data["wearer"]),
                    category=form.cleaned_data["category"],
                    photos=form.cleaned_data["photos"],
                    batch_key=form.cleaned_data["batch_token"],
                    actor=request.user,
                )
            except DomainError as exc:
                form.add_error("wearer" if exc.code in WEARER_CODES else None, exc.message)
            else:
                return redirect("generations:batch", batch_id=batch.pk)
        # A refused batch gets a fresh token, so correcting the form is a new batch.
        data = request.POST.copy()
        data["batch_token"] = _new_token()
        form.data = data
    else:
        form = NewGenerationForm(initial={"batch_token": _new_token()})
    picker = selectors.wearer_picker(
        business=business, query=request.GET.get("q", ""), page=_picker_page(request)
    )
    chosen_token = form.data.get("wearer", "") if form.is_bound else request.GET.get("wearer", "")
    return render(
        request,
        "generations/new.html",
        {
            "form": form,
            "business": business,
            "picker": picker,
            "chosen": selectors.wearer_chosen(business=business, token=chosen_token),
            "human_access": business.includes_human_models,
            "paused": selectors.generation_paused(),
            "engine_label": selectors.engine_label(settings.GENERATION_ENGINE),
        },
    )


@require_GET
@business_required
def batch(request: AuthenticatedRequest, batch_id: str) -> HttpResponse:
    found = found_or_404(
        selectors.batch_for(user=request.user, batch_id=batch_id), "No such batch."
    )
    return render(
        request,
        "generations/batch.html",
        {"batch": found, "progress": selectors.batch_progress(batch=found)},
    )


@require_GET
@business_required
def batch_status(request: AuthenticatedRequest, batch_id: str) -> JsonResponse:
    found = found_or_404(
        selectors.batch_for(user=request.user, batch_id=batch_id), "No such batch."
    )
    response = JsonResponse(selectors.batch_progress(batch=found))
    response["Cache-Control"] = "no-store"
    return response


class _ZipSink:
    """A write-only file for zipfile: what it receives is handed on in chunks, so the
    archive streams without being held whole in memory or on disk."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.offset = 0

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        self.offset += len(data)
        return len(data)

    def tell(self) -> int:
        return self.offset

    def flush(self) -> None:
        return None

    def drain(self) -> bytes:
        data, self.chunks = b"".join(self.chunks), []
        return data


def _zip_chunks(generations: list) -> Iterator[bytes]:
    sink = _ZipSink()
    # Stored, not deflated: the JPEGs are compressed already.
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED) as archive:  # type: ignore[call-overload]
        for index, generation in enumerate(generations, start=1):
            try:
                data = storage.read_private(generation.output_s3_url)
            except storage.PrivateFileMissing:
                continue
            info = zipfile.ZipInfo(f"modelsnapper-{index:02d}.jpg", date_time=(2020, 1, 1, 0, 0, 0))
            with archive.open(info, mode="w") as member:
                member.write(data)
            yield sink.drain()
    yield sink.drain()


@require_GET
@business_required
def batch_zip(request: AuthenticatedRequest, batch_id: str) -> HttpResponseBase:
    """Every downloadable photo of the batch as one ZIP, streamed photo by photo."""
    found = found_or_404(
        selectors.batch_for(user=request.user, batch_id=batch_id), "No such batch."
    )
    generations = selectors.batch_downloads(batch=found)
    if not generations:
        raise Http404("No photo of this batch can be downloaded yet.")
    response = StreamingHttpResponse(_zip_chunks(generations), content_type="application/zip")
    response["Content-Disposition"] = 'attachment; filename="modelsnapper-photos.zip"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@business_required
def product_image(request: AuthenticatedRequest, generation_id: str) -> HttpResponseBase:
    """The product photo a generation was made from, for the business that uploaded it."""
    generation = found_or_404(
        selectors.generation_for_business(user=request.user, generation_id=generation_id),
        "No such generation.",
    )
    if not generation.product_image_key:
        raise Http404("No image.")
    return private_file_response(generation.product_image_key)


@require_GET
@business_required
def history(request: AuthenticatedRequest) -> HttpResponse:
    filters = HistoryFilterForm(request.GET or None)
    wearer_type = status = ""
    if filters.is_valid():
        wearer_type = filters.cleaned_data.get("wearer_type") or ""
        status = filters.cleaned_data.get("status") or ""
    page = Paginator(
        selectors.history_for(user=request.user, wearer_type=wearer_type, status=status),
        page_size(HISTORY_PAGE_SIZE),
    ).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "generations/history.html",
        {"page": page, "filters": filters, "query": query.urlencode()},
    )


@require_GET
@role_required(Role.BUSINESS, Role.MODEL)
def detail(request: AuthenticatedRequest, generation_id: str) -> HttpResponse:
    generation = found_or_404(
        selectors.generation_for_viewer(user=request.user, generation_id=generation_id),
        "No such generation.",
    )
    is_owner = generation.user_id == request.user.pk
    return render(
        request,
        "generations/detail.html",
        {
            "generation": generation,
            "is_owner": is_owner,
            "is_likeness": generation.model_id == request.user.pk,
            "engine_label": selectors.engine_label(generation.engine),
            "report_form": ReportMisuseForm(),
            "credentials": selectors.generation_credentials(
                generation=generation, full_image=is_owner
            ),
            "has_licence": selectors.licence_record_for(generation=generation) is not None,
        },
    )


# FASHN's webhook body: the finished prediction, a base64 output image included.
_FASHN_WEBHOOK_MAX_BYTES = 40 * 1024 * 1024


@csrf_exempt  # FASHN cannot send a CSRF token; the per-generation HMAC token authenticates.
@body_limit(_FASHN_WEBHOOK_MAX_BYTES, anonymous=True)  # the token authenticates it
@require_POST
def fashn_webhook(request: HttpRequest, generation_id: str) -> HttpResponse:
    """A FASHN delivery only wakes the waiting job (which reads FASHN's own status)."""
    accepted = fashn.webhook_receive(
        generation_id=generation_id, token=request.GET.get("token", ""), body=request.body
    )
    if not accepted:
        return HttpResponse("Not found.", status=404, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


def _licence_or_404(request: AuthenticatedRequest, generation_id: str) -> tuple[Any, Any]:
    generation = found_or_404(
        selectors.generation_for_viewer(user=request.user, generation_id=generation_id),
        "No such generation.",
    )
    record = found_or_404(
        selectors.licence_record_for(generation=generation), "This photo has no licence record."
    )
    return generation, record


@require_GET
@role_required(Role.BUSINESS, Role.MODEL)
def licence(request: AuthenticatedRequest, generation_id: str) -> HttpResponse:
    """The printable licence record (the business that made the photo, or its model)."""
    generation, record = _licence_or_404(request, generation_id)
    return render(
        request,
        "generations/licence.html",
        {"generation": generation, "record": record, "doc": licence_document(record)},
    )


@require_GET
@role_required(Role.BUSINESS, Role.MODEL)
def licence_json(request: AuthenticatedRequest, generation_id: str) -> HttpResponse:
    """The record's exact canonical JSON: its SHA-256 is the one in the C2PA manifest."""
    generation, record = _licence_or_404(request, generation_id)
    response = HttpResponse(record.document, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="licence-{generation.pk}.json"'
    response["X-Content-SHA256"] = record.sha256
    return response


def _download_name(generation) -> str:
    return f"modelsnapper-{generation.pk}.jpg"


@require_GET
@business_required
def image(request: AuthenticatedRequest, generation_id: str) -> HttpResponseBase:
    """The full-size output, for the business that made it (not while frozen)."""
    generation = found_or_404(
        selectors.generation_for_business(user=request.user, generation_id=generation_id),
        "No such generation.",
    )
    if (
        generation.status != GenerationStatus.SUCCEEDED
        or generation.is_frozen
        or not generation.output_s3_url
    ):
        raise Http404("No image.")
    response = private_file_response(generation.output_s3_url)
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="{_download_name(generation)}"'
    return response


@require_GET
@role_required(Role.BUSINESS, Role.MODEL)
def thumbnail(request: AuthenticatedRequest, generation_id: str) -> HttpResponseBase:
    """The thumbnail: for the business, and for the model whose likeness it uses."""
    generation = found_or_404(
        selectors.generation_for_viewer(user=request.user, generation_id=generation_id),
        "No such generation.",
    )
    frozen_for_business = generation.is_frozen and generation.user_id == request.user.pk
    if not generation.thumbnail_s3_url or frozen_for_business:
        raise Http404("No image.")
    return private_file_response(generation.thumbnail_s3_url)


ADMIN_MEDIA = {
    "output": "output_s3_url",
    "thumbnail": "thumbnail_s3_url",
    "product": "product_image_key",
}


@require_GET
@role_required(Role.ADMIN, profile_required=False)
def admin_media(
    request: AuthenticatedRequest, generation_id: str, variant: str
) -> HttpResponseBase:
    """Any generation's images, for admins only (reported ones included: that is the point)."""
    field = ADMIN_MEDIA.get(variant)
    generation = found_or_404(
        selectors.generation_for_admin(generation_id=generation_id), "No such generation."
    )
    key = getattr(generation, field, "") if field else ""
    if not key:
        raise Http404("No image.")
    return private_file_response(key)


@require_POST
@model_required
def report(request: AuthenticatedRequest, generation_id: str) -> HttpResponse:
    generation = found_or_404(
        selectors.generation_for_model(user=request.user, generation_id=generation_id),
        "No such generation.",
    )
    form = ReportMisuseForm(request.POST)
    if form.is_valid():
        try:
            services.generation_report_misuse(
                generation=generation, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                "Reported. The business cannot download this image until an admin reviews it.",
            )
    else:
        messages.error(request, "Say briefly what is wrong with this image.")
    return redirect("generations:detail", generation_id=generation.pk)


@require_GET
@model_required
def royalties(request: AuthenticatedRequest) -> HttpResponse:
    context = selectors.royalty_page(user=request.user, params=request.GET)
    # The template pages with Django's Page (page.object_list, page.number).
    context["page"] = context["page"].page
    return render(request, "generations/royalties.html", context)


@require_GET
@model_required
def royalties_csv(request: AuthenticatedRequest) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="modelsnapper-royalties.csv"'
    writer = csv.writer(response)
    writer.writerow(
        ["date", "business", "generation", "garment category", "amount", "currency", "state"]
    )
    for line in selectors.royalty_lines_for(user=request.user).iterator():
        profile = getattr(line.user, "business_profile", None)
        writer.writerow(
            [
                line.generated_at.strftime("%Y-%m-%d %H:%M:%S"),
                _csv_safe(profile.business_name if profile else ""),
                line.pk,
                line.garment_category,
                f"{line.royalty_paid:.2f}",
                "USD",
                # A taken-down image keeps its royalty (README, "Royalties of taken-down images").
                "taken down, royalty kept" if line.status == GenerationStatus.TAKEN_DOWN else "",
            ]
        )
    return response


def _csv_safe(value: str) -> str:
    # Spreadsheet formula injection: a business name starting with = + - @ is text.
    return "'" + value if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value
