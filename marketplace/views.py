"""Marketplace pages: thin views (role gate, object for this user, form, one service)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Role
from accounts.permissions import (
    AuthenticatedRequest,
    business_required,
    model_required,
    role_required,
)
from marketplace import rules, selectors, services
from marketplace.event_text import describe_page
from marketplace.forms import (
    ConsentDecisionForm,
    ConsentRequestForm,
    LikenessLimitsForm,
    ReferencePhotoForm,
    ReleaseSignForm,
    ReplacePhotoForm,
)
from marketplace.models import ConsentStatus
from modelsnapper.errors import DomainError, add_to_form
from modelsnapper.garments import GarmentCategory
from modelsnapper.http import private_file_response, upload_view
from modelsnapper.images import SizeLimitedUploadHandler, too_large_message
from modelsnapper.paging import page_of
from modelsnapper.storage import variant_key


def _fail(request: HttpRequest, error: DomainError) -> None:
    """A refused action: someone else's object answers 404, the rest a message."""
    if error.code == services.MarketplaceCode.NOT_FOUND:
        raise Http404(error.message)
    messages.error(request, error.message)


# Uploads stop while streaming once a file passes MAX_IMAGE_UPLOAD_BYTES.
_upload_view = upload_view(SizeLimitedUploadHandler)


def _upload_too_large(request: HttpRequest) -> bool:
    request.FILES  # noqa: B018 — parse the body now, so the handler has had its say
    return bool(getattr(request, "upload_too_large", False))


def _packages_url() -> str | None:
    try:
        return reverse("billing:packages")
    except NoReverseMatch:
        return None


# --- model: likeness photos --------------------------------------------------------------------


def _add_photos(request: AuthenticatedRequest, uploads: list) -> tuple[int, str | None]:
    """Adds each photo in turn; stops at the first refusal, keeping those already added."""
    for index, upload in enumerate(uploads):
        try:
            services.reference_photo_add(actor=request.user, upload=upload)
        except DomainError as error:
            if len(uploads) == 1:
                return index, error.message
            name = getattr(upload, "name", "") or f"photo {index + 1}"
            return index, f"{name}: {error.message}"
    return len(uploads), None


@_upload_view
@model_required
@require_http_methods(["GET", "POST"])
def likeness(request: AuthenticatedRequest) -> HttpResponse:
    form = ReferencePhotoForm()
    if request.method == "POST":
        if _upload_too_large(request):
            messages.error(request, too_large_message())
            return redirect("marketplace:likeness")
        form = ReferencePhotoForm(request.POST, request.FILES)
        if form.is_valid():
            added, error = _add_photos(request, form.cleaned_data["photo"])
            if added:
                messages.success(request, f"{added} photo{'s' if added > 1 else ''} added.")
            if error is None:
                return redirect("marketplace:likeness")
            form.add_error("photo", error)
    photos = selectors.reference_photos(model_user=request.user)
    return render(
        request,
        "marketplace/likeness.html",
        {
            "form": form,
            "photos": photos,
            "can_add": len(photos) < rules.MAX_REFERENCE_PHOTOS,
            "min_photos": rules.MIN_REFERENCE_PHOTOS,
            "max_photos": rules.MAX_REFERENCE_PHOTOS,
            "listed": len(photos) >= rules.MIN_REFERENCE_PHOTOS,
            "limits_form": LikenessLimitsForm(
                initial={
                    "allowed_categories": selectors.accepted_categories(
                        model_user_id=request.user.pk
                    )
                }
            ),
        },
    )


@model_required
@require_POST
def likeness_limits(request: AuthenticatedRequest) -> HttpResponse:
    form = LikenessLimitsForm(request.POST)
    if form.is_valid():
        try:
            services.likeness_limits_set(
                actor=request.user, allowed_categories=form.cleaned_data["allowed_categories"]
            )
        except DomainError as error:
            _fail(request, error)
        else:
            messages.success(request, "Your usage limits are saved.")
    else:
        messages.error(request, "Choose garment categories from the list.")
    return redirect("marketplace:likeness")


@_upload_view
@model_required
@require_POST
def likeness_replace(request: AuthenticatedRequest, photo_id: str) -> HttpResponse:
    if selectors.reference_key_for(model_user_id=request.user.pk, photo_id=photo_id) is None:
        raise Http404("No such photo.")
    if _upload_too_large(request):
        messages.error(request, too_large_message())
        return redirect("marketplace:likeness")
    form = ReplacePhotoForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose a photo to replace this one with.")
        return redirect("marketplace:likeness")
    try:
        services.reference_photo_replace(
            actor=request.user, photo_id=photo_id, upload=form.cleaned_data["photo"]
        )
    except DomainError as error:
        _fail(request, error)
    else:
        messages.success(request, "Photo replaced.")
    return redirect("marketplace:likeness")


@model_required
@require_POST
def likeness_delete(request: AuthenticatedRequest, photo_id: str) -> HttpResponse:
    try:
        services.reference_photo_delete(actor=request.user, photo_id=photo_id)
    except DomainError as error:
        _fail(request, error)
    else:
        messages.success(request, "Photo deleted.")
    return redirect("marketplace:likeness")


@role_required(Role.MODEL, Role.BUSINESS)
@require_GET
def reference_thumb(
    request: AuthenticatedRequest, model_user_id: str, photo_id: str
) -> HttpResponseBase:
    if not selectors.can_view_reference_thumb(viewer=request.user, model_user_id=model_user_id):
        raise Http404("No such photo.")
    key = selectors.reference_key_for(model_user_id=model_user_id, photo_id=photo_id)
    if key is None:
        raise Http404("No such photo.")
    return private_file_response(variant_key(key, "thumb"))


@role_required(Role.BUSINESS, Role.ADMIN)
@require_GET
def avatar_image(request: AuthenticatedRequest, avatar_id: str) -> HttpResponseBase:
    """A stock avatar's picture: for businesses choosing a wearer, and admins."""
    avatar = selectors.avatar_for_viewer(viewer=request.user, avatar_id=avatar_id)
    # Only an uploaded avatar image (avatars/…), never whatever key an old row names.
    if avatar is None or not services.is_avatar_key(avatar.s3_url):
        raise Http404("No such avatar.")
    return private_file_response(avatar.s3_url)


@model_required
@require_GET
def release_copy(request: AuthenticatedRequest) -> HttpResponse:
    """A copy of the release the model signed, to keep, download or print."""
    signature = selectors.signed_release_copy(model_user=request.user)
    if signature is None:
        raise Http404("You have not signed a release.")
    response = render(request, "marketplace/release_copy.html", {"signature": signature})
    if request.GET.get("download"):
        response["Content-Disposition"] = (
            f'attachment; filename="modelsnapper-release-v{signature.release_version}.html"'
        )
    return response


@model_required
@require_GET
def reference_full(request: AuthenticatedRequest, photo_id: str) -> HttpResponseBase:
    # Full-size likeness photos are shown to their owner only.
    key = selectors.reference_key_for(model_user_id=request.user.pk, photo_id=photo_id)
    if key is None:
        raise Http404("No such photo.")
    return private_file_response(key)


# --- model: release ------------------------------------------------------------------------------


def _client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a trusted proxy
    # rewrites it, and a signature record must not carry a forged address.
    return request.META.get("REMOTE_ADDR") or None


@model_required
@require_http_methods(["GET", "POST"])
def release(request: AuthenticatedRequest) -> HttpResponse:
    state = selectors.release_state(model_user=request.user)
    initial = {}
    if state.release is not None:
        initial = {
            "release_version": state.release.version,
            "text_sha256": state.release.text_sha256,
        }
    form = ReleaseSignForm(initial=initial)
    if request.method == "POST":
        form = ReleaseSignForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.release_sign(
                    actor=request.user,
                    release_version=data["release_version"],
                    text_sha256=data["text_sha256"],
                    legal_name=data["legal_name"],
                    agreed=data["agree"],
                    context=services.SignatureContext(
                        ip_address=_client_ip(request),
                        user_agent=request.META.get("HTTP_USER_AGENT", ""),
                    ),
                )
            except DomainError as error:
                if error.code == services.MarketplaceCode.DUPLICATE:
                    messages.info(request, error.message)
                    return redirect("marketplace:release")
                if error.code == services.MarketplaceCode.CHANGED:
                    messages.error(request, error.message)
                    return redirect("marketplace:release")
                add_to_form(form, error)
            else:
                messages.success(request, "Thank you — your likeness release is signed.")
                return redirect("marketplace:release")
        else:
            messages.error(request, "The form was incomplete. Read the release and sign again.")
    return render(request, "marketplace/release.html", {"state": state, "form": form})


@model_required
@require_POST
def release_withdraw(request: AuthenticatedRequest) -> HttpResponse:
    try:
        services.release_withdraw(actor=request.user)
    except DomainError as error:
        _fail(request, error)
    else:
        messages.success(
            request,
            "Your release is withdrawn. Every approval is suspended until you sign again.",
        )
    return redirect("marketplace:release")


# --- model: consent inbox ----------------------------------------------------------------------


@model_required
@require_GET
def consent_inbox(request: AuthenticatedRequest) -> HttpResponse:
    inbox = selectors.consent_inbox(model_user=request.user, params=request.GET)
    return render(
        request,
        "marketplace/consent_inbox.html",
        {"inbox": inbox, "decision_form": ConsentDecisionForm()},
    )


def _decision(request: AuthenticatedRequest, request_id: str, *, limits_only: bool) -> HttpResponse:
    consent = selectors.request_for_model(model_user=request.user, consent_request_id=request_id)
    if consent is None:
        raise Http404("No such request.")
    initial: dict[str, Any] = {
        "allowed_categories": selectors.accepted_categories(model_user_id=request.user.pk)
    }
    if limits_only:
        initial = {
            "allowed_categories": consent.allowed_categories,
            "expires_on": consent.expires_at.date() if consent.expires_at else None,
        }
    form = ConsentDecisionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        service = services.consent_limits_change if limits_only else services.consent_approve
        try:
            service(
                actor=request.user,
                consent_request_id=consent.pk,
                allowed_categories=form.cleaned_data["allowed_categories"],
                expires_on=form.cleaned_data["expires_on"],
            )
        except DomainError as error:
            if not add_to_form(form, error, or_non_field=False):
                _fail(request, error)
                return redirect("marketplace:consent-inbox")
        else:
            messages.success(
                request,
                "Limits saved."
                if limits_only
                else "Approved. The business can now use your likeness within the limits you set.",
            )
            return redirect("marketplace:consent-inbox")
    return render(
        request,
        "marketplace/consent_decide.html",
        {
            "consent": consent,
            "form": form,
            "limits_only": limits_only,
            "business": selectors.business_card_for(
                business_user_id=consent.business_id, model_user_id=request.user.pk
            ),
        },
    )


@model_required
@require_http_methods(["GET", "POST"])
def consent_approve(request: AuthenticatedRequest, request_id: str) -> HttpResponse:
    return _decision(request, request_id, limits_only=False)


@model_required
@require_http_methods(["GET", "POST"])
def consent_limits(request: AuthenticatedRequest, request_id: str) -> HttpResponse:
    return _decision(request, request_id, limits_only=True)


@model_required
@require_POST
def consent_reject(request: AuthenticatedRequest, request_id: str) -> HttpResponse:
    try:
        services.consent_reject(
            actor=request.user,
            consent_request_id=request_id,
            reason=request.POST.get("reason", ""),
        )
    except DomainError as error:
        _fail(request, error)
    else:
        messages.success(request, "Request declined.")
    return redirect("marketplace:consent-inbox")


@model_required
@require_POST
def consent_revoke(request: AuthenticatedRequest, request_id: str) -> HttpResponse:
    try:
        services.consent_revoke(actor=request.user, consent_request_id=request_id)
    except DomainError as error:
        _fail(request, error)
    else:
        messages.success(request, "Consent revoked. It takes effect immediately.")
    return redirect("marketplace:consent-inbox")


@model_required
@require_GET
def audit_trail(request: AuthenticatedRequest) -> HttpResponse:
    events = page_of(selectors.audit_trail_for_model(model_user=request.user), request.GET)
    return render(
        request,
        "marketplace/audit_trail.html",
        {"events": describe_page(events, viewer=request.user)},
    )


# --- business: directory and consents ----------------------------------------------------------


def _upgrade_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "marketplace/upgrade.html",
        {"packages_url": _packages_url()},
        status=200,
    )


@business_required
@require_GET
def directory(request: AuthenticatedRequest) -> HttpResponse:
    if not selectors.business_has_model_access(business_user=request.user):
        return _upgrade_page(request)
    entries = selectors.directory_page(business_user=request.user, params=request.GET)
    return render(request, "marketplace/directory.html", {"entries": entries})


@business_required
@require_http_methods(["GET", "POST"])
def consent_request(request: AuthenticatedRequest, model_user_id: str) -> HttpResponse:
    if not selectors.business_has_model_access(business_user=request.user):
        if request.method == "POST":
            messages.error(request, services.ERR_NO_ACCESS)
        return _upgrade_page(request)
    entry = selectors.directory_model(business_user=request.user, model_user_id=model_user_id)
    if entry is None:
        raise Http404("No such model.")
    form = ConsentRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_request(
                actor=request.user,
                model_user_id=model_user_id,
                intended_use=form.cleaned_data["intended_use"],
            )
        except DomainError as error:
            if not add_to_form(form, error, or_non_field=False):
                _fail(request, error)
                return redirect("marketplace:business-consents")
        else:
            messages.success(request, f"Request sent to {entry.name}.")
            return redirect("marketplace:business-consents")
    return render(
        request,
        "marketplace/consent_request.html",
        {"entry": entry, "form": form, "categories": GarmentCategory.choices},
    )


@business_required
@require_GET
def business_consents(request: AuthenticatedRequest) -> HttpResponse:
    consents = selectors.business_consents(business_user=request.user, params=request.GET)
    return render(
        request,
        "marketplace/business_consents.html",
        {
            "consents": consents,
            "has_access": selectors.business_has_model_access(business_user=request.user),
            "approved_status": ConsentStatus.APPROVED,
        },
    )


@business_required
@require_GET
def business_consent_detail(request: AuthenticatedRequest, request_id: str) -> HttpResponse:
    consent = selectors.request_for_business(
        business_user=request.user, consent_request_id=request_id
    )
    if consent is None:
        raise Http404("No such request.")
    events = page_of(
        selectors.audit_trail_for_pair(business_user=request.user, model_user_id=consent.model_id),
        request.GET,
    )
    grant = selectors.active_consent(
        business_user_id=request.user.pk, model_user_id=consent.model_id
    )
    return render(
        request,
        "marketplace/business_consent_detail.html",
        {
            "consent": consent,
            "events": describe_page(events, viewer=request.user),
            "grant": grant,
        },
    )
