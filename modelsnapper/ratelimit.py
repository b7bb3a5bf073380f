"""Fixed-window counters in the default cache: "at most N of this in a window".

The window starts at the first use (``add`` then ``incr``, both atomic in Redis), so no
calendar-minute edge lets twice the limit through. With the default cache on Redis every
web process shares the count; on one host without Redis, each process counts its own.
"""

from __future__ import annotations

from django.core.cache import cache


def allow(key: str, *, limit: int, window_seconds: int) -> bool:
    """Counts one more use of ``key``: True while the window holds at most ``limit``."""
    cache.add(key, 0, timeout=window_seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: this use opens a new window
        cache.set(key, 1, timeout=window_seconds)
        count = 1
    if count == 1:
        # Django's Redis incr checks that the key exists, then INCRs: a key expiring in
        # between comes back from INCR without an expiry, and would block for good. The
        # first use of a window (re)sets it; for a key ``add`` just made, that is a no-op.
        cache.touch(key, window_seconds)
    return count <= limit
