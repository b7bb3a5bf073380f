from __future__ import annotations

import logging
import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import AuthenticatedRequest, business_required
from accounts.selectors import business_profile_for
from billing import selectors, services, stripe_gateway
from billing.models import CheckoutSession, Invoice
from modelsnapper.errors import DomainError
from modelsnapper.middleware import body_limit
from modelsnapper.paging import page_of

logger = logging.getLogger(__name__)

# Stripe's event bodies are a few KB; an invoice with many lines stays well under this.
WEBHOOK_MAX_BODY_BYTES = 1024 * 1024

# The success page reloads itself this often while the payment is pending.
PENDING_REFRESH_SECONDS = 3


@business_required
@require_GET
def packages(request: AuthenticatedRequest) -> HttpResponse:
    context = selectors.packages_page(user=request.user)
    context["payments_enabled"] = stripe_gateway.payments_enabled()
    # One nonce per page load: a double-clicked Buy creates one Checkout Session.
    context["nonce"] = uuid.uuid4().hex
    response = render(request, "billing/packages.html", context)
    # The back button must not bring back a page (and nonce) of an earlier purchase.
    add_never_cache_headers(response)
    return response


@business_required
@require_POST
def checkout(request: AuthenticatedRequest, package_id: str) -> HttpResponse:
    business = business_profile_for(request.user)
    success_url = request.build_absolute_uri(reverse("billing:checkout-success"))
    try:
        record = services.checkout_start(
            business=business,
            package_id=package_id,
            nonce=request.POST.get("nonce", ""),
            # Stripe replaces the placeholder with the session id.
            success_url=f"{success_url}?session_id={{CHECKOUT_SESSION_ID}}",
            cancel_url=request.build_absolute_uri(reverse("billing:checkout-cancel")),
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("billing:packages")
    if not record.url:
        messages.error(request, services.ERR_STRIPE_DOWN)
        return redirect("billing:packages")
    return redirect(record.url)


@business_required
@require_GET
def checkout_success(request: AuthenticatedRequest) -> HttpResponse:
    try:
        record = selectors.checkout_session_for(
            user=request.user, stripe_session_id=request.GET.get("session_id", "")
        )
    except CheckoutSession.DoesNotExist:
        raise Http404("No such checkout.") from None
    record = services.checkout_sync(record=record)
    context = {
        "record": record,
        "profile": business_profile_for(request.user),
        "refresh_seconds": PENDING_REFRESH_SECONDS,
    }
    return render(request, "billing/checkout_success.html", context)


@business_required
@require_GET
def checkout_cancel(request: AuthenticatedRequest) -> HttpResponse:
    messages.info(request, "Checkout cancelled: nothing was charged.")
    return redirect("billing:packages")


@business_required
@require_GET
def invoices(request: AuthenticatedRequest) -> HttpResponse:
    context = {
        "invoices": page_of(selectors.invoices_for(user=request.user), request.GET),
        "profile": business_profile_for(request.user),
        "payments_enabled": stripe_gateway.payments_enabled(),
    }
    return render(request, "billing/invoices.html", context)


@business_required
@require_GET
def invoice_detail(request: AuthenticatedRequest, invoice_id: str) -> HttpResponse:
    try:
        invoice = selectors.invoice_for(user=request.user, invoice_id=invoice_id)
    except Invoice.DoesNotExist:
        raise Http404("No such invoice.") from None
    return render(request, "billing/invoice_detail.html", {"invoice": invoice})


@business_required
@require_POST
def portal(request: AuthenticatedRequest) -> HttpResponse:
    try:
        url = services.portal_start(
            business=business_profile_for(request.user),
            return_url=request.build_absolute_uri(reverse("billing:invoices")),
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("billing:invoices")
    return redirect(url)


@business_required
@require_GET
def credits(request: AuthenticatedRequest) -> HttpResponse:
    context = selectors.credit_history(user=request.user, params=request.GET)
    return render(request, "billing/credits.html", context)


@csrf_exempt  # Stripe cannot send a CSRF token; the signature authenticates instead.
@body_limit(WEBHOOK_MAX_BODY_BYTES, anonymous=True)
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    try:
        payload = stripe_gateway.webhook_parse(
            payload=request.body, signature=request.headers.get("Stripe-Signature")
        )
    except stripe_gateway.WebhookInvalid as error:
        logger.warning("Refused a Stripe webhook: %s", error)
        return HttpResponse(str(error), status=400, content_type="text/plain")
    event = services.stripe_event_apply(event=services.stripe_event_record(event=payload))
    if event.state == "failed":
        # Non-2xx makes Stripe deliver it again later; the event keeps its error.
        return HttpResponse("Event stored; applying it failed.", status=500)
    return HttpResponse(f"{event.state}", content_type="text/plain")
