"""Helpers for tests that need real concurrency (used by several apps' test suites)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections


def race(count: int, work: Callable[[int], Any], *, timeout: float = 120) -> list[Any]:
    """Runs ``work(i)`` in ``count`` threads released together; returns each result
    or the exception it raised, in order. Each thread closes its own connections."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as exc:  # collected and asserted on by the test
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results
