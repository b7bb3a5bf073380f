"""The model's royalties page, CSV export, misuse reports and admin take-down."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import BusinessProfile
from generations.models import Generation, GenerationStatus
from generations.services import (
    Wearer,
    generation_create,
    generation_release,
    generation_run,
    generation_take_down,
)
from generations.tests.conftest import grant_credits, photo_upload, royalty_of
from modelsnapper.errors import DomainError
from modelsnapper.storage import exists_private

pytestmark = pytest.mark.django_db


def _made_with_mia(business_alice, model_mia, count: int = 1) -> list[Generation]:
    grant_credits(business_alice, count)
    batch = generation_create(
        business=BusinessProfile.objects.select_related("package").get(user_id=business_alice.pk),
        wearer=Wearer("model", model_mia.pk),
        category="top",
        photos=[photo_upload() for _ in range(count)],
        batch_key=f"mia-{count}",
        actor=business_alice,
    )
    generations = list(Generation.objects.filter(batch=batch))
    for generation in generations:
        generation_run(generation_id=generation.pk)
    return [Generation.objects.get(pk=g.pk) for g in generations]


@pytest.fixture
def mia_uses(business_alice, model_mia, mia_approves_alice):
    return _made_with_mia(business_alice, model_mia, count=2)


def test_the_model_sees_each_use_with_its_dollar_business_and_total(client, model_mia, mia_uses):
    client.force_login(model_mia)
    response = client.get(reverse("generations:royalties"))
    body = response.content.decode()

    assert response.status_code == 200
    assert body.count("Alice Boutique") == 2
    assert body.count("$1.00") >= 2
    assert "$2.00" in body  # balance and total
    assert "<svg" in body and "Royalties per day" in body
    for generation in mia_uses:
        assert reverse("generations:thumbnail", args=[generation.pk]) in body
    assert royalty_of(model_mia) == Decimal("2.00")


def test_the_model_sees_the_thumbnail_but_cannot_download_the_full_image(
    client, model_mia, mia_uses
):
    client.force_login(model_mia)
    generation = mia_uses[0]
    thumb = client.get(reverse("generations:thumbnail", args=[generation.pk]))
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    assert client.get(reverse("generations:image", args=[generation.pk])).status_code == 404
    assert client.get(reverse("generations:detail", args=[generation.pk])).status_code == 200


def test_another_model_sees_none_of_it(client, model_noah, mia_uses):
    client.force_login(model_noah)
    body = client.get(reverse("generations:royalties")).content.decode()
    assert "No royalties yet" in body and "Alice Boutique" not in body
    for generation in mia_uses:
        for name in ("generations:thumbnail", "generations:detail"):
            assert client.get(reverse(name, args=[generation.pk])).status_code == 404
        response = client.post(reverse("generations:report", args=[generation.pk]), {"reason": "x"})
        assert response.status_code == 404
    assert not Generation.objects.filter(is_frozen=True).exists()


def test_royalties_csv_has_one_line_per_use(client, model_mia, mia_uses):
    client.force_login(model_mia)
    response = client.get(reverse("generations:royalties-csv"))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert response["Content-Disposition"].startswith("attachment")
    assert rows[0][:2] == ["date", "business"]
    assert len(rows) == 3
    assert {row[1] for row in rows[1:]} == {"Alice Boutique"}
    assert {row[4] for row in rows[1:]} == {"1.00"}
    assert {row[2] for row in rows[1:]} == {g.pk for g in mia_uses}


def test_csv_neutralises_formula_business_names(client, business_alice, model_mia, mia_uses):
    BusinessProfile.objects.filter(user_id=business_alice.pk).update(business_name="=HYPERLINK()")
    client.force_login(model_mia)
    body = client.get(reverse("generations:royalties-csv")).content.decode()
    assert "'=HYPERLINK()" in body


def test_avatar_generations_never_show_on_a_models_royalties(
    client, business_alice, avatar, model_mia
):
    grant_credits(business_alice, 1)
    batch = generation_create(
        business=BusinessProfile.objects.get(user_id=business_alice.pk),
        wearer=Wearer("avatar", avatar.pk),
        category="top",
        photos=[photo_upload()],
        batch_key="avatar",
        actor=business_alice,
    )
    generation_run(generation_id=Generation.objects.get(batch=batch).pk)
    client.force_login(model_mia)
    assert "No royalties yet" in client.get(reverse("generations:royalties")).content.decode()


def test_a_report_freezes_the_output_for_the_business_until_released(
    client, business_alice, model_mia, admin_ada, mia_uses
):
    generation = mia_uses[0]
    client.force_login(model_mia)
    response = client.post(
        reverse("generations:report", args=[generation.pk]), {"reason": "Not what I agreed to"}
    )
    assert response.status_code == 302
    generation.refresh_from_db()
    assert generation.is_frozen and generation.report_reason == "Not what I agreed to"

    client.force_login(business_alice)
    assert client.get(reverse("generations:image", args=[generation.pk])).status_code == 404
    assert client.get(reverse("generations:thumbnail", args=[generation.pk])).status_code == 404
    assert (
        "cannot be downloaded"
        in client.get(reverse("generations:detail", args=[generation.pk])).content.decode()
    )

    generation_release(generation=generation, actor=admin_ada)
    assert client.get(reverse("generations:image", args=[generation.pk])).status_code == 200


def test_an_empty_report_is_refused(client, model_mia, mia_uses):
    client.force_login(model_mia)
    client.post(reverse("generations:report", args=[mia_uses[0].pk]), {"reason": ""})
    assert not Generation.objects.filter(is_frozen=True).exists()


def test_a_business_cannot_report(client, business_alice, mia_uses):
    client.force_login(business_alice)
    response = client.post(reverse("generations:report", args=[mia_uses[0].pk]), {"reason": "x"})
    assert response.status_code == 404
    assert not Generation.objects.filter(is_frozen=True).exists()


@pytest.mark.sql_only(reason="checks the files wait for COMMIT; Mongo mode has no transaction")
def test_take_down_keeps_the_files_until_the_commit(
    admin_ada, mia_uses, django_capture_on_commit_callbacks
):
    generation = mia_uses[0]
    keys = [generation.output_s3_url, generation.thumbnail_s3_url]

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        generation_take_down(generation=generation, actor=admin_ada)

    assert all(exists_private(k) for k in keys)
    for callback in callbacks:
        callback()
    assert not any(exists_private(k) for k in keys)


def test_take_down_deletes_the_files_and_both_sides_see_it(
    client, business_alice, model_mia, admin_ada, mia_uses, django_capture_on_commit_callbacks
):
    from marketplace.models import ConsentEvent, ConsentEventType

    generation = mia_uses[0]
    keys = [generation.output_s3_url, generation.thumbnail_s3_url]

    with django_capture_on_commit_callbacks(execute=True):
        generation_take_down(generation=generation, actor=admin_ada)

    generation.refresh_from_db()
    assert generation.status == GenerationStatus.TAKEN_DOWN
    assert generation.output_s3_url == "" and not any(exists_private(k) for k in keys)
    # The royalty was earned when the image was made; it stays.
    assert royalty_of(model_mia) == Decimal("2.00")
    for user in (business_alice, model_mia):
        client.force_login(user)
        page = client.get(reverse("generations:detail", args=[generation.pk])).content.decode()
        assert "taken down" in page
        assert client.get(reverse("generations:thumbnail", args=[generation.pk])).status_code == 404
    # The model's audit trail shows it.
    event = ConsentEvent.objects.get(event_type=ConsentEventType.PHOTO_TAKEN_DOWN)
    assert (event.model_id, event.actor_id) == (model_mia.pk, admin_ada.pk)
    assert event.new_value["generationId"] == generation.pk
    client.force_login(model_mia)
    assert "Photo taken down" in client.get(reverse("marketplace:audit-trail")).content.decode()


def test_report_and_release_appear_in_the_models_audit_trail(
    client, model_mia, admin_ada, mia_uses
):
    from generations.services import generation_report_misuse
    from marketplace.models import ConsentEvent, ConsentEventType

    generation_report_misuse(generation=mia_uses[0], actor=model_mia, reason="Not my campaign")
    generation_release(generation=mia_uses[0], actor=admin_ada)

    types = list(
        ConsentEvent.objects.filter(model_id=model_mia.pk)
        .filter(event_type__gte=440)
        .order_by("created_at")
        .values_list("event_type", flat=True)
    )
    assert types == [ConsentEventType.PHOTO_REPORTED, ConsentEventType.PHOTO_RELEASED]
    client.force_login(model_mia)
    page = client.get(reverse("marketplace:audit-trail")).content.decode()
    assert "Photo reported" in page


def test_only_admins_take_down_or_release(business_alice, model_mia, mia_uses):
    for actor in (business_alice, model_mia):
        with pytest.raises(DomainError):
            generation_take_down(generation=mia_uses[0], actor=actor)
        with pytest.raises(DomainError):
            generation_release(generation=mia_uses[0], actor=actor)
    assert Generation.objects.filter(status=GenerationStatus.SUCCEEDED).count() == 2


def test_admin_take_down_action(client, admin_ada, mia_uses):
    client.force_login(admin_ada)
    response = client.post(
        reverse("admin:generations_generation_changelist"),
        {"action": "take_down", "_selected_action": [mia_uses[0].pk]},
    )
    assert response.status_code == 302
    assert Generation.objects.get(pk=mia_uses[0].pk).status == GenerationStatus.TAKEN_DOWN
    assert Generation.objects.get(pk=mia_uses[1].pk).status == GenerationStatus.SUCCEEDED


def test_admin_pages_open(client, admin_ada, mia_uses):
    client.force_login(admin_ada)
    for name in (
        "admin:generations_generation_changelist",
        "admin:generations_royaltyledger_changelist",
        "admin:generations_generationbatch_changelist",
    ):
        assert client.get(reverse(name)).status_code == 200
    page = client.get(reverse("admin:generations_generation_change", args=[mia_uses[0].pk]))
    assert page.status_code == 200


def _use_on(generation: Generation, when) -> None:
    Generation.objects.filter(pk=generation.pk).update(generated_at=when)


def test_the_chart_has_one_bar_per_month_with_the_monthly_total(model_mia, mia_uses):
    from datetime import UTC, datetime

    from generations.selectors import royalty_chart_for

    _use_on(mia_uses[0], datetime(2026, 9, 3, 12, tzinfo=UTC))
    _use_on(mia_uses[1], datetime(2026, 10, 1, 0, 5, tzinfo=UTC))

    chart = royalty_chart_for(user=model_mia)

    assert chart["by"] == "month"
    assert [(bar.label, bar.amount) for bar in chart["bars"]] == [
        ("Sep 2026", Decimal("1.00")),
        ("Oct 2026", Decimal("1.00")),
    ]
    assert all(bar.height > 0 for bar in chart["bars"])


def test_the_chart_shows_days_when_every_use_falls_in_one_month(model_mia, mia_uses):
    from datetime import UTC, datetime

    from generations.selectors import royalty_chart_for

    _use_on(mia_uses[0], datetime(2028, 2, 28, 23, 30, tzinfo=UTC))
    _use_on(mia_uses[1], datetime(2028, 2, 29, 12, 0, tzinfo=UTC))

    chart = royalty_chart_for(user=model_mia)

    assert chart["by"] == "day"
    assert [(bar.label, bar.amount) for bar in chart["bars"]] == [
        ("28 Feb", Decimal("1.00")),
        ("29 Feb", Decimal("1.00")),
    ]


def test_the_royalties_page_costs_the_same_queries_however_uses_fall_on_the_calendar(
    client, model_mia, mia_uses
):
    """The 1-December bug: one month took an extra by-day query, two months did not."""
    from datetime import UTC, datetime

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(model_mia)
    counts = []
    for first, second in [
        (datetime(2026, 11, 30, 23, 59, tzinfo=UTC), datetime(2026, 12, 1, 0, 1, tzinfo=UTC)),
        (datetime(2026, 12, 1, 0, 1, tzinfo=UTC), datetime(2026, 12, 1, 0, 2, tzinfo=UTC)),
    ]:
        _use_on(mia_uses[0], first)
        _use_on(mia_uses[1], second)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("generations:royalties")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] > 0, counts
