"""The seed schema (docs: seed/modelsnapper-schemas.md) against the migrated SQLite tables.

The tables below are the seed's, transcribed: collection → field → (type, indexing).
The test introspects the real tables the migrations built: names, columns, column
types, primary key, foreign keys, single/unique/compound indexes.
"""

from __future__ import annotations

import pytest
from django.db import connection

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

# collection: {field: (seed type, seed indexing)}; indexing is "", "Default" (the
# primary key), "Unique", "Single" or "Compound".
SEED = {
    "users": {
        "_id": ("ObjectId", "Default"),
        "clerkId": ("String", "Unique"),
        "email": ("String", "Unique"),
        "role": ("String", "Single"),
        "createdAt": ("Date", ""),
    },
    "business_profiles": {
        "_id": ("ObjectId", "Default"),
        "userId": ("ObjectId", "Unique"),
        "businessName": ("String", ""),
        "aiCredits": ("Number", ""),
        "subscriptionStatus": ("String", ""),
        "approvedModels": ("Array<ObjectId>", ""),
        "stripeCustomerId": ("String", "Single"),
        "packageId": ("ObjectId", ""),
    },
    "model_profiles": {
        "_id": ("ObjectId", "Default"),
        "userId": ("ObjectId", "Unique"),
        "name": ("String", ""),
        "royaltyBalance": ("Number", ""),
        "referenceImages": ("Array<String>", ""),
        "approvedBusinesses": ("Array<ObjectId>", ""),
        "consentSigned": ("Boolean", ""),
    },
    "consent_requests": {
        "_id": ("ObjectId", "Default"),
        "businessId": ("ObjectId", "Compound"),
        "modelId": ("ObjectId", "Compound"),
        "status": ("String", "Compound"),
        "requestedAt": ("Date", "Single"),
    },
    "generations": {
        "_id": ("ObjectId", "Default"),
        "userId": ("ObjectId", "Compound"),
        "modelId": ("ObjectId", "Compound"),
        "modelType": ("String", ""),
        "outputS3Url": ("String", ""),
        "royaltyPaid": ("Number", ""),
        "generatedAt": ("Date", "Compound"),
    },
    "packages": {
        "_id": ("ObjectId", "Default"),
        "stripePriceId": ("String", "Unique"),
        "name": ("String", ""),
        "aiCreditsGranted": ("Number", ""),
        "humanModelAccess": ("Boolean", ""),
        "isActive": ("Boolean", "Single"),
    },
    "ai_avatars": {
        "_id": ("ObjectId", "Default"),
        "name": ("String", ""),
        "s3Url": ("String", ""),
        "isActive": ("Boolean", "Single"),
    },
    "invoices": {
        "_id": ("ObjectId", "Default"),
        "userId": ("ObjectId", "Single"),
        "stripeInvoiceId": ("String", "Unique"),
        "invoiceNumber": ("String", "Single"),
        "amountDue": ("Number", ""),
        "currency": ("String", ""),
        "status": ("String", "Single"),
        "pdfUrl": ("String", ""),
        "hostedInvoiceUrl": ("String", ""),
        "periodStart": ("Date", ""),
        "periodEnd": ("Date", ""),
        "lineItems": ("Array (Embedded)", ""),
        "paidAt": ("Date", ""),
    },
}

# The seed's combined indexes: (collection, [(column, order)], unique).
SEED_COMPOUND = [
    # One document per pair: the product relies on it, so it is unique.
    ("consent_requests", [("businessId", "ASC"), ("modelId", "ASC")], True),
    ("generations", [("userId", "ASC"), ("generatedAt", "DESC")], False),
    ("generations", [("modelId", "ASC"), ("generatedAt", "DESC")], False),
]

# Seed references: (collection, column) → (referenced collection, column).
SEED_REFERENCES = {
    ("business_profiles", "userId"): ("users", "_id"),
    ("business_profiles", "packageId"): ("packages", "_id"),
    ("model_profiles", "userId"): ("users", "_id"),
    ("consent_requests", "businessId"): ("users", "_id"),
    ("consent_requests", "modelId"): ("users", "_id"),
    ("generations", "userId"): ("users", "_id"),
    ("generations", "modelId"): ("users", "_id"),
    ("invoices", "userId"): ("users", "_id"),
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
