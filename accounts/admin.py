from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.forms import RateLimitedAdminLoginForm
from accounts.models import BusinessProfile, ModelProfile, User

# /admin/login/ shares allauth's failed-login limits (see the form).
admin.site.login_form = RateLimitedAdminLoginForm


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["-pk"]  # newest first by the always-indexed, time-ordered _id
    list_display = ["email", "role", "is_active", "is_staff", "clerk_id", "created_at"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["email", "clerk_id"]
    readonly_fields = ["id", "created_at", "last_login"]
    fieldsets = [
        (None, {"fields": ["id", "email", "password", "role", "clerk_id"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        ("Dates", {"fields": ["created_at", "last_login"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "role", "password1", "password2"]}),
    ]
    filter_horizontal = ["groups"]


@admin.register(BusinessProfile)
class BusinessProfileAdmin(admin.ModelAdmin):
    list_display = ["business_name", "user", "ai_credits", "subscription_status", "package"]
    # Not "package": that lists every package ever made as a filter link. The package's
    # kind filters, its name is searchable, and the edit form picks it by search.
    list_filter = ["subscription_status", "package__human_model_access", "package__is_active"]
    search_fields = ["business_name", "user__email", "stripe_customer_id", "package__name"]
    autocomplete_fields = ["package"]
    list_select_related = ["user", "package"]
    # Balances and approvals change only through services (ledger, consent).
    readonly_fields = ["id", "user", "ai_credits", "approved_models", "stripe_customer_id"]


@admin.register(ModelProfile)
class ModelProfileAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "royalty_balance", "consent_signed"]
    list_filter = ["consent_signed"]
    search_fields = ["name", "user__email"]
    list_select_related = ["user"]
    readonly_fields = [
        "id",
        "user",
        "royalty_balance",
        "reference_images",
        "approved_businesses",
        "consent_signed",
    ]
