from django.urls import path

from home import views

app_name = "home"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("pricing/", views.pricing, name="pricing"),
    path("terms/", views.public_page, {"slug": "terms"}, name="terms"),
    path("privacy/", views.public_page, {"slug": "privacy"}, name="privacy"),
    path("contact/", views.public_page, {"slug": "contact"}, name="contact"),
    path("examples/<slug:slug>.jpg", views.example_image, name="example-image"),
]
