"""django-mongodb-backend without a server: compile querysets and DDL to MQL.

No MongoDB runs on the build machines, so the Mongo-mode tests use the
backend's own compilers and schema editor offline:

- ``offline_connection()`` registers a ``django_mongodb_backend`` connection
  under an extra alias that points at an unreachable address and refuses to be
  dialled (``database`` raises), so a test that would touch the network fails at
  once with a clear message instead of waiting for server selection.
- ``compile_select`` / ``compile_update`` / ``compile_insert`` run the backend's
  compilers and capture the aggregation pipeline, the ``(criteria, pipeline)``
  given to ``update_many`` and the documents given to ``insert_many`` -- the
  pymongo edge, nothing of ours is replaced.
- ``FakeDDLDatabase`` is an in-memory stand-in for the pymongo database the
  schema editor talks to: it records ``create_collection`` and the
  ``IndexModel`` documents of ``create_indexes`` (and answers
  ``index_information`` so index removals in later migrations work).
- ``python -m modelsnapper.tests.mongo_offline`` (run with ``MONGODB_URI`` set,
  i.e. in Mongo mode) replays every migration of the project -- the committed
  ``mongo_migrations/`` plus our apps' shared set -- through the backend's
  schema editor against ``FakeDDLDatabase`` and prints the resulting
  collections and indexes as JSON: what ``manage.py migrate`` would create.

These use backend internals (compiler/schema-editor methods), which is why
django-mongodb-backend is pinned to an exact version in requirements.txt.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import Any

from bson import ObjectId

OFFLINE_ALIAS = "mongo_offline"
# Port 27999 on loopback: nothing listens there, and nothing here connects.
OFFLINE_URI = "mongodb://127.0.0.1:27999/modelsnapper"


class _NoServer:
    """Stands in for ``connection.database``: any use means a test went online."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(
            f"offline MQL test tried to reach MongoDB (database.{name}); "
            "compile the query instead of executing it"
        )

    def __getitem__(self, name: str) -> Any:
        return self.__getattr__(f"[{name!r}]")


def forbid_network(connection) -> None:
    # ``database`` is a cached_property: an instance attribute overrides it.
    connection.database = _NoServer()
    # "Already connected", so atomic() and ensure_connection() never dial out.
    if connection.connection is None:
        connection.connection = _NoServer()
    # Cached feature flags that would otherwise ask the server.
    connection.features.supports_atlas_search = False
    connection.features.is_mongodb_6_3 = True


def offline_connection(alias: str = OFFLINE_ALIAS):
    """Register (once) and return a Mongo connection that never dials out."""
    from django.db import connections
    from django.db.utils import load_backend

    if alias in connections.settings:
        return connections[alias]
    databases = connections.configure_settings(
        {
            "default": {},
            alias: {
                "ENGINE": "django_mongodb_backend",
                "HOST": OFFLINE_URI,
                "NAME": "modelsnapper",
                "OPTIONS": {"serverSelectionTimeoutMS": 200},
            },
        }
    )
    connection = load_backend("django_mongodb_backend").DatabaseWrapper(databases[alias], alias)
    forbid_network(connection)
    connections.settings[alias] = databases[alias]
    connections[alias] = connection
    return connection


def remove_offline_connection(alias: str = OFFLINE_ALIAS) -> None:
    from django.db import connections

    if alias in connections.settings:
        del connections[alias]
        del connections.settings[alias]


# --- queries -----------------------------------------------------------------------


def compile_select(queryset, alias: str = OFFLINE_ALIAS) -> list[dict]:
    """The aggregation pipeline the backend would send for this queryset."""
    query = queryset.query
    compiler = query.get_compiler(alias)
    compiler.pre_sql_setup()
    # Same choice as SQLCompiler.execute_sql: no $project unless needed.
    columns = (
        compiler.columns if query.annotations or not query.default_cols or query.distinct else None
    )
    return compiler.build_query(columns).get_pipeline()


def compile_update(queryset, alias: str = OFFLINE_ALIAS, **values: Any) -> list[tuple]:
    """``queryset.update(**values)`` compiled: the ``(criteria, pipeline)`` calls."""
    from django.db.models import sql
    from django.db.models.sql.constants import ROW_COUNT

    # What QuerySet.update() builds before it executes.
    query = queryset.query.chain(sql.UpdateQuery)
    query.add_update_values(values)
    query.annotations = {}
    compiler = query.get_compiler(alias)
    calls: list[tuple] = []

    def update(criteria, pipeline):  # stands in for collection.update_many
        calls.append((criteria, pipeline))
        return 1

    compiler.update = update
    compiler.execute_sql(ROW_COUNT)
    return calls


def compile_insert(obj, alias: str = OFFLINE_ALIAS) -> dict:
    """The document ``obj.save()`` would insert (as given to ``insert_many``)."""
    from django.db.models import sql

    meta = obj._meta
    fields = [f for f in meta.local_concrete_fields if not f.generated]
    query = sql.InsertQuery(type(obj))
    query.insert_values(fields, [obj])
    compiler = query.get_compiler(alias)
    documents: list[dict] = []

    def insert(docs, returning_fields=None):  # stands in for collection.insert_many
        documents.extend(docs)
        return []

    compiler.insert = insert
    compiler.execute_sql()
    (document,) = documents
    return document


# --- running our own services and selectors against the recorder ------------------------


class _Cursor:
    """What ``collection.aggregate`` returns, for the compiler's two ways of reading."""

    def __init__(self, documents: list[dict]) -> None:
        self._documents = iter(documents)

    def __iter__(self):
        return self

    def __next__(self) -> dict:
        return next(self._documents)

    next = __next__

    def close(self) -> None:
        pass


class _Result:
    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)


class WireCollection:
    def __init__(self, wire: MongoWire, name: str) -> None:
        self.wire = wire
        self.name = name

    def aggregate(self, pipeline, session=None) -> _Cursor:
        self.wire.calls.append((self.name, "aggregate", pipeline))
        return _Cursor([dict(doc) for doc in self.wire.documents.get(self.name, [])])

    def update_many(self, criteria, update, session=None) -> _Result:
        self.wire.calls.append((self.name, "update_many", (criteria, update)))
        return _Result(matched_count=self.wire.matched.get(self.name, 1))

    def find_one_and_update(self, criteria, update, projection=None, **options) -> dict | None:
        # The guarded increment of modelsnapper.counters: answers the document after
        # the update (the first of ``documents``), or None when the guard matched nothing.
        self.wire.calls.append((self.name, "find_one_and_update", (criteria, update)))
        if not self.wire.matched.get(self.name, 1):
            return None
        return dict(self.wire.documents.get(self.name, [{}])[0])

    def insert_many(self, documents, session=None) -> _Result:
        # pymongo gives a document without _id a fresh ObjectId, client-side.
        documents = [{"_id": ObjectId(), **doc} for doc in documents]
        self.wire.calls.append((self.name, "insert_many", documents))
        return _Result(inserted_ids=[doc.get("_id") for doc in documents])

    def delete_many(self, criteria, session=None) -> _Result:
        self.wire.calls.append((self.name, "delete_many", criteria))
        return _Result(deleted_count=0)


class MongoWire:
    """The pymongo edge of the offline connection, recorded call by call.

    ``documents`` answers every ``aggregate`` (and ``find_one_and_update``) on a
    collection; ``matched`` is the ``matched_count`` of ``update_many`` (default 1;
    0 also makes ``find_one_and_update`` match nothing). Our services and selectors
    run unchanged, routed to the offline alias by ``RouteToOfflineMongo``; the
    test reads what they sent.
    """

    def __init__(self, connection) -> None:
        self.connection = connection
        self.calls: list[tuple[str, str, Any]] = []
        self.documents: dict[str, list[dict]] = {}
        self.matched: dict[str, int] = {}

    def __enter__(self) -> MongoWire:
        self._previous = self.connection.__dict__.get("get_collection")
        self.connection.get_collection = lambda name, **kwargs: WireCollection(self, name)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if self._previous is None:
            self.connection.__dict__.pop("get_collection", None)
        else:
            self.connection.get_collection = self._previous

    def sent(self, collection: str, operation: str) -> list:
        return [
            payload for name, op, payload in self.calls if name == collection and op == operation
        ]


class RouteToOfflineMongo:
    """Database router sending every read and write to the offline Mongo alias."""

    def db_for_read(self, model, **hints: Any) -> str:
        return OFFLINE_ALIAS

    def db_for_write(self, model, **hints: Any) -> str:
        return OFFLINE_ALIAS

    def allow_relation(self, obj1, obj2, **hints: Any) -> bool:
        return True


# --- DDL -----------------------------------------------------------------------------


class FakeDDLCollection:
    def __init__(self, database: FakeDDLDatabase, name: str) -> None:
        self.database = database
        self.name = name

    @property
    def _indexes(self) -> dict[str, dict]:
        return self.database.indexes.setdefault(self.name, {})

    def create_indexes(self, index_models: Iterable) -> list[str]:
        names = []
        for model in index_models:
            document = dict(model.document)
            self._indexes[document["name"]] = document
            names.append(document["name"])
        return names

    def drop_index(self, name: str) -> None:
        del self._indexes[name]

    def index_information(self) -> dict:
        info = {"_id_": {"key": [("_id", 1)]}}
        for name, document in self._indexes.items():
            info[name] = {
                "key": list(document["key"].items()),
                **({"unique": True} if document.get("unique") else {}),
            }
        return info

    def list_search_indexes(self) -> list:
        return []

    # Data migrations (RunPython) read and write through the ORM: reads find
    # nothing, writes are recorded.
    def aggregate(self, pipeline, session=None) -> _Cursor:
        self.database.log.append((self.name, "aggregate", pipeline))
        return _Cursor([])

    def find_one_and_update(self, criteria, update, projection=None, **options) -> dict | None:
        # The guarded increment of modelsnapper.counters: answers the document after
        # the update (the first of ``documents``), or None when the guard matched nothing.
        self.wire.calls.append((self.name, "find_one_and_update", (criteria, update)))
        if not self.wire.matched.get(self.name, 1):
            return None
        return dict(self.wire.documents.get(self.name, [{}])[0])

    def insert_many(self, documents, session=None) -> _Result:
        # pymongo gives a document without _id a fresh ObjectId, client-side.
        documents = [{"_id": ObjectId(), **doc} for doc in documents]
        self.database.log.append((self.name, "insert_many", documents))
        return _Result(inserted_ids=[doc.get("_id") for doc in documents])

    def update_many(self, criteria, update, session=None, **kwargs) -> _Result:
        self.database.log.append((self.name, "update_many", (criteria, update)))
        return _Result(matched_count=0)

    def delete_many(self, criteria, session=None) -> _Result:
        self.database.log.append((self.name, "delete_many", criteria))
        return _Result(deleted_count=0)

    def drop(self) -> None:
        self.database.collections.discard(self.name)
        self.database.indexes.pop(self.name, None)

    def rename(self, new_name: str) -> None:
        self.database.collections.discard(self.name)
        self.database.collections.add(new_name)
        self.database.indexes[new_name] = self.database.indexes.pop(self.name, {})


class FakeDDLDatabase:
    """The collections and indexes a schema editor created, kept in memory."""

    def __init__(self) -> None:
        self.collections: set[str] = set()
        self.indexes: dict[str, dict[str, dict]] = {}
        self.log: list[tuple] = []

    def create_collection(self, name: str) -> FakeDDLCollection:
        self.collections.add(name)
        return FakeDDLCollection(self, name)

    def list_collections(self) -> list[dict]:
        return [{"name": name} for name in sorted(self.collections)]

    def __getitem__(self, name: str) -> FakeDDLCollection:
        return FakeDDLCollection(self, name)

    def attach(self, connection, editor=None) -> None:
        """Point the connection (and a schema editor) at this fake."""
        connection.get_collection = lambda name, **kwargs: FakeDDLCollection(self, name)
        connection.get_database = lambda: self
        if editor is not None:
            editor.get_collection = connection.get_collection
            editor.get_database = connection.get_database


def index_spec(document: dict) -> tuple:
    """A comparable form of an IndexModel document: (key pairs, unique, partial)."""
    partial = document.get("partialFilterExpression")
    return (
        tuple(document["key"].items()),
        bool(document.get("unique", False)),
        json.loads(json.dumps(partial, sort_keys=True)) if partial else None,
    )


def model_index_documents(models: Iterable, alias: str = OFFLINE_ALIAS) -> dict[str, list]:
    """``create_model``'s indexes for each model: {collection: [IndexModel document]}."""
    from django.db import connections

    connection = connections[alias]
    previous = {
        name: connection.__dict__[name]
        for name in ("get_collection", "get_database")
        if name in connection.__dict__
    }
    fake = FakeDDLDatabase()
    with connection.schema_editor(atomic=False) as editor:
        fake.attach(connection, editor)
        try:
            for model in models:
                editor.create_model(model)
        finally:
            for name in ("get_collection", "get_database"):
                connection.__dict__.pop(name, None)
            connection.__dict__.update(previous)
    return {name: list(fake.indexes.get(name, {}).values()) for name in sorted(fake.collections)}


def replay_migrations() -> dict:
    """Apply every migration's schema operations to a FakeDDLDatabase (Mongo mode).

    Data migrations (RunPython) run too, through the ORM on the backend's
    compilers: their reads find nothing and their writes are recorded, so a data
    migration MongoDB cannot run fails here. RunSQL cannot run on MongoDB; it is
    listed.
    """
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.operations.special import RunPython, RunSQL
    from django.db.migrations.state import ProjectState

    assert connection.vendor == "mongodb", "run with MONGODB_URI set (Mongo mode)"
    forbid_network(connection)
    loader = MigrationLoader(None, ignore_no_migrations=True)
    plan: list = []
    seen: set = set()
    for leaf in sorted(loader.graph.leaf_nodes()):
        for node in loader.graph.forwards_plan(leaf):
            if node not in seen:
                seen.add(node)
                plan.append(loader.graph.nodes[node])
    fake = FakeDDLDatabase()
    data_migrations: list[str] = []
    raw_sql: list[str] = []
    state = ProjectState(real_apps=loader.unmigrated_apps)
    with connection.schema_editor(atomic=False) as editor:
        fake.attach(connection, editor)
        for migration in plan:
            for operation in migration.operations:
                old_state = state.clone()
                operation.state_forwards(migration.app_label, state)
                name = f"{migration.app_label}.{migration.name}"
                if isinstance(operation, RunSQL):
                    raw_sql.append(name)  # cannot run on MongoDB at all
                    continue
                if isinstance(operation, RunPython):
                    data_migrations.append(name)
                operation.database_forwards(migration.app_label, editor, old_state, state)
    from django.apps import apps

    return {
        # Every installed model: its primary key's class and BSON type on MongoDB.
        "models": {
            model._meta.label: {
                "managed": bool(model._meta.managed and not model._meta.proxy),
                "pk": type(model._meta.pk).__name__,
                "pk_column": model._meta.pk.column,
                "pk_db_type": model._meta.pk.db_type(connection),
            }
            for model in apps.get_models(include_auto_created=True)
        },
        "migrations": [f"{m.app_label}.{m.name}" for m in plan],
        "data_migrations": data_migrations,
        "raw_sql_migrations": raw_sql,
        "data_writes": [
            (collection, operation)
            for collection, operation, _payload in fake.log
            if operation in {"insert_many", "update_many", "delete_many"}
        ],
        "collections": sorted(fake.collections),
        "indexes": {
            name: [
                {
                    "name": doc["name"],
                    "key": list(doc["key"].items()),
                    "unique": bool(doc.get("unique", False)),
                    "partialFilterExpression": doc.get("partialFilterExpression"),
                }
                for doc in docs.values()
            ]
            for name, docs in sorted(fake.indexes.items())
        },
    }


def main() -> None:
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "modelsnapper.settings")
    django.setup()
    json.dump(replay_migrations(), sys.stdout, indent=1, default=str)


if __name__ == "__main__":
    main()
