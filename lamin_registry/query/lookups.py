"""Django-style lookups (``name__startswith="T"``) turned into SQLAlchemy expressions.

Field names are resolved against the mapper, one path segment at a time; values are always
bound parameters, checked against the column's type first so that a bad value is reported as
:class:`~lamin_registry.errors.InvalidArgument` instead of failing inside the database.
Relationship paths become ``EXISTS`` subqueries (``has``/``any``), so a filter across a
many-to-many never duplicates rows; lookups on the same relationship in one call share one
subquery, i.e. they must hold for the *same* related record (Django's rule).

Matching rules (both backends):

* ``exact`` is case-sensitive; ``exact=None`` means ``IS NULL``.
* ``contains``/``startswith``/``endswith`` are case-sensitive (SQLite uses ``GLOB``,
  PostgreSQL ``LIKE``); ``iexact``/``icontains``/``istartswith``/``iendswith`` compare
  ``lower()`` of both sides (SQLite folds ASCII letters only, PostgreSQL folds by its locale).
  Every character of the value matches literally: ``%``, ``_``, ``\\``, ``*``, ``?``, ``[``.
* ``regex``/``iregex`` use the backend's engine: Python's ``re.search`` on SQLite,
  POSIX ARE (``~``/``~*``) on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import (
    InstrumentedAttribute,
    Mapper,
    RelationshipDirection,
    RelationshipProperty,
)
from sqlalchemy.sql.elements import ColumnElement

from ..errors import InvalidArgument

Condition = ColumnElement[bool]

# Keyword renames lamindb applies before resolving a field.
FIELD_ALIASES: dict[str, str] = {
    "version": "version_tag",
    "dtype": "_dtype_str",
    "dtype_as_str": "_dtype_str",
}
STATUS_FIELD = "status"
PRIVATE_QUERYABLE = frozenset({"_dtype_str", "_status_code"})

BRANCH_KEYS = ("branch", "branch_id")
# lamindb: an expression with exactly one of these keys looks at every branch.
ID_KEYS = frozenset({"id", "uid", "hash", "id__in", "uid__in", "hash__in"})

# ``in`` lists longer than this are sent as one array (PostgreSQL) or JSON (SQLite)
# parameter: PostgreSQL takes at most 65,535 and SQLite 32,766 parameters per statement.
LARGE_IN = 1000

_INT_RANGES = {"small": 2**15, "int": 2**31, "big": 2**63}
_INT_TEXT = re.compile(r"[+-]?[0-9]+")


def _glob_escape(value: str) -> str:
    """Escape SQLite GLOB metacharacters so every character matches literally."""
    return re.sub(r"([*?\[])", r"[\1]", value)


def _like_escape(value: str) -> str:
    """Escape LIKE metacharacters with ``/`` (so that ``\\`` is an ordinary character)."""
    return value.replace("/", "//").replace("%", "/%").replace("_", "/_")


# where -> (GLOB pattern, LIKE pattern)
_WRAP = {"start": ("{}*", "{}%"), "end": ("*{}", "%{}"), "any": ("*{}*", "%{}%")}


def _case_sensitive_pattern(column: Any, value: str, dialect: str, where: str) -> Condition:
    """``startswith``/``endswith``/``contains``: case-sensitive on every backend.

    SQLite's LIKE ignores ASCII case, so SQLite uses GLOB; PostgreSQL's LIKE is case-sensitive.
    """
    glob, like = _WRAP[where]
    if dialect == "sqlite":
        return column.op("GLOB", is_comparison=True)(glob.format(_glob_escape(value)))  # type: ignore[no-any-return]
    return column.like(like.format(_like_escape(value)), escape="/")  # type: ignore[no-any-return]


def _case_insensitive_pattern(column: Any, value: str, where: str) -> Condition:
    pattern = _WRAP[where][1].format(_like_escape(value))
    return sa.func.lower(column).like(sa.func.lower(pattern), escape="/")


def _iexact(column: Any, value: Any) -> Condition:
    if value is None:
        return column.is_(None)  # type: ignore[no-any-return]
    return sa.func.lower(column) == sa.func.lower(value)


def _check_regex(value: str) -> str:
    try:
        with warnings.catch_warnings():  # e.g. FutureWarning "Possible nested set"
            warnings.simplefilter("ignore")
            re.compile(value)
    except (re.error, OverflowError, RecursionError) as exc:
        raise InvalidArgument(f"Invalid regular expression {value!r}: {exc}") from None
    return value


def _regex(column: Any, value: str, dialect: str, ignore_case: bool) -> Condition:
    if dialect == "sqlite":
        # SQLite's REGEXP (registered by SQLAlchemy) is Python's re.search without flags;
        # a leading inline flag group is how it takes them.
        pattern = f"(?i){value}" if ignore_case else value
        return column.regexp_match(_check_regex(pattern))  # type: ignore[no-any-return]
    _check_regex(value)
    return column.regexp_match(value, flags="i" if ignore_case else None)  # type: ignore[no-any-return]


def _in(column: Any, values: list[Any], dialect: str, kind: str) -> Condition:
    if len(values) <= LARGE_IN or kind not in ("int", "str"):
        return column.in_(values)  # type: ignore[no-any-return]
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        item_type = sa.BigInteger() if kind == "int" else sa.Text()
        array = sa.bindparam(None, values, type_=postgresql.ARRAY(item_type))
        return column == sa.any_(array)  # type: ignore[no-any-return]
    if dialect == "sqlite":
        each = sa.func.json_each(sa.bindparam(None, json.dumps(values), type_=sa.Text()))
        return column.in_(sa.select(sa.column("value")).select_from(each))  # type: ignore[no-any-return]
    return column.in_(values)  # type: ignore[no-any-return]


LookupFn = Callable[[Any, Any, str, str], Condition]

LOOKUPS: dict[str, LookupFn] = {
    "exact": lambda c, v, d, k: c.is_(None) if v is None else c == v,
    "iexact": lambda c, v, d, k: _iexact(c, v),
    "contains": lambda c, v, d, k: _case_sensitive_pattern(c, v, d, "any"),
    "icontains": lambda c, v, d, k: _case_insensitive_pattern(c, v, "any"),
    "startswith": lambda c, v, d, k: _case_sensitive_pattern(c, v, d, "start"),
    "istartswith": lambda c, v, d, k: _case_insensitive_pattern(c, v, "start"),
    "endswith": lambda c, v, d, k: _case_sensitive_pattern(c, v, d, "end"),
    "iendswith": lambda c, v, d, k: _case_insensitive_pattern(c, v, "end"),
    "in": lambda c, v, d, k: _in(c, v, d, k),
    "gt": lambda c, v, d, k: c > v,
    "gte": lambda c, v, d, k: c >= v,
    "lt": lambda c, v, d, k: c < v,
    "lte": lambda c, v, d, k: c <= v,
    "isnull": lambda c, v, d, k: c.is_(None) if v else c.isnot(None),
    "regex": lambda c, v, d, k: _regex(c, v, d, ignore_case=False),
    "iregex": lambda c, v, d, k: _regex(c, v, d, ignore_case=True),
}
STRING_LOOKUPS = frozenset(
    {"iexact", "contains", "icontains", "startswith", "istartswith", "endswith", "iendswith",
     "regex", "iregex"}
)


def _available_fields(mapper: Mapper[Any]) -> str:
    names = {prop.key for prop in mapper.column_attrs if not prop.key.startswith("_")}
    names |= {rel.key for rel in mapper.relationships}
    names |= {alias for alias, target in FIELD_ALIASES.items() if target in mapper.attrs}
    if "_status_code" in mapper.attrs:
        names.add(STATUS_FIELD)
    return ", ".join(sorted(names))


def _unknown_field(model: type, name: str) -> InvalidArgument:
    mapper: Mapper[Any] = sa.inspect(model)
    return InvalidArgument(
        f"Unknown field {name!r} for {model.__name__}. "
        f"Available fields: {_available_fields(mapper)}"
    )


def _python_kind(column: sa.Column[Any]) -> str:
    col_type = column.type
    if isinstance(col_type, sa.types.TypeDecorator):
        col_type = col_type.impl_instance
    for kind, types in (
        ("bool", (sa.Boolean,)),
        ("int", (sa.Integer,)),
        ("float", (sa.Float, sa.Numeric)),
        ("str", (sa.String,)),
        ("datetime", (sa.DateTime,)),
        ("date", (sa.Date,)),
        ("json", (sa.JSON,)),
    ):
        if isinstance(col_type, types):
            return kind
    return "other"


def _int_bound(column: sa.Column[Any], dialect: str) -> int:
    """The exclusive bound of the column's integers on ``dialect`` (SQLite: 64 bit)."""
    if dialect != "postgresql":
        return _INT_RANGES["big"]
    col_type = column.type
    if isinstance(col_type, sa.SmallInteger):
        return _INT_RANGES["small"]
    if isinstance(col_type, sa.BigInteger):
        return _INT_RANGES["big"]
    return _INT_RANGES["int"]


def _check_text(key: str, value: str) -> None:
    if "\x00" in value:
        raise InvalidArgument(f"Field '{key}' cannot hold a NUL character (\\x00).")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidArgument(
                f"Field '{key}' got a string that is not valid Unicode text: {value!r}"
            ) from None


def _coerce(
    model: type, column: sa.Column[Any], key: str, kind: str, value: Any, dialect: str
) -> Any:
    """Check (and, for numeric strings and ISO dates, convert) a value against the column."""
    if value is None:
        return None
    ok: bool
    if kind == "bool":
        ok = isinstance(value, bool)
    elif kind == "int":
        if isinstance(value, str):
            if not _INT_TEXT.fullmatch(value):
                raise InvalidArgument(f"Field '{key}' expected a number but got {value!r}.")
            value = int(value)
        ok = isinstance(value, int) and not isinstance(value, bool)
        if ok:
            bound = _int_bound(column, dialect)
            if not -bound <= value < bound:
                raise InvalidArgument(
                    f"Field '{key}' of {model.__name__} expected an integer between "
                    f"{-bound} and {bound - 1}, got {value}."
                )
    elif kind == "float":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif kind == "str":
        ok = isinstance(value, str)
        if ok:
            _check_text(key, value)
    elif kind in ("datetime", "date"):
        return _coerce_temporal(model, key, kind, value)
    else:
        ok = True
    if not ok:
        raise InvalidArgument(
            f"Field '{key}' of {model.__name__} expected a {kind} value but got "
            f"{type(value).__name__}: {value!r}"
        )
    return value


def _coerce_temporal(model: type, key: str, kind: str, value: Any) -> Any:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            raise InvalidArgument(
                f"Field '{key}' expected a date/time but got {value!r}."
            ) from None
    if not isinstance(value, dt.date):
        raise InvalidArgument(
            f"Field '{key}' of {model.__name__} expected a {kind} value but got "
            f"{type(value).__name__}: {value!r}"
        )
    if kind == "date":
        return value.date() if isinstance(value, dt.datetime) else value
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise InvalidArgument(f"Field '{key}' got a date/time out of range: {value!r}") from None


def _status_value(model: type, value: Any) -> Any:
    codes: dict[str, int] = getattr(model, "STATUS_CODES", {})
    if isinstance(value, list | tuple | set | frozenset):
        return [_status_value(model, item) for item in value]
    if isinstance(value, str):
        if not codes:
            raise InvalidArgument(
                f"{model.__name__} status codes have no names; filter by the number "
                f"(status=0) or by _status_code"
            )
        if value not in codes:
            raise InvalidArgument(
                f"Invalid {model.__name__} status {value!r}. Expected one of: "
                + ", ".join(repr(name) for name in codes)
                + "."
            )
        return codes[value]
    return value


def _dtype_value(value: Any) -> Any:
    """``dtype=int`` or ``dtype=lr.ULabel`` as lamindb's serialized dtype string."""
    if isinstance(value, type):
        from ..errors import ValidationError
        from ..models.features import normalize_dtype

        try:
            return normalize_dtype(value)
        except ValidationError as error:
            raise InvalidArgument(str(error)) from None
    if isinstance(value, list | tuple | set | frozenset):
        return [_dtype_value(item) for item in value]
    return value


def split_key(key: str) -> tuple[list[str], str]:
    """``"created_by__handle__in"`` -> ``(["created_by", "handle"], "in")``."""
    if not isinstance(key, str):
        raise InvalidArgument(f"Lookup keys must be strings, got {key!r}")
    parts = key.split("__")
    if len(parts) > 1 and parts[-1] in LOOKUPS:
        return parts[:-1], parts[-1]
    return parts, "exact"


def field_property(model: type, name: str) -> tuple[str, Any]:
    """The mapped attribute name for ``name`` (aliases applied) and its property."""
    mapper: Mapper[Any] = sa.inspect(model)
    if not name:
        raise InvalidArgument(
            f"Invalid expression: empty field name. Available fields: {_available_fields(mapper)}"
        )
    if name not in mapper.attrs:
        if name == STATUS_FIELD and "_status_code" in mapper.attrs:
            name = "_status_code"
        else:
            name = FIELD_ALIASES.get(name, name)
    if name.startswith("_") and name not in PRIVATE_QUERYABLE:
        raise _unknown_field(model, name)
    prop = mapper.attrs.get(name)
    if prop is None:
        raise _unknown_field(model, name)
    return name, prop


def resolve(model: type, key: str, value: Any, dialect: str) -> Condition:
    """One ``key=value`` expression on ``model`` as a SQLAlchemy condition."""
    (condition,) = resolve_all(model, [(key, value)], dialect)
    return condition


FeatureLookup = Callable[[list[str], str, Any], Condition]
"""Resolves a keyword whose first part is not a field (a feature name, on feature hosts)."""


def _is_field(model: type, name: str) -> bool:
    mapper: Mapper[Any] = sa.inspect(model)
    return name in mapper.attrs or name in FIELD_ALIASES or (
        name == STATUS_FIELD and "_status_code" in mapper.attrs
    )


def resolve_all(
    model: type,
    items: Iterable[tuple[str, Any]],
    dialect: str,
    features: FeatureLookup | None = None,
) -> list[Condition]:
    """Several ``key=value`` expressions (AND-ed by the caller) as SQLAlchemy conditions.

    Expressions that continue through the same relationship (``ulabels__name=..., ulabels__
    description=...``) become one ``EXISTS`` subquery: they must hold for the same record.
    ``features`` resolves keys that name no field (feature names on Record, Run, Artifact).
    """
    conditions: list[Condition] = []
    through: dict[str, list[tuple[str, Any]]] = {}
    for key, value in items:
        parts, lookup = split_key(key)
        if features is not None and parts[0] and not _is_field(model, parts[0]):
            conditions.append(features(parts, lookup, value))
            continue
        name, prop = field_property(model, parts[0])
        if isinstance(prop, RelationshipProperty) and len(parts) > 1:
            rest = "__".join([*parts[1:], lookup])
            through.setdefault(name, []).append((rest, value))
            continue
        conditions.append(_resolve_one(model, key, name, prop, parts, lookup, value, dialect))
    for name, inner_items in through.items():
        prop = sa.inspect(model).attrs[name]
        attr: InstrumentedAttribute[Any] = getattr(model, name)
        inner = resolve_all(prop.mapper.class_, inner_items, dialect)
        criterion = inner[0] if len(inner) == 1 else sa.and_(*inner)
        conditions.append(attr.any(criterion) if prop.uselist else attr.has(criterion))
    return conditions


def _resolve_one(
    model: type,
    key: str,
    name: str,
    prop: Any,
    parts: list[str],
    lookup: str,
    value: Any,
    dialect: str,
) -> Condition:
    attr: InstrumentedAttribute[Any] = getattr(model, name)
    if isinstance(prop, RelationshipProperty):
        return _resolve_relationship(model, prop, attr, lookup, value, dialect)
    if len(parts) > 1:
        mapper: Mapper[Any] = sa.inspect(model)
        raise InvalidArgument(
            f"Unsupported lookup {parts[1]!r} for field {name!r} of {model.__name__} "
            f"({name!r} is not a relationship). Available lookups: {', '.join(LOOKUPS)}. "
            f"Available fields: {_available_fields(mapper)}"
        )
    if name == "_status_code":
        value = _status_value(model, value)
    elif name == "_dtype_str":
        value = _dtype_value(value)
    column = prop.columns[0]
    kind = _python_kind(column)
    if kind == "json" and lookup != "isnull":
        raise InvalidArgument(f"JSON field {name!r} supports only the lookup 'isnull'")
    if lookup == "isnull":
        if not isinstance(value, bool):
            raise InvalidArgument(f"{key}: isnull expects True or False, got {value!r}")
    elif lookup == "in":
        if isinstance(value, str | bytes | dict) or not isinstance(value, Iterable):
            raise InvalidArgument(f"{key}: 'in' expects a list of values, got {value!r}")
        value = [_coerce(model, column, name, kind, item, dialect) for item in value]
    elif value is None:
        if lookup not in ("exact", "iexact"):
            raise InvalidArgument(
                f"{key}: None is only allowed with exact (IS NULL); use {parts[0]}__isnull=True"
            )
    elif lookup in STRING_LOOKUPS:
        if not isinstance(value, str):
            raise InvalidArgument(
                f"{key}: lookup {lookup!r} expects a string, got {type(value).__name__}"
            )
        if kind != "str":
            raise InvalidArgument(f"{key}: lookup {lookup!r} applies only to string fields")
        _check_text(name, value)
    else:
        value = _coerce(model, column, name, kind, value, dialect)
    try:
        return LOOKUPS[lookup](attr, value, dialect, kind)
    except sa.exc.ArgumentError as error:  # e.g. is_type__gt=False
        raise InvalidArgument(f"{key}: lookup {lookup!r} cannot take {value!r}: {error}") from None


def _resolve_relationship(
    model: type,
    prop: RelationshipProperty[Any],
    attr: InstrumentedAttribute[Any],
    lookup: str,
    value: Any,
    dialect: str,
) -> Condition:
    """A lookup on the relationship itself: by record or id, or ``isnull``."""
    target = prop.mapper.class_
    to_many = prop.uselist
    foreign_key = None
    if prop.direction is RelationshipDirection.MANYTOONE and len(prop.local_columns) == 1:
        (local,) = prop.local_columns
        foreign_key = getattr(model, prop.parent.get_property_by_column(local).key)
    if lookup == "isnull":
        if not isinstance(value, bool):
            raise InvalidArgument(f"{prop.key}__isnull expects True or False, got {value!r}")
        if foreign_key is not None:
            return foreign_key.is_(None) if value else foreign_key.isnot(None)  # type: ignore[no-any-return]
        exists = attr.any() if to_many else attr.has()
        return ~exists if value else exists
    if lookup not in ("exact", "in"):
        name_field = getattr(target, "_name_field", None) or "name"
        raise InvalidArgument(
            f"Lookup {lookup!r} needs a field of {prop.key}, e.g. "
            f"{prop.key}__{name_field}__{lookup}"
        )
    if lookup == "in" and (
        isinstance(value, str | bytes | dict) or not isinstance(value, Iterable)
    ):
        raise InvalidArgument(f"{prop.key}__in expects a list of records or ids, got {value!r}")
    values = list(value) if lookup == "in" else [value]
    if lookup == "exact" and value is None:
        if foreign_key is not None:
            return foreign_key.is_(None)  # type: ignore[no-any-return]
        return ~attr.any() if to_many else ~attr.has()
    pk_column = sa.inspect(target).primary_key[0]
    ids = [_related_id(prop, target, pk_column, item, dialect) for item in values]
    if foreign_key is not None:
        return foreign_key == ids[0] if lookup == "exact" else foreign_key.in_(ids)  # type: ignore[no-any-return]
    pk = getattr(target, sa.inspect(target).get_property_by_column(pk_column).key)
    inner = pk == ids[0] if lookup == "exact" else pk.in_(ids)
    return attr.any(inner) if to_many else attr.has(inner)


def _related_id(
    prop: RelationshipProperty[Any], target: type, pk_column: Any, item: Any, dialect: str
) -> Any:
    from ..models.base import BaseSQLRecord

    if isinstance(item, target):
        identity = sa.inspect(item).identity
        if identity is None:
            raise InvalidArgument(f"{prop.key}: {item!r} is not saved yet")
        return identity[0]
    if isinstance(item, BaseSQLRecord):
        raise InvalidArgument(
            f"{prop.key} expects a {target.__name__} record or id, "
            f"got a {type(item).__name__}: {item!r}"
        )
    if isinstance(item, int) and not isinstance(item, bool):
        return _coerce(target, pk_column, f"{prop.key}_id", "int", item, dialect)
    name_field = getattr(target, "_name_field", None) or "name"
    raise InvalidArgument(
        f"Invalid lookup {item!r} for {prop.key}. Did you mean {prop.key}__{name_field}?"
    )


def mentions_branch(key: str) -> bool:
    """True when an expression key names the branch (which disables default branch filtering)."""
    return key in BRANCH_KEYS or key.startswith(("branch__", "branch_id__"))


def _may_be_null(condition: Any) -> bool:
    """False when SQL's three-valued logic cannot make ``condition`` NULL."""
    from sqlalchemy.sql import elements, operators, selectable

    if isinstance(condition, selectable.Exists | elements.True_ | elements.False_):
        return False
    if isinstance(condition, elements.Grouping):
        return _may_be_null(condition.element)
    if isinstance(condition, elements.UnaryExpression) and condition.operator is operators.inv:
        return _may_be_null(condition.element)
    if isinstance(condition, elements.BinaryExpression) and condition.operator in (
        operators.is_,
        operators.is_not,
    ):
        return False
    if isinstance(condition, elements.BooleanClauseList):
        return any(_may_be_null(clause) for clause in condition.clauses)
    return True


def negate(condition: Condition) -> Condition:
    """``NOT condition`` where a NULL comparison counts as *not matching* (Django's exclude).

    ``exclude(description="x")`` keeps records whose description is NULL: plain SQL
    ``NOT (description = 'x')`` is NULL for them and would drop them.
    """
    if _may_be_null(condition):
        condition = sa.func.coalesce(condition, sa.false())
    return sa.not_(condition)
