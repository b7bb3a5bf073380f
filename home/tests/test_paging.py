"""Every list a user or admin reaches is paged (≤50 rows), reaches every row, and costs
the same number of queries with 10 rows as with 55."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from home.benchdata import build
from modelsnapper.paging import PAGE_SIZE

pytestmark = pytest.mark.django_db

SMALL, LARGE = 10, 55
OUR_APPS = {"accounts", "billing", "marketplace", "generations"}


@pytest.fixture
def sizes():
    return build(SMALL, prefix="s"), build(LARGE, prefix="l")


def _get(user, url: str):
    client = Client()
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response, len(queries)


# (url, persona, context path to the Paged, rows on the large persona's first page)
USER_LISTS = [
    ("billing:invoices", "business", "invoices"),
    ("billing:credits", "business", "entries"),
    ("marketplace:business-consents", "business", "consents"),
    ("marketplace:audit-trail", "model", "events"),
]


@pytest.mark.parametrize(("name", "persona", "key"), USER_LISTS)
def test_a_user_list_shows_a_page_and_reaches_every_row(sizes, name, persona, key):
    small, large = sizes
    url = reverse(name)
    small_response, small_queries = _get(getattr(small, persona), url)
    large_response, large_queries = _get(getattr(large, persona), url)
    assert len(small_response.context[key].rows) == SMALL
    assert len(large_response.context[key].rows) == PAGE_SIZE
    assert large_queries == small_queries
    last, _ = _get(getattr(large, persona), f"{url}?page=2")
    assert len(last.context[key].rows) == LARGE - PAGE_SIZE
    assert 'rel="prev"' in last.content.decode()


def test_the_directory_pages_listed_models_in_the_database(sizes):
    _, large = sizes
    first, queries = _get(large.business, reverse("marketplace:directory"))
    listed = SMALL + LARGE + 2  # each build's listed models and its model persona
    assert first.context["entries"].page.paginator.count == listed
    assert len(first.context["entries"].rows) == PAGE_SIZE
    second, second_queries = _get(large.business, reverse("marketplace:directory") + "?page=2")
    assert len(second.context["entries"].rows) == listed - PAGE_SIZE
    # The same queries, less the count the first page made and the pager reuses.
    assert second_queries == queries - 1


def test_the_directory_counts_its_models_at_most_once_a_minute(sizes, monkeypatch):
    import time

    from accounts.models import ModelProfile
    from marketplace import selectors

    assert selectors.DIRECTORY_COUNT_SECONDS == 60
    # One second here, real time: with REDIS_URL the expiry is Redis's own.
    monkeypatch.setattr(selectors, "DIRECTORY_COUNT_SECONDS", 1)
    small, _ = sizes
    listed = SMALL + LARGE + 2
    assert selectors.listed_count() == listed
    ModelProfile.objects.filter(user=small.model).update(reference_images=["a.jpg"])
    assert selectors.listed_count() == listed  # the pager's size, reused
    time.sleep(1.2)
    assert selectors.listed_count() == listed - 1


def test_a_model_with_two_photos_is_not_listed(sizes):
    from accounts.models import ModelProfile
    from marketplace.selectors import listed_profiles

    small, _ = sizes
    ModelProfile.objects.filter(user=small.model).update(reference_images=["a.jpg", "b.jpg"])
    assert not listed_profiles().filter(user=small.model).exists()
    assert listed_profiles().count() == SMALL + LARGE + 1


def test_the_consent_inbox_pages_each_section_and_keeps_the_others_page(sizes):
    _, large = sizes
    url = reverse("marketplace:consent-inbox")
    response, _ = _get(large.model, url)
    inbox = response.context["inbox"]
    # 55 askers of each kind: pending, approved, rejected.
    assert [inbox.pending.page.paginator.count, inbox.approved.page.paginator.count] == [55, 55]
    html = response.content.decode()
    assert html.index("Waiting for your answer") < html.index("Approved businesses")
    # Paging one section keeps the page the other sections are on.
    response, _ = _get(large.model, f"{url}?approved_page=2&pending_page=1")
    assert 'href="?approved_page=2&amp;pending_page=2"' in response.content.decode()
    assert len(response.context["inbox"].approved.rows) == LARGE - PAGE_SIZE


def test_the_inbox_pager_keeps_the_other_sections_page(sizes):
    from marketplace.selectors import consent_inbox
    from modelsnapper.paging import page_of

    _, large = sizes
    inbox = consent_inbox(model_user=large.model)
    assert inbox.pending.query == ""
    paged = page_of(list(range(120)), _query("approved_page=2&page=3&status=x"), param="page")
    assert paged.query == "approved_page=2&status=x"
    assert paged.page.number == 3
    assert len(paged.rows) == 20


def _query(text: str):
    from django.http import QueryDict

    return QueryDict(text)


def test_a_page_number_past_the_end_shows_the_last_page_and_junk_the_first():
    from modelsnapper.paging import page_of

    assert page_of(list(range(60)), _query("page=99")).page.number == 2
    assert page_of(list(range(60)), _query("page=x")).page.number == 1
    with pytest.raises(ValueError):
        page_of([], _query(""), per_page=PAGE_SIZE + 1)


def test_history_keeps_its_filters_across_pages(sizes):
    _, large = sizes
    response, _ = _get(large.business, reverse("generations:history") + "?status=succeeded")
    assert "status=succeeded&amp;page=2" in response.content.decode()


def test_history_and_dashboard_rows_leave_the_wearers_arrays_undecoded(sizes):
    from generations.selectors import history_for, recent_for

    _, large = sizes
    for generation in [history_for(user=large.business)[0], recent_for(user=large.business)[0]]:
        deferred = generation.model.model_profile.get_deferred_fields()
        assert {"approved_businesses", "reference_images"} <= deferred
        assert generation.wearer_name == "l Mia"


def test_the_dashboard_costs_the_same_queries_with_six_recent_photos_as_with_none(
    sizes, business_alice
):
    _, large = sizes
    _, with_photos = _get(large.business, reverse("home:dashboard"))
    _, without = _get(business_alice, reverse("home:dashboard"))
    assert with_photos == without


def test_royalties_page_shows_fifty_and_counts_every_use_in_one_grouped_query(sizes):
    small, large = sizes
    url = reverse("generations:royalties")
    response, queries = _get(large.model, url)
    _, small_queries = _get(small.model, url)
    assert len(response.context["page"].object_list) == PAGE_SIZE
    assert response.context["summary"]["count"] == LARGE
    assert str(response.context["summary"]["total"]) == f"{LARGE}.00"
    assert queries == small_queries


def test_every_admin_changelist_shows_at_most_a_page():
    for model_admin in admin.site._registry.values():
        assert model_admin.list_per_page <= PAGE_SIZE, model_admin
        assert model_admin.list_max_show_all <= PAGE_SIZE, model_admin


def test_every_admin_changelist_renders_at_most_a_page_of_rows(sizes):
    _, large = sizes
    for model in admin.site._registry:
        if model._meta.app_label not in OUR_APPS:
            continue  # e.g. django_rq's queue dashboard, not a list of our rows
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response, _ = _get(large.admin, url)
        assert len(response.context["cl"].result_list) <= PAGE_SIZE, url


def test_the_business_profile_admin_does_not_list_every_package(sizes):
    _, large = sizes
    response, _ = _get(large.admin, reverse("admin:accounts_businessprofile_changelist"))
    assert "l pack 7" not in response.content.decode()
    response, _ = _get(
        large.admin, reverse("admin:accounts_businessprofile_changelist") + "?q=GROWTH"
    )
    assert response.context["cl"].result_count == 2


def test_the_credit_ledger_changelist_sorts_by_id_newest_first(sizes):
    _, large = sizes
    response, _ = _get(large.admin, reverse("admin:billing_creditledgerentry_changelist"))
    rows = list(response.context["cl"].result_list)
    assert [row.pk for row in rows] == sorted((row.pk for row in rows), reverse=True)
    assert '"createdAt" DESC' not in str(response.context["cl"].queryset.query)


ARRAY_COLUMNS = ('"approvedBusinesses"', '"approvedModels"')


@pytest.mark.parametrize(
    ("name", "persona"),
    [
        ("home:dashboard", "model"),
        ("home:dashboard", "business"),
        ("generations:history", "business"),
        ("generations:royalties", "model"),
        ("marketplace:business-consents", "business"),
        ("marketplace:directory", "business"),
        ("marketplace:consent-inbox", "model"),
    ],
)
def test_no_list_page_reads_an_approvals_array(sizes, name, persona):
    _, large = sizes
    client = Client()
    client.force_login(getattr(large, persona))
    client.get(reverse(name))  # the session and profile checks settle
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse(name)).status_code == 200
    # The viewer's own business profile (credits, package) is read; no one's approvals.
    selected = [q["sql"].split(" FROM ")[0] for q in queries.captured_queries]
    offending = [sql for sql in selected if any(column in sql for column in ARRAY_COLUMNS)]
    assert offending == [], offending


def test_the_model_dashboard_counts_requests_up_to_a_cap(sizes):
    from home import selectors

    small, large = sizes
    assert selectors.model_dashboard(user=small.model)["pending_requests"] == SMALL
    cap = selectors.COUNT_CAP
    selectors.COUNT_CAP = 20
    try:
        context = selectors.model_dashboard(user=large.model)
    finally:
        selectors.COUNT_CAP = cap
    assert context["pending_requests"] == 20
    response, _ = _get(small.model, reverse("home:dashboard"))
    assert f">{SMALL}</span>" in response.content.decode()
