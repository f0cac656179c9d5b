"""Shared pieces of curation: which rows, which field, which values, and set-based matching.

Matching a set of values runs as one statement per chunk of up to ``VALUE_CHUNK`` values:
the values travel as *one* bound parameter (a JSON array read by ``json_each`` on SQLite, a
``text[]`` on PostgreSQL), so the statement size does not grow with the input and no
parameter limit is hit.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import InvalidArgument
from ..models.base import SQLRecord
from ..query.lookups import Condition

if TYPE_CHECKING:
    from ..query.query import Query
    from ..repository import Repository

logger = logging.getLogger("lamin_registry")

HIDDEN_BRANCHES = (-1, 0, 3)  # trash, archive, template: never seen by search or curation
VALUE_CHUNK = 50_000
IN_CHUNK = 500
SQLITE_FOLD = "lr_fold"  # Python's str.lower registered on SQLite connections


def log(mute: bool, level: int, message: str, *args: Any) -> None:
    """Log through ``lamin_registry`` unless ``mute``."""
    if not mute:
        logger.log(level, message, *args)


# -- rows -------------------------------------------------------------------------------------


def row_conditions(repo: Repository, model: type, query: Query[Any] | None) -> list[Condition]:
    """The rows curation looks at: the query's (or the default visible ones), never hidden ones.

    Trash, archive and template stay invisible even when a query turned branch filtering off
    (``branch_id=None``).
    """
    if query is not None:
        if query.model is not model:
            raise InvalidArgument(
                f"The query is over {query.model.__name__}, not {model.__name__}"
            )
        conditions = list(query.where_clause())
    else:
        conditions = list(repo.filter(model).where_clause())
    hidden = hidden_branch_ids(repo, model)
    if hidden:
        conditions.append(model.branch_id.notin_(hidden))  # type: ignore[attr-defined]
    return conditions


def hidden_branch_ids(repo: Repository, model: type) -> tuple[int, ...]:
    """The branches curation never reads: trash, archive, template (in an adopted lamindb
    instance 3 is an ordinary branch); none for registries without branches."""
    if not issubclass(model, SQLRecord):
        return ()
    return tuple(code for code in HIDDEN_BRANCHES if code != 3 or repo.template_branch_id == 3)


# -- fields -----------------------------------------------------------------------------------


def string_columns(model: type) -> list[str]:
    """Public Char/Text columns of ``model`` in declaration order."""
    mapper: Any = sa.inspect(model)
    names: list[str] = []
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        col_type = column.type
        if isinstance(col_type, sa.types.TypeDecorator):
            col_type = col_type.impl_instance
        if isinstance(col_type, sa.String) and not prop.key.startswith("_"):
            names.append(prop.key)
    return names


def has_column(model: type, name: str) -> bool:
    return name in sa.inspect(model).column_attrs


def name_field(model: type) -> str | None:
    """The registry's name field if it is a string column, else None."""
    name = getattr(model, "_name_field", None) or "name"
    return name if name in string_columns(model) else None


def resolve_field(model: type, field: Any, *, purpose: str) -> str:
    """A column name from ``field`` (None: the name field; a str; or ``Model.column``)."""
    if field is None:
        found = name_field(model)
        if found is None:
            candidates = [name for name in string_columns(model) if "id" not in name]
            if not candidates:
                raise InvalidArgument(
                    f"Do not know which field to use as name field for registry "
                    f"{model.__name__}, please pass field"
                )
            found = candidates[0]
        return found
    if isinstance(field, sa.orm.InstrumentedAttribute):
        owner: Any = field.class_
        if owner is not model and not issubclass(model, owner):
            raise InvalidArgument(f"{field} is not a field of {model.__name__}")
        field = field.key
    if not isinstance(field, str):
        raise InvalidArgument(
            f"field must be a field name or a column such as {model.__name__}.name, got {field!r}"
        )
    mapper: Any = sa.inspect(model)
    if field not in mapper.column_attrs:
        available = ", ".join(
            sorted(p.key for p in mapper.column_attrs if not p.key.startswith("_"))
        )
        raise InvalidArgument(
            f"Unknown field {field!r} for {purpose}. Available fields: {available}"
        )
    return field


def is_string_field(model: type, field: str) -> bool:
    return field in string_columns(model) or (
        field.startswith("_") and isinstance(_column_type(model, field), sa.String)
    )


def _column_type(model: type, field: str) -> Any:
    mapper: Any = sa.inspect(model)
    col_type = mapper.column_attrs[field].columns[0].type
    if isinstance(col_type, sa.types.TypeDecorator):
        col_type = col_type.impl_instance
    return col_type


# -- values -----------------------------------------------------------------------------------


def is_na(value: Any) -> bool:
    """None, NaN, pandas' NA/NaT."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    kind = type(value).__name__
    return kind in ("NAType", "NaTType")


_FLAT_TYPES = frozenset({str, int, bool, type(None)})


def flatten(values: Any) -> tuple[list[Any], bool]:
    """The values as a flat list, and whether a single scalar was given.

    Accepts a scalar, a list/tuple/set, a pandas Series/Index, a numpy array, or a list of
    lists (flattened one level).
    """
    if isinstance(values, str | bytes) or values is None or not hasattr(values, "__iter__"):
        return [values], True
    if isinstance(values, dict):
        raise InvalidArgument("values must be a string or a list of values, not a dict")
    if hasattr(values, "tolist") and not isinstance(values, list):
        values = values.tolist()  # numpy array, pandas Series/Index/Categorical
    values = values if isinstance(values, list) else list(values)
    if set(map(type, values)) <= _FLAT_TYPES | {float}:  # the common case, checked in C
        return values, False
    items: list[Any] = []
    for item in values:
        if isinstance(item, list | tuple | set) or (
            hasattr(item, "tolist") and not isinstance(item, str | bytes | int | float)
        ):
            inner = item.tolist() if hasattr(item, "tolist") else item
            items.extend(inner if isinstance(inner, list | tuple | set) else [inner])
        else:
            items.append(item)
    return items, False


def blank_na(items: list[Any]) -> list[Any]:
    """NA values (None, NaN, pandas NA) as ``""``."""
    kinds = set(map(type, items))
    if kinds <= {str, int, bool}:
        return items
    return ["" if is_na(value) else value for value in items]


def check_value_types(model: type, field: str, values: Sequence[Any]) -> None:
    """lamindb's first-element guard: numbers against a string field."""
    first = next((value for value in values if not is_na(value)), None)
    if (
        isinstance(first, int | float)
        and not isinstance(first, bool)
        and isinstance(_column_type(model, field), sa.String)
    ):
        raise TypeError(
            "Type mismatch: identifiers are 'numeric' but field_values are 'str/categorical'."
        )


def unique_values(values: Sequence[Any]) -> list[Any]:
    """Distinct non-empty values in input order."""
    distinct = dict.fromkeys(values)
    distinct.pop("", None)
    if set(map(type, distinct)) <= {str}:  # no NA among strings: no test each (checked in C)
        return list(distinct)
    return [value for value in distinct if value != "" and not is_na(value)]


# -- set-based matching -------------------------------------------------------------------------


def chunked(values: Sequence[Any], size: int = VALUE_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _fold_py(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def fold(repo: Repository, expression: Any) -> Any:
    """``lower(expression)`` with Python's (Unicode) rules on both backends.

    SQLite's built-in ``lower`` folds ASCII only; there a Python function is registered on the
    connection instead, so ``Ä`` and ``ä`` match like they do on PostgreSQL.
    """
    if repo.dialect == "sqlite":
        raw = repo.session.connection().connection.dbapi_connection
        raw.create_function(SQLITE_FOLD, 1, _fold_py, deterministic=True)  # type: ignore[union-attr]
        return getattr(sa.func, SQLITE_FOLD)(expression)
    return sa.func.lower(expression)


def in_values(
    repo: Repository, expression: Any, values: Sequence[Any], *, text: bool = True
) -> Condition:
    """``expression IN values``; string values travel as one bound parameter.

    Non-string values (``text=False``) use a plain ``IN`` list: call with chunks of at most
    ``IN_CHUNK`` values then.
    """
    if not text:
        return expression.in_(list(values))  # type: ignore[no-any-return]
    return _in_one_parameter(repo, expression, values, sa.Text)


def in_ids(repo: Repository, expression: Any, ids: Sequence[int]) -> Condition:
    """``expression IN ids`` with every id in one bound parameter: one statement however
    many ids, no parameter limit."""
    return _in_one_parameter(repo, expression, ids, sa.BigInteger)


def _in_one_parameter(
    repo: Repository, expression: Any, values: Sequence[Any], item_type: Any
) -> Condition:
    """``expression IN (...)`` with the values as one parameter: a JSON array read by
    ``json_each`` on SQLite, an array of ``item_type`` on PostgreSQL."""
    if repo.dialect == "sqlite":
        array = sa.func.json_each(sa.bindparam(None, json.dumps(list(values)), type_=sa.Text))
        return expression.in_(  # type: ignore[no-any-return]
            sa.select(array.table_valued("value").c.value).scalar_subquery()
        )
    if repo.dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        param = sa.bindparam(None, list(values), type_=postgresql.ARRAY(item_type))
        return expression == sa.any_(param)  # type: ignore[no-any-return]
    return expression.in_(list(values))  # type: ignore[no-any-return]


def split_synonyms(repo: Repository, column: Any) -> Any:
    """A table-valued expression yielding each ``|``-separated item of ``column`` as ``value``."""
    if repo.dialect == "sqlite":
        # json_quote escapes every quote and backslash but leaves '|' alone, so replacing it
        # by '","' turns 'a|b' into the JSON array ["a","b"]
        array = sa.literal("[") + sa.func.replace(sa.func.json_quote(column), "|", '","') + "]"
        return sa.func.json_each(array).table_valued("value", joins_implicitly=True)
    return (
        sa.func.unnest(sa.func.string_to_array(column, "|"))
        .table_valued("value", joins_implicitly=True)
        .render_derived()
    )


def split(text: str | None) -> list[str]:
    """The items of a ``|``-separated synonyms string (empty items dropped)."""
    if not text:
        return []
    return [item for item in text.split("|") if item]


def rows_matching(
    repo: Repository,
    model: type,
    expression: Any,
    values: Sequence[Any],
    conditions: Sequence[Condition],
    columns: Sequence[Any],
    *,
    text: bool = True,
) -> list[Any]:
    """Rows (``model.id`` first, then ``columns``) whose ``expression`` is one of ``values``.

    One statement per chunk of values; the rows come back ordered by id.
    """
    pk = primary_key(model)
    rows: list[Any] = []
    if not values:
        return rows
    for chunk in chunked(values, VALUE_CHUNK if text else IN_CHUNK):
        stmt = sa.select(pk, *columns).where(
            in_values(repo, expression, chunk, text=text), *conditions
        )
        rows.extend(repo._execute(stmt).all())
    rows.sort(key=lambda row: row[0])
    return rows


def query_values(model: type, field: str, values: Sequence[Any]) -> tuple[list[Any], bool]:
    """The values worth sending for ``field`` and whether they travel as text.

    A string column is compared with the string values only (a number never equals a string
    there); other columns get the values as they are.
    """
    if isinstance(_column_type(model, field), sa.String):
        if set(map(type, values)) <= {str}:  # the common case, checked in C
            return list(values), True
        return [value for value in values if isinstance(value, str)], True
    return list(values), False


def primary_key(model: type) -> Any:
    """The primary-key column of ``model``."""
    mapper: Any = sa.inspect(model)
    return mapper.primary_key[0]


def has_rows(repo: Repository, model: type, conditions: Sequence[Condition]) -> bool:
    pk = primary_key(model)
    stmt = sa.select(sa.exists(sa.select(pk).where(*conditions)))
    return bool(repo._execute(stmt).scalar())


def quote_list(values: Sequence[Any], limit: int = 20) -> str:
    """``'a', 'b', ...`` for log lines (at most ``limit`` values)."""
    shown = ", ".join(repr(value) for value in values[:limit])
    return shown + (", ..." if len(values) > limit else "")
