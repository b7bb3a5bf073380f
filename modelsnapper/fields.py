"""Field classes shared by every app, storing the seed's types on both backends.

- ``ObjectIdPrimaryKey``: the ``_id`` of every collection. A real ``ObjectId`` on
  MongoDB, a 24-character hex string on SQL; always a ``str`` in Python, so
  allauth's URL helpers (which call ``int(pk)`` on IntegerField subclasses such
  as the backend's ``ObjectIdAutoField``) keep working.
- ``ObjectIdListField``: ``Array<ObjectId>`` (``approvedModels``,
  ``approvedBusinesses``): a native array of ObjectIds on MongoDB, JSON text on
  SQL, with a ``contains_id`` lookup implemented for both.
- ``StringListField``: ``Array<String>`` (``referenceImages``).

The backend's own ``ObjectIdField``/``ArrayField`` break on SQLite, hence these
wrappers that choose the storage by ``connection.vendor``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from django.core import exceptions
from django.db import models
from django.db.models import Lookup

OBJECT_ID_RE = re.compile(r"^[0-9a-f]{24}$")


def new_object_id() -> str:
    """A fresh ObjectId as 24 lowercase hex characters, generated client-side."""
    return str(ObjectId())


def is_object_id(value: Any) -> bool:
    return isinstance(value, ObjectId) or (
        isinstance(value, str) and OBJECT_ID_RE.match(value) is not None
    )


def _is_mongo(connection) -> bool:
    return connection.vendor == "mongodb"


def _to_hex(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, ObjectId):
        return str(value)
    if isinstance(value, str):
        candidate = value.strip().lower()
        if OBJECT_ID_RE.match(candidate):
            return candidate
    raise InvalidId(f"{value!r} is not a valid ObjectId")


class ObjectIdPrimaryKey(models.CharField):
    """Primary key stored in ``_id``: ObjectId on MongoDB, 24-hex text on SQL."""

    description = "ObjectId primary key"
    default_error_messages = {"invalid": "“%(value)s” is not a valid ObjectId."}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("primary_key", True)
        kwargs.setdefault("db_column", "_id")
        kwargs.setdefault("default", new_object_id)
        kwargs.setdefault("editable", False)
        kwargs["max_length"] = 24
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        for key, value in (
            ("primary_key", True),
            ("db_column", "_id"),
            ("default", new_object_id),
            ("editable", False),
            ("max_length", 24),
        ):
            if kwargs.get(key) == value:
                del kwargs[key]
        return name, path, args, kwargs

    def db_type(self, connection):
        return "objectId" if _is_mongo(connection) else super().db_type(connection)

    def rel_db_type(self, connection):
        # CharField has no rel_db_type of its own: Field's is db_type, as a key refers to it.
        return "objectId" if _is_mongo(connection) else super().db_type(connection)

    def to_python(self, value: Any) -> str | None:
        try:
            return _to_hex(value)
        except InvalidId:
            raise exceptions.ValidationError(
                self.error_messages["invalid"], code="invalid", params={"value": value}
            ) from None

    def get_prep_value(self, value: Any) -> str | None:
        value = models.Field.get_prep_value(self, value)
        if value is None:
            return None
        if hasattr(value, "resolve_expression"):
            return value
        # A malformed id can never match a stored one; keep it as text so lookups
        # such as get(pk="nope") answer DoesNotExist (→ 404) instead of crashing.
        try:
            return _to_hex(value)
        except InvalidId:
            return str(value)

    def get_db_prep_value(self, value: Any, connection, prepared: bool = False) -> Any:
        if not prepared:
            value = self.get_prep_value(value)
        if value is None or not _is_mongo(connection) or hasattr(value, "resolve_expression"):
            return value
        try:
            return ObjectId(value)
        except (InvalidId, TypeError):
            # No document has a non-ObjectId _id, so this matches nothing.
            return value

    def from_db_value(self, value: Any, expression, connection) -> str | None:
        if isinstance(value, ObjectId):
            return str(value)
        return value


class _ListField(models.Field):
    """A list stored natively on MongoDB and as JSON text on SQL."""

    empty_strings_allowed = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", list)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def get_internal_type(self) -> str:
        return "TextField"

    def db_type(self, connection):
        return "array" if _is_mongo(connection) else "text"

    def _item_to_python(self, item: Any) -> Any:
        raise NotImplementedError

    def _item_to_mongo(self, item: Any) -> Any:
        return item

    def to_python(self, value: Any) -> list:
        if value is None:
            return []
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise exceptions.ValidationError("Enter a valid list.", code="invalid") from None
        if not isinstance(value, (list, tuple)):
            raise exceptions.ValidationError("Enter a valid list.", code="invalid")
        try:
            return [self._item_to_python(item) for item in value]
        except (InvalidId, TypeError, ValueError) as exc:
            raise exceptions.ValidationError(str(exc), code="invalid") from None

    def get_prep_value(self, value: Any) -> Any:
        if hasattr(value, "resolve_expression"):
            return value
        return self.to_python(value)

    def get_db_prep_value(self, value: Any, connection, prepared: bool = False) -> Any:
        if not prepared:
            value = self.get_prep_value(value)
        if hasattr(value, "resolve_expression"):
            return value
        if _is_mongo(connection):
            return [self._item_to_mongo(item) for item in value]
        return json.dumps(value)

    def from_db_value(self, value: Any, expression, connection) -> list:
        if value is None:
            return []
        if isinstance(value, str):
            value = json.loads(value)
        return [self._item_to_python(item) for item in value]

    def value_to_string(self, obj) -> str:
        return json.dumps(self.value_from_object(obj))

    def formfield(self, **kwargs: Any) -> None:  # type: ignore[override]
        # Lists are edited through services, never through a generic form field.
        return None


class ObjectIdListField(_ListField):
    """``Array<ObjectId>``: ids as hex strings in Python, ObjectIds on MongoDB."""

    description = "Array of ObjectIds"

    def _item_to_python(self, item: Any) -> str:
        hex_id = _to_hex(item)
        if hex_id is None:
            raise InvalidId(f"{item!r} is not a valid ObjectId")
        return hex_id

    def _item_to_mongo(self, item: Any) -> ObjectId:
        return ObjectId(item)


class StringListField(_ListField):
    """``Array<String>``."""

    description = "Array of strings"

    def _item_to_python(self, item: Any) -> str:
        if not isinstance(item, str):
            raise TypeError(f"{item!r} is not a string")
        return item


@ObjectIdListField.register_lookup
class ContainsId(Lookup):
    """``approved_models__contains_id=<id>``: the array holds this ObjectId."""

    lookup_name = "contains_id"
    prepare_rhs = False

    def get_prep_lookup(self):
        if self.rhs is None:
            # As Django's own lookups do: None is never an id to look for.
            raise ValueError("Cannot use None as a query value for contains_id.")
        # A malformed id can never be in the array: keep it as text so the lookup
        # matches nothing (like get(pk="nope")) instead of raising InvalidId.
        try:
            value = _to_hex(self.rhs)
        except InvalidId:
            value = None
        return str(self.rhs) if value is None else value

    def _mongo_rhs(self) -> Any:
        return ObjectId(self.rhs) if is_object_id(self.rhs) else self.rhs

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if connection.vendor == "sqlite":
            # lhs is the compiled column reference, never user input; the id is a parameter.
            return (
                f"EXISTS (SELECT 1 FROM json_each({lhs}) WHERE json_each.value = %s)",  # noqa: S608
                [*lhs_params, self.rhs],
            )
        if connection.vendor == "postgresql":
            return f"({lhs})::jsonb ? %s", [*lhs_params, self.rhs]
        if connection.vendor == "mongodb":
            # django-mongodb-backend compiles an annotation's SQL text (never sent)
            # before its MQL (as_mql_* below); raising here would break
            # annotate()/Case/When over this lookup on MongoDB.
            return f"{lhs} CONTAINS_ID %s", [*lhs_params, self.rhs]
        raise NotImplementedError(f"contains_id is not implemented for {connection.vendor}")

    # MongoDB: matching a scalar against an array field tests membership.
    @property
    def can_use_path(self) -> bool:
        return getattr(self.lhs, "is_simple_column", False)

    def as_mql_path(self, compiler, connection):
        lhs_path = self.lhs.as_mql(compiler, connection)
        return {lhs_path: self._mongo_rhs()}

    def as_mql_expr(self, compiler, connection):
        lhs_expr = self.lhs.as_mql(compiler, connection, as_expr=True)
        return {"$in": [self._mongo_rhs(), {"$ifNull": [lhs_expr, []]}]}


@_ListField.register_lookup
class LengthAtLeast(Lookup):
    """``reference_images__length_gte=3``: the array holds at least n items.

    Lets a list page filter (and so count and page) in the database instead of
    loading every row to measure its array in Python.
    """

    lookup_name = "length_gte"
    prepare_rhs = False

    def get_prep_lookup(self):
        if not isinstance(self.rhs, int) or isinstance(self.rhs, bool) or self.rhs < 0:
            raise ValueError("length_gte takes a non-negative int.")
        return self.rhs

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if connection.vendor == "sqlite":
            return f"json_array_length({lhs}) >= %s", [*lhs_params, self.rhs]
        if connection.vendor == "postgresql":
            return f"jsonb_array_length(({lhs})::jsonb) >= %s", [*lhs_params, self.rhs]
        if connection.vendor == "mongodb":
            # Compiled (never sent) before the MQL, as for contains_id above.
            return f"{lhs} LENGTH_GTE %s", [*lhs_params, self.rhs]
        raise NotImplementedError(f"length_gte is not implemented for {connection.vendor}")

    @property
    def can_use_path(self) -> bool:
        return getattr(self.lhs, "is_simple_column", False)

    def as_mql_path(self, compiler, connection):
        lhs_path = self.lhs.as_mql(compiler, connection)
        if self.rhs == 0:
            return {lhs_path: {"$exists": True}}
        # "field.<n-1> exists": the array has an item at index n-1.
        return {f"{lhs_path}.{self.rhs - 1}": {"$exists": True}}

    def as_mql_expr(self, compiler, connection):
        lhs_expr = self.lhs.as_mql(compiler, connection, as_expr=True)
        return {"$gte": [{"$size": {"$ifNull": [lhs_expr, []]}}, self.rhs]}
