"""pytest plugin: every query the SQLite test run executes is also compiled for MongoDB.

    make check-mongo-queries        # = pytest -p modelsnapper.tests.mongo_shadow

While the whole suite runs on SQLite as usual, each select, insert, update and
delete the ORM executes is compiled a second time by django-mongodb-backend's
compilers against the offline connection (mongo_offline.py; pymongo calls go to
a recorder, nothing is sent anywhere). A query MongoDB cannot run -- ``extra()``,
``prefetch_related`` over M2M, an update spanning collections, a lookup without
MQL -- fails the run with the test and code line that issued it, before anyone
deploys to MongoDB. Opt-in: it patches the compilers for the whole session.
"""

from __future__ import annotations

import threading
import traceback
from typing import Any

import pytest

from modelsnapper.tests.mongo_offline import (
    OFFLINE_ALIAS,
    MongoWire,
    WireCollection,
    forbid_network,
    offline_connection,
)

_failures: dict[tuple, list[str]] = {}
_counts: dict[str, int] = {}
_current_test = {"nodeid": ""}


def _where() -> list[str]:
    """The project's own frames (not Django's, not this plugin's) that issued the query."""
    frames = [
        frame
        for frame in traceback.extract_stack()
        if "/.venv/" not in frame.filename
        and "site-packages" not in frame.filename
        and not frame.filename.endswith("mongo_shadow.py")
    ]
    return [
        "/".join(frame.filename.rsplit("/", 2)[-2:]) + f":{frame.lineno}" for frame in frames[-3:]
    ]


def _shadow(kind: str, compiler, result_type: Any) -> None:
    from django.core.exceptions import EmptyResultSet, FullResultSet
    from django.db import connections
    from django.db.models.sql.constants import MULTI

    if threading.current_thread() is not threading.main_thread():
        # Connections are per thread and the offline one is set up in the main
        # thread only; concurrency tests repeat queries the others already issue.
        return
    _counts[kind] = _counts.get(kind, 0) + 1
    try:
        query = compiler.query.clone()
        if kind == "insert":
            # Runs after the SQL insert: read the values pre_save() produced,
            # without calling pre_save (file fields would save twice).
            query.raw = True
        _ready(connections[OFFLINE_ALIAS])
        mongo = query.get_compiler(OFFLINE_ALIAS)
        if kind == "select":
            mongo.execute_sql(result_type or MULTI)
        elif kind == "insert":
            mongo.execute_sql(returning_fields=None)
        else:
            mongo.execute_sql(result_type)
    except (EmptyResultSet, FullResultSet):
        return
    except Exception as exc:
        key = (kind, type(exc).__name__, str(exc)[:300], tuple(_where()[-1:]))
        _failures.setdefault(key, [_current_test["nodeid"], *_where()])


_wire: dict[str, MongoWire] = {}


def _ready(connection) -> None:
    """Connections are per context (browser tests run in greenlets): set each one up."""
    if connection.__dict__.get("get_collection") is None:
        forbid_network(connection)
        connection.get_collection = lambda name, **kwargs: WireCollection(_wire["wire"], name)


def _patch() -> list[tuple[type, Any]]:
    from django.db.models.sql import compiler as sql

    kinds = [
        ("select", sql.SQLCompiler),
        ("insert", sql.SQLInsertCompiler),
        ("update", sql.SQLUpdateCompiler),
        ("delete", sql.SQLDeleteCompiler),
        ("aggregate", sql.SQLAggregateCompiler),
    ]
    originals = []
    for kind, cls in kinds:
        original = cls.__dict__.get("execute_sql")
        inherited = cls.execute_sql

        def execute_sql(self, *args, _kind=kind, _cls=cls, _inherited=inherited, **kwargs):
            try:
                return _inherited(self, *args, **kwargs)
            finally:
                # Only the outermost call of the class that owns this query kind.
                if type(self) is _cls and self.connection.vendor != "mongodb":
                    result_type = args[0] if args else kwargs.get("result_type")
                    _shadow(_kind, self, result_type)

        originals.append((cls, original))
        cls.execute_sql = execute_sql
    return originals


@pytest.fixture(scope="session", autouse=True)
def _mongo_shadow():
    from django.db import connections

    offline_connection()
    wire = _wire["wire"] = MongoWire(connections[OFFLINE_ALIAS])
    wire.calls = _NoLog()
    originals = _patch()
    with wire:
        yield
    for cls, original in originals:
        if original is None:
            del cls.execute_sql
        else:
            cls.execute_sql = original


class _NoLog(list):
    """The recorder's call log, kept empty: a whole suite's queries are not needed."""

    def append(self, item: Any) -> None:
        pass


def pytest_runtest_setup(item) -> None:
    _current_test["nodeid"] = item.nodeid


def pytest_terminal_summary(terminalreporter) -> None:
    counts = ", ".join(f"{n} {kind}" for kind, n in sorted(_counts.items()))
    terminalreporter.section("MongoDB shadow compile")
    terminalreporter.write_line(f"compiled for MongoDB: {counts or 'nothing'}")
    for (kind, error, message, _line), where in _failures.items():
        terminalreporter.write_line(f"FAILED {kind}: {error}: {message}")
        terminalreporter.write_line(f"    in {where[0]}")
        for frame in where[1:]:
            terminalreporter.write_line(f"    at {frame}")


def pytest_sessionfinish(session) -> None:
    if _failures and session.exitstatus == 0:
        session.exitstatus = 1
