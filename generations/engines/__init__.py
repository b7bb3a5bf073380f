"""Generation engines, chosen by settings.GENERATION_ENGINE."""

from __future__ import annotations

from django.conf import settings

from generations.engines.base import Engine, EngineError, EngineRequest, EngineResult

__all__ = ["Engine", "EngineError", "EngineRequest", "EngineResult", "get_engine"]


def get_engine(name: str | None = None) -> Engine:
    name = name or settings.GENERATION_ENGINE
    if name == "offline":
        from generations.engines.offline import OfflineEngine

        return OfflineEngine()
    if name == "fashn":
        from generations.engines.fashn import FashnEngine

        return FashnEngine(
            api_key=settings.FASHN_API_KEY,
            api_base=settings.FASHN_API_BASE,
            webhook_base=settings.FASHN_WEBHOOK_BASE,
        )
    raise ValueError(f"Unknown generation engine {name!r}")
