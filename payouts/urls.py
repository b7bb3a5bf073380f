from django.urls import path

from payouts import views

app_name = "payouts"

urlpatterns = [
    path("", views.page, name="page"),
    path("setup/", views.setup, name="setup"),
    path("refresh/", views.refresh, name="refresh"),
    path("return/", views.onboarding_return, name="return"),
    path("export.csv", views.export_csv, name="export"),
]
