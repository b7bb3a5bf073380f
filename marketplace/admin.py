from django.contrib import admin

from marketplace.models import AIAvatar, ConsentRequest


@admin.register(AIAvatar)
class AIAvatarAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "s3_url"]
    list_filter = ["is_active"]
    search_fields = ["name"]


@admin.register(ConsentRequest)
class ConsentRequestAdmin(admin.ModelAdmin):
    list_display = ["id", "business", "model", "status", "requested_at"]
    list_filter = ["status"]
    search_fields = ["business__email", "model__email"]
    list_select_related = ["business", "model"]
    # Consent changes only through marketplace.services, which keep the trail.
    readonly_fields = ["id", "business", "model", "status", "requested_at"]

    def has_add_permission(self, request) -> bool:
        return False
