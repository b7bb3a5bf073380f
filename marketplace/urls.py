from django.urls import path

from marketplace import views

app_name = "marketplace"

urlpatterns = [
    # model
    path("likeness/", views.likeness, name="likeness"),
    path("likeness/limits/", views.likeness_limits, name="likeness-limits"),
    path("likeness/<str:photo_id>/replace/", views.likeness_replace, name="likeness-replace"),
    path("likeness/<str:photo_id>/delete/", views.likeness_delete, name="likeness-delete"),
    path("likeness/<str:photo_id>/full/", views.reference_full, name="reference-full"),
    path(
        "media/models/<str:model_user_id>/<str:photo_id>/thumb/",
        views.reference_thumb,
        name="reference-thumb",
    ),
    path("avatars/<str:avatar_id>/image/", views.avatar_image, name="avatar-image"),
    path("release/", views.release, name="release"),
    path("release/copy/", views.release_copy, name="release-copy"),
    path("release/withdraw/", views.release_withdraw, name="release-withdraw"),
    path("inbox/", views.consent_inbox, name="consent-inbox"),
    path("inbox/<str:request_id>/approve/", views.consent_approve, name="consent-approve"),
    path("inbox/<str:request_id>/reject/", views.consent_reject, name="consent-reject"),
    path("inbox/<str:request_id>/revoke/", views.consent_revoke, name="consent-revoke"),
    path("inbox/<str:request_id>/limits/", views.consent_limits, name="consent-limits"),
    path("trail/", views.audit_trail, name="audit-trail"),
    # business
    path("models/", views.directory, name="directory"),
    path("models/<str:model_user_id>/request/", views.consent_request, name="consent-request"),
    path("consents/", views.business_consents, name="business-consents"),
    path(
        "consents/<str:request_id>/",
        views.business_consent_detail,
        name="business-consent-detail",
    ),
]
