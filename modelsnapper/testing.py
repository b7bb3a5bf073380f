"""Helpers for tests that need real concurrency (used by several apps' test suites)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

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


def subprocess_database_env(db_path: Path | None) -> dict[str, str]:
    """Environment that points a child process (a worker) at this test's database.

    ``db_path`` is the ``file_db`` fixture's value: a SQLite file, or None on MongoDB,
    where the child connects to the same server and test database.
    """
    from django.conf import settings

    if db_path is not None:
        return {"DATABASE_URL": f"sqlite:///{db_path}"}
    database = settings.DATABASES["default"]
    parsed = urlsplit(database["HOST"])
    uri = urlunsplit(parsed._replace(path=f"/{database['NAME']}"))
    return {"MONGODB_URI": uri, "REDIS_URL": settings.REDIS_URL}
