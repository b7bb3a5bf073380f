from django.urls import path, register_converter

from generations import verify_views, views


class ObjectIdConverter:
    """24 hex characters: keeps ids from shadowing word paths such as verify/."""

    regex = "[0-9a-fA-F]{24}"

    def to_python(self, value: str) -> str:
        return value.lower()

    def to_url(self, value: str) -> str:
        return str(value)


register_converter(ObjectIdConverter, "oid")

app_name = "generations"

urlpatterns: list = [
    path("new/", views.new, name="new"),
    path("batches/<oid:batch_id>/", views.batch, name="batch"),
    path("batches/<oid:batch_id>/status.json", views.batch_status, name="batch-status"),
    path("batches/<oid:batch_id>/photos.zip", views.batch_zip, name="batch-zip"),
    path("history/", views.history, name="history"),
    path("royalties/", views.royalties, name="royalties"),
    path("royalties.csv", views.royalties_csv, name="royalties-csv"),
    path("<oid:generation_id>/", views.detail, name="detail"),
    path("<oid:generation_id>/image/", views.image, name="image"),
    path("<oid:generation_id>/thumbnail/", views.thumbnail, name="thumbnail"),
    path("<oid:generation_id>/product/", views.product_image, name="product"),
    path("<oid:generation_id>/report/", views.report, name="report"),
    path("<oid:generation_id>/licence/", views.licence, name="licence"),
    path("<oid:generation_id>/licence.json", views.licence_json, name="licence-json"),
    # FASHN's webhook (generations.engines.fashn.WEBHOOK_PATH): token-authenticated.
    path("fashn/webhook/<oid:generation_id>/", views.fashn_webhook, name="fashn-webhook"),
    # Admins review what they release or take down: output, thumbnail, product photo.
    path("<oid:generation_id>/review/<str:variant>/", views.admin_media, name="admin-media"),
    # Verify page (Content Credentials) URL patterns go below.
    path("verify/", verify_views.verify, name="verify"),
]
