"""In the browser: product photo → progress page that updates by itself → download;
the model then sees the $1.00 royalties with thumbnails."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from generations.models import Generation, GenerationStatus
from generations.services import generation_run
from generations.tests.conftest import grant_credits, product_jpeg

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def test_business_makes_on_model_photos_and_the_model_sees_the_royalties(
    browser_page,
    screenshot,
    live_server,
    settings,
    tmp_path,
    business_alice,
    model_mia,
    mia_approves_alice,
):
    # Jobs wait in the queue until this test plays the worker, so the page is seen
    # moving from queued to done by itself.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    page = browser_page
    grant_credits(business_alice, 2)
    files = []
    for index, color in enumerate([(200, 40, 60), (30, 90, 170)]):
        path = tmp_path / f"garment-{index}.jpg"
        path.write_bytes(product_jpeg(color))
        files.append(str(path))
    _login(page, live_server, business_alice)

    page.goto("/generations/new/")
    assert page.get_by_text("Allows: Top, Bottom").first.is_visible()
    page.set_input_files("input[name=photos]", files)
    page.locator("label.wearer-card", has_text="Mia").click()
    assert page.locator("label.wearer-card", has_text="Mia").locator("input").is_checked()
    page.select_option("select[name=category]", "top")
    screenshot("generations-new")
    page.get_by_role("button", name="Generate").click()
    page.wait_for_url(re.compile(r"/generations/batches/[0-9a-f]{24}/$"))
    assert "0 of 2 done" in page.locator("#batch").inner_text()
    assert not page.get_by_test_id("download-all").is_visible()  # nothing to download yet
    screenshot("generations-progress-queued")

    for generation in Generation.objects.filter(user_id=business_alice.pk):
        assert generation_run(generation_id=generation.pk) == GenerationStatus.SUCCEEDED

    page.get_by_text("2 of 2 done").wait_for(timeout=15_000)
    assert page.locator("#batch-bar").get_attribute("style") == "width: 100%;"
    page.locator("#batch-items img").nth(1).wait_for()
    # The ZIP link appears with the photos, without a reload.
    page.get_by_role("link", name="Download all (2) as ZIP").wait_for()
    screenshot("generations-progress-done")

    page.locator("#batch-items a").first.click()
    page.get_by_role("link", name="Download full size").wait_for()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download full size").click()
    assert download.value.suggested_filename.endswith(".jpg")
    screenshot("generations-detail")

    page.goto("/generations/history/")
    assert page.locator("tbody tr").count() == 2
    screenshot("generations-history")

    _login(page, live_server, model_mia)
    page.goto("/generations/royalties/")
    assert page.get_by_test_id("royalty-balance").inner_text() == "$2.00"
    assert page.locator("tbody tr").count() == 2
    assert page.locator("svg.chart rect").count() == 1
    screenshot("generations-royalties")
