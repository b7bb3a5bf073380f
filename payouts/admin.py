from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from accounts.permissions import AuthenticatedRequest
from modelsnapper.errors import DomainError
from payouts import selectors, services
from payouts.forms import HoldForm, ManualPayoutForm
from payouts.models import ModelBalance, PayoutAccount, PayoutEntry


class _ReadOnly(admin.ModelAdmin):
    """Ledgers and Stripe mirrors: services write them, nobody edits them here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = {**(extra_context or {}), "owed": selectors.owed_total()}
        return super().changelist_view(request, extra_context)


@admin.register(PayoutEntry)
class PayoutEntryAdmin(_ReadOnly):
    change_list_template = "admin/payouts/change_list_owed.html"
    list_display = [
        "created_at",
        "model",
        "kind",
        "amount",
        "method",
        "state",
        "reference",
        "run_date",
        "key",
    ]
    list_filter = ["state", "kind", "method", "run_date"]
    search_fields = ["key", "reference", "model__email"]
    list_select_related = ["model"]
    date_hierarchy = "created_at"


@admin.register(PayoutAccount)
class PayoutAccountAdmin(_ReadOnly):
    list_display = [
        "model",
        "state",
        "payouts_enabled",
        "stripe_account_id",
        "on_hold",
        "hold_reason",
        "updated_at",
    ]
    list_filter = ["state", "on_hold", "payouts_enabled"]
    search_fields = ["model__email", "stripe_account_id"]
    list_select_related = ["model"]


@admin.register(ModelBalance)
class ModelBalanceAdmin(_ReadOnly):
    """Balances, with "record a manual payout", "hold payouts" and "release the hold"."""

    change_list_template = "admin/payouts/change_list_owed.html"
    list_display = ["name", "user", "royalty_balance", "payout_method", "hold"]
    search_fields = ["name", "user__email"]
    list_select_related = ["user", "user__payout_account"]
    actions = ["record_manual_payout", "hold_payouts", "release_hold"]

    @admin.display(description="payout method")
    def payout_method(self, profile: ModelBalance) -> str:
        account = getattr(profile.user, "payout_account", None)
        return account.get_state_display() if account else "Not set up"

    @admin.display(description="hold")
    def hold(self, profile: ModelBalance) -> str:
        account = getattr(profile.user, "payout_account", None)
        return account.hold_reason if account and account.on_hold else ""

    def _form_page(
        self, request: AuthenticatedRequest, queryset: QuerySet, form: Any, **context: Any
    ) -> TemplateResponse:
        return TemplateResponse(
            request,
            "admin/payouts/action_form.html",
            {
                **self.admin_site.each_context(request),
                "form": form,
                "profiles": queryset,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
                "opts": self.model._meta,
                **context,
            },
        )

    @admin.action(description="Record a manual payout…")
    def record_manual_payout(
        self, request: AuthenticatedRequest, queryset: QuerySet
    ) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one model.", messages.ERROR)
            return None
        form = ManualPayoutForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            profile = queryset.get()
            try:
                entry = services.payout_record_manual(
                    model_user_id=profile.user_id,
                    amount=form.cleaned_data["amount"],
                    method=form.cleaned_data["method"],
                    reference=form.cleaned_data["reference"],
                    token=form.cleaned_data["token"],
                    actor=request.user,
                )
            except DomainError as error:
                self.message_user(request, f"{profile}: {error.message}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"{profile}: paid ${entry.amount}, balance now ${entry.balance_after}.",
                    messages.SUCCESS,
                )
            return None
        return self._form_page(
            request,
            queryset,
            form,
            title="Record a manual payout",
            action="record_manual_payout",
            explanation="For payments made outside Stripe. The amount leaves the model's "
            "balance as one payout-ledger row with your name; the model sees it in their history.",
        )

    @admin.action(description="Hold payouts…")
    def hold_payouts(
        self, request: AuthenticatedRequest, queryset: QuerySet
    ) -> HttpResponse | None:
        form = HoldForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            for profile in queryset:
                services.payout_hold(
                    model_user_id=profile.user_id,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                )
            self.message_user(request, f"Payouts held for {queryset.count()} model(s).")
            return None
        return self._form_page(
            request,
            queryset,
            form,
            title="Hold payouts",
            action="hold_payouts",
            explanation="The weekly run skips held models; their balance stays theirs.",
        )

    @admin.action(description="Release the payout hold")
    def release_hold(self, request: AuthenticatedRequest, queryset: QuerySet) -> None:
        for profile in queryset:
            services.payout_hold_release(model_user_id=profile.user_id, actor=request.user)
        self.message_user(request, f"Hold released for {queryset.count()} model(s).")
