"""Engine failures end a job as failed, refunded, with the reason shown.

The hosted engine is faked at the network edge: a local HTTP server that follows
FASHN's documented v1 API (POST /v1/run, GET /v1/status/<id>).
"""

from __future__ import annotations

import base64
import json
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse

from accounts.models import BusinessProfile
from billing.models import CreditLedgerEntry
from generations.models import Generation, GenerationStatus, RoyaltyLedger
from generations.services import MAX_ATTEMPTS, Wearer, generation_create, generation_run
from generations.tests.conftest import (
    credits_of,
    grant_credits,
    person_jpeg,
    photo_upload,
    royalty_of,
)

# Jobs stay queued until a test runs them (see the tasks_held fixture).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_held")]


class FakeFashn(BaseHTTPRequestHandler):
    """Answers per the scenario in ``server.scenario``."""

    def log_message(self, *args) -> None:  # keep test output quiet
        return

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        scenario = self.server.scenario
        if scenario == "unauthorized":
            self._send(401, {"error": "UnauthorizedAccess", "message": "Invalid API key"})
        else:
            self._send(200, {"id": "pred-1", "error": None})

    def do_GET(self) -> None:
        scenario = self.server.scenario
        if scenario == "failed":
            self._send(
                200,
                {
                    "id": "pred-1",
                    "status": "failed",
                    "error": {"name": "PoseError", "message": "No pose detected"},
                },
            )
        elif scenario == "garbage":
            garbage = base64.b64encode(b"this is not an image at all").decode()
            self._send(
                200,
                {
                    "id": "pred-1",
                    "status": "completed",
                    "output": [f"data:image/jpeg;base64,{garbage}"],
                    "error": None,
                },
            )
        elif scenario == "time_out":
            self._send(200, {"id": "pred-1", "status": "time_out", "error": None})
        elif scenario == "ok":
            picture = base64.b64encode(person_jpeg()).decode()
            self._send(
                200,
                {
                    "id": "pred-1",
                    "status": "completed",
                    "output": [f"data:image/jpeg;base64,{picture}"],
                    "error": None,
                },
            )
        else:
            self._send(404, {"error": "NotFound", "message": "unknown"})


@pytest.fixture
def fashn(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeFashn)
    server.scenario = "failed"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.GENERATION_ENGINE = "fashn"
    settings.FASHN_API_KEY = "fa-test-key"
    settings.FASHN_API_BASE = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()
    server.server_close()


def _queue_one(user, wearer: Wearer) -> Generation:
    grant_credits(user, 1)
    batch = generation_create(
        business=BusinessProfile.objects.select_related("package").get(user_id=user.pk),
        wearer=wearer,
        category="top",
        photos=[photo_upload()],
        batch_key="one",
        actor=user,
    )
    return Generation.objects.get(batch=batch)


@pytest.mark.parametrize(
    ("scenario", "message_part"),
    [("failed", "pose"), ("garbage", "could not read"), ("unauthorized", "")],
)
def test_an_engine_error_fails_the_job_refunds_and_pays_nothing(
    fashn, scenario, message_part, business_alice, model_mia, mia_approves_alice
):
    fashn.scenario = scenario
    generation = _queue_one(business_alice, Wearer("model", model_mia.pk))
    assert credits_of(business_alice) == 0

    # Passing errors (unreadable output) are retried up to MAX_ATTEMPTS runs first.
    for _attempt in range(MAX_ATTEMPTS):
        result = generation_run(generation_id=generation.pk)
        if result != GenerationStatus.QUEUED:
            break
    assert result == GenerationStatus.FAILED

    generation.refresh_from_db()
    assert generation.engine == "fashn"
    assert generation.error_message
    assert message_part in generation.error_message.lower()
    assert generation.output_s3_url == "" and generation.royalty_paid == Decimal("0.00")
    assert credits_of(business_alice) == 1
    assert CreditLedgerEntry.objects.filter(key=f"refund:{generation.pk}").count() == 1
    assert royalty_of(model_mia) == Decimal("0.00")
    assert not RoyaltyLedger.objects.exists()
    # Again: nothing more is refunded.
    generation_run(generation_id=generation.pk)
    assert credits_of(business_alice) == 1


def test_the_failure_reason_is_shown_on_the_progress_page(client, fashn, business_alice, avatar):
    generation = _queue_one(business_alice, Wearer("avatar", avatar.pk))
    generation_run(generation_id=generation.pk)
    client.force_login(business_alice)

    status = client.get(reverse("generations:batch-status", args=[generation.batch_id])).json()
    detail = client.get(reverse("generations:detail", args=[generation.pk])).content.decode()

    (item,) = status["items"]
    assert item["status"] == "failed" and item["error"]
    assert item["error"] in detail or item["error"].replace("'", "&#x27;") in detail


def test_an_unconfigured_engine_fails_the_job_and_refunds(settings, business_alice, avatar):
    settings.GENERATION_ENGINE = "fashn"
    settings.FASHN_API_KEY = ""
    generation = _queue_one(business_alice, Wearer("avatar", avatar.pk))

    assert generation_run(generation_id=generation.pk) == GenerationStatus.FAILED
    assert "not configured" in Generation.objects.get(pk=generation.pk).error_message
    assert credits_of(business_alice) == 1


def test_a_passing_engine_error_queues_the_job_again_and_a_later_run_succeeds(
    fashn,
    business_alice,
    model_mia,
    mia_approves_alice,
    tasks_held,
    django_capture_on_commit_callbacks,
):
    fashn.scenario = "time_out"
    generation = _queue_one(business_alice, Wearer("model", model_mia.pk))
    tasks_held.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert generation_run(generation_id=generation.pk) == GenerationStatus.QUEUED

    generation.refresh_from_db()
    assert generation.status == GenerationStatus.QUEUED
    assert generation.error_message.startswith("Retrying:")
    (retry,) = tasks_held.results  # the job is enqueued again, once
    assert retry.args == [generation.pk] or retry.args == (generation.pk,)
    assert credits_of(business_alice) == 0  # still going to run: no refund

    fashn.scenario = "ok"
    assert generation_run(generation_id=generation.pk) == GenerationStatus.SUCCEEDED
    generation.refresh_from_db()
    assert generation.attempts == 2 and generation.error_message == ""
    assert credits_of(business_alice) == 0
    assert royalty_of(model_mia) == Decimal("1.00")


def test_a_job_that_keeps_timing_out_fails_after_the_last_attempt_and_refunds(
    fashn, business_alice, avatar
):
    fashn.scenario = "time_out"
    generation = _queue_one(business_alice, Wearer("avatar", avatar.pk))

    results = [generation_run(generation_id=generation.pk) for _ in range(3)]

    assert results == [GenerationStatus.QUEUED, GenerationStatus.QUEUED, GenerationStatus.FAILED]
    assert "timed out" in Generation.objects.get(pk=generation.pk).error_message
    assert credits_of(business_alice) == 1
