"""An exact in-process copy of the values a registry's visible rows hold in one field.

``validate`` and ``inspect`` ask which of many values some visible row holds exactly. Sending
the values to the database (one bound array, an index probe each) costs 15-30 ms for 10,000
values; a ``frozenset`` of the field's visible values answers the same question in well under
a millisecond once it exists. This module keeps such sets, one per (table, field, visibility
conditions), and returns one only when it is *exactly* what the database would answer now:

* **Keyed per database connection** (the pool record's ``info``): the change counters below
  are the connection's own and mean nothing on another connection.
* **Keyed by the conditions**: the visibility restriction (branch, spaces, a restricted user),
  a query's filters and the hidden branches are part of the conditions; their SQLAlchemy
  cache key and bound values name the entry.
* **A change key read before each use** (:func:`change_key`); any difference is a miss:

  - SQLite: ``PRAGMA data_version`` (changes when another connection commits),
    ``total_changes()`` (every row this connection writes, triggers and raw SQL included),
    ``PRAGMA schema_version``, and whether the driver is inside a transaction (SQLite rolls
    back by itself on some errors). A rollback restores rows without changing any counter,
    so every rollback of the connection (``rollback``, a savepoint's, a ``ROLLBACK``
    statement, the pool's reset, an error) drops the connection's entries: listeners
    installed on the engine before the first entry is built (the pool's reset only when a
    transaction is still open: sets outlive a committed session). A connection that does not
    dispatch events (a host's engine created without listeners) never uses the cache.
  - PostgreSQL: ``pg_current_snapshot()`` (equal snapshots see the same committed
    transactions; any commit or new transaction id anywhere in the cluster changes it), with
    the row-level-security identity (``lamin_registry.user_id``, ``session_user``,
    ``current_user``) and the search path. A transaction that has written (it has a
    transaction id: ``txid_current_if_assigned()``) never uses or builds an entry: its own
    uncommitted rows are not in any snapshot. On a busy cluster the snapshot changes between
    most calls and the set is rebuilt (a scan of the field) or the SQL path taken.

* **Built consistently**: the key is read before and after the scan; the entry is kept only
  if both agree.

When to build: at once when the visible rows are few next to the values asked for (at most
``SCAN_FACTOR`` times as many, or ``SMALL`` rows: the scan costs no more than the probes);
otherwise on the second call that sees the same key (a loop of single-value calls on an
unchanged registry), up to ``MAX_ROWS`` rows. Only string fields: the set compares with
Python's ``==``, which is the database's ``=`` for text and not for numbers or dates.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event

if TYPE_CHECKING:
    from ..repository import Repository

MAX_ROWS = 500_000
"""Registries with more visible rows than this stay on the SQL path (memory)."""
SCAN_FACTOR = 4
SMALL = 1_000
ENTRIES = 8
"""Sets kept per connection (least recently used dropped first) ..."""
BUDGET = 1_000_000
"""... holding at most this many values together."""

_INFO = "lamin_registry.value_cache"
_TRACKED: weakref.WeakSet[sa.Engine] = weakref.WeakSet()


@dataclass(slots=True)
class _Entry:
    key: tuple[Any, ...]
    values: frozenset[Any] | None  # None: seen once, not built (the second call builds)


def visible_values(
    repo: Repository,
    model: type,
    field: str,
    conditions: Sequence[Any],
    wanted: int,
) -> frozenset[Any] | None:
    """The values of ``field`` over the rows matching ``conditions``, exactly as the database
    holds them now, or None (not cached, not worth building, or no exact key here).

    ``field`` must be a string column; ``wanted`` is the number of values the caller will
    look up (it decides whether a scan is worth it). The caller has autoflushed.
    """
    signature = _signature(conditions)
    if signature is None:
        return None
    connection = repo.session.connection()
    key = change_key(connection)
    if key is None:
        return None
    table: Any = sa.inspect(model).local_table
    name = (table.name, field, signature)
    store: OrderedDict[Any, _Entry] = connection.info.setdefault(_INFO, OrderedDict())
    entry = store.get(name)
    if entry is not None and entry.key == key:
        if entry.values is not None:
            store.move_to_end(name)
            return entry.values
        limit = MAX_ROWS  # the second call on unchanged data
    else:
        limit = max(SCAN_FACTOR * wanted, SMALL)
    column = getattr(model, field)
    found = _scan(
        connection, sa.select(column).where(*conditions, column.is_not(None)).limit(limit + 1)
    )
    if change_key(connection) != key:
        return None  # written meanwhile: not kept
    if len(found) > limit:
        store[name] = _Entry(key, None)
        values = None
    else:
        values = frozenset(found)
        store[name] = _Entry(key, values)
    store.move_to_end(name)
    while len(store) > ENTRIES or (
        len(store) > 1 and sum(len(e.values or ()) for e in store.values()) > BUDGET
    ):
        store.popitem(last=False)
    return values


def _scan(connection: sa.Connection, stmt: sa.Select[Any]) -> list[Any]:
    """The first column of ``stmt``'s rows through the driver's cursor (a string column:
    no result processing; SQLAlchemy's result set-up costs a third of the scan)."""
    from ..query.prepared import fetch_statement

    return [row[0] for row in fetch_statement(connection, stmt)]


def change_key(connection: sa.Connection) -> tuple[Any, ...] | None:
    """What must be unchanged for a copy built on ``connection`` to hold (see above); None
    where no exact key exists (another backend, a PostgreSQL transaction that wrote, a
    connection whose rollbacks cannot be seen)."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        if not _track_rollbacks(connection):
            return None
        row = connection.exec_driver_sql(
            "SELECT (SELECT data_version FROM pragma_data_version()), "
            "(SELECT schema_version FROM pragma_schema_version()), total_changes()"
        ).one()
        dbapi_connection = connection.connection.dbapi_connection
        return (*row, getattr(dbapi_connection, "in_transaction", None))
    if dialect == "postgresql":
        row = connection.exec_driver_sql(
            "SELECT txid_current_if_assigned(), pg_current_snapshot()::text, "
            "current_setting('lamin_registry.user_id', true), session_user, current_user, "
            "current_schemas(true)::text"
        ).one()
        if row[0] is not None:
            return None  # this transaction wrote: its rows are in no snapshot
        return tuple(row[1:])
    return None


def _signature(conditions: Sequence[Any]) -> tuple[Any, ...] | None:
    """A hashable name for ``conditions``: SQLAlchemy's cache key and the bound values."""
    if not conditions:
        return ()
    cache_key = sa.and_(*conditions)._generate_cache_key()
    if cache_key is None:
        return None
    try:
        values = tuple(_frozen(bind.effective_value) for bind in cache_key.bindparams)
        signature = (cache_key.key, values)
        hash(signature)
    except TypeError:
        return None
    return signature


def _frozen(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_frozen(item) for item in value)
    if isinstance(value, set | frozenset):
        return frozenset(_frozen(item) for item in value)
    return (type(value).__name__, value)


# -- SQLite: every rollback drops the connection's sets ---------------------------------------


def _track_rollbacks(connection: sa.Connection) -> bool:
    """Install the rollback listeners on the connection's engine (once); whether this
    connection dispatches them."""
    engine = connection.engine
    if engine not in _TRACKED:
        event.listen(engine, "rollback", _on_rollback)
        event.listen(engine, "rollback_savepoint", _on_rollback_savepoint)
        event.listen(engine, "before_cursor_execute", _on_statement)
        event.listen(engine, "handle_error", _on_error)
        event.listen(engine, "reset", _on_reset, insert=True)  # before any listener rolls back
        _TRACKED.add(engine)
    return bool(connection._has_events or engine._has_events)


def _drop(info: dict[Any, Any]) -> None:
    info.pop(_INFO, None)


def _on_rollback(connection: sa.Connection) -> None:
    _drop(connection.info)


def _on_rollback_savepoint(connection: sa.Connection, name: Any, context: Any) -> None:
    _drop(connection.info)


def _on_statement(
    connection: sa.Connection, cursor: Any, statement: str, *args: Any
) -> None:
    if statement[:12].lstrip().upper().startswith("ROLLBACK"):
        _drop(connection.info)


def _on_error(context: sa.engine.ExceptionContext) -> None:
    if context.connection is not None:
        _drop(context.connection.info)


def _on_reset(dbapi_connection: Any, connection_record: Any, reset_state: Any) -> None:
    # the pool's rollback on check-in: a transaction still open there (a COMMIT SQLite
    # refused) loses its rows; after a commit there is nothing to roll back, and the sets
    # stay for the connection's next session
    if connection_record is not None and getattr(dbapi_connection, "in_transaction", True):
        _drop(connection_record.info)
