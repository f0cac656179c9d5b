"""Many sessions at once: name locks, SQLite's deferred sessions, conflicts as library errors.

See ``docs/concurrency.md`` for the model. In short:

* **One row per name.** Saving a new record with a name field first takes a lock on its
  (table, name) -- PostgreSQL: a transaction-scoped ``pg_advisory_xact_lock`` on a 64-bit
  hash, so only sessions saving the *same* name wait for each other; SQLite: the database's
  write lock, which every SQLite writer needs anyway -- and only then looks for a stored
  record with that name. A concurrent session saving the same name waits until the first
  commits and then finds its row (READ COMMITTED on PostgreSQL, a fresh snapshot on SQLite).
* **SQLite sessions start deferred.** ``Instance.session()`` opens its transaction with a
  plain ``BEGIN``: reads take no lock and never wait (WAL). The repository's write entry points
  and every flush (``before_flush``: autoflush, commit) call :func:`acquire_write_lock` before
  their first statement; it swaps the read-only transaction for ``BEGIN IMMEDIATE`` (waiting,
  under the busy timeout, for other writers only). Nothing is lost by the swap: the
  transaction has written nothing yet, and the session then sees the newest committed data,
  as a PostgreSQL session does at each statement. This is the safe retry of a read-then-write
  conflict: it happens before the conflict can.
* **Conflicts are library errors.** A write that SQLite refuses because this transaction read
  first and another writer holds the lock or committed since (``SQLITE_BUSY`` on the upgrade,
  ``SQLITE_BUSY_SNAPSHOT``; only inside a savepoint the caller opened, where no swap is
  possible), and PostgreSQL deadlocks and serialization failures, raise
  :class:`~lamin_registry.errors.ConcurrentWrite`: roll back and run the session again.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from .errors import ConcurrentWrite, DatabaseLocked

DEFERRED_OPTION = "lamin_registry_deferred"
"""Execution option of ``Instance.session()``'s engine: SQLite transactions start deferred."""

_MANAGED = "lamin_registry.sqlite_txn"  # connection.info key: this transaction's lock state
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER")
_NEUTRAL = ("SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT", "END")
_PG_RETRYABLE = ("40001", "40P01")  # serialization_failure, deadlock_detected
NAME_LOCK_TIMEOUT = 30.0
"""PostgreSQL: seconds a transaction that saves names waits for any lock (``lock_timeout``,
set for the rest of that transaction) before raising :class:`DatabaseLocked`."""

RETRY_RECIPE = (
    "Another session wrote to the database since this one first read it, and this write ran "
    "inside a savepoint of its own, where the session cannot take the write lock first. "
    "Nothing of this session was written; roll back (leaving the `with inst.session()` block "
    "does) and run the block again (docs/concurrency.md)."
)


def begin_statement(connection: sa.Connection, read_only: bool) -> str:
    """The BEGIN of a new SQLite transaction, recording its lock state on the connection.

    Deferred for read-only engines and for sessions of ``Instance.session()`` (the engine
    carries :data:`DEFERRED_OPTION`); ``BEGIN IMMEDIATE`` for every other connection of
    ``lr.connect``'s engine (migrations, seeding, a host's own sessions), as before.
    """
    deferred = read_only or bool(connection.get_execution_options().get(DEFERRED_OPTION))
    connection.info[_MANAGED] = {"write": not deferred, "read": False, "read_only": read_only}
    return "BEGIN" if deferred else "BEGIN IMMEDIATE"


def install(engine: sa.Engine) -> None:
    """Track SQLite lock state per transaction and translate write conflicts (both backends)."""
    if engine.dialect.name == "sqlite":
        event.listen(engine, "before_cursor_execute", _note_statement)
        event.listen(engine, "after_cursor_execute", _note_written)
        event.listen(engine, "handle_error", _sqlite_conflict)
    else:
        event.listen(engine, "handle_error", _postgresql_conflict)


@functools.lru_cache(maxsize=2048)
def _kind(statement: str) -> str:
    """read / write / neutral / begin / begin-immediate (memoized: the same SQL strings come
    back statement after statement, and this runs twice for each)."""
    word = statement.lstrip()[:10].upper()
    if word.startswith("BEGIN"):
        return "begin-immediate" if "IMMEDIATE" in statement.upper()[:30] else "begin"
    if word.startswith(_WRITES):
        return "write"
    if word.startswith(_NEUTRAL):
        return "neutral"
    return "read"


def _note_statement(
    connection: sa.Connection, cursor: Any, statement: str, *args: Any
) -> None:
    state = connection.info.get(_MANAGED)
    if state is None:
        return
    kind = _kind(statement)
    if kind == "read":
        state["read"] = state["read"] or not state["write"]
    elif kind == "begin":
        state.update(write=False, read=False)
    elif kind == "begin-immediate":
        state.update(write=True, read=False)


def _note_written(
    connection: sa.Connection, cursor: Any, statement: str, *args: Any
) -> None:
    state = connection.info.get(_MANAGED)
    if state is not None and not state["write"] and _kind(statement) == "write":
        state["write"] = True  # it succeeded, so this transaction holds the write lock


def _sqlite_conflict(context: sa.engine.ExceptionContext) -> None:
    """A write refused because this transaction read first: :class:`ConcurrentWrite`.

    SQLite does not wait (no busy handler) when a transaction that has read tries to write
    while another connection holds the write lock, and can never write when another
    connection committed after its first read (``SQLITE_BUSY_SNAPSHOT``).
    """
    connection = context.connection
    if connection is None or context.statement is None:
        return
    state = connection.info.get(_MANAGED)
    code = getattr(context.original_exception, "sqlite_errorcode", None)
    message = str(context.original_exception)
    busy = code in (5, 517) or "database is locked" in message or "database is busy" in message
    if not busy or state is None or state["write"] or _kind(context.statement) != "write":
        return
    if code == 517 or state["read"]:
        raise ConcurrentWrite(f"SQLite refused the write: {RETRY_RECIPE}") from (
            context.sqlalchemy_exception
        )


def _postgresql_conflict(context: sa.engine.ExceptionContext) -> None:
    code = getattr(context.original_exception, "sqlstate", None)
    if code == "55P03":  # lock_not_available: lock_timeout ran out
        raise DatabaseLocked(
            f"Waited more than {NAME_LOCK_TIMEOUT:g} s for a lock held by another session "
            "(one saving the same name, or editing the same rows). Commit or close that "
            "session (a `with inst.session()` block open in this thread counts too) or try "
            "again later."
        ) from context.sqlalchemy_exception
    if code in _PG_RETRYABLE:
        what = "deadlock" if code == "40P01" else "serialization failure"
        raise ConcurrentWrite(
            f"PostgreSQL aborted the transaction ({what}): another session wrote the same rows "
            "at the same time. Roll back and run the session again (the whole `with "
            "inst.session()` block)."
        ) from context.sqlalchemy_exception


def acquire_write_lock(session: Session) -> None:
    """SQLite: make this session's transaction a write transaction before it reads for a write.

    A deferred transaction that has written nothing yet is replaced by ``BEGIN IMMEDIATE``
    (which waits for other writers under the busy timeout, and reads the newest data). Does
    nothing on PostgreSQL, on connections lamin_registry did not begin (a host's engine), when
    the transaction writes already, or inside a savepoint (the write then takes the lock
    itself, and a conflict raises :class:`ConcurrentWrite`).
    """
    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        return
    connection = session.connection()
    state = connection.info.get(_MANAGED)
    if state is None or state["write"] or state.get("read_only"):
        return  # a read-only engine (using()) refuses the write itself, with a library error
    if session.in_nested_transaction():
        return
    dbapi_connection = connection.connection.dbapi_connection
    if dbapi_connection is not None and getattr(dbapi_connection, "in_transaction", False):
        connection.exec_driver_sql("ROLLBACK")  # read only so far: nothing to lose
    connection.exec_driver_sql("BEGIN IMMEDIATE")


NAME_BUCKETS = 512
"""Names of one table share this many advisory locks. One lock per name ran PostgreSQL out
of lock memory on a bulk save of 100,000 names ("out of shared memory": the lock table holds
``max_locks_per_transaction`` x connections); two names in one bucket only wait for each
other, which costs nothing in correctness."""


def lock_key(table: str, name: str) -> int:
    """A signed 64-bit key for (table, bucket of name), case-folded (Space names are unique
    that way)."""
    table_part = int.from_bytes(hashlib.blake2b(table.encode(), digest_size=4).digest(), "big")
    digest = hashlib.blake2b(name.casefold().encode(), digest_size=8).digest()
    bucket = int.from_bytes(digest, "big") % NAME_BUCKETS
    return (table_part << 16 | bucket) - (1 << 47)


def lock_names(session: Session, table: str, names: Iterable[str]) -> None:
    """Serialise sessions saving the same names in ``table`` until they commit.

    PostgreSQL: transaction-scoped advisory locks, taken in key order (two bulk saves never
    deadlock on each other). SQLite: the database write lock (:func:`acquire_write_lock`).
    """
    bind = session.get_bind()
    if bind.dialect.name == "sqlite":
        acquire_write_lock(session)
        return
    keys = sorted({lock_key(table, name) for name in names})
    if not keys:
        return
    # One statement. The lock wait is bounded (two sessions nested in one thread saving the
    # same name would wait forever): set_config runs per key below the sort, and a sort
    # reads all of its input before the first lock is asked for.
    session.execute(
        sa.text(
            "SELECT count(pg_advisory_xact_lock(k)) FROM "
            "(SELECT k FROM unnest(CAST(:keys AS bigint[])) AS k "
            "WHERE set_config('lock_timeout', :timeout, true) IS NOT NULL ORDER BY k) AS ordered"
        ),
        {"keys": keys, "timeout": f"{int(NAME_LOCK_TIMEOUT * 1000)}ms"},
    )
