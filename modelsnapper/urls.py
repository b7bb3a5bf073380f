from django.contrib import admin
from django.urls import include, path

from modelsnapper.health import healthz, readyz
from modelsnapper.paging import bound_admin_changelists

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("", include("home.urls")),
    path("marketplace/", include("marketplace.urls")),
    path("billing/", include("billing.urls")),
    path("generations/", include("generations.urls")),
    path("payouts/", include("payouts.urls")),
]

admin.site.site_header = "ModelSnapper admin"
bound_admin_changelists(admin.site)
admin.site.site_title = "ModelSnapper admin"
