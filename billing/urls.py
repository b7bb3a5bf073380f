from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("packages/", views.packages, name="packages"),
    path("checkout/<str:package_id>/", views.checkout, name="checkout"),
    path("checkout-success/", views.checkout_success, name="checkout-success"),
    path("checkout-cancel/", views.checkout_cancel, name="checkout-cancel"),
    path("invoices/", views.invoices, name="invoices"),
    path("invoices/<str:invoice_id>/", views.invoice_detail, name="invoice"),
    path("portal/", views.portal, name="portal"),
    path("credits/", views.credits, name="credits"),
    path("stripe/webhook/", views.stripe_webhook, name="stripe-webhook"),
]
