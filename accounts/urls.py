from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("onboarding/", views.onboarding, name="onboarding"),
    path("settings/", views.settings_page, name="settings"),
]
