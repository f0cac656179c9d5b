"""Walk the whole migration history one step at a time with rows in every table.

At each revision every registry table that exists there gets a new row (values generated
from the *reflected* table, never the live models: see ``migration_data``). Each step up is
followed by a step down and up again, and after every step each earlier row must read back
identically. At the head the history must be the models' schema (``check``), and the walk
then goes down to base, still checking the rows of the tables that remain.
"""

from __future__ import annotations

import io
import sqlite3

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from migration_data import RowMaker, Rows, assert_rows_preserved, history, read_rows, reflect
from migration_data import sqlite_foreign_keys as with_foreign_keys

from lamin_registry import migrate
from lamin_registry.errors import LaminRegistryError
from lamin_registry.models import metadata

pytestmark = pytest.mark.system  # a step of its own in scripts/test.sh (default suite < 10 min)


def test_history_is_linear_and_ends_at_head() -> None:
    revisions = history()
    assert revisions[0] == "0001_baseline"
    assert revisions[-1] == migrate.head()
    assert len(set(revisions)) == len(revisions) >= 3


def test_every_step_up_and_down_keeps_every_row(fresh_url: str, backend: str) -> None:
    engine = with_foreign_keys(sa.create_engine(fresh_url, poolclass=sa.pool.NullPool))
    schemas: dict[str | None, sa.MetaData] = {}  # revision -> its reflected registry tables

    def snapshot(revision: str | None) -> Rows:
        assert migrate.current(engine) == revision
        with engine.connect() as connection:
            if revision not in schemas:
                schemas[revision] = reflect(connection)
            return read_rows(connection, schemas[revision])

    def step(to: str | None, expected: Rows, what: str) -> Rows:
        if what.startswith("downgrade"):
            migrate.downgrade(engine, to or "base")
        else:
            assert to is not None
            migrate.upgrade(engine, to)
        rows = snapshot(to)
        assert_rows_preserved(expected, rows, what)
        return rows

    revisions = history()
    maker = RowMaker()
    expected: Rows = {}
    previous: str | None = None
    filled: set[str] = set()
    try:
        for revision in revisions:
            step(revision, expected, f"upgrade {previous} -> {revision}")
            if previous is not None:
                step(previous, expected, f"downgrade {revision} -> {previous}")
                step(revision, expected, f"re-upgrade {previous} -> {revision}")
            tables = schemas[revision]
            assert tables.tables, f"no registry tables at {revision}"
            with engine.begin() as connection:
                new_keys = maker.insert_round(connection, tables)
            assert set(new_keys) == set(tables.tables)
            expected = snapshot(revision)
            empty = sorted(name for name, table_rows in expected.items() if not table_rows)
            assert not empty, f"tables without a row at {revision}: {empty}"
            for name, key in new_keys.items():
                assert key in expected[name], f"{name} row {key} inserted at {revision} is gone"
            filled |= set(tables.tables)
            previous = revision

        shipped = {name for name in metadata.tables if name.startswith("lamindb_")}
        assert filled == shipped  # every table of the models got rows on the way
        assert migrate.check(engine) is None  # the head, with data, is the models' schema

        for revision, older in zip(
            reversed(revisions), [*reversed(revisions[:-1]), None], strict=True
        ):
            expected = step(older, expected, f"downgrade {revision} -> {older}")
        assert expected == {}
        with engine.connect() as connection:
            left = [name for name in sa.inspect(connection).get_table_names()
                    if name.startswith(("lamindb_", "lamin_registry_search"))]
        assert left == []
    finally:
        engine.dispose()


def test_row_comparison_notices_every_kind_of_loss() -> None:
    """The checker the walk relies on fails on a lost, gained, changed or unexplained column."""
    before: Rows = {"lamindb_x": {(1,): {"id": 1, "name": "a"}}}
    assert_rows_preserved(before, {"lamindb_x": {(1,): {"id": 1, "name": "a"}}}, "same")
    assert_rows_preserved(before, {}, "table dropped by a downgrade")
    for after in (
        {"lamindb_x": {}},
        {"lamindb_x": {(1,): {"id": 1, "name": "a"}, (2,): {"id": 2, "name": "b"}}},
        {"lamindb_x": {(1,): {"id": 1, "name": "A"}}},
        {"lamindb_x": {(1,): {"id": 1, "name": "a", "colour": None}}},
    ):
        with pytest.raises(AssertionError):
            assert_rows_preserved(before, after, "broken")


def test_migrating_a_connection_keeps_foreign_keys_enforced(fresh_url: str) -> None:
    """SQLite migrations suspend enforcement (see migrate.py) and must switch it back on."""
    engine = with_foreign_keys(sa.create_engine(fresh_url, poolclass=sa.pool.NullPool))
    dangling = (
        "INSERT INTO lamindb_space (uid, name, created_by_id) VALUES ('zzzzzzzzzzzz', 'z', 999)"
    )
    try:
        with engine.connect() as connection:
            migrate.upgrade(connection, "0001_baseline")
            migrate.upgrade(connection)
            assert not connection.in_transaction()  # committed by the upgrade
            with pytest.raises(sa.exc.IntegrityError):
                connection.exec_driver_sql(dangling)
            connection.rollback()
        assert migrate.current(fresh_url) == migrate.head()
    finally:
        engine.dispose()


def test_a_migration_never_commits_dangling_keys(fresh_url: str, backend: str) -> None:
    """A SQLite file whose keys already point nowhere is not migrated further (rolled back)."""
    migrate.upgrade(fresh_url, "0002_access")
    engine = sa.create_engine(fresh_url, poolclass=sa.pool.NullPool)  # enforcement off
    try:
        insert = sa.text(
            "INSERT INTO lamindb_space (id, uid, name, created_by_id) "
            "VALUES (7, 'zzzzzzzzzzzz', 'z', 999)"
        )
        if backend == "postgresql":  # the server never lets such a row in
            with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
                connection.execute(insert)
            return
        with engine.begin() as connection:
            connection.execute(insert)
        checked = with_foreign_keys(sa.create_engine(fresh_url, poolclass=sa.pool.NullPool))
        try:
            with pytest.raises(LaminRegistryError, match=r"lamindb_space row 7 -> lamindb_user"):
                migrate.upgrade(checked)
            assert migrate.current(checked) == "0002_access"
        finally:
            checked.dispose()
    finally:
        engine.dispose()


def test_offline_sql_builds_the_same_schema(
    fresh_url: str, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The `upgrade head --sql` script, run by hand, gives a database `check` finds clean."""
    monkeypatch.setenv("LAMIN_REGISTRY_URL", fresh_url)
    buffer = io.StringIO()
    config = Config(output_buffer=buffer)
    config.set_main_option("script_location", str(migrate.script_location()))
    command.upgrade(config, "head", sql=True)
    script = buffer.getvalue()
    assert script.startswith("BEGIN;") and script.rstrip().endswith("COMMIT;")
    assert migrate.current(fresh_url) is None  # offline: nothing ran yet
    if backend == "sqlite":
        database = sqlite3.connect(sa.make_url(fresh_url).database or "")
        try:
            database.executescript(script)
        finally:
            database.close()
    else:
        engine = sa.create_engine(fresh_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql(script)
        finally:
            engine.dispose()
    assert migrate.current(fresh_url) == migrate.head()
    assert migrate.check(fresh_url) is None
