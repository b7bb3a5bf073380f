from django.contrib import admin

from generations.models import Generation


@admin.register(Generation)
class GenerationAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "model_type", "model", "royalty_paid", "generated_at"]
    list_filter = ["model_type"]
    search_fields = ["user__email", "model__email"]
    list_select_related = ["user", "model"]
    readonly_fields = [f.name for f in Generation._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
