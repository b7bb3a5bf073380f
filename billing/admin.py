from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from accounts.permissions import AuthenticatedRequest
from billing import services
from billing.forms import AdjustCreditsForm, GrantPackageForm, PackageAdminForm
from billing.models import (
    BusinessCredits,
    CheckoutSession,
    CreditLedgerEntry,
    CreditReversal,
    Dispute,
    EventState,
    Invoice,
    Package,
    StripeEvent,
)
from modelsnapper.errors import DomainError


class ReadOnlyAdmin(admin.ModelAdmin):
    """A mirror or a ledger: services write it, nobody edits it here."""

    # Newest first by _id: an ObjectId grows with time and is always indexed, where the
    # models' own time orderings are not indexed alone (a sort of the whole collection).
    ordering = ["-pk"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Package)
class PackageAdmin(admin.ModelAdmin):
    form = PackageAdminForm
    list_display = [
        "name",
        "ai_credits_granted",
        "price_amount",
        "currency",
        "human_model_access",
        "tier",
        "is_active",
        "stripe_price_id",
    ]
    list_filter = ["is_active", "human_model_access", "tier"]
    search_fields = ["name", "stripe_price_id"]
    actions = ["deactivate", "activate"]

    def save_model(self, request: HttpRequest, obj: Package, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        # Saved either way (Stripe may be down), but the admin learns at once that
        # buyers would be refused.
        problem = services.package_price_problem(package=obj)
        if problem:
            self.message_user(request, problem, messages.WARNING)

    @admin.action(description="Deactivate (hide from the packages page)")
    def deactivate(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = queryset.update(is_active=False)
        self.message_user(request, f"{count} package(s) deactivated.")

    @admin.action(description="Activate")
    def activate(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = queryset.update(is_active=True)
        self.message_user(request, f"{count} package(s) activated.")


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ["invoice_number", "user", "amount_due", "currency", "status", "paid_at"]
    list_filter = ["status", "currency"]
    search_fields = ["invoice_number", "stripe_invoice_id", "user__email"]
    list_select_related = ["user"]


@admin.register(CreditLedgerEntry)
class CreditLedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["created", "business", "reason", "delta", "balance_after", "state", "key"]
    list_filter = ["reason", "state"]
    # Newest first by _id (an ObjectId grows with time and is always indexed): the
    # collection's only createdAt index starts with businessId, so sorting every row
    # on createdAt would scan and sort the whole ledger.
    ordering = ["-pk"]
    sortable_by = ["created", "key"]
    search_fields = ["key", "business__business_name", "business__user__email"]
    list_select_related = ["business", "actor"]

    @admin.display(description="created at", ordering="pk")
    def created(self, entry: CreditLedgerEntry) -> object:
        return entry.created_at


@admin.register(BusinessCredits)
class BusinessCreditsAdmin(ReadOnlyAdmin):
    """Balances with the "grant or adjust credits" action (credits_adjust)."""

    list_display = ["business_name", "user", "ai_credits", "subscription_status", "package"]
    search_fields = ["business_name", "user__email"]
    list_select_related = ["user", "package"]
    actions = ["adjust_credits", "grant_package"]

    @admin.action(description="Give a package without payment…")
    def grant_package(
        self, request: AuthenticatedRequest, queryset: QuerySet
    ) -> HttpResponse | None:
        if "apply" in request.POST:
            form = GrantPackageForm(request.POST)
            if form.is_valid():
                self._apply_grant(request, queryset, form.cleaned_data)
                return None
        else:
            form = GrantPackageForm()
        context = {
            **self.admin_site.each_context(request),
            "title": "Give a package without payment",
            "intro": (
                "The package's credits are added once, as one ledger row with your name and the "
                "reason, and its access applies (a package never goes down a tier)."
            ),
            "form": form,
            "businesses": queryset,
            "action_name": "grant_package",
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/billing/adjust_credits.html", context)

    def _apply_grant(self, request: AuthenticatedRequest, queryset: QuerySet, data: dict) -> None:
        for business in queryset:
            try:
                entry = services.package_grant(
                    business=business,
                    package=data["package"],
                    actor=request.user,
                    reason=data["reason"],
                    key=data["nonce"],
                )
            except DomainError as error:
                self.message_user(request, f"{business}: {error.message}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"{business}: {data['package'].name} given, balance now {entry.balance_after}.",
                    messages.SUCCESS,
                )

    @admin.action(description="Grant or adjust credits…")
    def adjust_credits(
        self, request: AuthenticatedRequest, queryset: QuerySet
    ) -> HttpResponse | None:
        if "apply" in request.POST:
            form = AdjustCreditsForm(request.POST)
            if form.is_valid():
                self._apply_adjustment(request, queryset, form.cleaned_data)
                return None
        else:
            form = AdjustCreditsForm()
        context = {
            **self.admin_site.each_context(request),
            "title": "Grant or adjust credits",
            "form": form,
            "businesses": queryset,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/billing/adjust_credits.html", context)

    def _apply_adjustment(
        self, request: AuthenticatedRequest, queryset: QuerySet, data: dict
    ) -> None:
        for business in queryset:
            try:
                entry = services.credits_adjust(
                    business=business,
                    delta=data["delta"],
                    reason=data["reason"],
                    actor=request.user,
                    # The form's nonce: submitting the same form twice adjusts once.
                    key=f"adjust:{data['nonce']}:{business.pk}",
                )
            except DomainError as error:
                self.message_user(request, f"{business}: {error.message}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"{business}: {entry.delta:+d} credits, balance now {entry.balance_after}.",
                    messages.SUCCESS,
                )


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "type", "stripe_event_id", "state", "attempts", "error"]
    list_filter = ["state", "type"]
    search_fields = ["stripe_event_id", "type"]
    actions = ["reapply"]

    @admin.action(description="Re-apply failed events")
    def reapply(self, request: AuthenticatedRequest, queryset: QuerySet) -> None:
        for event in queryset:
            if event.state != EventState.FAILED:
                self.message_user(request, f"{event}: not failed, skipped.", messages.WARNING)
                continue
            event = services.stripe_event_reapply(event=event, actor=request.user)
            level = messages.SUCCESS if event.state != EventState.FAILED else messages.ERROR
            self.message_user(request, f"{event}: {event.state} {event.error}".strip(), level)


@admin.register(CheckoutSession)
class CheckoutSessionAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "business",
        "package",
        "credits",
        "status",
        "payment_status",
        "fulfilled_at",
    ]
    list_filter = ["status", "payment_status"]
    search_fields = ["stripe_session_id", "payment_intent_id", "business__business_name"]
    list_select_related = ["business", "package"]


@admin.register(CreditReversal)
class CreditReversalAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "business",
        "stripe_charge_id",
        "credits_due",
        "credits_taken",
        "shortfall",
    ]
    search_fields = ["stripe_charge_id", "business__business_name"]
    list_select_related = ["business"]


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    list_display = ["opened_at", "stripe_dispute_id", "business", "amount", "currency", "status"]
    list_filter = ["status", "reason"]
    search_fields = ["stripe_dispute_id", "stripe_charge_id"]
    list_select_related = ["business"]
