"""Move a cached balance by one atomic step and learn the value that step produced.

A balance (``aiCredits``, ``royaltyBalance``) is guarded by one conditional
single-document update; the ledger row then records ``balanceAfter``. Reading the
balance back after the update is exact on SQL (the transaction holds the row's
write lock until it ends) but not on MongoDB, where ``atomic()`` is a no-op: 20
concurrent spends on SecantusDB recorded balances [0, 0, 1, 1, 1] instead of
[0, 1, 2, 3, 4]. On MongoDB the guard, the increment and the read are therefore one
``findOneAndUpdate`` returning the document after the update.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import connections, router, transaction
from django.db.models import F, Model


def _field(model: type[Model], name: str) -> Any:
    # get_field also knows a foreign key by its attname (``user_id``).
    return model._meta.pk if name == "pk" else model._meta.get_field(name)


def add_and_read(
    model: type[Model],
    *,
    match: dict[str, Any],
    field: str,
    delta: int | Decimal,
    at_least: int | Decimal | None = None,
    record: tuple[str, str] | None = None,
    keep: int = 64,
) -> Any | None:
    """Adds ``delta`` to ``field`` of the one row matching ``match`` (exact lookups on
    ``pk``, plain fields or ``<fk>_id``) and returns the new value — only when the
    current value is at least ``at_least`` (if given). None: no row matched (refused).

    ``record=(list_field, key)`` appends ``key`` to that JSON list in the same write (the
    last ``keep`` kept): afterwards the document itself proves the movement happened.
    """
    alias = router.db_for_write(model)
    connection = connections[alias]
    target = _field(model, field)
    if connection.vendor == "mongodb":
        from bson import Decimal128
        from pymongo import ReturnDocument

        criteria = {
            _field(model, name).column: _field(model, name).get_db_prep_value(value, connection)
            for name, value in match.items()
        }
        if at_least is not None:
            criteria[target.column] = {"$gte": target.get_db_prep_value(at_least, connection)}
        # get_collection is django-mongodb-backend's DatabaseWrapper's, not Django's base.
        collection = connection.get_collection(model._meta.db_table)  # type: ignore[attr-defined]
        update: dict[str, Any] = {
            "$inc": {target.column: target.get_db_prep_value(delta, connection)}
        }
        if record is not None:
            column = _field(model, record[0]).column
            update["$push"] = {column: {"$each": [record[1]], "$slice": -keep}}
        document = collection.find_one_and_update(
            criteria,
            update,
            projection={target.column: True},
            return_document=ReturnDocument.AFTER,
        )
        if document is None:
            return None
        value = document[target.column]
        return target.to_python(value.to_decimal() if isinstance(value, Decimal128) else value)
    with transaction.atomic(using=alias):
        rows = model._default_manager.using(alias).filter(**match)
        if at_least is not None:
            rows = rows.filter(**{f"{field}__gte": at_least})
        if rows.update(**{field: F(field) + delta}) == 0:
            return None
        if record is not None:
            # Same transaction, the row's write lock already held: one step on SQL too.
            name, key = record
            current = rows.model._default_manager.using(alias).filter(**match)
            keys = list(current.values_list(name, flat=True)[0] or [])
            current.update(**{name: [*keys, key][-keep:]})
        return (
            rows.model._default_manager.using(alias)
            .filter(**match)
            .values_list(field, flat=True)[0]
        )
