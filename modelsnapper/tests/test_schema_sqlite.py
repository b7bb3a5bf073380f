"""The seed schema (seed_schema.py) against the migrated SQLite tables.

The test introspects the real tables the migrations built: names, columns, column
types, primary key, foreign keys, single/unique/compound indexes.
"""

from __future__ import annotations

import pytest
from django.db import connection

from modelsnapper.tests.seed_schema import SEED, SEED_COMPOUND, SEED_REFERENCES

pytestmark = pytest.mark.django_db

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


def _columns(table: str) -> dict[str, str]:
    with connection.cursor() as cursor:
        description = connection.introspection.get_table_description(cursor, table)
    return {column.name: column.type_code.lower() for column in description}


def _constraints(table: str) -> list[dict]:
    with connection.cursor() as cursor:
        return list(connection.introspection.get_constraints(cursor, table).values())


def _type_family(type_code: str) -> str:
    return type_code if type_code == "varchar(24)" else type_code.split("(")[0]


def test_every_seed_collection_is_a_table():
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
    assert set(SEED) <= tables


@pytest.mark.parametrize(("collection", "field", "seed_type", "indexing"), FIELDS)
def test_seed_field_is_a_column_of_the_right_type(collection, field, seed_type, indexing):
    columns = _columns(collection)
    assert field in columns, f"{collection}.{field} missing; columns: {sorted(columns)}"
    assert _type_family(columns[field]) in SQL_TYPES[seed_type]


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
        # SQLite reports the direction of real indexes; the seed's lookups are newest first.
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
        for name, type_code in _columns(table).items()
        if type_code.startswith(("real", "float", "double"))
    }
    assert floats == set()
