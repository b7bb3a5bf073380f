from django.contrib import admin

from billing.models import Invoice, Package


@admin.register(Package)
class PackageAdmin(admin.ModelAdmin):
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


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ["invoice_number", "user", "amount_due", "currency", "status", "paid_at"]
    list_filter = ["status", "currency"]
    search_fields = ["invoice_number", "stripe_invoice_id", "user__email"]
    list_select_related = ["user"]

    # A read-only mirror of Stripe: webhooks write it, nobody edits it here.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
