"""Every page gated by role answers 404 to the other roles — found by walking the URLconf."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from modelsnapper.fields import new_object_id

pytestmark = pytest.mark.django_db

PERSONAS = {"BUSINESS": "business_alice", "MODEL": "model_mia", "ADMIN": "admin_ada"}


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def _gated_pages():
    pages = []
    for route, pattern in _walk(get_resolver().url_patterns):
        roles = getattr(pattern.callback, "allowed_roles", None)
        if roles is None:
            continue
        pages.append((route, pattern, roles))
    return pages


def _concrete_path(route: str) -> str:
    """Fills every converter with an id that exists nowhere (so owners' checks 404 too)."""

    def value(match: re.Match) -> str:
        return "987654" if match.group(1) == "int" else new_object_id()

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, route)


def test_the_walk_finds_the_gated_pages():
    routes = {route for route, _pattern, _roles in _gated_pages()}
    assert "onboarding/" in routes


@pytest.mark.parametrize(("route", "pattern", "roles"), _gated_pages(), ids=lambda v: str(v))
def test_other_roles_get_404(client, request, route, pattern, roles):
    path = _concrete_path(route)
    for role, persona in PERSONAS.items():
        if role in roles:
            continue
        client.force_login(request.getfixturevalue(persona))
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            assert response.status_code in (404, 405), (role, method, path, response.status_code)
            if response.status_code == 405:
                continue
            assert response.status_code == 404


@pytest.mark.parametrize(("route", "pattern", "roles"), _gated_pages(), ids=lambda v: str(v))
def test_anonymous_is_sent_to_login(client, route, pattern, roles):
    path = _concrete_path(route)
    response = client.get(path)
    assert response.status_code in (302, 405)
    if response.status_code == 302:
        assert response.url.startswith("/accounts/login/")
