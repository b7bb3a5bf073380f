"""Admins publish release versions from the Django admin; consent records are read-only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from marketplace import services
from marketplace.models import ConsentEvent, ConsentRequest, LikenessRelease

pytestmark = pytest.mark.django_db


def test_admin_publishes_a_new_release_version(client, admin_ada):
    client.force_login(admin_ada)
    add_url = reverse("admin:marketplace_likenessrelease_add")
    form = client.get(add_url)
    assert form.status_code == 200
    assert b"What this release covers" in form.content  # prefilled with the latest text
    response = client.post(add_url, {"title": "Release v2", "text": "New, clearer words."})
    assert response.status_code == 302
    latest = LikenessRelease.objects.order_by("-version").first()
    assert (latest.version, latest.title) == (2, "Release v2")
    assert latest.text_sha256 == services.text_hash("New, clearer words.")
    assert latest.created_by == admin_ada
    v1 = LikenessRelease.objects.get(version=1)
    assert "What this release covers" in v1.text  # the signed text never changes


def test_an_old_release_cannot_be_edited_or_deleted(client, admin_ada):
    client.force_login(admin_ada)
    v1 = LikenessRelease.objects.get(version=1)
    change_url = reverse("admin:marketplace_likenessrelease_change", args=[v1.pk])
    assert client.get(change_url).status_code == 200  # readable
    response = client.post(change_url, {"title": "Hacked", "text": "Other words"})
    assert response.status_code == 403
    delete_url = reverse("admin:marketplace_likenessrelease_delete", args=[v1.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    v1.refresh_from_db()
    assert v1.title != "Hacked"


def test_consent_records_are_read_only_in_the_admin(client, admin_ada, approved):
    client.force_login(admin_ada)
    for name in ("consentrequest", "consentevent", "releasesignature"):
        assert client.get(reverse(f"admin:marketplace_{name}_changelist")).status_code == 200
        assert client.get(reverse(f"admin:marketplace_{name}_add")).status_code == 403
    event = ConsentEvent.objects.first()
    url = reverse("admin:marketplace_consentevent_delete", args=[event.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    url = reverse("admin:marketplace_consentrequest_change", args=[approved.pk])
    assert client.post(url, {"status": "PENDING"}).status_code == 403
    assert ConsentRequest.objects.get(pk=approved.pk).status == "APPROVED"
