"""Databases written by released versions upgrade to head with every row intact.

``tests/fixtures/schema_<revision>.db`` are SQLite files created at one released revision
with data in every table (``fixtures/make_fixtures.py``; one per released schema). On SQLite
a test works on a copy of the file; on PostgreSQL a database is migrated to the fixture's
revision and the fixture's rows are copied into it, so the same data is upgraded there too.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import pg_admin_url
from migration_data import Rows, assert_rows_preserved, copy_rows, history, read_rows, reflect

import lamin_registry as lr
from lamin_registry import migrate
from lamin_registry.errors import SchemaOutOfDate

pytestmark = pytest.mark.system  # a step of its own in scripts/test.sh (default suite < 10 min)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
Load = Callable[[str], "Loaded"]


@dataclass
class Loaded:
    """A database holding a fixture's data at the fixture's revision."""

    url: str
    revision: str
    rows: Rows  # as read back from this database before any upgrade


def fixture_file(revision: str) -> Path:
    return FIXTURES / f"schema_{revision}.db"


_SCHEMAS: dict[tuple[str, str | None], sa.MetaData] = {}
"""(dialect, revision) -> the reflected registry tables: a revision's schema never changes."""


def read(url: str) -> Rows:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            key = (connection.dialect.name, migrate.current(connection))
            if key not in _SCHEMAS:
                _SCHEMAS[key] = reflect(connection)
            return read_rows(connection, _SCHEMAS[key])
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def pg_templates() -> Iterator[dict[str, str]]:
    """PostgreSQL: revision -> a template database holding that fixture (made on first use).

    Migrating to the old revision and copying the rows costs seconds; ``CREATE DATABASE ...
    TEMPLATE`` clones the result for each test instead.
    """
    templates: dict[str, str] = {}
    yield templates
    if templates:
        admin = sa.create_engine(pg_admin_url(), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                for name in templates.values():
                    connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            admin.dispose()


def _fill_from_fixture(url: str, revision: str) -> None:
    """Migrate the empty PostgreSQL database ``url`` to ``revision`` and copy the rows in."""
    migrate.upgrade(url, revision)
    engine = sa.create_engine(f"sqlite:///{fixture_file(revision)}", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            tables = reflect(connection)
            rows = read_rows(connection, tables)
    finally:
        engine.dispose()
    target = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with target.begin() as connection:
            copy_rows(rows, tables, connection)
    finally:
        target.dispose()


@pytest.fixture
def load(fresh_url: str, backend: str, pg_templates: dict[str, str]) -> Load:
    """``load(revision)``: the fixture of ``revision`` in a fresh database of the backend."""

    def loader(revision: str) -> Loaded:
        if backend == "sqlite":
            shutil.copyfile(fixture_file(revision), sa.make_url(fresh_url).database or "")
        else:
            url = sa.make_url(fresh_url)
            if revision not in pg_templates:
                template = f"lr_fixture_{revision}_{uuid.uuid4().hex[:8]}"
                _create_database(template)
                _fill_from_fixture(url.set(database=template).render_as_string(False), revision)
                pg_templates[revision] = template
            _create_database(str(url.database), template=pg_templates[revision])
        assert migrate.current(fresh_url) == revision
        return Loaded(fresh_url, revision, read(fresh_url))

    return loader


def _create_database(name: str, template: str | None = None) -> None:
    """(Re)create the PostgreSQL database ``name``, as a copy of ``template`` if given."""
    admin = sa.create_engine(pg_admin_url(), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            suffix = f' TEMPLATE "{template}"' if template else ""
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"{suffix}')
    finally:
        admin.dispose()


def test_every_released_revision_has_a_fixture() -> None:
    """The policy: a revision is released together with the fixture of its schema."""
    have = sorted(path.name for path in FIXTURES.glob("schema_*.db"))
    want = sorted(f"schema_{revision}.db" for revision in history())
    assert have == want, (
        "run `.venv/bin/python tests/fixtures/make_fixtures.py` for the new revision and "
        "commit the file it writes"
    )
    for path in FIXTURES.glob("schema_*.db"):
        # 0007_blocks added 13 tables (~125 indexes, a page each at least): 604 KiB
        assert path.stat().st_size < 700_000, f"{path.name} is too large for the repository"


@pytest.mark.parametrize("revision", history())
def test_fixture_upgrades_to_head_with_every_row(revision: str, load: Load) -> None:
    loaded = load(revision)
    empty = sorted(table for table, rows in loaded.rows.items() if not rows)
    assert not empty, f"the fixture has empty tables: {empty}"
    assert len(loaded.rows) > 60
    if revision != migrate.head():
        refuses_without_migrating(loaded)
    migrate.upgrade(loaded.url)
    assert migrate.current(loaded.url) == migrate.head()
    assert_rows_preserved(loaded.rows, read(loaded.url), f"{revision} -> head")
    assert migrate.check(loaded.url) is None


def refuses_without_migrating(loaded: Loaded) -> None:
    """``connect(migrate=False)`` names the command to run and changes nothing."""
    with pytest.raises(SchemaOutOfDate) as excinfo:
        lr.connect(loaded.url, user="alice", migrate=False)
    message = str(excinfo.value)
    assert loaded.revision in message and migrate.head() in message
    assert "upgrade" in message and "lr.migrate.upgrade" in message
    assert migrate.current(loaded.url) == loaded.revision  # no upgrade, no seeding
    assert read(loaded.url) == loaded.rows
    with pytest.raises(SchemaOutOfDate, match=loaded.revision):
        migrate.check(loaded.url)


@pytest.mark.parametrize("revision", history())
def test_fixture_opens_with_connect(revision: str, load: Load, backend: str) -> None:
    """``lr.connect`` upgrades it, seeds nothing new, and the old rows work through the API."""
    loaded = load(revision)
    inst = lr.connect(loaded.url, user="alice")
    try:
        assert migrate.current(inst.engine) == migrate.head()
        assert migrate.check(inst.engine) is None
        assert_rows_preserved(loaded.rows, read(loaded.url), f"{revision} -> connect")
        with inst.session() as repo:
            assert repo.get(lr.ULabel, name="B cell").uid == "ulab0001"
            found = repo.search(lr.ULabel, "T cel")
            assert found[0].name == "T cell"
            assert "CD8-positive, alpha-beta T cell" in [record.name for record in found]
            assert [r.name for r in repo.search(lr.ULabel, "monocyet")] == ["monocyte"]
            new = repo.save(lr.ULabel(name="written after the upgrade"))
            assert new.id not in {key[0] for key in loaded.rows["lamindb_ulabel"]}
        if backend == "sqlite":  # the FTS5 index holds the rows written before it existed
            with inst.engine.connect() as connection:
                indexed = connection.exec_driver_sql(
                    "SELECT rowid FROM lamin_registry_search_ulabel "
                    "WHERE lamin_registry_search_ulabel MATCH '\"cell\"' ORDER BY rowid"
                ).scalars().all()
            old_ids = {
                key[0] for key, row in loaded.rows["lamindb_ulabel"].items()
                if "cell" in row["name"]
            }
            assert old_ids and old_ids <= set(indexed)
    finally:
        inst.close()
