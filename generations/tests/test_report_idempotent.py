"""Reporting an image is idempotent: one audit row, the first reason kept."""

from __future__ import annotations

import pytest
from django.urls import reverse

from generations.models import Generation
from generations.services import generation_release, generation_report_misuse
from generations.tests.test_royalties_and_reports import _made_with_mia
from marketplace.models import ConsentEvent, ConsentEventType
from modelsnapper.errors import DomainError

pytestmark = pytest.mark.django_db


@pytest.fixture
def used(business_alice, model_mia, mia_approves_alice):
    return _made_with_mia(business_alice, model_mia, count=1)[0]


def _reports() -> int:
    return ConsentEvent.objects.filter(event_type=ConsentEventType.PHOTO_REPORTED).count()


def test_reporting_twice_keeps_the_first_reason_and_one_trail_row(client, model_mia, used):
    client.force_login(model_mia)
    url = reverse("generations:report", args=[used.pk])
    client.post(url, {"reason": "Not what I agreed to"})
    client.post(url, {"reason": "Second thoughts, overwritten?"})
    used.refresh_from_db()
    assert used.is_frozen and used.report_reason == "Not what I agreed to"
    assert _reports() == 1


def test_five_reports_in_a_row_through_the_service_write_one_row(model_mia, used):
    for i in range(5):
        generation_report_misuse(generation=used, actor=model_mia, reason=f"reason {i}")
    assert Generation.objects.get(pk=used.pk).report_reason == "reason 0"
    assert _reports() == 1


def test_after_an_admin_release_a_new_report_counts(model_mia, admin_ada, used):
    generation_report_misuse(generation=used, actor=model_mia, reason="first")
    generation_release(generation=used, actor=admin_ada)
    generation_report_misuse(generation=used, actor=model_mia, reason="again, after review")
    used.refresh_from_db()
    assert used.is_frozen and used.report_reason == "again, after review"
    assert _reports() == 2


@pytest.mark.parametrize("reason", ["\u200b\u200b\u200b", "   ", "\u3164\u3164", "bad\u202ereason"])
def test_a_reason_that_is_blank_once_rendered_or_hides_characters_is_refused(
    model_mia, used, reason
):
    with pytest.raises(DomainError):
        generation_report_misuse(generation=used, actor=model_mia, reason=reason)
    assert not Generation.objects.get(pk=used.pk).is_frozen
    assert _reports() == 0
