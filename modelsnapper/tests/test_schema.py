"""The seed schema (seed_schema.py) against the store the migrations built.

On SQLite the test introspects the real tables: columns, column types, primary key,
foreign keys, single/unique/compound indexes. In Mongo mode (``make test-mongo``) it
asks the server: the collections, the indexes ``migrate`` created, and the BSON type
of every seed field in a document saved through the ORM. References are foreign keys
on SQL and ObjectId fields pointing at the seed's collection on MongoDB (which has no
foreign keys).
"""

from __future__ import annotations

import pytest
from bson import ObjectId
from django.apps import apps
from django.db import connection

from modelsnapper.tests.seed_schema import (
    BSON_TYPES,
    SEED,
    SEED_COMPOUND,
    SEED_REFERENCES,
    seed_instances,
)

pytestmark = pytest.mark.django_db

OID = "5f1d7f0e0a3b4c5d6e7f8091"
OTHER_OID = "65a0c0ffee0ddba11c0ffee1"

# Seed types → SQLite column types our fields produce. Money is never REAL.
SQL_TYPES = {
    "ObjectId": {"varchar(24)"},
    "String": {"varchar", "text"},
    "Number": {"integer", "integer unsigned", "decimal", "bigint"},
    "Boolean": {"bool"},
    "Date": {"datetime"},
    "Array<ObjectId>": {"text"},
    "Array<String>": {"text"},
    "Array (Embedded)": {"text"},
}

FIELDS = [
    (collection, field, seed_type, indexing)
    for collection, fields in SEED.items()
    for field, (seed_type, indexing) in fields.items()
]
MONGO = connection.vendor == "mongodb"


def _model(collection: str):
    (model,) = [
        m
        for m in apps.get_models()
        if m._meta.db_table == collection and m._meta.managed and not m._meta.proxy
    ]
    return model


def _document(collection: str) -> dict:
    """A document saved through the ORM with every seed field set, read back raw."""
    instance = seed_instances(OID, OTHER_OID)[collection]
    instance.save(force_insert=True)
    return connection.get_collection(collection).find_one({"_id": ObjectId(instance.pk)})


def _columns(table: str) -> dict[str, object]:
    """Column → SQL type (SQLite), or field → the stored value itself (MongoDB)."""
    if MONGO:
        return _document(table)
    with connection.cursor() as cursor:
        description = connection.introspection.get_table_description(cursor, table)
    return {column.name: column.type_code.lower() for column in description}


def _mongo_constraints(collection: str) -> list[dict]:
    constraints = []
    for name, index in connection.get_collection(collection).index_information().items():
        columns = [field for field, _direction in index["key"]]
        constraints.append(
            {
                "columns": columns,
                "primary_key": name == "_id_",
                "unique": name == "_id_" or bool(index.get("unique")),
                "index": True,
                "orders": ["ASC" if direction == 1 else "DESC" for _f, direction in index["key"]],
                "foreign_key": None,
            }
        )
    for field in _model(collection)._meta.concrete_fields:
        if field.is_relation:
            target = field.target_field
            constraints.append(
                {
                    "columns": [field.column],
                    "primary_key": False,
                    "unique": False,
                    "index": False,
                    "foreign_key": (target.model._meta.db_table, target.column),
                }
            )
    return constraints


def _constraints(table: str) -> list[dict]:
    if MONGO:
        return _mongo_constraints(table)
    with connection.cursor() as cursor:
        return list(connection.introspection.get_constraints(cursor, table).values())


def _type_family(type_code: str) -> str:
    return type_code if type_code == "varchar(24)" else type_code.split("(")[0]


def _has_seed_type(stored: object, seed_type: str) -> bool:
    if MONGO:
        return isinstance(stored, BSON_TYPES[seed_type]) and not _is_float(stored)
    return _type_family(str(stored)) in SQL_TYPES[seed_type]


def _is_float(stored: object) -> bool:
    if MONGO:
        return isinstance(stored, float)
    return str(stored).startswith(("real", "float", "double"))


def test_every_seed_collection_is_a_table():
    if MONGO:
        tables = set(connection.database.list_collection_names())
    else:
        with connection.cursor() as cursor:
            tables = set(connection.introspection.table_names(cursor))
    assert set(SEED) <= tables


@pytest.mark.parametrize(("collection", "field", "seed_type", "indexing"), FIELDS)
def test_seed_field_is_a_column_of_the_right_type(collection, field, seed_type, indexing):
    columns = _columns(collection)
    assert field in columns, f"{collection}.{field} missing; columns: {sorted(columns)}"
    assert _has_seed_type(columns[field], seed_type), (field, columns[field])


@pytest.mark.parametrize(
    ("collection", "field"),
    [(c, f) for c, f, _t, indexing in FIELDS if indexing == "Default"],
)
def test_primary_key_is_underscore_id(collection, field):
    (pk,) = [c for c in _constraints(collection) if c["primary_key"]]
    assert pk["columns"] == [field]


@pytest.mark.parametrize(
    ("collection", "field"),
    [(c, f) for c, f, _t, indexing in FIELDS if indexing == "Unique"],
)
def test_seed_unique_field_has_a_unique_index(collection, field):
    assert any(
        c["unique"] and c["columns"] == [field] and not c["primary_key"]
        for c in _constraints(collection)
    )


@pytest.mark.parametrize(
    ("collection", "field"),
    [(c, f) for c, f, _t, indexing in FIELDS if indexing == "Single"],
)
def test_seed_single_field_has_its_own_index(collection, field):
    assert any(
        c["index"] and c["columns"] == [field] and not c["unique"] for c in _constraints(collection)
    )


@pytest.mark.parametrize(
    ("collection", "field"),
    [(c, f) for c, f, _t, indexing in FIELDS if indexing == "Compound"],
)
def test_seed_compound_field_leads_or_joins_a_compound_index(collection, field):
    assert any(
        len(c["columns"] or []) > 1 and field in c["columns"] for c in _constraints(collection)
    )


@pytest.mark.parametrize(("collection", "key", "unique"), SEED_COMPOUND)
def test_seed_combined_index_exists(collection, key, unique):
    columns = [column for column, _order in key]
    orders = [order for _column, order in key]
    matches = [
        c
        for c in _constraints(collection)
        if c["columns"] == columns and (c["unique"] or not unique)
    ]
    assert matches, f"no index on {collection}{columns}"
    if not unique:
        # Both report the direction of real indexes; the seed's lookups are newest first.
        assert any(c.get("orders") == orders for c in matches)


@pytest.mark.parametrize(("source", "target"), sorted(SEED_REFERENCES.items()))
def test_seed_reference_is_a_foreign_key(source, target):
    collection, column = source
    foreign_keys = [
        c["foreign_key"]
        for c in _constraints(collection)
        if c["foreign_key"] and c["columns"] == [column]
    ]
    assert foreign_keys == [target]


def test_no_column_of_our_tables_is_a_float():
    # Money is exact: Decimal or integer cents, never REAL.
    floats = {
        (table, name)
        for table in SEED
        for name, stored in _columns(table).items()
        if _is_float(stored)
    }
    assert floats == set()
