"""The fixed-window counter: a limit per window, and a window that always ends."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.core.cache import cache
from django.utils import timezone

from modelsnapper.ratelimit import allow


def test_the_limit_holds_for_the_window_and_a_new_window_starts_after_it():
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        assert [allow("k", limit=3, window_seconds=60) for _ in range(5)] == [
            *[True, True, True],
            *[False, False],
        ]
    with time_machine.travel(now + timedelta(seconds=61), tick=False):
        assert allow("k", limit=3, window_seconds=60)


def test_a_count_that_lost_its_expiry_gets_one_again():
    # What Redis leaves when a key expires between Django's exists check and its INCR.
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        cache.set("k", 0, timeout=None)
        assert allow("k", limit=1, window_seconds=60)
        assert not allow("k", limit=1, window_seconds=60)
    with time_machine.travel(now + timedelta(seconds=61), tick=False):
        assert allow("k", limit=1, window_seconds=60)
