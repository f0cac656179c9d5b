"""Django's on-delete rules applied by the ORM, for databases that do not cascade themselves.

lamindb's DDL has no ``ON DELETE`` clause: its foreign keys are plain (and on SQLite and
PostgreSQL ``DEFERRABLE INITIALLY DEFERRED``), and Django deletes the rows that point at a
deleted row (CASCADE) in Python before deleting it. lamin_registry's own schema declares the
same rules in the database (``ondelete="CASCADE"``). On an adopted lamindb database the
repository therefore deletes the cascading rows itself, children before parents (Django's
order), inside the permanent delete's savepoint: all or nothing. PROTECT (RESTRICT) keys are
checked before (``Repository._check_protected``) and block the whole delete.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

_CHUNK = 500


def cascading_keys(table: sa.Table) -> list[sa.ForeignKey]:
    """The foreign keys of lamin_registry's metadata that cascade from ``table``."""
    return [
        fk
        for other in table.metadata.sorted_tables
        for fk in other.foreign_keys
        if fk.column.table is table and fk.ondelete == "CASCADE"
    ]


def delete_cascading(
    session: Session,
    table: sa.Table,
    ids: Sequence[Any],
    has_table: Callable[[sa.Table], bool],
    *,
    execution_options: dict[str, Any] | None = None,
) -> dict[sa.Table, set[Any]]:
    """Delete the rows that cascade from ``table``'s rows ``ids`` (not those rows
    themselves), deepest first; returns the deleted primary keys per table."""
    deleted: dict[sa.Table, set[Any]] = {}
    _cascade(session, table, list(ids), has_table, deleted, execution_options or {})
    return deleted


def _cascade(
    session: Session,
    table: sa.Table,
    ids: list[Any],
    has_table: Callable[[sa.Table], bool],
    deleted: dict[sa.Table, set[Any]],
    options: dict[str, Any],
) -> None:
    for fk in cascading_keys(table):
        child = fk.parent.table
        if not isinstance(child, sa.Table) or not has_table(child):
            continue
        pk = next(iter(child.primary_key.columns))
        seen = deleted.setdefault(child, set())
        found: list[Any] = []
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            stmt = sa.select(pk).where(fk.parent.in_(chunk))
            if child is table:
                stmt = stmt.where(pk.notin_(chunk))
            found += [row[0] for row in session.execute(stmt) if row[0] not in seen]
        if not found:
            continue
        seen.update(found)
        _cascade(session, child, found, has_table, deleted, options)
        for start in range(0, len(found), _CHUNK):
            chunk = found[start : start + _CHUNK]
            session.execute(sa.delete(child).where(pk.in_(chunk)), execution_options=options)
