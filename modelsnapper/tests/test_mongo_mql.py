"""Mongo mode, checked offline: indexes and critical querysets compiled to MQL.

django-mongodb-backend's own schema editor and compilers run against a
connection that cannot reach a server (see mongo_offline.py); each test compares
what the backend would send to MongoDB with the MQL written out here.
"""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal

import pytest
from bson import Decimal128, ObjectId
from django.apps import apps
from django.db import connections
from django.db.models import BooleanField, ExpressionWrapper, F, Q
from pymongo import ASCENDING

from accounts.models import BusinessProfile, ModelProfile, User
from billing.models import Invoice
from generations.models import Generation
from marketplace.models import ConsentRequest, ConsentStatus
from modelsnapper.fields import ObjectIdListField, StringListField
from modelsnapper.tests.expected_mql import EXPECTED_INDEXES
from modelsnapper.tests.mongo_offline import (
    compile_insert,
    compile_select,
    compile_update,
    index_spec,
    model_index_documents,
)
from modelsnapper.tests.seed_schema import BSON_TYPES, SEED, seed_instances

OUR_APPS = ("accounts", "marketplace", "billing", "generations", "payouts", "home")
OID = "5f1d7f0e0a3b4c5d6e7f8091"
OTHER_OID = "65a0c0ffee0ddba11c0ffee1"


def _collection_models() -> list:
    """Every model of our four apps that owns a collection (no proxies, no unmanaged)."""
    return [
        model
        for label in OUR_APPS
        for model in apps.get_app_config(label).get_models()
        if model._meta.managed and not model._meta.proxy
    ]


def _comparable(specs) -> Counter:
    return Counter(
        (key, unique, json.dumps(partial, sort_keys=True) if partial else None)
        for key, unique, partial in specs
    )


# --- indexes -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def compiled_indexes(mongo) -> dict[str, list[dict]]:
    return model_index_documents(_collection_models(), alias=mongo)


@pytest.mark.parametrize("model", _collection_models(), ids=lambda m: m._meta.db_table)
def test_each_collection_gets_exactly_the_expected_indexes(model, compiled_indexes):
    table = model._meta.db_table
    assert table in EXPECTED_INDEXES, (
        f"{model.__name__} ({table}) is a new collection: add its indexes to "
        "modelsnapper/tests/expected_mql.py"
    )
    actual = [index_spec(document) for document in compiled_indexes.get(table, [])]
    assert _comparable(actual) == _comparable(EXPECTED_INDEXES[table])


def test_the_expected_table_names_only_existing_collections():
    tables = {model._meta.db_table for model in _collection_models()}
    assert set(EXPECTED_INDEXES) <= tables


def test_no_two_indexes_of_a_collection_share_a_key_pattern(compiled_indexes):
    # MongoDB refuses a second index on the same key pattern (IndexOptionsConflict,
    # "Index already exists with a different name") unless the partial filter
    # differs, so `migrate` would stop half-way.
    clashes = {}
    for table, documents in compiled_indexes.items():
        by_pattern: dict[tuple, list[str]] = {}
        for doc in documents:
            partial = json.dumps(doc.get("partialFilterExpression"), sort_keys=True)
            by_pattern.setdefault((tuple(doc["key"].items()), partial), []).append(doc["name"])
        same = [names for names in by_pattern.values() if len(names) > 1]
        if same:
            clashes[table] = same
    assert clashes == {}


def test_clerk_id_is_unique_only_where_a_string_is_present(compiled_indexes):
    (document,) = [d for d in compiled_indexes["users"] if list(d["key"]) == ["clerkId"]]
    assert document["unique"] is True
    # Users who never used Clerk store null: not a string, so outside the index.
    assert document["partialFilterExpression"] == {"clerkId": {"$type": "string"}}


def test_one_consent_request_document_per_business_and_model(compiled_indexes):
    (document,) = [
        d
        for d in compiled_indexes["consent_requests"]
        if d["name"] == "consent_requests_business_model_uniq"
    ]
    assert list(document["key"].items()) == [("businessId", ASCENDING), ("modelId", ASCENDING)]
    assert document["unique"] is True
    assert document["partialFilterExpression"] == {
        "businessId": {"$type": "objectId"},
        "modelId": {"$type": "objectId"},
    }


def test_history_and_royalty_indexes_are_newest_first(compiled_indexes):
    keys = {d["name"]: list(d["key"].items()) for d in compiled_indexes["generations"]}
    assert keys["generations_user_history"] == [("userId", 1), ("generatedAt", -1)]
    assert keys["generations_model_royalty"] == [("modelId", 1), ("generatedAt", -1)]


# --- ObjectId keys, references and arrays --------------------------------------------


def test_pk_filter_compiles_to_an_object_id_on_underscore_id(mongo):
    pipeline = compile_select(BusinessProfile.objects.filter(pk=OID), mongo)
    assert pipeline == [{"$match": {"_id": ObjectId(OID)}}]


def test_a_malformed_pk_compiles_to_a_match_on_nothing_not_a_crash(mongo):
    pipeline = compile_select(BusinessProfile.objects.filter(pk="nope"), mongo)
    # No document has a string _id: DoesNotExist, hence 404 in views.
    assert pipeline == [{"$match": {"_id": "nope"}}]


def test_foreign_key_filter_compiles_to_an_object_id_on_the_seed_column(mongo):
    by_id = compile_select(Generation.objects.filter(user_id=OID).order_by(), mongo)
    by_instance = compile_select(Generation.objects.filter(user=User(id=OID)).order_by(), mongo)
    assert by_id == by_instance == [{"$match": {"userId": ObjectId(OID)}}]


def test_contains_id_compiles_to_array_membership_on_approved_models(mongo):
    pipeline = compile_select(
        BusinessProfile.objects.filter(approved_models__contains_id=OID), mongo
    )
    assert pipeline == [{"$match": {"approvedModels": ObjectId(OID)}}]


def test_contains_id_compiles_to_array_membership_on_approved_businesses(mongo):
    pipeline = compile_select(
        ModelProfile.objects.filter(approved_businesses__contains_id=OID), mongo
    )
    assert pipeline == [{"$match": {"approvedBusinesses": ObjectId(OID)}}]


def test_contains_id_in_an_expression_uses_in_over_a_missing_safe_array(mongo):
    queryset = BusinessProfile.objects.annotate(
        approved=ExpressionWrapper(Q(approved_models__contains_id=OID), output_field=BooleanField())
    ).values("approved")
    pipeline = compile_select(queryset, mongo)
    assert pipeline == [
        {
            "$project": {
                "approved": {"$in": [ObjectId(OID), {"$ifNull": ["$approvedModels", []]}]},
            }
        }
    ]


def test_contains_id_with_a_malformed_id_matches_nothing(mongo):
    pipeline = compile_select(
        BusinessProfile.objects.filter(approved_models__contains_id="x"), mongo
    )
    assert pipeline == [{"$match": {"approvedModels": "x"}}]


def test_list_fields_are_native_arrays_on_mongodb_and_json_text_on_sqlite(mongo):
    from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper

    # A bare SQLite wrapper (never connected): the fields choose storage by vendor.
    mongo_connection, sqlite_connection = connections[mongo], SQLiteWrapper({"NAME": ":memory:"})
    ids = ObjectIdListField()
    strings = StringListField()
    assert ids.get_db_prep_value([OID, ObjectId(OTHER_OID)], mongo_connection) == [
        ObjectId(OID),
        ObjectId(OTHER_OID),
    ]
    assert strings.get_db_prep_value(["a.jpg", "b.jpg"], mongo_connection) == ["a.jpg", "b.jpg"]
    assert ids.get_db_prep_value([OID], sqlite_connection) == json.dumps([OID])
    assert strings.get_db_prep_value(["a.jpg"], sqlite_connection) == '["a.jpg"]'
    assert ids.db_type(mongo_connection) == strings.db_type(mongo_connection) == "array"


def test_a_model_profile_document_holds_the_seed_types(mongo):
    profile = ModelProfile(
        id=OTHER_OID,
        user_id=OID,
        name="Mia",
        royalty_balance=Decimal("12.50"),
        reference_images=["likeness/mia-1.jpg"],
        approved_businesses=[OID],
    )
    assert compile_insert(profile, mongo) == {
        "_id": ObjectId(OTHER_OID),
        "userId": ObjectId(OID),
        "name": "Mia",
        "royaltyBalance": Decimal128("12.50"),
        "referenceImages": ["likeness/mia-1.jpg"],
        "approvedBusinesses": [ObjectId(OID)],
        "consentSigned": False,
    }


def test_money_is_decimal128_and_line_items_are_embedded_documents(mongo):
    invoice = Invoice(
        user_id=OID,
        stripe_invoice_id="in_1",
        amount_due=Decimal("49.00"),
        line_items=[{"description": "Starter", "quantity": 1, "amount": 4900}],
    )
    document = compile_insert(invoice, mongo)
    assert document["amountDue"] == Decimal128("49.00")
    assert document["lineItems"] == [{"description": "Starter", "quantity": 1, "amount": 4900}]
    generation = compile_insert(Generation(user_id=OID, model_type="AI_AVATAR"), mongo)
    assert generation["royaltyPaid"] == Decimal128("0.00")
    assert generation["modelId"] is None


@pytest.mark.parametrize("collection", sorted(SEED))
def test_a_saved_document_carries_every_seed_field_with_the_seed_type(mongo, collection):
    instance = seed_instances(OID, OTHER_OID)[collection]
    assert instance._meta.db_table == collection
    document = compile_insert(instance, mongo)
    for field, (seed_type, _indexing) in SEED[collection].items():
        assert field in document, f"{collection}.{field} is not stored"
        value = document[field]
        assert isinstance(value, BSON_TYPES[seed_type]), (field, value)
        assert not isinstance(value, float)
        if seed_type == "Array<ObjectId>":
            assert all(isinstance(item, ObjectId) for item in value)


# --- critical querysets -----------------------------------------------------------


def test_credit_spend_is_one_conditional_update_with_a_pipeline_set(mongo):
    # billing.services.credits_spend (through _move): refused when 0 rows match.
    calls = compile_update(
        BusinessProfile.objects.filter(pk=OID, ai_credits__gte=1),
        mongo,
        ai_credits=F("ai_credits") - 1,
    )
    assert calls == [
        (
            {"$and": [{"aiCredits": {"$gte": 1}}, {"_id": ObjectId(OID)}]},
            [{"$set": {"aiCredits": {"$subtract": ["$aiCredits", {"$literal": 1}]}}}],
        )
    ]


def test_royalty_credit_adds_exactly_one_dollar_as_decimal128(mongo):
    # generations.services.royalty_credit
    calls = compile_update(
        ModelProfile.objects.filter(user_id=OID),
        mongo,
        royalty_balance=F("royalty_balance") + Decimal("1.00"),
    )
    assert calls == [
        (
            {"userId": ObjectId(OID)},
            [{"$set": {"royaltyBalance": {"$add": ["$royaltyBalance", Decimal128("1.00")]}}}],
        )
    ]


def test_history_page_is_a_users_generations_newest_first_limited(mongo):
    queryset = Generation.objects.filter(user_id=OID).order_by("-generated_at")[:20]
    assert compile_select(queryset, mongo) == [
        {"$match": {"userId": ObjectId(OID)}},
        {"$addFields": {"generatedAt": "$generatedAt"}},
        {"$sort": {"generatedAt": -1}},
        {"$limit": 20},
    ]


def test_consent_lookup_matches_business_model_and_approved_status(mongo):
    queryset = ConsentRequest.objects.filter(
        business_id=OID, model_id=OTHER_OID, status=ConsentStatus.APPROVED
    ).order_by()
    assert compile_select(queryset, mongo) == [
        {
            "$match": {
                "$and": [
                    {"businessId": ObjectId(OID)},
                    {"modelId": ObjectId(OTHER_OID)},
                    {"status": "APPROVED"},
                ]
            }
        }
    ]


# --- the same, sent by our own services and selectors (pymongo calls recorded) ------------


def test_credits_spend_sends_one_conditional_update_and_a_ledger_row(wire):
    from billing.services import credits_spend

    wire.documents["business_profiles"] = [{"aiCredits": 4}]
    business = BusinessProfile(id=OID, user_id=OTHER_OID, ai_credits=5)
    entry = credits_spend(business=business, amount=1, key="spend:g1")
    # Guard, decrement and the balance it leaves: one findOneAndUpdate.
    assert wire.sent("business_profiles", "find_one_and_update") == [
        (
            {"_id": ObjectId(OID), "aiCredits": {"$gte": 1}},
            {
                "$inc": {"aiCredits": -1},
                # The movement's key, in the same write: the proof for check_ledgers --repair.
                "$push": {"recentLedgerKeys": {"$each": ["spend:g1"], "$slice": -64}},
            },
        )
    ]
    assert wire.sent("business_profiles", "update_many") == []
    (ledger_row,) = [doc for docs in wire.sent("credit_ledger", "insert_many") for doc in docs]
    assert ledger_row["key"] == "spend:g1"
    assert ledger_row["delta"] == -1
    assert ledger_row["businessId"] == ObjectId(OID)
    assert entry.balance_after == 4


def test_a_refused_credits_spend_removes_its_pending_ledger_row(wire):
    from billing.services import InsufficientCredits, credits_spend

    wire.documents["business_profiles"] = [{"aiCredits": 0}]
    wire.matched["business_profiles"] = 0  # the guard matched no document
    business = BusinessProfile(id=OID, user_id=OTHER_OID, ai_credits=0)
    with pytest.raises(InsufficientCredits):
        credits_spend(business=business, amount=1, key="spend:g2")
    ((row,),) = wire.sent("credit_ledger", "insert_many")
    assert wire.sent("credit_ledger", "delete_many") == [
        {"$and": [{"_id": row["_id"]}, {"state": "pending"}]}
    ]
    assert wire.sent("credit_ledger", "update_many") == []


def test_royalty_credit_sends_a_decimal128_increment_keyed_by_the_generation(wire):
    from generations.services import royalty_credit

    wire.documents["model_profiles"] = [{"royaltyBalance": Decimal128("1.00")}]
    generation = Generation(id=OTHER_OID, user_id=OTHER_OID, model_id=OID, model_type="HUMAN_MODEL")
    royalty_credit(generation=generation)
    assert wire.sent("model_profiles", "find_one_and_update") == [
        ({"userId": ObjectId(OID)}, {"$inc": {"royaltyBalance": Decimal128("1.00")}})
    ]
    ((row,),) = wire.sent("royalty_ledger", "insert_many")
    assert row["key"] == f"royalty:{OTHER_OID}"
    assert row["amount"] == Decimal128("1.00")


def test_history_page_query_of_the_selector(mongo):
    from generations.selectors import history_for
    from generations.views import HISTORY_PAGE_SIZE

    # What the history view's Paginator asks for page 2.
    queryset = history_for(user=User(id=OID))[HISTORY_PAGE_SIZE : 2 * HISTORY_PAGE_SIZE]
    pipeline = compile_select(queryset, mongo)
    joined = [stage["$lookup"]["from"] for stage in pipeline if "$lookup" in stage]
    assert joined == ["users", "model_profiles", "ai_avatars"]  # select_related
    assert pipeline[-5:] == [
        {"$match": {"userId": ObjectId(OID)}},
        {"$addFields": {"generatedAt": "$generatedAt", "_id": "$_id"}},
        {"$sort": {"generatedAt": -1, "_id": -1}},
        {"$skip": HISTORY_PAGE_SIZE},
        {"$limit": HISTORY_PAGE_SIZE},
    ]
    assert list(pipeline[-3]["$sort"].items()) == [("generatedAt", -1), ("_id", -1)]


def test_consent_lookup_of_the_selector(wire):
    from marketplace.selectors import active_consent

    wire.documents["consent_requests"] = [
        {"_id": ObjectId(OTHER_OID), "allowedCategories": ["TOP"], "expiresAt": None}
    ]
    wire.documents["model_profiles"] = [{"_id": ObjectId(OID)}]
    wire.documents["release_signatures"] = [{"releaseVersion": 1}]
    grant = active_consent(business_user_id=OID, model_user_id=OTHER_OID)
    assert grant is not None
    assert grant.consent_request_id == OTHER_OID
    (consent_pipeline,) = wire.sent("consent_requests", "aggregate")
    assert consent_pipeline[0] == {
        "$match": {
            "$and": [
                {"businessId": ObjectId(OID)},
                {"modelId": ObjectId(OTHER_OID)},
                {"status": "APPROVED"},
            ]
        }
    }
    assert consent_pipeline[-1] == {"$limit": 1}
    (profile_pipeline,) = wire.sent("model_profiles", "aggregate")
    assert profile_pipeline[0] == {
        "$match": {
            "$and": [
                {"approvedBusinesses": ObjectId(OID)},
                {"consentSigned": True},
                {"userId": ObjectId(OTHER_OID)},
            ]
        }
    }


def test_documents_read_back_as_hex_strings_lists_and_decimals(wire):
    wire.documents["model_profiles"] = [
        {
            "_id": ObjectId(OTHER_OID),
            "userId": ObjectId(OID),
            "name": "Mia",
            "royaltyBalance": Decimal128("3.00"),
            "referenceImages": ["likeness/a.jpg"],
            "approvedBusinesses": [ObjectId(OID)],
            "consentSigned": True,
        }
    ]
    profile = ModelProfile.objects.get(pk=OTHER_OID)
    assert profile.pk == OTHER_OID
    assert profile.user_id == OID
    assert profile.royalty_balance == Decimal("3.00")
    assert profile.reference_images == ["likeness/a.jpg"]
    assert profile.approved_businesses == [OID]
    assert isinstance(profile.pk, str)
    assert isinstance(profile.user_id, str)


# --- what MongoDB cannot do -------------------------------------------------------------

STRING_TYPES = {"CharField", "TextField", "EmailField", "SlugField", "URLField"}


def _search_field_targets():
    from django.contrib import admin
    from django.contrib.admin.utils import get_fields_from_path

    from modelsnapper.fields import ObjectIdPrimaryKey, _ListField

    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in OUR_APPS:
            continue
        for search_field in model_admin.search_fields:
            path = search_field.lstrip("^=@")
            field = get_fields_from_path(model, path)[-1]
            is_text = type(field).__name__ in STRING_TYPES or field.get_internal_type() in {
                "CharField",
                "TextField",
            }
            # Our id and list fields report CharField/TextField but store ObjectIds/arrays.
            yield (
                f"{model.__name__}.{search_field}",
                is_text and not isinstance(field, (ObjectIdPrimaryKey, _ListField)),
            )


@pytest.mark.parametrize(("search_field", "is_text"), list(_search_field_targets()))
def test_admin_searches_only_text_fields(search_field, is_text):
    # The admin searches with icontains: a regex on MongoDB, which never matches
    # numbers, ObjectIds or arrays.
    assert is_text, f"{search_field} is not a text field"


def test_length_gte_compiles_to_an_index_exists_test(mongo):
    pipeline = compile_select(ModelProfile.objects.filter(reference_images__length_gte=3), mongo)
    assert pipeline == [{"$match": {"referenceImages.2": {"$exists": True}}}]


def test_length_gte_in_an_expression_sizes_a_missing_safe_array(mongo):
    queryset = ModelProfile.objects.annotate(
        listed=ExpressionWrapper(Q(reference_images__length_gte=3), output_field=BooleanField())
    ).values("listed")
    pipeline = compile_select(queryset, mongo)
    assert pipeline == [
        {"$project": {"listed": {"$gte": [{"$size": {"$ifNull": ["$referenceImages", []]}}, 3]}}}
    ]
