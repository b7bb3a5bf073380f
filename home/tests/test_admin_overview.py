"""The admin overview: what needs attention, with counts that link to the fix."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from accounts.models import BusinessProfile, ModelProfile
from billing.models import EventState, StripeEvent
from generations.models import Generation, GenerationStatus, ModelType
from home.selectors import admin_dashboard

pytestmark = pytest.mark.django_db


def _generation(user, *, status=GenerationStatus.SUCCEEDED, frozen=False, at=None):
    return Generation.objects.create(
        user=user,
        model_type=ModelType.AI_AVATAR,
        status=status,
        is_frozen=frozen,
        garment_category="top",
        **({"created_at": at} if at else {}),
    )


def test_it_counts_reports_failures_and_the_money_outstanding(business_alice, model_mia):
    _generation(business_alice, frozen=True)
    _generation(business_alice, status=GenerationStatus.TAKEN_DOWN, frozen=True)  # resolved
    _generation(business_alice, status=GenerationStatus.FAILED)
    StripeEvent.objects.create(
        stripe_event_id="evt_1", type="invoice.paid", state=EventState.FAILED
    )
    BusinessProfile.objects.filter(user=business_alice).update(ai_credits=7)
    ModelProfile.objects.filter(user=model_mia).update(royalty_balance=Decimal("3.00"))

    overview = admin_dashboard()

    assert overview["open_reports"] == 1
    assert overview["failed_week"] == 1
    assert overview["failed_webhooks"] == 1
    assert overview["credits_outstanding"] == 7
    assert str(overview["royalties_owed"]) == "3.00"


def test_generations_per_day_covers_fourteen_days_with_dated_labels(business_alice):
    _generation(business_alice, at=datetime(2027, 3, 1, 10, tzinfo=UTC))
    _generation(business_alice, at=datetime(2027, 3, 1, 11, tzinfo=UTC))
    _generation(business_alice, at=datetime(2027, 3, 3, 9, tzinfo=UTC))
    _generation(business_alice, at=datetime(2027, 2, 1, 9, tzinfo=UTC))  # outside the window

    chart = admin_dashboard(today=date(2027, 3, 3))["per_day"]

    assert chart.bars[0].label == "18 Feb"
    assert [(bar.label, bar.amount) for bar in chart.bars][-3:] == [
        ("1 Mar", 2),
        ("2 Mar", 0),
        ("3 Mar", 1),
    ]
    assert len(chart.bars) == 14
    assert [tick.label for tick in chart.ticks] == ["0", "1", "2"]
    # The newest day is always labelled.
    assert chart.x_labels and chart.x_labels[-1].label == "3 Mar"


def test_the_page_links_each_count_to_its_list(client, admin_ada, business_alice):
    _generation(business_alice, frozen=True)
    client.force_login(admin_ada)
    page = client.get("/dashboard/").content.decode()
    assert 'data-testid="attention"' in page
    assert "?is_frozen__exact=1" in page and "?status__exact=failed" in page
    assert 'data-testid="royalties-owed">$0.00<' in page
    assert 'data-testid="chart"' in page
