"""Rows for every registry table of a database at *any* revision, from reflection alone.

The migration tests (``test_migration_chain.py``, ``test_migration_fixtures.py``) and the
fixture script (``fixtures/make_fixtures.py``) must put data into a schema that is older than
the live models, so nothing here imports ``lamin_registry.models``: tables are reflected
from the database (``sa.MetaData().reflect``), values are generated from the reflected
column types, foreign keys point to rows inserted in the same round, and the few CHECK
constraints of the history get explicit values (``OVERRIDES``). A column type or CHECK
constraint this module does not know raises instead of being skipped, so a later revision
that adds one makes the tests fail until the generator learns it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import uuid
import warnings
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic.script import ScriptDirectory

from lamin_registry import migrate

Key = tuple[Any, ...]
Rows = dict[str, dict[Key, dict[str, Any]]]
"""table name -> primary key -> the full row as read back (column name -> value)."""

REGISTRY_PREFIX = "lamindb_"

# Values that CHECK constraints of the history demand: table -> column -> value. A None here
# also means "do not point this foreign key anywhere" (a user grant, not a team grant).
OVERRIDES: dict[str, dict[str, Any]] = {
    "lamindb_spaceaccess": {"role": "read", "team_id": None},
}

# The CHECK constraints the generator satisfies (through OVERRIDES or by filling every
# column); a new one must be looked at before the tests pass again.
KNOWN_CHECKS = {
    "feature_dtype_str_not_null_when_is_type_false",
    "ck_lamindb_spaceaccess_role_is_known",
    "ck_lamindb_spaceaccess_user_or_team",
}

JSON_VALID_CHECK = re.compile(r"^ck_lamindb_\w+_json_valid_\w+$")

BUILTIN_BRANCHES = [(-1, "trash"), (0, "archive"), (1, "main"), (2, "locked"), (3, "template")]


def history() -> list[str]:
    """Revision ids from the oldest to the head; the history must be one straight line."""
    script = ScriptDirectory(str(migrate.script_location()))
    revisions = list(reversed(list(script.walk_revisions())))
    for older, newer in itertools.pairwise(revisions):
        assert newer.down_revision == older.revision, f"{newer.revision} does not follow {older}"
    assert revisions[0].down_revision is None
    return [revision.revision for revision in revisions]


def sqlite_foreign_keys(engine: sa.Engine) -> sa.Engine:
    """Make every SQLite connection of ``engine`` enforce foreign keys (as lr.connect does)."""
    if engine.dialect.name == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _on(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute("PRAGMA foreign_keys = ON")

    return engine


def reflect(connection: sa.Connection) -> sa.MetaData:
    """The registry tables (``lamindb_*``) as the database has them now: frozen, not the models."""
    metadata = sa.MetaData()
    with warnings.catch_warnings():  # LOWER(name) indexes: not needed to generate rows
        warnings.filterwarnings(
            "ignore", "Skipped unsupported reflection of expression-based index", sa.exc.SAWarning
        )
        metadata.reflect(connection, only=lambda name, _md: name.startswith(REGISTRY_PREFIX))
    return metadata


def check_constraint_names(connection: sa.Connection, metadata: sa.MetaData) -> set[str]:
    inspector = sa.inspect(connection)
    return {
        str(check["name"])
        for table in metadata.tables.values()
        for check in inspector.get_check_constraints(table.name)
    }


def _primary_key(table: sa.Table) -> list[sa.Column[Any]]:
    return list(table.primary_key.columns)


def _is_generated(table: sa.Table, column: sa.Column[Any], dialect: str) -> bool:
    """Whether the database assigns ``column`` (a single integer primary key)."""
    pk = _primary_key(table)
    if pk != [column] or not isinstance(column.type, sa.Integer):
        return False
    return dialect == "sqlite" or column.server_default is not None or column.identity is not None


def insertion_order(metadata: sa.MetaData) -> list[tuple[sa.Table, set[str]]]:
    """Tables in an order rows can be inserted, each with the key columns to set later.

    A table goes next once every table it refers to is in; when only cycles are left
    (records -> run -> artifact -> run), the next is one whose NOT NULL keys are satisfied,
    and its nullable keys to tables not yet in are set by an UPDATE afterwards. Keys to the
    table itself are always set afterwards.
    """
    pending = sorted(metadata.tables.values(), key=lambda table: table.name)
    done: set[str] = set()
    order: list[tuple[sa.Table, set[str]]] = []

    def missing(table: sa.Table, nullable: bool) -> set[str]:
        return {
            column.name
            for fkc in table.foreign_key_constraints
            for column in fkc.columns
            if fkc.referred_table.name not in done and fkc.referred_table is not table
            and (nullable or not column.nullable)
        }

    while pending:
        table = next((t for t in pending if not missing(t, nullable=True)), None)
        if table is None:
            table = next((t for t in pending if not missing(t, nullable=False)), None)
        if table is None:
            raise AssertionError(
                f"no insertion order: NOT NULL foreign keys form a cycle among "
                f"{[t.name for t in pending]}"
            )
        later = missing(table, nullable=True) | {
            column.name
            for fkc in table.foreign_key_constraints
            for column in fkc.columns
            if fkc.referred_table is table
        }
        order.append((table, later))
        done.add(table.name)
        pending.remove(table)
    return order


def value_for(column: sa.Column[Any], n: int) -> Any:
    """A value of ``column``'s type, unique per ``n`` (a counter over the whole test)."""
    type_ = column.type
    if isinstance(type_, sa.Boolean):
        return n % 2 == 0
    if isinstance(type_, sa.Integer):
        return n
    if isinstance(type_, sa.Float | sa.Numeric):
        return n + 0.5
    if isinstance(type_, sa.DateTime):
        moment = dt.datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=dt.UTC) + dt.timedelta(hours=n)
        return moment if type_.timezone else moment.replace(tzinfo=None)
    if isinstance(type_, sa.Date):
        return dt.date(2024, 1, 1) + dt.timedelta(days=n)
    if isinstance(type_, sa.JSON):
        return {"n": n, "items": [1, "two", None, {"nested": True}], "text": "ünïcode"}
    if isinstance(type_, sa.Uuid):
        return uuid.UUID(int=n)
    if isinstance(type_, sa.LargeBinary):
        return n.to_bytes(4, "big")
    if isinstance(type_, sa.String):  # Text, VARCHAR, CHAR
        text = f"{column.name[:3]}{n}"
        length = type_.length
        if length is not None and len(text) > length:
            text = str(n)[-length:]
        return text
    raise TypeError(
        f"migration_data cannot generate a value for {column.table.name}.{column.name} "
        f"of type {type_!r}: teach value_for() this type"
    )


class RowMaker:
    """Inserts one row into every registry table per :meth:`insert_round`.

    Foreign keys point at the rows of the same round, so composite uniques of link tables
    stay unique across rounds; keys that close a cycle (run <-> artifact) or refer to their
    own table are inserted as NULL and set by an UPDATE once the referred row exists.
    """

    def __init__(self, start: int = 1000) -> None:
        self.counter = start

    def _next(self) -> int:
        self.counter += 1
        return self.counter

    def insert_round(self, connection: sa.Connection, metadata: sa.MetaData) -> dict[str, Key]:
        """One new row in every table of ``metadata``; returns table name -> its primary key."""
        checks = check_constraint_names(connection, metadata)
        unknown = {
            name for name in checks - KNOWN_CHECKS
            if not JSON_VALID_CHECK.match(name)  # 0006, SQLite: satisfied by any JSON value
        }
        json_text = {  # "table.column" that SQLite declares TEXT with a JSON_VALID check
            name.removeprefix("ck_").replace("_json_valid_", ".", 1)
            for name in checks if JSON_VALID_CHECK.match(name)
        }
        if unknown:
            raise AssertionError(
                f"CHECK constraints migration_data does not know: {sorted(unknown)}; "
                "add values satisfying them to OVERRIDES and their names to KNOWN_CHECKS"
            )
        dialect = connection.dialect.name
        inserted: dict[str, dict[str, Any]] = {}  # table -> the new row's values
        keys: dict[str, Key] = {}
        later: list[tuple[sa.Table, str, sa.ForeignKeyConstraint]] = []
        for table, deferred in insertion_order(metadata):
            overrides = OVERRIDES.get(table.name, {})
            values: dict[str, Any] = {}
            for column in table.columns:
                if column.name in overrides:
                    values[column.name] = overrides[column.name]
                elif f"{table.name}.{column.name}" in json_text:
                    values[column.name] = json.dumps(value_for(column, self._next()))
                elif not column.foreign_keys and not _is_generated(table, column, dialect):
                    values[column.name] = value_for(column, self._next())
            for fkc in table.foreign_key_constraints:
                if len(fkc.columns) != 1:
                    raise AssertionError(f"composite foreign key {fkc.name} on {table.name}")
                (column,) = fkc.columns
                (element,) = fkc.elements
                if column.name in overrides:
                    continue
                if column.name in deferred:
                    values[column.name] = None
                    later.append((table, column.name, fkc))
                else:
                    referred = element.column.table.name
                    values[column.name] = inserted[referred][element.column.name]
            result = connection.execute(table.insert().values(values))
            key = tuple(result.inserted_primary_key or ())
            for column, value in zip(_primary_key(table), key, strict=True):
                values[column.name] = value
            inserted[table.name] = values
            keys[table.name] = key
        for table, column_name, fkc in later:
            (element,) = fkc.elements
            target = inserted[element.column.table.name][element.column.name]
            connection.execute(
                table.update().where(*_key_clause(table, keys[table.name]))
                .values({column_name: target})
            )
        return keys


def _key_clause(table: sa.Table, key: Key) -> Iterator[sa.ColumnElement[bool]]:
    for column, value in zip(_primary_key(table), key, strict=True):
        yield column == value


def read_rows(connection: sa.Connection, metadata: sa.MetaData) -> Rows:
    """Every row of every table of ``metadata``, keyed by primary key."""
    rows: Rows = {}
    for table in metadata.tables.values():
        pk = _primary_key(table)
        rows[table.name] = {
            tuple(row[column.name] for column in pk): dict(row)
            for row in connection.execute(sa.select(table)).mappings()
        }
    return rows


# Columns a later revision adds to an existing table, with the value old rows must get:
# "table.column" -> value. A new column missing here fails assert_rows_preserved.
ANY_VALUE = object()  # an added column whose old rows get a server default like now()

ADDED_COLUMN_DEFAULTS: dict[str, Any] = {
    "lamindb_schemacomponent.created_at": ANY_VALUE,
    "lamindb_schemacomponent.created_by_id": 1,
    "lamindb_schemacomponent.run_id": None,
}


def _json_text(value: Any) -> Any:
    """A JSON column read back as its text (SQLite declares JSON ``TEXT`` since 0006)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _same_row(now: dict[str, Any], before: dict[str, Any]) -> bool:
    """Equal, counting JSON text and the value it holds as the same (reflection reads a
    ``JSON`` column as values, a ``TEXT`` one as text)."""
    if now == before:
        return True
    return now.keys() == before.keys() and all(
        now[name] == before[name] or _json_text(now[name]) == _json_text(before[name])
        for name in now
    )


def assert_rows_preserved(before: Rows, after: Rows, where: str) -> None:
    """Each table of ``before`` that still exists holds exactly the same rows.

    Columns that existed before must hold the same values; columns added since must hold
    the default listed in ``ADDED_COLUMN_DEFAULTS``.
    """
    for table, rows in before.items():
        if table not in after:
            continue
        now = after[table]
        assert set(now) == set(rows), (
            f"{where}: {table} lost or gained rows: before {sorted(rows)}, now {sorted(now)}"
        )
        for key, row in rows.items():
            kept = {name: value for name, value in now[key].items() if name in row}
            # a downgrade may drop columns (listed in cli_setup.DATA_DROPPED)
            old = {name: value for name, value in row.items() if name in now[key]}
            assert _same_row(kept, old), f"{where}: {table} row {key} changed: {row} -> {now[key]}"
            for name in set(now[key]) - set(row):
                qualified = f"{table}.{name}"
                assert qualified in ADDED_COLUMN_DEFAULTS, (
                    f"{where}: new column {qualified}: add the value old rows get to "
                    "ADDED_COLUMN_DEFAULTS"
                )
                expected = ADDED_COLUMN_DEFAULTS[qualified]
                assert expected is ANY_VALUE or now[key][name] == expected, (
                    f"{where}: {qualified} of old row {key} is {now[key][name]!r}"
                )


def seed_builtin(connection: sa.Connection, handle: str = "alice") -> None:
    """The rows lr.connect seeds (space 1, user 1, branches -1..3), written with plain SQL.

    Fixtures need them so that opening a fixture with lr.connect adds nothing.
    """
    connection.execute(
        sa.text("INSERT INTO lamindb_user (id, uid, handle, name) VALUES (1, :uid, :h, :h)"),
        {"uid": "00000001", "h": handle},
    )
    connection.execute(sa.text(
        "INSERT INTO lamindb_space (id, uid, name, description, created_by_id) "
        "VALUES (1, 'aaaaaaaaaaaa', 'all', 'Every team & user with access to the instance "
        "has access.', 1)"
    ))
    for code, name in BUILTIN_BRANCHES:
        connection.execute(
            sa.text(
                "INSERT INTO lamindb_branch (id, uid, name, space_id, created_by_id) "
                "VALUES (:id, :uid, :name, 1, 1)"
            ),
            {"id": code, "uid": f"{'a' * 11}{code + 1}", "name": name},
        )
    fix_sequences(connection)


def fix_sequences(connection: sa.Connection) -> None:
    """PostgreSQL: move each ``id`` sequence past the largest id (rows copied with ids)."""
    if connection.dialect.name != "postgresql":
        return
    serial = connection.execute(sa.text(
        "SELECT table_name FROM information_schema.columns WHERE column_name = 'id' "
        "AND column_default LIKE 'nextval%' AND table_name LIKE 'lamindb\\_%'"
    )).scalars().all()
    for name in serial:
        connection.execute(sa.text(
            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
            f"GREATEST((SELECT max(id) FROM {name}), 1))"
        ))


def copy_rows(rows: Rows, source: sa.MetaData, connection: sa.Connection) -> None:
    """Write ``rows`` (read from another database at the same revision) into ``connection``.

    Keys closing a cycle go in as NULL first and are set once every row exists.
    """
    target = reflect(connection)
    if set(target.tables) != set(source.tables):
        raise AssertionError("copy_rows: the two databases are not at the same revision")
    ordered = insertion_order(target)
    deferred = {(table.name, name) for table, later in ordered for name in later}
    for table, _later in ordered:
        if not rows.get(table.name):
            continue
        values = [
            {name: (None if (table.name, name) in deferred else value)
             for name, value in row.items()}
            for row in rows[table.name].values()
        ]
        connection.execute(table.insert(), values)
    for table_name, column_name in sorted(deferred):
        table = target.tables[table_name]
        for key, row in rows.get(table_name, {}).items():
            if row[column_name] is not None:
                connection.execute(
                    table.update().where(*_key_clause(table, key))
                    .values({column_name: row[column_name]})
                )
    fix_sequences(connection)
