"""Generation pages: new batch, progress, history, detail, private images, reports."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from generations.models import Generation, GenerationBatch
from generations.tests.conftest import credits_of, grant_credits, photo_upload

pytestmark = pytest.mark.django_db


def _post_new(client, wearer: str, *, photos=None, token="tok-1", category="top"):  # noqa: S107
    return client.post(
        reverse("generations:new"),
        {
            "photos": photos if photos is not None else [photo_upload()],
            "category": category,
            "wearer": wearer,
            "batch_token": token,
        },
    )


@pytest.fixture
def alice_batch(client, business_alice, avatar, django_capture_on_commit_callbacks):
    """Alice made two avatar photos through the page (jobs ran on the immediate backend)."""
    grant_credits(business_alice, 2)
    client.force_login(business_alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post_new(
            client, f"avatar:{avatar.pk}", photos=[photo_upload() for _ in range(2)]
        )
    assert response.status_code == 302
    return GenerationBatch.objects.get(user_id=business_alice.pk)


def test_new_page_lists_active_avatars_but_no_human_models_without_package_access(
    client, business_alice, avatar, model_mia
):
    client.force_login(business_alice)
    response = client.get(reverse("generations:new"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "AI Model Sophia" in body
    assert "Mia" not in body
    assert "packages with human-model access" in body
    assert 'name="batch_token"' in body and "multiple" in body


def test_new_page_lists_approving_models_with_their_usage_limits(
    client, business_alice, model_mia, mia_approves_alice
):
    client.force_login(business_alice)
    body = client.get(reverse("generations:new")).content.decode()
    assert f'value="model:{model_mia.pk}"' in body
    card = body[body.index(f'value="model:{model_mia.pk}"') :]
    card = card[: card.index("</label>")]
    # Photo, name, what the consent allows and the royalty, before a credit is spent.
    assert '<img src="/marketplace/media/models/' in card
    assert '<strong class="wearer-name">Mia</strong>' in card
    assert "Allows: Top, Bottom" in card
    assert "$1.00 royalty to Mia per photo" in card


def test_new_page_does_not_list_a_model_who_approved_another_business(
    client, business_alice, business_bob, model_mia, human_package, release
):
    from generations.tests.conftest import approve, give_package, make_model_ready

    give_package(business_alice, human_package)
    give_package(business_bob, human_package)
    make_model_ready(model_mia, release)
    approve(business_bob, model_mia)
    client.force_login(business_alice)
    body = client.get(reverse("generations:new")).content.decode()
    assert f"model:{model_mia.pk}" not in body


def test_submitting_makes_a_batch_and_shows_its_progress(client, alice_batch, business_alice):
    response = client.get(reverse("generations:batch", args=[alice_batch.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'class="progress"' in body
    assert "2 of 2 done" in re.sub(r"<[^>]+>", "", body)
    assert credits_of(business_alice) == 0

    status = client.get(reverse("generations:batch-status", args=[alice_batch.pk])).json()
    assert status["total"] == 2 and status["done"] == 2 and status["finished"] is True
    assert status["percent"] == 100
    assert {item["status"] for item in status["items"]} == {"succeeded"}
    assert all(item["thumbnail_url"] for item in status["items"])


def test_status_of_queued_jobs_reports_work_in_progress(client, business_alice, avatar, tasks_held):
    grant_credits(business_alice, 3)
    client.force_login(business_alice)
    # The jobs stay queued, as when the worker has not picked them up.
    response = _post_new(client, f"avatar:{avatar.pk}", photos=[photo_upload() for _ in range(3)])
    batch = GenerationBatch.objects.get()
    assert response["Location"] == reverse("generations:batch", args=[batch.pk])

    status = client.get(reverse("generations:batch-status", args=[batch.pk])).json()
    assert status == {**status, "total": 3, "done": 0, "percent": 0, "finished": False}
    assert status["counts"]["queued"] == 3
    # static/js/app.js polls while the page says the batch is not finished.
    assert 'data-finished="false"' in client.get(response["Location"]).content.decode()


def test_a_double_submit_with_the_same_token_is_one_batch(client, business_alice, avatar):
    grant_credits(business_alice, 5)
    client.force_login(business_alice)

    first = _post_new(client, f"avatar:{avatar.pk}", token="same-token")
    second = _post_new(client, f"avatar:{avatar.pk}", token="same-token")

    assert first["Location"] == second["Location"]
    assert GenerationBatch.objects.count() == 1 and Generation.objects.count() == 1
    assert credits_of(business_alice) == 4


def test_not_enough_credits_shows_how_many_are_missing_and_queues_nothing(
    client, business_alice, avatar
):
    grant_credits(business_alice, 1)
    client.force_login(business_alice)

    response = _post_new(client, f"avatar:{avatar.pk}", photos=[photo_upload() for _ in range(4)])

    assert response.status_code == 200
    assert "3 credits missing" in response.content.decode()
    assert not Generation.objects.exists()
    assert credits_of(business_alice) == 1
    # The page hands out a fresh token, so the corrected form is a new batch.
    assert 'value="tok-1"' not in response.content.decode()


def test_a_wearer_the_business_may_not_use_is_refused_by_the_form(
    client, business_alice, model_mia, avatar
):
    grant_credits(business_alice, 1)
    client.force_login(business_alice)

    response = _post_new(client, f"model:{model_mia.pk}")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Select a valid choice" not in page and "is not one of the available" not in page
    assert f"model:{model_mia.pk}" not in page
    assert 'data-testid="wearer-error"' in page
    assert "Your package does not include human models" in page
    assert not Generation.objects.exists() and credits_of(business_alice) == 1


def test_more_than_twenty_files_are_refused_by_the_form(client, business_alice, avatar):
    grant_credits(business_alice, 30)
    client.force_login(business_alice)
    response = _post_new(client, f"avatar:{avatar.pk}", photos=[photo_upload() for _ in range(21)])
    assert "at most 20 photos" in response.content.decode()
    assert not Generation.objects.exists()


def test_new_form_without_csrf_token_is_refused(business_alice, avatar):
    from django.test import Client

    grant_credits(business_alice, 1)
    client = Client(enforce_csrf_checks=True)
    client.force_login(business_alice)
    response = _post_new(client, f"avatar:{avatar.pk}")
    assert response.status_code == 403
    assert not Generation.objects.exists()


def test_history_lists_the_business_generations_with_offline_label_and_filters(
    client, alice_batch, business_alice
):
    response = client.get(reverse("generations:history"))
    body = response.content.decode()
    assert body.count("Offline preview") == 2
    assert body.count("?download=1") == 2
    refused = client.get(reverse("generations:history"), {"status": "refused"}).content.decode()
    assert "No photos match" in refused
    humans = client.get(
        reverse("generations:history"), {"wearer_type": "HUMAN_MODEL"}
    ).content.decode()
    assert "No photos match" in humans


def test_history_is_paginated_newest_first(client, business_alice, avatar):
    from datetime import timedelta

    from django.utils import timezone

    grant_credits(business_alice, 30)
    client.force_login(business_alice)
    _post_new(client, f"avatar:{avatar.pk}", photos=[photo_upload() for _ in range(20)], token="a")
    _post_new(client, f"avatar:{avatar.pk}", photos=[photo_upload() for _ in range(10)], token="b")
    newest = Generation.objects.order_by("created_at").last()
    Generation.objects.filter(pk=newest.pk).update(
        generated_at=timezone.now() + timedelta(minutes=1)
    )

    first = client.get(reverse("generations:history")).content.decode()
    second = client.get(reverse("generations:history"), {"page": 2}).content.decode()

    assert "Page 1 of 2" in first and "Page 2 of 2" in second
    assert first.index(str(newest.pk)) < first.index("</tbody>")
    assert str(newest.pk) not in second


def test_the_business_downloads_the_full_size_image(client, alice_batch):
    generation = Generation.objects.filter(batch=alice_batch).first()

    page = client.get(reverse("generations:detail", args=[generation.pk])).content.decode()
    image = client.get(reverse("generations:image", args=[generation.pk]), {"download": "1"})

    assert "Offline preview" in page
    assert image.status_code == 200
    assert image["Content-Type"] == "image/jpeg"
    assert "attachment" in image["Content-Disposition"]
    assert b"".join(image.streaming_content).startswith(b"\xff\xd8")


def test_outsider_gets_404_on_every_page_of_anothers_batch(
    client, alice_batch, business_bob, model_noah
):
    generation = Generation.objects.filter(batch=alice_batch).first()
    urls = [
        reverse("generations:batch", args=[alice_batch.pk]),
        reverse("generations:batch-status", args=[alice_batch.pk]),
        reverse("generations:detail", args=[generation.pk]),
        reverse("generations:image", args=[generation.pk]),
        reverse("generations:thumbnail", args=[generation.pk]),
    ]
    for outsider in (business_bob, model_noah):
        client.force_login(outsider)
        for url in urls:
            assert client.get(url).status_code == 404, (outsider, url)


def test_unknown_ids_answer_404(client, business_alice):
    client.force_login(business_alice)
    for url in [
        "/generations/batches/000000000000000000000000/",
        "/generations/000000000000000000000000/",
        "/generations/000000000000000000000000/image/",
        "/generations/not-an-id/",
    ]:
        assert client.get(url).status_code == 404, url


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("generations:new"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_models_and_admins_cannot_open_the_business_pages(client, model_mia, admin_ada):
    for user in (model_mia, admin_ada):
        client.force_login(user)
        assert client.get(reverse("generations:new")).status_code == 404
        assert client.get(reverse("generations:history")).status_code == 404


def test_a_business_cannot_open_the_royalties_page(client, business_alice):
    client.force_login(business_alice)
    assert client.get(reverse("generations:royalties")).status_code == 404
    assert client.get(reverse("generations:royalties-csv")).status_code == 404


def test_a_form_without_its_token_is_refused_with_a_message(client, business_alice, avatar):
    grant_credits(business_alice, 1)
    client.force_login(business_alice)

    response = _post_new(client, f"avatar:{avatar.pk}", token="")

    assert response.status_code == 200
    assert "This form was out of date, so nothing was sent." in response.content.decode()
    assert "Batch token" not in response.content.decode()
    assert not Generation.objects.exists() and credits_of(business_alice) == 1


def test_an_oversized_photo_is_stopped_while_uploading(client, settings, business_alice, avatar):
    settings.MAX_IMAGE_UPLOAD_BYTES = 2048
    grant_credits(business_alice, 1)
    client.force_login(business_alice)

    response = _post_new(client, f"avatar:{avatar.pk}")

    assert response.status_code == 200
    assert "larger than" in response.content.decode()
    assert not Generation.objects.exists() and credits_of(business_alice) == 1


@pytest.fixture
def worker_queue(settings):
    """Jobs go to the queue a separate worker process runs (none beats unless asked):
    the database queue on SQL, RQ on the test Redis in Mongo mode."""
    if not settings.USE_MONGODB:
        settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
        yield
        return
    import django_rq

    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {"default": {"URL": settings.REDIS_URL, "DEFAULT_TIMEOUT": 60}}
    yield
    django_rq.get_queue("default").empty()


def test_without_a_worker_new_photos_is_paused_and_spends_nothing(
    client, business_alice, avatar, worker_queue
):
    grant_credits(business_alice, 3)
    client.force_login(business_alice)

    page = client.get(reverse("generations:new")).content.decode()
    refused = _post_new(client, f"avatar:{avatar.pk}", photos=[photo_upload(), photo_upload()])

    assert 'data-testid="generation-paused"' in page
    assert re.search(r'id="generate-button"\s+disabled', page)
    assert refused.status_code == 200
    assert "Generation is paused" in refused.content.decode()
    assert credits_of(business_alice) == 3
    assert not Generation.objects.exists()
    assert not GenerationBatch.objects.exists()


def test_with_a_recent_worker_heartbeat_new_photos_takes_the_batch(
    client, business_alice, avatar, worker_queue, worker_alive
):
    grant_credits(business_alice, 1)
    client.force_login(business_alice)

    page = client.get(reverse("generations:new")).content.decode()
    response = _post_new(client, f"avatar:{avatar.pk}")

    assert 'data-testid="generation-paused"' not in page
    assert response.status_code == 302
    assert credits_of(business_alice) == 0
    assert Generation.objects.get().status == "queued"
