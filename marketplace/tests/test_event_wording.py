"""The audit trail speaks in sentences: names, not roles; dates, not ISO strings;
no field names, hashes or ids; the business never reads the model's report text."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format

from marketplace import services

pytestmark = pytest.mark.django_db

HEX_ID = re.compile(r"\b[0-9a-f]{24}\b|\b[0-9a-f]{64}\b")
FIELD_NAMES = ("textSha256", "expiresAt", "allowedCategories", "intendedUse", "generationId")


def _trail_text(content: str) -> str:
    start = content.index('<table class="table cards events">')
    return content[start : content.index("</table>", start)]


def test_the_models_trail_names_people_and_says_what_changed(client, approved, mia):
    ends = timezone.localdate() + timedelta(days=40)
    services.consent_limits_change(
        actor=mia,
        consent_request_id=approved.pk,
        allowed_categories=["top"],
        expires_on=ends,
    )
    client.force_login(mia)
    trail = _trail_text(client.get(reverse("marketplace:audit-trail")).content.decode())
    assert ">Mia<" in trail  # the model by name, not "model"
    assert ">model<" not in trail and ">business<" not in trail
    assert "Allowed: Top (was Top, Bottom)" in trail
    assert f"Ends {date_format(ends, 'j M Y')} (was no end date)" in trail
    assert "Intended use: Summer lookbook for our web shop." in trail
    assert "Release version" in trail
    for name in FIELD_NAMES:
        assert name not in trail
    assert ends.isoformat() not in trail
    assert not HEX_ID.search(trail)


def test_the_business_sees_its_pair_by_name_without_codes(client, approved, alice, mia):
    client.force_login(alice)
    page = client.get(reverse("marketplace:business-consent-detail", args=[approved.pk]))
    trail = _trail_text(page.content.decode())
    assert ">Alice Boutique<" in trail and ">Mia<" in trail
    assert "Allowed: Top, Bottom" in trail
    for name in FIELD_NAMES:
        assert name not in trail
    assert not HEX_ID.search(trail)
