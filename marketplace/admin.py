from __future__ import annotations

from django.contrib import admin, messages

from marketplace import services
from marketplace.models import (
    AIAvatar,
    ConsentEvent,
    ConsentRequest,
    LikenessRelease,
    ReleaseSignature,
)
from modelsnapper.errors import DomainError


@admin.register(AIAvatar)
class AIAvatarAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "s3_url"]
    list_filter = ["is_active"]
    search_fields = ["name"]


class _ReadOnlyAdmin(admin.ModelAdmin):
    """Consent records change only through marketplace.services, which keep the trail."""

    # Newest first by _id: an ObjectId grows with time and is always indexed, where the
    # models' own time orderings are not indexed alone (a sort of the whole collection).
    ordering = ["-pk"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ConsentRequest)
class ConsentRequestAdmin(_ReadOnlyAdmin):
    list_display = ["id", "business", "model", "status", "requested_at", "expires_at"]
    list_filter = ["status"]
    search_fields = ["business__email", "model__email"]
    list_select_related = ["business", "model"]


@admin.register(ConsentEvent)
class ConsentEventAdmin(_ReadOnlyAdmin):
    list_display = ["created_at", "event_type", "model", "business", "actor", "sequence"]
    list_filter = ["event_type"]
    search_fields = ["model__email", "business__email"]
    list_select_related = ["model", "business", "actor"]


@admin.register(ReleaseSignature)
class ReleaseSignatureAdmin(_ReadOnlyAdmin):
    list_display = ["model", "legal_name", "release_version", "signed_at", "withdrawn_at"]
    search_fields = ["model__email", "legal_name"]
    list_select_related = ["model"]


@admin.register(LikenessRelease)
class LikenessReleaseAdmin(admin.ModelAdmin):
    """Editing a release publishes a new version; signed texts are never changed."""

    list_display = ["version", "title", "created_at", "created_by"]
    fields = ["title", "text"]
    readonly_fields = ()

    def get_changeform_initial_data(self, request):
        latest = LikenessRelease.objects.order_by("-version").first()
        if latest is None:
            return {}
        return {"title": latest.title, "text": latest.text}

    def has_change_permission(self, request, obj=None) -> bool:
        # Opening an old version is allowed (read-only); saving one is not.
        return obj is None and super().has_change_permission(request, obj)

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_staff

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        try:
            published = services.release_publish(actor=request.user, title=obj.title, text=obj.text)
        except DomainError as error:
            messages.error(request, error.message)
            return
        # Let the admin redirect to the new version.
        obj.pk = published.pk
        obj.version = published.version
        obj.text_sha256 = published.text_sha256
        obj._state.adding = False
