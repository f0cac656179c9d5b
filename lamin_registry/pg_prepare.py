"""Server-side prepared statements on PostgreSQL (psycopg 3) for ``get``'s key look-ups only.

lamin_registry's psycopg connections prepare nothing by default
(:func:`~lamin_registry.instance.configure_postgresql_engine`: a generic plan picked for one
filter value serves every other value, the feature-filter trap). A get by primary key, by a
unique column (``uid``) or by an indexed ``name`` has one sensible plan whatever the value --
an index scan -- and runs in loops of thousands, where parsing and planning every call costs
as much as the look-up. Those statements, and only those, are sent prepared: psycopg's
``cursor.execute(sql, params, prepare=True)``, with the connection's threshold raised for that
call alone (psycopg ignores ``prepare=True`` while ``prepare_threshold`` is None, and a
threshold left set would prepare every ``executemany``).

A prepared statement fixes its result columns' types. Row-level security stays exact: the
policies read ``current_setting('lamin_registry.user_id')`` when the statement runs, and
PostgreSQL re-plans a cached statement for another role. Schema changes:

* DDL or a savepoint rollback in the same connection (a migration, ``ALTER TABLE``): psycopg
  forgets its statements when it sees such a command only while preparing is on, so
  :func:`_forget_after_ddl` does it for every statement sent through SQLAlchemy (and sends
  ``DEALLOCATE ALL`` at once); a real ``ROLLBACK`` is psycopg's own business.
* a column type changed by *another* connection: the next prepared get fails in PostgreSQL
  ("cached plan must not change result type") and aborts its transaction; it arrives as
  :class:`~lamin_registry.errors.SchemaOutOfDate`, and the rollback that ends the transaction
  drops the statement (a new transaction prepares it afresh).

psycopg's async connections (the :mod:`~lamin_registry.aio` facade) and other drivers send
the same statements unprepared.
"""

from __future__ import annotations

import re
import sys
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from .errors import SchemaOutOfDate

PREPARE = "lamin_registry_prepare"
"""Execution option of a statement to send prepared (set by ``query/prepared.py``)."""

_NEVER = sys.maxsize  # a threshold no statement count reaches: only prepare=True prepares
_CLEARS = re.compile(r"(?:DROP|ALTER|ROLLBACK|DISCARD ALL|DEALLOCATE ALL)\b")  # psycopg's
_CHANGED_RESULT = "cached plan must not change result type"
_cursor_class: Any = None  # psycopg.Cursor once install() ran


def execute(cursor: Any, sql: str, params: Any) -> bool:
    """Execute ``sql`` prepared on a sync psycopg cursor; False (nothing sent) otherwise."""
    if _cursor_class is None or not isinstance(cursor, _cursor_class):
        return False
    connection = cursor.connection
    threshold = connection.prepare_threshold
    if threshold is None:
        connection.prepare_threshold = _NEVER
    try:
        cursor.execute(sql, params, prepare=True)
    finally:
        if threshold is None:
            connection.prepare_threshold = None
    return True


def install(engine: sa.Engine) -> None:
    """Let ``engine`` (PostgreSQL) send :data:`PREPARE` statements prepared (sync psycopg)."""
    global _cursor_class
    if engine.dialect.driver != "psycopg":
        return
    import psycopg

    _cursor_class = psycopg.Cursor
    event.listen(engine, "do_execute", _do_execute)
    event.listen(engine, "after_cursor_execute", _forget_after_ddl)
    event.listen(engine, "handle_error", _changed_result)


def _do_execute(cursor: Any, statement: str, parameters: Any, context: Any) -> bool | None:
    """The ORM path of a prepared get (the statement carries :data:`PREPARE`)."""
    if context is not None and context.execution_options.get(PREPARE):
        return execute(cursor, statement, parameters) or None
    return None


def _forget_after_ddl(
    connection: sa.Connection, cursor: Any, statement: str, *args: Any
) -> None:
    """Forget the connection's prepared statements after DDL or a savepoint rollback (what
    psycopg does itself only while its threshold is set)."""
    if statement.startswith("SELECT"):  # the look-ups themselves: nothing to check
        return
    driver: Any = connection.connection.driver_connection
    prepared = getattr(driver, "_prepared", None)
    if prepared is None or not prepared._names:
        return
    status = getattr(cursor, "statusmessage", None)
    if status and _CLEARS.match(status) and prepared.clear():
        # DEALLOCATE ALL now: psycopg would send it at the end of the next execute, after
        # that execute prepared a statement afresh (which it would deallocate at once)
        with driver.lock:
            driver.wait(prepared.maintain_gen(driver))


def _changed_result(context: sa.engine.ExceptionContext) -> None:
    error = context.original_exception
    if getattr(error, "sqlstate", None) == "0A000" and _CHANGED_RESULT in str(error):
        raise SchemaOutOfDate(
            "A table's column types changed on the server while this connection held a "
            "prepared look-up of it (a migration run meanwhile?): the look-up failed and "
            "its transaction is aborted. End the session (it rolls back) and run the work "
            "again (the look-up is prepared afresh); restart the process if the mapped "
            "classes no longer match the schema."
        ) from context.sqlalchemy_exception
