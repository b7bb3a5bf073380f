"""The fixed-window counter: a limit per window, and a window that always ends.

Real one-second windows, not a moved clock: with REDIS_URL (Mongo mode, production) the
expiry is Redis's own, which no clock in this process moves.
"""

from __future__ import annotations

import time

from django.core.cache import cache

from modelsnapper.ratelimit import allow


def test_the_limit_holds_for_the_window_and_a_new_window_starts_after_it():
    assert [allow("k", limit=3, window_seconds=1) for _ in range(5)] == [
        *[True, True, True],
        *[False, False],
    ]
    time.sleep(1.2)
    assert allow("k", limit=3, window_seconds=1)


def test_a_count_that_lost_its_expiry_gets_one_again():
    # What Redis leaves when a key expires between Django's exists check and its INCR.
    cache.set("k", 0, timeout=None)
    assert allow("k", limit=1, window_seconds=1)
    assert not allow("k", limit=1, window_seconds=1)
    time.sleep(1.2)
    assert allow("k", limit=1, window_seconds=1)
