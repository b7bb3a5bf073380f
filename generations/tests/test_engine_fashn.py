"""The FASHN adapter against a local HTTP server that follows FASHN's v1 API (no mocks)."""

from __future__ import annotations

import base64
import io
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image

from generations.engines import EngineError, EngineRequest, get_engine
from generations.engines.fashn import TRAINED_ALGORITHMIC_MEDIA, FashnEngine

API_KEY = "test-fashn-key-123"


def _image_bytes(size=(864, 1296), color=(120, 80, 200), image_format="PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=image_format)
    return out.getvalue()


class FakeFashn:
    """Scripted FASHN: queues of responses for /v1/run and /v1/status, plus an output CDN."""

    def __init__(self) -> None:
        self.run_responses: list[tuple[int, dict | str]] = []
        self.status_responses: list[tuple[int, dict | str]] = []
        self.output = _image_bytes()
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def _send(self, status: int, body: dict | str | bytes, content_type: str) -> None:
                if isinstance(body, dict):
                    body = json.dumps(body)
                if isinstance(body, str):
                    body = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _record(self, body: dict | None = None) -> None:
                with fake.lock:
                    fake.requests.append(
                        {
                            "method": self.command,
                            "path": self.path,
                            "auth": self.headers.get("Authorization"),
                            "json": body,
                        }
                    )

            def _authorized(self) -> bool:
                if self.headers.get("Authorization") == f"Bearer {API_KEY}":
                    return True
                self._send(
                    401,
                    {"error": "UnauthorizedAccess", "message": "Unauthorized: Invalid token"},
                    "application/json",
                )
                return False

            def _next(self, queue: list, default: tuple[int, dict | str]) -> tuple:
                with fake.lock:
                    if len(queue) > 1:
                        return queue.pop(0)
                    return queue[0] if queue else default

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"null")
                self._record(body)
                if self.path.split("?", 1)[0] != "/v1/run":
                    self._send(404, {"error": "NotFound", "message": "no"}, "application/json")
                    return
                if not self._authorized():
                    return
                status, payload = self._next(
                    fake.run_responses, (200, {"id": "pred-1", "error": None})
                )
                self._send(status, payload, "application/json")

            def do_GET(self) -> None:
                self._record()
                if self.path.startswith("/cdn/"):
                    self._send(200, fake.output, "image/png")
                    return
                if not self.path.startswith("/v1/status/"):
                    self._send(404, {"error": "NotFound", "message": "no"}, "application/json")
                    return
                if not self._authorized():
                    return
                status, payload = self._next(fake.status_responses, (200, fake.completed))
                if callable(payload):  # answered from what was asked (return_base64)
                    payload = payload()
                self._send(status, payload, "application/json")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def completed(self) -> dict:
        # As FASHN documents: with inputs.return_base64 the output is a data URI in the
        # answer (not stored on the CDN), otherwise a CDN URL kept for 72 hours.
        runs = self.calls("POST", "/v1/run")
        inline = bool(runs and ((runs[-1]["json"] or {}).get("inputs") or {}).get("return_base64"))
        output = (
            "data:image/png;base64," + base64.b64encode(self.output).decode()
            if inline
            else f"{self.base}/cdn/pred-1/output.png"
        )
        return {"id": "pred-1", "status": "completed", "output": [output], "error": None}

    def pending(self, state: str) -> tuple[int, dict]:
        return 200, {"id": "pred-1", "status": state, "output": None, "error": None}

    def calls(self, method: str, prefix: str) -> list[dict]:
        return [r for r in self.requests if r["method"] == method and r["path"].startswith(prefix)]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fashn():
    fake = FakeFashn()
    yield fake
    fake.close()


def make_engine(fake: FakeFashn, *, key: str = API_KEY, **options) -> FashnEngine:
    sleeps: list[float] = []
    options.setdefault("backoff_seconds", 0.001)
    options.setdefault("poll_interval_seconds", 0.001)
    options.setdefault("deadline_seconds", 10)
    options.setdefault("read_timeout", 5)
    engine = FashnEngine(api_key=key, api_base=fake.base, sleep=sleeps.append, **options)
    engine.sleeps = sleeps  # type: ignore[attr-defined]
    return engine


def request_for(category: str = "top") -> EngineRequest:
    return EngineRequest(
        generation_id="a" * 24,
        garment_jpeg=_image_bytes((400, 500), (200, 30, 40), "JPEG"),
        wearer_jpeg=_image_bytes((600, 800), (220, 225, 232), "JPEG"),
        category=category,
    )


def test_happy_path_runs_polls_downloads_and_reframes(fashn):
    fashn.status_responses = [
        fashn.pending("starting"),
        fashn.pending("in_queue"),
        fashn.pending("processing"),
        (200, fashn.completed),
    ]
    result = make_engine(fashn).generate(request_for("top"))

    image = Image.open(io.BytesIO(result.image_jpeg))
    assert image.format == "JPEG" and image.size == (1024, 1365)
    assert result.digital_source_type == TRAINED_ALGORITHMIC_MEDIA
    assert result.engine_name == "fashn"
    (run,) = fashn.calls("POST", "/v1/run")
    assert run["auth"] == f"Bearer {API_KEY}"
    assert run["json"]["model_name"] == "tryon-v1.6"
    inputs = run["json"]["inputs"]
    assert inputs["category"] == "tops"
    for field in ("model_image", "garment_image"):
        assert inputs[field].startswith("data:image/jpeg;base64,")
        Image.open(io.BytesIO(base64.b64decode(inputs[field].split(",", 1)[1])))
    assert len(fashn.calls("GET", "/v1/status/pred-1")) == 4
    # return_base64: the output arrives in the status answer, nothing is left on FASHN's CDN
    assert inputs["return_base64"] is True
    assert fashn.calls("GET", "/cdn/") == []


def test_a_cdn_output_url_is_downloaded_without_the_api_key(fashn):
    fashn.status_responses = [
        (
            200,
            {"id": "pred-1", "status": "completed", "error": None,
             "output": [f"{fashn.base}/cdn/pred-1/output.png"]},
        )
    ]  # fmt: skip
    make_engine(fashn).generate(request_for())
    (download,) = fashn.calls("GET", "/cdn/")
    assert download["auth"] is None  # the API key never goes to the output host


@pytest.mark.parametrize("size", [(2048, 1536), (1600, 2001), (4000, 3000)])
def test_inputs_are_scaled_to_at_most_2000_px(fashn, size):
    request = EngineRequest(
        generation_id="a" * 24,
        garment_jpeg=_image_bytes(size, (200, 30, 40), "JPEG"),
        wearer_jpeg=_image_bytes(size, (220, 225, 232), "JPEG"),
        category="top",
    )
    make_engine(fashn).generate(request)
    inputs = fashn.calls("POST", "/v1/run")[0]["json"]["inputs"]
    for field in ("model_image", "garment_image"):
        image = Image.open(io.BytesIO(base64.b64decode(inputs[field].split(",", 1)[1])))
        assert max(image.size) == 2000  # before: 2048 px inputs went as they were


@pytest.mark.parametrize(
    ("category", "expected"),
    [
        ("bottom", "bottoms"),
        ("one-piece", "one-pieces"),
        ("swimwear", "auto"),
        ("lingerie", "auto"),
    ],
)
def test_categories_map_to_fashn_categories(fashn, category, expected):
    make_engine(fashn).generate(request_for(category))
    assert fashn.calls("POST", "/v1/run")[0]["json"]["inputs"]["category"] == expected


@pytest.mark.parametrize(
    ("status", "name", "code", "retryable", "attempts"),
    [
        (400, "BadRequest", "fashn_bad_request", False, 1),
        (401, "UnauthorizedAccess", "fashn_unauthorized", False, 1),
        (404, "NotFound", "fashn_not_found", False, 1),
        (429, "OutOfCredits", "fashn_out_of_credits", False, 1),
        (429, "RateLimitExceeded", "fashn_rate_limited", True, 4),
        (429, "ConcurrencyLimitExceeded", "fashn_concurrency_limited", True, 4),
        (500, "InternalServerError", "fashn_server_error", True, 4),
    ],
)
def test_each_api_error_becomes_a_clear_engine_error(
    fashn, status, name, code, retryable, attempts
):
    fashn.run_responses = [(status, {"error": name, "message": f"{name} from FASHN"})]
    engine = make_engine(fashn, max_retries=3)
    with pytest.raises(EngineError) as caught:
        engine.generate(request_for())
    error = caught.value
    assert (error.code, error.retryable) == (code, retryable)
    assert error.user_message and API_KEY not in error.user_message
    assert len(fashn.calls("POST", "/v1/run")) == attempts  # retried only what may pass
    assert fashn.calls("GET", "/v1/status") == []  # nothing polled after a refusal


def test_a_rate_limit_then_success_retries_with_exponential_backoff(fashn):
    limited = (429, {"error": "RateLimitExceeded", "message": "slow down"})
    fashn.run_responses = [limited, limited, (200, {"id": "pred-1", "error": None})]
    engine = make_engine(fashn, backoff_seconds=0.5)
    result = engine.generate(request_for())
    assert result.image_jpeg.startswith(b"\xff\xd8")
    assert len(fashn.calls("POST", "/v1/run")) == 3
    assert engine.sleeps[:2] == [0.5, 1.0]  # backoff doubles per attempt


def test_a_server_error_while_polling_is_retried(fashn):
    fashn.status_responses = [
        (500, {"error": "InternalServerError", "message": "oops"}),
        (502, "<html>bad gateway</html>"),
        (200, fashn.completed()),
    ]
    result = make_engine(fashn).generate(request_for())
    assert result.image_jpeg.startswith(b"\xff\xd8")
    assert len(fashn.calls("GET", "/v1/status")) == 3


@pytest.mark.parametrize(
    ("name", "code", "retryable"),
    [
        ("ImageLoadError", "fashn_image_load", False),
        ("ContentModerationError", "fashn_content_moderation", False),
        ("PoseError", "fashn_pose", False),
        ("InputValidationError", "fashn_input_validation", False),
        ("PipelineError", "fashn_pipeline", True),
        # As FASHN's SDK documents them (before: ThirdPartyError retried, the other three
        # failed at once as "fashn_failed", 3rdPartyProviderError shown as "unknown error").
        ("ThirdPartyError", "fashn_third_party", False),
        ("3rdPartyProviderError", "fashn_provider_failed", True),
        ("InternalServerError", "fashn_server_error", True),
        ("PollingTimeout", "fashn_polling_timeout", True),
        ("BrandNewError", "fashn_failed", False),
    ],
)
def test_a_failed_prediction_maps_its_error_name(fashn, name, code, retryable):
    fashn.status_responses = [
        fashn.pending("processing"),
        (200, {"id": "pred-1", "status": "failed", "output": None,
               "error": {"name": name, "message": "details"}}),
    ]  # fmt: skip
    with pytest.raises(EngineError) as caught:
        make_engine(fashn).generate(request_for())
    assert (caught.value.code, caught.value.retryable) == (code, retryable)
    if name == "BrandNewError":
        assert "BrandNewError" in caught.value.user_message
    assert fashn.calls("GET", "/cdn/") == []


@pytest.mark.parametrize(
    ("state", "code"), [("time_out", "fashn_time_out"), ("canceled", "fashn_canceled")]
)
def test_time_out_and_canceled_are_retryable_failures(fashn, state, code):
    fashn.status_responses = [(200, {"id": "pred-1", "status": state, "error": None})]
    with pytest.raises(EngineError) as caught:
        make_engine(fashn).generate(request_for())
    assert caught.value.code == code and caught.value.retryable is True


def test_polling_stops_at_the_deadline(fashn):
    fashn.status_responses = [fashn.pending("processing")]
    clock = iter(range(0, 10_000, 7))  # every poll costs 7 "seconds"
    engine = make_engine(
        fashn, deadline_seconds=60, poll_interval_seconds=5, clock=lambda: next(clock)
    )
    with pytest.raises(EngineError) as caught:
        engine.generate(request_for())
    assert caught.value.code == "fashn_deadline" and caught.value.retryable is True
    assert "60 seconds" in caught.value.user_message
    assert 1 <= len(fashn.calls("GET", "/v1/status")) < 10


def test_a_wrong_api_key_is_refused_by_the_server(fashn):
    with pytest.raises(EngineError) as caught:
        make_engine(fashn, key="wrong-key").generate(request_for())
    assert caught.value.code == "fashn_unauthorized" and caught.value.retryable is False
    assert "wrong-key" not in caught.value.user_message
    assert len(fashn.calls("POST", "/v1/run")) == 1


def test_an_error_in_the_run_body_is_reported(fashn):
    fashn.run_responses = [(200, {"id": None, "error": "BadRequest"})]
    with pytest.raises(EngineError) as caught:
        make_engine(fashn).generate(request_for())
    assert caught.value.code == "fashn_bad_request"


def test_garbage_output_bytes_fail_cleanly(fashn):
    fashn.output = b"this is not an image"
    with pytest.raises(EngineError) as caught:
        make_engine(fashn).generate(request_for())
    assert caught.value.code == "fashn_bad_output"


def test_a_base64_output_is_accepted(fashn):
    data = base64.b64encode(_image_bytes((576, 864))).decode()
    fashn.status_responses = [
        (200, {"id": "pred-1", "status": "completed", "output": [f"data:image/png;base64,{data}"]})
    ]
    result = make_engine(fashn).generate(request_for())
    assert Image.open(io.BytesIO(result.image_jpeg)).size == (1024, 1365)


def test_non_json_answers_are_a_clear_error(fashn):
    fashn.run_responses = [(200, "<html>captive portal</html>")]
    with pytest.raises(EngineError) as caught:
        make_engine(fashn).generate(request_for())
    assert caught.value.code == "fashn_bad_response"


def test_an_unreachable_service_is_retried_then_reported():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once closed
    sleeps: list[float] = []
    engine = FashnEngine(
        api_key=API_KEY,
        api_base=f"http://127.0.0.1:{port}",
        backoff_seconds=0.001,
        max_retries=2,
        sleep=sleeps.append,
    )
    with pytest.raises(EngineError) as caught:
        engine.generate(request_for())
    assert caught.value.code == "fashn_unreachable" and caught.value.retryable is True
    assert len(sleeps) == 2


def test_get_engine_builds_the_adapter_from_settings(settings, fashn):
    settings.FASHN_API_KEY = API_KEY
    settings.FASHN_API_BASE = fashn.base
    engine = get_engine("fashn")
    assert isinstance(engine, FashnEngine)
    assert engine.api_base == fashn.base and engine.label == "FASHN try-on"


def test_an_empty_key_is_refused_before_any_call():
    with pytest.raises(EngineError) as caught:
        FashnEngine(api_key="", api_base="http://127.0.0.1:9")
    assert caught.value.code == "fashn_unauthorized"


# --- webhook_url (FASHN calls back instead of being polled) --------------------------------


def test_with_a_webhook_the_job_waits_for_fashns_call_not_for_polls(fashn, settings, client):
    """The stand-in does what FASHN documents: the finished prediction is POSTed to the
    run's ``webhook_url``; the job then reads the status once (never the delivery's body)."""
    from django.core.cache import cache

    from generations.engines.fashn import webhook_receive, webhook_token

    cache.clear()
    generation_id = "a" * 24
    fashn.status_responses = [fashn.pending("processing"), (200, fashn.completed)]
    engine = make_engine(fashn, webhook_base="https://app.example.test")
    polls_seen: list[int] = []

    def sleep(seconds: float) -> None:  # FASHN finishes while the job waits: it calls back
        polls_seen.append(len(fashn.calls("GET", "/v1/status")))
        if len(polls_seen) == 3:
            run = fashn.calls("POST", "/v1/run")[0]
            url = parse_qs(urlsplit(run["path"]).query)["webhook_url"][0]
            parts = urlsplit(url)
            response = client.post(
                parts.path + "?" + parts.query,
                data=json.dumps({"id": "pred-1", "status": "completed", "output": ["x"]}),
                content_type="application/json",
            )
            assert response.status_code == 200

    engine.sleep = sleep
    engine.clock = _FakeClock(step=0.5)
    result = engine.generate(request_for())
    assert result.image_jpeg.startswith(b"\xff\xd8")
    (run,) = fashn.calls("POST", "/v1/run")
    url = parse_qs(urlsplit(run["path"]).query)["webhook_url"][0]
    assert url == (
        f"https://app.example.test/generations/fashn/webhook/{generation_id}/"
        f"?token={webhook_token(generation_id)}"
    )
    # One poll before the call-back, one after it: not one every 2 s.
    assert len(fashn.calls("GET", "/v1/status")) == 2
    # A second delivery (FASHN retries up to 5 times) changes nothing.
    assert webhook_receive(generation_id=generation_id, token=webhook_token(generation_id),
                           body=b'{"id": "pred-1", "status": "completed"}')  # fmt: skip


def test_a_webhook_with_a_wrong_token_or_body_is_refused(client):
    from generations.engines.fashn import webhook_arrived, webhook_token

    generation_id = "b" * 24
    path = f"/generations/fashn/webhook/{generation_id}/"
    body = json.dumps({"id": "pred-9", "status": "completed"})
    for query in ("", "?token=nope", f"?token={webhook_token('c' * 24)}"):
        response = client.post(path + query, data=body, content_type="application/json")
        assert response.status_code == 404
    assert not webhook_arrived("pred-9")
    response = client.post(
        f"{path}?token={webhook_token(generation_id)}", data="not json", content_type="text/plain"
    )
    assert response.status_code == 404
    response = client.post(
        f"{path}?token={webhook_token(generation_id)}", data=body, content_type="application/json"
    )
    assert response.status_code == 200 and webhook_arrived("pred-9")


def test_a_real_size_webhook_delivery_with_its_base64_image_is_taken(client):
    """FASHN posts the finished prediction with its base64 output (return_base64): far
    above the 256 KB every ordinary view takes."""
    from generations.engines.fashn import webhook_arrived, webhook_token

    generation_id = "d" * 24
    image = "data:image/jpeg;base64," + "A" * 600_000
    body = json.dumps({"id": "pred-big", "status": "completed", "output": [image]})
    response = client.post(
        f"/generations/fashn/webhook/{generation_id}/?token={webhook_token(generation_id)}",
        data=body,
        content_type="application/json",
    )

    assert response.status_code == 200
    assert webhook_arrived("pred-big")


class _FakeClock:
    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


# --- the stand-in checked against FASHN's official Python SDK -------------------------------


def test_the_stand_in_speaks_what_fashns_sdk_sends_and_parses(fashn):
    """FASHN's SDK (fashn 0.9.0, test-only) against the stand-in: the requests our adapter
    sends have the SDK's shape, and the SDK parses the stand-in's answers."""
    from fashn import Fashn

    sdk = Fashn(api_key=API_KEY, base_url=fashn.base, max_retries=0)
    inputs = {
        "model_image": "data:image/jpeg;base64,AAAA",
        "garment_image": "data:image/jpeg;base64,AAAA",
        "category": "tops",
        "return_base64": True,
    }
    started = sdk.predictions.run(
        model_name="tryon-v1.6", inputs=inputs, webhook_url="https://app.example.test/hook/"
    )
    assert started.id == "pred-1" and started.error is None
    done = sdk.predictions.status("pred-1")
    assert done.status == "completed" and done.output[0].startswith("data:image/png;base64,")
    by_sdk = fashn.calls("POST", "/v1/run")[0]

    fashn.status_responses = [
        (200, {"id": "pred-1", "status": "failed", "output": None,
               "error": {"name": "3rdPartyProviderError", "message": "provider down"}}),
    ]  # fmt: skip
    failed = sdk.predictions.status("pred-1")
    assert failed.status == "failed" and failed.error.name == "3rdPartyProviderError"

    fashn.requests.clear()
    fashn.status_responses = []
    make_engine(fashn, webhook_base="https://app.example.test").start(
        request_for(), generation_id="a" * 24
    )
    ours = fashn.calls("POST", "/v1/run")[0]
    assert ours["auth"] == by_sdk["auth"] == f"Bearer {API_KEY}"
    assert set(ours["json"]) == set(by_sdk["json"]) == {"model_name", "inputs"}
    assert set(ours["json"]["inputs"]) == set(by_sdk["json"]["inputs"])
    assert parse_qs(urlsplit(ours["path"]).query).keys() == {"webhook_url"}
    assert parse_qs(urlsplit(by_sdk["path"]).query).keys() == {"webhook_url"}
