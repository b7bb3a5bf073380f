"""The model's payouts page, Stripe Connect onboarding and the CSV export."""

from __future__ import annotations

import csv

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import AuthenticatedRequest, model_required
from modelsnapper.errors import DomainError
from modelsnapper.http import found_or_404
from payouts import selectors, services
from payouts.models import AccountState


def _absolute(name: str) -> str:
    return f"{settings.SITE_URL}{reverse(name)}"


@model_required
@require_GET
def page(request: AuthenticatedRequest) -> HttpResponse:
    data = found_or_404(selectors.payouts_page_for(user=request.user, now=timezone.now()))
    return render(request, "payouts/page.html", {"data": data})


def _onboarding_redirect(request: AuthenticatedRequest) -> HttpResponse:
    try:
        url = services.payout_onboarding_start(
            actor=request.user,
            return_url=_absolute("payouts:return"),
            refresh_url=_absolute("payouts:refresh"),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("payouts:page")
    return redirect(url)


@model_required
@require_POST
def setup(request: AuthenticatedRequest) -> HttpResponse:
    """ "Set up payouts": creates the Express account once, sends the model to Stripe."""
    return _onboarding_redirect(request)


@model_required
@require_GET
def refresh(request: AuthenticatedRequest) -> HttpResponse:
    """Stripe sends the model here when an onboarding link expired: a new link for the
    same account (nothing is created on a GET: the account exists, or none is made)."""
    account = selectors.payout_account_for(user=request.user)
    if (
        account is None
        or not account.stripe_account_id
        or account.state == AccountState.DISCONNECTED
    ):
        return redirect("payouts:page")
    return _onboarding_redirect(request)


@model_required
@require_GET
def onboarding_return(request: AuthenticatedRequest) -> HttpResponse:
    try:
        account = services.payout_onboarding_sync(actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("payouts:page")
    if account.state == AccountState.ENABLED:
        messages.success(request, "Payouts are enabled: the weekly run pays your balance.")
    elif account.stripe_account_id:
        due = ", ".join(account.requirements_due) or "a review by Stripe"
        messages.warning(request, f"Payouts are not enabled yet. Still due: {due}.")
    return redirect("payouts:page")


CSV_HEADER = ["date", "type", "amount", "currency", "state", "method", "reference", "key"]


@model_required
@require_GET
def export_csv(request: AuthenticatedRequest) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="modelsnapper-payouts.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_HEADER)
    for entry in selectors.payout_history(user=request.user).iterator():
        writer.writerow(
            [
                entry.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                entry.kind,
                f"{entry.signed_amount:.2f}",
                entry.currency,
                entry.state,
                entry.manual_method or entry.get_method_display(),
                _csv_safe(entry.reference),
                entry.key,
            ]
        )
    return response


def _csv_safe(value: str) -> str:
    # Spreadsheet formula injection: an admin-typed reference starting with = + - @ is text.
    return "'" + value if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value
