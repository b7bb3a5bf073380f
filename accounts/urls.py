from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("onboarding/", views.onboarding, name="onboarding"),
]
