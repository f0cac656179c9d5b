"""Set-based insertion of many new records of one registry.

The ORM's unit of work costs about 150 µs per object; a bulk save of 100,000 labels would take
over ten seconds. Here the rows are built once from the objects' state, written with one
``executemany`` per batch (SQLite) or batched ``INSERT ... RETURNING`` (PostgreSQL), and the
objects are then attached to the session as persistent, as if they had been loaded.
Records that need the unit of work (unsaved related objects, collections) take the ORM path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from .hooks import stamp

if TYPE_CHECKING:
    from .repository import Repository

_MISSING = object()
_ID_CHUNK = 500


@dataclass(slots=True)
class _Plan:
    """How to turn one registry's objects into insert rows (computed once per class)."""

    table: sa.Table
    columns: list[sa.Column[Any]]
    keys: list[str]  # attribute key per column
    defaults: list[Any]  # column default per column: _MISSING, a scalar, or a callable
    to_one: list[tuple[str, str, str]]  # (relationship key, local attribute key, remote key)
    collections: list[str]
    has_uid: bool


_PLANS: dict[type, _Plan] = {}


def _plan(model: type) -> _Plan:
    plan = _PLANS.get(model)
    if plan is not None:
        return plan
    mapper = sa.inspect(model)
    table = mapper.local_table
    columns: list[sa.Column[Any]] = []
    keys: list[str] = []
    defaults: list[Any] = []
    for column in table.columns:
        if column.primary_key:
            continue
        columns.append(column)
        keys.append(mapper.get_property_by_column(column).key)
        default = column.default
        if default is None:
            defaults.append(_MISSING)
        elif getattr(default, "is_scalar", False):
            defaults.append(default.arg)  # type: ignore[attr-defined]
        else:
            defaults.append(default.arg)  # type: ignore[attr-defined]
    to_one: list[tuple[str, str, str]] = []
    collections: list[str] = []
    for rel in mapper.relationships:
        if rel.direction.name == "MANYTOONE" and len(rel.local_remote_pairs) == 1:
            local, remote = rel.local_remote_pairs[0]
            to_one.append(
                (rel.key, mapper.get_property_by_column(local).key, remote.key)
            )
        else:
            collections.append(rel.key)
    plan = _PLANS[model] = _Plan(
        table=table,  # type: ignore[arg-type]
        columns=columns,
        keys=keys,
        defaults=defaults,
        to_one=to_one,
        collections=collections,
        has_uid="uid" in table.c,
    )
    return plan


def _needs_unit_of_work(plan: _Plan, record: Any) -> bool:
    state = record.__dict__
    if "id" in state and state["id"] is not None:
        return True
    if any(state.get(key) for key in plan.collections):
        return True
    for rel_key, _, _ in plan.to_one:
        related = state.get(rel_key)
        if related is not None and sa.inspect(related).key is None:
            return True
    return False


def insert_records(repo: Repository, model: type, records: list[Any]) -> None:
    """Insert new ``records`` of ``model``; afterwards they are persistent in the session."""
    plan = _plan(model)
    if (repo.dialect == "sqlite" and not plan.has_uid) or any(
        _needs_unit_of_work(plan, record) for record in records
    ):
        repo.session.add_all(records)
        repo.session.flush()
        return
    for record in records:
        stamp(record, repo)
        state = record.__dict__
        for rel_key, local_key, remote_key in plan.to_one:
            if rel_key in state:
                related = state[rel_key]
                setattr(record, local_key, None if related is None else getattr(related, remote_key))

    # Column values: the object's own, else the column default, computed once per batch.
    batch_defaults: list[Any] = []
    for default in plan.defaults:
        if callable(default):
            default = default(None)
        batch_defaults.append(None if default is _MISSING else default)
    rows = [
        [record.__dict__.get(key, default) for key, default in zip(plan.keys, batch_defaults, strict=True)]
        for record in records
    ]
    session = repo.session
    # No flush first: records pointing at unflushed objects took the unit-of-work path above,
    # and a flush here would trip over the new objects already sitting in backref collections.
    connection = session.connection()
    if repo.dialect == "sqlite":
        ids = _insert_sqlite(connection, plan, rows, [record.uid for record in records])
    else:
        ids = _insert_returning(connection, plan, rows)
    defaulted = [
        (key, value)
        for key, value, default in zip(plan.keys, batch_defaults, plan.defaults, strict=True)
        if default is not _MISSING
    ]
    for record, new_id in zip(records, ids, strict=True):
        state = record.__dict__
        record.id = new_id
        for key, value in defaulted:
            if key not in state:
                set_committed_value(record, key, value)
        make_transient_to_detached(record)
    session.add_all(records)


def _insert_sqlite(
    connection: sa.Connection, plan: _Plan, rows: list[list[Any]], uids: list[str]
) -> list[int]:
    dialect = connection.dialect
    processors: list[Callable[[Any], Any] | None] = [
        column.type._cached_bind_processor(dialect) for column in plan.columns
    ]
    active = [(i, fn) for i, fn in enumerate(processors) if fn is not None]
    for row in rows:
        for i, fn in active:
            row[i] = fn(row[i])
    quote = dialect.identifier_preparer.quote
    sql = (
        f"INSERT INTO {quote(plan.table.name)} ({', '.join(quote(c.name) for c in plan.columns)}) "
        f"VALUES ({', '.join('?' for _ in plan.columns)})"
    )
    connection.exec_driver_sql(sql, [tuple(row) for row in rows])  # type: ignore[arg-type]
    by_uid: dict[str, int] = {}
    uid, pk = plan.table.c.uid, plan.table.c.id
    for start in range(0, len(uids), _ID_CHUNK):
        chunk = uids[start : start + _ID_CHUNK]
        by_uid.update(connection.execute(sa.select(uid, pk).where(uid.in_(chunk))).all())
    return [by_uid[value] for value in uids]


def _insert_returning(connection: sa.Connection, plan: _Plan, rows: list[list[Any]]) -> list[int]:
    names = [column.key for column in plan.columns]
    params = [dict(zip(names, row, strict=True)) for row in rows]
    stmt = sa.insert(plan.table).returning(plan.table.c.id, sort_by_parameter_order=True)
    return list(connection.execute(stmt, params).scalars().all())
