from __future__ import annotations

from django.contrib import admin

from home.models import SitePage
from home.services import site_page_save


@admin.register(SitePage)
class SitePageAdmin(admin.ModelAdmin):
    """Terms, privacy and contact: the operator's own words, saved through the service."""

    list_display = ("slug", "title", "updated_at", "updated_by")
    fields = ("slug", "title", "body", "updated_at", "updated_by")
    readonly_fields = ("updated_at", "updated_by")

    def save_model(self, request, obj, form, change) -> None:
        saved = site_page_save(slug=obj.slug, title=obj.title, body=obj.body, actor=request.user)
        obj.pk, obj.updated_at, obj.updated_by = saved.pk, saved.updated_at, saved.updated_by
