"""Adapter for FASHN's hosted virtual try-on API (v1): the only module that talks to it.

Contract (FASHN's documented v1 API):
- ``POST {base}/v1/run`` with ``{"model_name", "inputs": {"model_image", "garment_image",
  "category"}}`` and ``Authorization: Bearer <key>`` → ``{"id", "error"}``.
- ``GET {base}/v1/status/{id}`` → ``{"id", "status", "output", "error"}`` where status is
  starting | in_queue | processing | completed | failed | canceled | time_out, ``output`` a
  list of image URLs (or data URIs) and ``error`` ``{"name", "message"}``.
- API-level errors: HTTP 400/401/404/429/500 with ``{"error": <name>, "message"}``; 429 names
  are RateLimitExceeded, ConcurrencyLimitExceeded and OutOfCredits.

Every failure becomes an EngineError whose message is safe to show to the business and
whose ``retryable`` tells the job whether trying again later could help. The API key is
never part of a message.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import io
import json
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

import requests
from django.conf import settings
from django.core.cache import caches
from PIL import Image, ImageOps

from generations.engines.base import (
    OUTPUT_HEIGHT,
    OUTPUT_WIDTH,
    EngineCode,
    EngineError,
    EngineRequest,
    EngineResult,
)
from modelsnapper.garments import GarmentCategory
from modelsnapper.heartbeat import SHARED_CACHE

TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
DEFAULT_MODEL_NAME = "tryon-v1.6"
# FASHN's own categories; swimwear and lingerie are left to its detection.
CATEGORY_MAP = {
    GarmentCategory.TOP.value: "tops",
    GarmentCategory.BOTTOM.value: "bottoms",
    GarmentCategory.ONE_PIECE.value: "one-pieces",
    GarmentCategory.SWIMWEAR.value: "auto",
    GarmentCategory.LINGERIE.value: "auto",
}
PENDING_STATES = {"starting", "in_queue", "processing"}
# Inputs larger than this (long side) are scaled down: tryon-v1.6 takes at most 2000 px, and
# oversized base64 payloads are the documented cause of FASHN's HTTP 500s.
MAX_INPUT_SIDE = 2000
_MAX_OUTPUT_BYTES = 40 * 1024 * 1024

# API-level error names (HTTP status + {"error": name}) → (code, user message, retryable).
API_ERRORS: dict[str, tuple[str, str, bool]] = {
    "BadRequest": (
        "fashn_bad_request",
        "The try-on service rejected the request as invalid. Try another product photo.",
        False,
    ),
    "UnauthorizedAccess": (
        "fashn_unauthorized",
        "The try-on service refused our credentials. An administrator must check FASHN_API_KEY.",
        False,
    ),
    "NotFound": (
        "fashn_not_found",
        "The try-on service could not find this job or endpoint. An administrator must check "
        "FASHN_API_BASE.",
        False,
    ),
    "RateLimitExceeded": (
        "fashn_rate_limited",
        "The try-on service is receiving too many requests right now. Please try again in a "
        "minute.",
        True,
    ),
    "ConcurrencyLimitExceeded": (
        "fashn_concurrency_limited",
        "The try-on service is busy with other photos of ours. Please try again shortly.",
        True,
    ),
    "OutOfCredits": (
        "fashn_out_of_credits",
        "The try-on service account has run out of credits. An administrator must top it up.",
        False,
    ),
    "InternalServerError": (
        "fashn_server_error",
        "The try-on service had an internal error. Please try again later.",
        True,
    ),
}
_STATUS_NAMES = {
    400: "BadRequest",
    401: "UnauthorizedAccess",
    403: "UnauthorizedAccess",
    404: "NotFound",
    429: "RateLimitExceeded",
}

# Runtime error names (status "failed", error {"name", "message"}) → (code, message, retryable).
RUNTIME_ERRORS: dict[str, tuple[str, str, bool]] = {
    "ImageLoadError": (
        "fashn_image_load",
        "The try-on service could not load one of the photos. Try a different product photo.",
        False,
    ),
    "ContentModerationError": (
        "fashn_content_moderation",
        "The try-on service declined these photos under its content policy.",
        False,
    ),
    "PoseError": (
        "fashn_pose",
        "The try-on service could not find a usable body pose in the wearer's photo.",
        False,
    ),
    "InputValidationError": (
        "fashn_input_validation",
        "The try-on service found the photos unsuitable (size or format). Try another photo.",
        False,
    ),
    "PipelineError": (
        "fashn_pipeline",
        "The try-on service failed while making the image. Please try again.",
        True,
    ),
    # FASHN: an upstream provider refused these inputs (often captioning or content
    # limits); the same inputs fail again, so change them instead of retrying.
    "ThirdPartyError": (
        "fashn_third_party",
        "The try-on service's provider refused these photos. Try a different product photo "
        "or wearer.",
        False,
    ),
    # The SDK's retryable runtime errors: a provider failure without a finer name, a
    # server-side failure, and the SDK's own wait running out.
    "3rdPartyProviderError": (
        "fashn_provider_failed",
        "The try-on service's provider failed. Please try again later.",
        True,
    ),
    "InternalServerError": (
        "fashn_server_error",
        "The try-on service had an internal error. Please try again later.",
        True,
    ),
    "PollingTimeout": (
        "fashn_polling_timeout",
        "The try-on service took too long to finish this image. Please try again later.",
        True,
    ),
}
CANCELED = ("fashn_canceled", "The try-on job was canceled by the service.", True)
TIMED_OUT = ("fashn_time_out", "The try-on service timed out on this image.", True)
UNREACHABLE = (
    "fashn_unreachable",
    "The try-on service could not be reached. Please try again later.",
    True,
)
BAD_RESPONSE = (
    "fashn_bad_response",
    "The try-on service answered with something we could not understand.",
    True,
)
BAD_OUTPUT = (
    "fashn_bad_output",
    "The try-on service returned an image we could not read.",
    True,
)


# --- webhooks ---------------------------------------------------------------------------
# FASHN POSTs the finished prediction to ``webhook_url`` (up to 5 tries over ~5 minutes) and
# signs nothing. So the URL carries a per-generation HMAC token, and the delivery is never
# trusted for its content: it only wakes the waiting job, which reads the prediction from
# FASHN's own status endpoint with our key. A repeated delivery is a no-op.
WEBHOOK_PATH = "/generations/fashn/webhook/{generation_id}/"
_WEBHOOK_MARK = "fashn-webhook:{prediction_id}"
_WEBHOOK_MARK_SECONDS = 3600


def webhook_token(generation_id: str) -> str:
    message = f"fashn-webhook:{generation_id}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()[:40]


def webhook_url(base: str, generation_id: str) -> str:
    path = WEBHOOK_PATH.format(generation_id=quote(generation_id, safe=""))
    return f"{base.rstrip('/')}{path}?token={webhook_token(generation_id)}"


def webhook_receive(*, generation_id: str, token: str, body: bytes) -> bool:
    """Record a FASHN delivery for ``generation_id``; False when the token is wrong or the
    body is not a prediction. Idempotent: the mark is set once, later copies change nothing."""
    if not hmac.compare_digest(token.encode(), webhook_token(generation_id).encode()):
        return False
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return False
    prediction_id = payload.get("id") if isinstance(payload, dict) else None
    if not isinstance(prediction_id, str) or not re.fullmatch(r"[\w.-]{1,128}", prediction_id):
        return False
    # The shared cache: the web process receives the call, a worker process waits for it.
    caches[SHARED_CACHE].add(
        _WEBHOOK_MARK.format(prediction_id=prediction_id), generation_id, _WEBHOOK_MARK_SECONDS
    )
    return True


def webhook_arrived(prediction_id: str) -> bool:
    return caches[SHARED_CACHE].get(_WEBHOOK_MARK.format(prediction_id=prediction_id)) is not None


def _error(spec: tuple[str, str, bool]) -> EngineError:
    code, message, retryable = spec
    return EngineError(message, code=code, retryable=retryable)


def api_error(name: str | None, status_code: int) -> EngineError:
    """EngineError for an API-level error name (falling back on the HTTP status)."""
    if name not in API_ERRORS:
        fallback = "BadRequest" if 400 <= status_code < 500 else "InternalServerError"
        name = _STATUS_NAMES.get(status_code, fallback)
    return _error(API_ERRORS[name])


def runtime_error(name: str | None) -> EngineError:
    if isinstance(name, str) and name in RUNTIME_ERRORS:
        return _error(RUNTIME_ERRORS[name])
    # A name we do not know yet is shown (letters, digits, underscores only: never markup).
    label = name if isinstance(name, str) and re.fullmatch(r"\w{1,64}", name) else "unknown error"
    return EngineError(
        f"The try-on service could not make this image ({label}).",
        code=EngineCode.FASHN_FAILED,
        retryable=False,
    )


def _data_uri(jpeg: bytes) -> str:
    image: Image.Image
    try:
        image = Image.open(io.BytesIO(jpeg))
        too_big = max(image.size) > MAX_INPUT_SIDE
    except (OSError, ValueError) as error:
        raise EngineError("An input photo could not be read.", code=EngineCode.BAD_INPUT) from error
    if too_big:
        image = image.convert("RGB")
        image.thumbnail((MAX_INPUT_SIDE, MAX_INPUT_SIDE), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=90)
        jpeg = buffer.getvalue()
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


def to_output_jpeg(data: bytes) -> bytes:
    """Any image → 3:4 JPEG, OUTPUT_WIDTH wide, padded (never cropped) so nobody loses a head."""
    image: Image.Image
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
        image = ImageOps.exif_transpose(image).convert("RGB")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        raise _error(BAD_OUTPUT) from error
    # Pad with the colour of the image's own edge so the bands are barely visible.
    edge = image.crop((0, 0, 1, image.height)).resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
    assert isinstance(edge, tuple)  # an RGB image's pixel
    framed = ImageOps.pad(
        image, (OUTPUT_WIDTH, OUTPUT_HEIGHT), Image.Resampling.LANCZOS, color=edge
    )
    out = io.BytesIO()
    framed.save(out, format="JPEG", quality=92)
    return out.getvalue()


class FashnEngine:
    name = "fashn"
    label = "FASHN try-on"

    def __init__(
        self,
        *,
        api_key: str,
        api_base: str = "https://api.fashn.ai",
        model_name: str = DEFAULT_MODEL_NAME,
        connect_timeout: float = 5.0,
        read_timeout: float = 60.0,
        max_retries: int = 3,
        backoff_seconds: float = 1.0,
        max_backoff_seconds: float = 30.0,
        poll_interval_seconds: float = 2.0,
        deadline_seconds: float = 180.0,
        webhook_base: str = "",
        webhook_poll_interval_seconds: float = 20.0,
        webhook_check_seconds: float = 0.5,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not api_key:
            raise EngineError(
                "The try-on service is not configured (FASHN_API_KEY is empty).",
                code=EngineCode.FASHN_UNAUTHORIZED,
            )
        self.api_key = api_key
        self.api_base = api_base.rstrip("/")
        self.model_name = model_name
        self.timeout = (connect_timeout, read_timeout)
        self.max_retries = max_retries
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.poll_interval_seconds = poll_interval_seconds
        self.deadline_seconds = deadline_seconds
        # With a public base URL FASHN calls us back; polling then only backs it up.
        self.webhook_base = webhook_base
        self.webhook_poll_interval_seconds = webhook_poll_interval_seconds
        self.webhook_check_seconds = webhook_check_seconds
        self.session = session or requests.Session()
        self.sleep = sleep
        self.clock = clock

    # --- the Engine interface ------------------------------------------------------------
    def generate(self, request: EngineRequest) -> EngineResult:
        deadline = self.clock() + self.deadline_seconds
        prediction_id = self.start(request, generation_id=request.generation_id)
        output_url = self.wait(prediction_id, deadline=deadline)
        image = to_output_jpeg(self.download(output_url))
        return EngineResult(
            image_jpeg=image,
            engine_name=self.name,
            digital_source_type=TRAINED_ALGORITHMIC_MEDIA,
        )

    # --- steps ---------------------------------------------------------------------------
    def start(self, request: EngineRequest, *, generation_id: str = "") -> str:
        payload = {
            "model_name": self.model_name,
            "inputs": {
                "model_image": _data_uri(request.wearer_jpeg),
                "garment_image": _data_uri(request.garment_jpeg),
                "category": CATEGORY_MAP.get(request.category, "auto"),
                # The output comes back in the status answer and is never stored on FASHN's
                # CDN (URL outputs stay there for 72 hours).
                "return_base64": True,
            },
        }
        # A POST is retried only when FASHN said no (429/5xx) or the connection never
        # opened: then no prediction exists, so a retry cannot start (and bill) a second one.
        url = f"{self.api_base}/v1/run"
        if self.webhook_base and generation_id:
            url += "?" + urlencode({"webhook_url": webhook_url(self.webhook_base, generation_id)})
        body = self._call("POST", url, json=payload, idempotent=False)
        if body.get("error"):
            error = body["error"]
            name = error.get("name") if isinstance(error, dict) else error
            raise api_error(name if isinstance(name, str) else None, 200)
        prediction_id = body.get("id")
        if not isinstance(prediction_id, str) or not prediction_id:
            raise _error(BAD_RESPONSE)
        return prediction_id

    def wait(self, prediction_id: str, *, deadline: float) -> str:
        url = f"{self.api_base}/v1/status/{quote(prediction_id, safe='')}"
        while True:
            body = self._call("GET", url, idempotent=True, deadline=deadline)
            status = body.get("status")
            if status == "completed":
                output = body.get("output")
                if isinstance(output, list) and output and isinstance(output[0], str):
                    return output[0]
                raise _error(BAD_RESPONSE)
            if status == "failed":
                error = body.get("error")
                name = error.get("name") if isinstance(error, dict) else None
                raise runtime_error(name)
            if status == "canceled":
                raise _error(CANCELED)
            if status == "time_out":
                raise _error(TIMED_OUT)
            if status not in PENDING_STATES:
                raise _error(BAD_RESPONSE)
            self._pause(prediction_id, deadline=deadline)

    def _pause(self, prediction_id: str, *, deadline: float) -> None:
        """Until the next status check: the poll interval, or (with a webhook) until FASHN's
        delivery arrives, checking a cache mark, with a long poll as the fallback."""
        interval = (
            self.webhook_poll_interval_seconds if self.webhook_base else self.poll_interval_seconds
        )
        if self.clock() + min(interval, self.poll_interval_seconds) > deadline:
            raise EngineError(
                f"The try-on service did not finish within {self.deadline_seconds:g} "
                "seconds. Please try again later.",
                code=EngineCode.FASHN_DEADLINE,
                retryable=True,
            )
        if not self.webhook_base or webhook_arrived(prediction_id):
            # Without a webhook, or when its delivery came and the status still says
            # pending: plain polling (never a busy loop on the mark).
            self.sleep(self.poll_interval_seconds)
            return
        until = min(self.clock() + interval, deadline)
        while self.clock() < until and not webhook_arrived(prediction_id):
            self.sleep(self.webhook_check_seconds)

    def download(self, url: str) -> bytes:
        if url.startswith("data:"):
            try:
                return base64.b64decode(url.split(",", 1)[1], validate=True)
            except (IndexError, binascii.Error) as error:
                raise _error(BAD_OUTPUT) from error
        if not url.startswith(("https://", "http://")):
            raise _error(BAD_OUTPUT)
        for attempt in range(self.max_retries + 1):
            try:
                # No Authorization header: output URLs are pre-signed CDN links and the
                # API key must not travel to another host.
                with self.session.get(url, timeout=self.timeout, stream=True) as response:
                    if response.status_code == 200:
                        chunks, size = [], 0
                        for chunk in response.iter_content(64 * 1024):
                            size += len(chunk)
                            if size > _MAX_OUTPUT_BYTES:
                                raise _error(BAD_OUTPUT)
                            chunks.append(chunk)
                        return b"".join(chunks)
                    retry = response.status_code == 429 or response.status_code >= 500
            except requests.RequestException:
                retry = True
            if not retry or attempt == self.max_retries:
                break
            self.sleep(self._backoff(attempt, None))
        raise EngineError(
            "The finished image could not be downloaded from the try-on service.",
            code=EngineCode.FASHN_DOWNLOAD,
            retryable=True,
        )

    # --- HTTP with bounded retries ---------------------------------------------------------
    def _backoff(self, attempt: int, retry_after: str | None) -> float:
        delay = self.backoff_seconds * (2**attempt)
        if retry_after:
            with contextlib.suppress(ValueError):
                delay = max(delay, float(retry_after))
        return float(min(delay, self.max_backoff_seconds))

    def _attempt(
        self, method: str, url: str, *, idempotent: bool, json: dict[str, Any] | None
    ) -> dict[str, Any] | tuple[EngineError, str | None]:
        """One request: the JSON body, or (a retryable error, Retry-After) to try again.
        Errors that must not be retried are raised."""
        headers = {"Authorization": f"Bearer {self.api_key}", "Accept": "application/json"}
        try:
            response = self.session.request(
                method, url, json=json, headers=headers, timeout=self.timeout
            )
        except requests.ConnectionError:
            return _error(UNREACHABLE), None
        except requests.Timeout as error:
            # A read timeout on a POST may mean FASHN started a prediction we never
            # heard about; retrying could bill twice, so the job decides later.
            if not idempotent:
                raise _error(UNREACHABLE) from error
            return _error(UNREACHABLE), None
        except requests.RequestException as error:
            raise _error(UNREACHABLE) from error
        body = _json_body(response)
        if response.status_code == 200:
            if body is None:
                raise _error(BAD_RESPONSE)
            return body
        refused = api_error(_error_name(body), response.status_code)
        if not refused.retryable:
            raise refused
        return refused, response.headers.get("Retry-After")

    def _call(
        self,
        method: str,
        url: str,
        *,
        idempotent: bool,
        json: dict[str, Any] | None = None,
        deadline: float | None = None,
    ) -> dict[str, Any]:
        last_error: EngineError = _error(UNREACHABLE)
        for attempt in range(self.max_retries + 1):
            outcome = self._attempt(method, url, idempotent=idempotent, json=json)
            if isinstance(outcome, dict):
                return outcome
            last_error, retry_after = outcome
            if attempt == self.max_retries:
                break
            delay = self._backoff(attempt, retry_after)
            if deadline is not None and self.clock() + delay > deadline:
                break
            self.sleep(delay)
        raise last_error


def _error_name(body: dict[str, Any] | None) -> str | None:
    name = body.get("error") if body else None
    return name if isinstance(name, str) else None


def _json_body(response: requests.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
