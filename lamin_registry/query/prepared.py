"""Prepared SELECTs for ``repo.get``: built once per registry, field set and visibility.

``get`` runs in loops (a thousand lookups by name or uid in a curation script). Building a
statement per call -- resolving the lookup, constructing the comparison and the visibility
``IN`` lists, then having SQLAlchemy compute a cache key for a brand-new object -- costs more
than the indexed query itself. A statement built here is reused: the looked-up values are
bound parameters, and SQLAlchemy memoizes the cache key of a statement object, so a reused
one goes straight to the compiled form.

The visibility lists (visible branches, readable spaces) are literal values *inside* the
statement and part of its cache key (:data:`Visibility`). A ``switch_branch``, ``grant`` or
``revoke`` changes the repository's state, hence the key, hence the statement: there is
nothing to invalidate, and a stale statement cannot be picked.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .lookups import BRANCH_KEYS, Condition, _coerce, _python_kind

Visibility = tuple[tuple[int, ...] | None, tuple[int, ...] | None]
"""(visible branch ids or None for every branch, readable space ids or None for all)."""

# Column kinds an exact ``field=value`` lookup compares with a plain ``=`` (JSON does not).
_EXACT_KINDS = frozenset({"str", "int", "float", "bool", "datetime", "date"})
_MAX_STATEMENTS = 1024  # distinct (registry, fields, visibility) keys kept; then start over

_STATEMENTS: dict[tuple[Any, ...], sa.Select[Any]] = {}
_EXACT_FIELDS: dict[type, dict[str, tuple[sa.Column[Any], str]]] = {}


def visibility_conditions(
    model: Any, visibility: Visibility, *, fixed: bool = False
) -> list[Condition]:
    """The WHERE conditions of a visibility key (see :meth:`Repository._visibility_key`).

    ``fixed=True`` binds each id separately (``IN (?, ?)``) instead of as one expanding
    list: the same SQL, without re-rendering the statement at every execution, for
    statements that are built once per key anyway.
    """
    branch_ids, space_ids = visibility
    conditions: list[Condition] = []
    for name, ids in (("branch_id", branch_ids), ("space_id", space_ids)):
        if ids is None:
            continue
        column = getattr(model, name)
        if fixed:
            conditions.append(column.in_([sa.bindparam(None, i, type_=column.type) for i in ids]))
        else:
            conditions.append(column.in_(ids))
    return conditions


def exact_fields(model: type) -> dict[str, tuple[sa.Column[Any], str]]:
    """Public column fields a keyword compares exactly: ``{name: (column, kind)}``.

    Only names that resolve to themselves qualify: no aliases (``version``, ``status``,
    ``dtype``), no private columns, no ``branch``/``branch_id`` (they change visibility),
    no JSON. Every other keyword takes the general lookup path.
    """
    fields = _EXACT_FIELDS.get(model)
    if fields is None:
        fields = {}
        mapper: Any = sa.inspect(model)
        for prop in mapper.column_attrs:
            if prop.key.startswith("_") or prop.key in BRANCH_KEYS or len(prop.columns) != 1:
                continue
            column: Any = prop.columns[0]
            kind = _python_kind(column)
            if kind in _EXACT_KINDS:
                fields[prop.key] = (column, kind)
        _EXACT_FIELDS[model] = fields
    return fields


def exact_values(
    model: type, expressions: dict[str, Any], dialect: str
) -> dict[str, Any] | None:
    """The checked values of ``field=value`` keywords, or None if one needs the general path.

    Values are checked and converted exactly as the general lookup path does (same errors:
    a number for a string field, a NUL character, an integer out of the column's range).
    ``None`` (``IS NULL``) is left to the general path.
    """
    fields = exact_fields(model)
    values: dict[str, Any] = {}
    for key, value in expressions.items():
        field = fields.get(key)
        if field is None or value is None:
            return None
        column, kind = field
        values[key] = _coerce(model, column, key, kind, value, dialect)
    return values


def parameter(field: str) -> str:
    """The bound parameter's name for ``field`` (prefixed: no clash with SQLAlchemy's own)."""
    return f"lr_{field}"


def select_by(
    model: Any,
    fields: tuple[str, ...],
    visibility: Visibility,
    *,
    latest: bool = False,
    limit: int | None = None,
) -> sa.Select[Any]:
    """``SELECT model WHERE field = :lr_field AND ... [AND is_latest] AND visibility``.

    The conditions come in the order the general query path puts them (expressions, then
    ``is_latest``, then branches and spaces), so both send the same SQL and get the same plan.
    """
    key = (model, fields, visibility, latest, limit)
    stmt = _STATEMENTS.get(key)
    if stmt is None:
        conditions: list[Any] = [
            getattr(model, field) == sa.bindparam(parameter(field)) for field in fields
        ]
        if latest:
            conditions.append(model.is_latest == True)  # noqa: E712 (the query path's SQL)
        conditions.extend(visibility_conditions(model, visibility, fixed=True))
        stmt = sa.select(model).where(*conditions)
        if limit is not None:
            stmt = stmt.limit(limit)
        if len(_STATEMENTS) >= _MAX_STATEMENTS:
            _STATEMENTS.clear()
        _STATEMENTS[key] = stmt
    return stmt
