"""The index that answers numeric feature predicates (``age > 40``) from the index alone.

Record feature values live in ``lamindb_recordjson`` (``record_id``, ``feature_id``, ``value``
as JSON). Comparing a number means reading ``value`` out of the JSON, so without an index on
that expression every predicate visits each value row of its feature. The index
``ix_lamindb_recordjson_feature_id_number_record_id`` on ``(feature_id, <number>, record_id)``
(migration ``0008_feature_value_indexes``) turns ``age > 40`` into a range scan that also
yields the record ids: no table read.

``<number>`` is :class:`json_number`, one construct used both in the index and in the
queries, so the two are the same expression (both databases use an expression index only for
the identical expression):

* SQLite: ``CASE WHEN json_type(value) IN ('integer', 'real') THEN json_extract(value, '$')
  ELSE NULL END``;
* PostgreSQL: ``CASE WHEN jsonb_typeof(value) = 'number' THEN (value #>> '{}')::numeric
  ELSE NULL END``, as ``numeric`` (any JSON number fits; ``float8`` overflows past 1e308).
  Compare it with a ``numeric`` parameter (:func:`number_literal`), or the planner casts the
  index's side and cannot use the index.

On both, only a JSON number is a number: a string (``"40"``, ``"forty"``) is NULL and matches
no comparison (a cast would raise on PostgreSQL while the index is written, and make
``"forty"`` 0.0 on SQLite). PostgreSQL prints the expression back differently from this text,
so ``lr.migrate.check`` looks the index up by name there (``migrate.NAME_CHECKED_INDEXES``).

Import this module from ``lamin_registry.models`` after the link tables are defined.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from . import links  # noqa: F401 - defines lamindb_recordjson
from .base import metadata

NUMBER_INDEX_NAME = "ix_lamindb_recordjson_feature_id_number_record_id"


class json_number(FunctionElement[Any]):  # a SQL function, named like one
    """The number a JSON ``value`` column holds, as SQL (see the module docstring)."""

    name = "json_number"
    inherit_cache = True
    type = sa.Numeric()


@compiles(json_number)  # SQLite, and str() of a statement
def _sqlite(element: json_number, compiler: Any, **kw: Any) -> str:
    (column,) = element.clauses
    value = compiler.process(column, **kw)
    number = f"json_extract({value}, '$')"
    return f"(CASE WHEN json_type({value}) IN ('integer', 'real') THEN {number} ELSE NULL END)"


@compiles(json_number, "postgresql")
def _postgresql(element: json_number, compiler: Any, **kw: Any) -> str:
    (column,) = element.clauses
    value = compiler.process(column, **kw)
    number = f"({value} #>> '{{}}')::numeric"
    return f"(CASE WHEN jsonb_typeof({value}) = 'number' THEN {number} ELSE NULL END)"


def number_literal(value: float, dialect: str) -> Any:
    """``value`` as the other side of a :class:`json_number` comparison on ``dialect``.

    PostgreSQL: an exact ``numeric`` (``repr`` of a float: the digits Python prints and
    ``json.dumps`` stored), so ``0.1`` equals the stored ``0.1``; SQLite: a REAL.
    """
    if dialect == "postgresql":
        exact = Decimal(value) if isinstance(value, int) else Decimal(repr(float(value)))
        return sa.cast(sa.literal(exact, sa.Numeric()), sa.Numeric())
    return sa.literal(float(value), sa.Float())


def _declare() -> sa.Index:
    table = metadata.tables["lamindb_recordjson"]
    return sa.Index(
        NUMBER_INDEX_NAME, table.c.feature_id, json_number(table.c.value), table.c.record_id
    )


NUMBER_INDEX = _declare()

__all__ = ["NUMBER_INDEX", "NUMBER_INDEX_NAME", "json_number", "number_literal"]
