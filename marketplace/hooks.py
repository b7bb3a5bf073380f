"""What marketplace tells the apps above it, without importing them.

marketplace sits below generations in the import order (generations reads consent
through marketplace's selectors), yet a consent that ends must reach generations'
queued jobs at once. So marketplace announces the event here and generations
registers a listener in its ``AppConfig.ready()``: the dependency points one way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LikenessEnded:
    """A model's likeness may no longer be used: by one business (revoked, expired)
    or by every business (``business_user_id`` None: the release was withdrawn)."""

    model_user_id: str
    business_user_id: str | None


LikenessEndedListener = Callable[[LikenessEnded], object]  # the result is ignored
_likeness_ended: list[LikenessEndedListener] = []


def on_likeness_ended(listener: LikenessEndedListener) -> LikenessEndedListener:
    """Registers ``listener`` (once) for every LikenessEnded; usable as a decorator."""
    if listener not in _likeness_ended:
        _likeness_ended.append(listener)
    return listener


def likeness_ended(event: LikenessEnded) -> None:
    """Tells every listener. Called after the change is committed; a failing listener
    is logged and never undoes the model's committed action."""
    for listener in list(_likeness_ended):
        try:
            listener(event)
        except Exception:
            logger.exception("A LikenessEnded listener failed for %s", event)
