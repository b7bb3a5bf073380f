"""The one interface every generation engine implements.

An engine turns (garment photo, wearer photo, category) into an on-model JPEG.
It knows nothing about credits, consent or storage: generations.services
decides whether a job may run, and provenance is added after the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

OUTPUT_WIDTH = 1024
OUTPUT_HEIGHT = 1365  # 3:4


@dataclass(frozen=True)
class EngineRequest:
    generation_id: str
    garment_jpeg: bytes  # the re-encoded product photo
    wearer_jpeg: bytes  # the AI avatar image or the human model's reference photo
    category: str  # a modelsnapper.garments.GarmentCategory value
    # Where the wearer's torso is, as (left, top, right, bottom) fractions of the
    # wearer image. Known for the stock avatars (marketplace.avatar_art.TORSO_BOX);
    # None lets an engine estimate it.
    wearer_torso_box: tuple[float, float, float, float] | None = None


@dataclass(frozen=True)
class EngineResult:
    image_jpeg: bytes  # 3:4, OUTPUT_WIDTH wide, before Content Credentials are added
    engine_name: str
    # IPTC digital source type for the C2PA actions assertion.
    digital_source_type: str


class EngineCode(StrEnum):
    """Why an engine produced no image (``EngineError.code``)."""

    BAD_CATEGORY = "bad_category"
    BAD_INPUT = "bad_input"
    BUSY_BACKGROUND = "busy_background"
    ENGINE_ERROR = "engine_error"
    FASHN_DEADLINE = "fashn_deadline"
    FASHN_DOWNLOAD = "fashn_download"
    FASHN_FAILED = "fashn_failed"
    FASHN_UNAUTHORIZED = "fashn_unauthorized"
    NO_GARMENT = "no_garment"


class EngineError(Exception):
    """An engine could not produce an image; ``user_message`` is safe to show."""

    def __init__(
        self, user_message: str, *, code: str = EngineCode.ENGINE_ERROR, retryable: bool = False
    ):
        super().__init__(user_message)
        self.user_message = user_message
        self.code = code
        self.retryable = retryable


class Engine(Protocol):
    name: str
    label: str  # shown in the UI, e.g. "Offline preview"

    def generate(self, request: EngineRequest) -> EngineResult: ...
