from __future__ import annotations

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from generations import services
from generations.models import Generation, GenerationBatch, RoyaltyLedger
from modelsnapper.errors import DomainError

# What a reviewer decides on comes first: the images, the state and the report.
REVIEW_FIRST = ["review_images", "status", "is_frozen", "reported_at", "report_reason"]


@admin.register(Generation)
class GenerationAdmin(admin.ModelAdmin):
    ordering = ["-pk"]  # newest first by the always-indexed, time-ordered _id
    list_display = [
        "preview",
        "id",
        "user",
        "model_type",
        "model",
        "status",
        "is_frozen",
        "royalty_paid",
        "generated_at",
    ]
    list_filter = ["model_type", "status", "is_frozen"]
    search_fields = ["user__email", "model__email"]
    list_select_related = ["user", "model"]
    readonly_fields = ["review_images", *[f.name for f in Generation._meta.fields]]
    fields = [
        *REVIEW_FIRST,
        *[f.name for f in Generation._meta.fields if f.name not in REVIEW_FIRST],
    ]
    actions = ["release_reported", "take_down"]

    @admin.display(description="Image")
    def preview(self, obj: Generation) -> str:
        if not obj.thumbnail_s3_url:
            return "—"
        return format_html(
            '<img src="{}" alt="Thumbnail" width="48" height="64" loading="lazy">',
            reverse("generations:admin-media", args=[obj.pk, "thumbnail"]),
        )

    @admin.display(description="What was made (admins only)")
    def review_images(self, obj: Generation) -> str:
        """The product photo beside the output, so a report is decided on the image."""
        shown = [
            (reverse("generations:admin-media", args=[obj.pk, variant]), label)
            for variant, label, key in (
                ("product", "Product photo", obj.product_image_key),
                ("output", "Output", obj.output_s3_url),
            )
            if key
        ]
        if not shown:
            return "No image is stored (failed, refused or taken down)."
        return format_html_join(
            " ",
            '<a href="{0}" target="_blank" rel="noopener"><img src="{0}" alt="{1}" width="240"'
            ' loading="lazy"></a>',
            shown,
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # Ledger rows point at generations; a generation is taken down, never deleted.
        return False

    @admin.action(description="Release (reviewed: the business may download again)")
    def release_reported(self, request, queryset) -> None:
        count = 0
        for generation in queryset:
            try:
                services.generation_release(generation=generation, actor=request.user)
                count += 1
            except DomainError as exc:
                self.message_user(request, f"{generation.pk}: {exc.message}", messages.ERROR)
        self.message_user(request, f"Released {count} generation(s).", messages.SUCCESS)

    @admin.action(description="Take down (delete the image files)")
    def take_down(self, request, queryset) -> None:
        count = 0
        for generation in queryset:
            try:
                services.generation_take_down(generation=generation, actor=request.user)
                count += 1
            except DomainError as exc:
                self.message_user(request, f"{generation.pk}: {exc.message}", messages.ERROR)
        self.message_user(request, f"Took down {count} generation(s).", messages.SUCCESS)


@admin.register(GenerationBatch)
class GenerationBatchAdmin(admin.ModelAdmin):
    ordering = ["-pk"]  # newest first by the always-indexed, time-ordered _id
    list_display = ["id", "user", "size", "created_at"]
    list_select_related = ["user"]
    readonly_fields = [f.name for f in GenerationBatch._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(RoyaltyLedger)
class RoyaltyLedgerAdmin(admin.ModelAdmin):
    ordering = ["-pk"]  # newest first by the always-indexed, time-ordered _id
    """Append-only: read here, written only by generations.services.royalty_credit."""

    list_display = ["key", "model", "business", "amount", "balance_after", "created_at"]
    list_select_related = ["model", "business"]
    search_fields = ["key", "model__email"]
    readonly_fields = [f.name for f in RoyaltyLedger._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
