"""The landing and public pages, and the dashboard each role lands on after signing in."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from accounts.models import Role
from accounts.permissions import AuthenticatedRequest
from accounts.selectors import user_has_profile
from home import selectors
from home.examples import EXAMPLES_BY_SLUG
from modelsnapper.http import private_file_response


@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home:dashboard")
    return render(request, "home/landing.html", selectors.landing_page())


@require_GET
def pricing(request: HttpRequest) -> HttpResponse:
    return render(request, "home/pricing.html", selectors.pricing_page())


@require_GET
def public_page(request: HttpRequest, slug: str) -> HttpResponse:
    return render(request, "home/public_page.html", {"page": selectors.public_page(slug=slug)})


@require_GET
def example_image(request: HttpRequest, slug: str) -> HttpResponseBase:
    """A landing-page example: public by design, and only the fixed seed examples
    (``<slug>-product`` is the product photo it was made from)."""
    product = slug.endswith("-product")
    example = EXAMPLES_BY_SLUG.get(slug.removesuffix("-product"))
    if example is None:
        raise Http404("No such example.")
    return private_file_response(example.product_key if product else example.output_key)


@login_required
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    if user.is_superuser or user.role == Role.ADMIN:
        return render(request, "home/dashboard_admin.html", selectors.admin_dashboard())
    if not user_has_profile(user):
        return redirect("accounts:onboarding")
    if user.role == Role.BUSINESS:
        context = selectors.business_dashboard(user=user)
        return render(request, "home/dashboard_business.html", context)
    context = selectors.model_dashboard(user=user)
    return render(request, "home/dashboard_model.html", context)
