from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html

from marketplace import services
from marketplace.models import (
    AIAvatar,
    ConsentEvent,
    ConsentRequest,
    LikenessRelease,
    ReleaseSignature,
)
from modelsnapper import storage
from modelsnapper.errors import DomainError
from modelsnapper.http import private_file_response
from modelsnapper.images import ProcessedImage, SingleImageField, process_image_upload
from modelsnapper.text import clean_name


class AIAvatarAdminForm(forms.ModelForm):
    """Name, active flag and an uploaded image: the storage key is never typed in."""

    image = SingleImageField(
        required=False,
        help_text=(
            "JPEG, PNG or WebP; re-encoded as JPEG without metadata. Required for a new avatar."
        ),
    )

    class Meta:
        model = AIAvatar
        fields = ["name", "is_active"]

    def clean_name(self) -> str:
        try:
            return clean_name(self.cleaned_data.get("name"), label="avatar name")
        except DomainError as error:
            raise forms.ValidationError(error.message) from None

    def clean_image(self) -> ProcessedImage | None:
        upload = self.cleaned_data.get("image")
        if not upload:
            if self.instance._state.adding:
                raise forms.ValidationError(services.ERR_AVATAR_IMAGE)
            return None
        try:
            # The same pipeline as every upload: content sniffed, pixel-capped, re-encoded.
            return process_image_upload(upload)
        except DomainError as error:
            raise forms.ValidationError(error.message) from None


@admin.register(AIAvatar)
class AIAvatarAdmin(admin.ModelAdmin):
    form = AIAvatarAdminForm
    list_display = ["preview_small", "name", "is_active"]
    list_display_links = ["preview_small", "name"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    readonly_fields = ["preview"]
    fields = ["name", "is_active", "image", "preview"]

    def get_urls(self):
        image = path(
            "<str:object_id>/image/",
            self.admin_site.admin_view(self.image_view),
            name="marketplace_aiavatar_image",
        )
        return [image, *super().get_urls()]

    def image_view(self, request, object_id: str):
        avatar = AIAvatar.objects.filter(pk=object_id).first()
        if (
            avatar is None
            or not self.has_view_permission(request, avatar)
            or not services.is_avatar_key(avatar.s3_url)
        ):
            raise Http404("No such avatar image.")
        return private_file_response(storage.variant_key(avatar.s3_url, "thumb"))

    def _img(self, obj: AIAvatar | None, width: int) -> str:
        if obj is None or obj.pk is None or not services.is_avatar_key(obj.s3_url):
            return "No image yet" if obj is None or obj.pk is None else "Not an uploaded image"
        url = reverse("admin:marketplace_aiavatar_image", args=[obj.pk])
        return format_html('<img src="{}" alt="{}" width="{}">', url, obj.name, width)

    @admin.display(description="Image")
    def preview(self, obj: AIAvatar | None) -> str:
        return self._img(obj, 240)

    @admin.display(description="Image")
    def preview_small(self, obj: AIAvatar) -> str:
        return self._img(obj, 48)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            # Refused by the service in save_model (storage down): nothing was saved.
            self.message_user(request, exc.message, level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request, obj, form, change) -> None:
        image = form.cleaned_data.get("image")
        if change:
            saved = services.avatar_update(
                actor=request.user,
                avatar=AIAvatar.objects.get(pk=obj.pk),
                name=obj.name,
                is_active=obj.is_active,
                upload=image,
            )
        else:
            saved = services.avatar_create(
                actor=request.user, name=obj.name, upload=image, is_active=obj.is_active
            )
        # The admin goes on with this object (its log entry, the redirect).
        obj.pk = saved.pk
        obj.s3_url = saved.s3_url
        obj._state.adding = False


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
