"""Migrations against real SQLite files and a real PostgreSQL server.

A fresh database built by the Alembic history must be exactly the models' schema, on both
backends; the history must leave a host application's tables alone; ``check`` must say what
is wrong. PostgreSQL comes from ``$LAMIN_REGISTRY_TEST_PG_URL`` (a role that may CREATE
DATABASE), else the local test server of ``scripts/pg.sh``; if it cannot be reached the
PostgreSQL cases fail, they are never skipped (``LAMIN_REGISTRY_TEST_BACKENDS=sqlite``
leaves them out on purpose, as in the rest of the suite).
"""

from __future__ import annotations

import ast
import io
import os
import secrets
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

from lamin_registry import migrate
from lamin_registry.errors import InvalidArgument, LaminRegistryError, SchemaOutOfDate
from lamin_registry.models import metadata

REPO_ROOT = Path(__file__).resolve().parent.parent
LOCAL_PG_URL = "postgresql+psycopg://lamin:lamin@127.0.0.1:54329/lamin_registry_test"
BACKENDS = [
    name.strip()
    for name in os.environ.get("LAMIN_REGISTRY_TEST_BACKENDS", "sqlite,postgresql").split(",")
    if name.strip()
]


# -- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pg_admin() -> Iterator[sa.Engine]:
    """An AUTOCOMMIT engine on the PostgreSQL server that may CREATE DATABASE."""
    url = os.environ.get("LAMIN_REGISTRY_TEST_PG_URL") or LOCAL_PG_URL
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as exc:
        engine.dispose()
        pytest.fail(
            f"PostgreSQL at {engine.url.render_as_string(hide_password=True)} is not reachable "
            f"({exc.orig}): start it with `bash scripts/pg.sh start` or set "
            "LAMIN_REGISTRY_TEST_PG_URL"
        )
    yield engine
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """``"sqlite"`` or ``"postgresql"``."""
    return str(request.param)


@pytest.fixture
def empty_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of a new, empty database: a SQLite file, or a PostgreSQL database of its own."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'registry.db'}"
        return
    admin: sa.Engine = request.getfixturevalue("pg_admin")
    name = f"lr_mig_{secrets.token_hex(6)}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def engine(empty_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(empty_url, poolclass=sa.pool.NullPool)
    yield engine
    engine.dispose()


@pytest.fixture(autouse=True)
def only_shipped_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hide registries other tests define (``myapp_*``): the history ships lamindb_ tables only."""
    own = {key: table for key, table in metadata.tables.items() if key.startswith("lamindb_")}
    if len(own) != len(metadata.tables):
        monkeypatch.setattr(metadata, "tables", own)


def lamindb_tables(engine: sa.Engine) -> set[str]:
    return {name for name in sa.inspect(engine).get_table_names() if name.startswith("lamindb_")}


def differences(engine: sa.Engine) -> list[object]:
    """``compare_metadata`` with lamin_registry's filters and type comparison."""
    with engine.connect() as connection, warnings.catch_warnings():
        # SQLite cannot reflect expression indexes (lower(name)); check() looks them up by name
        warnings.filterwarnings("ignore", message=".*expression-based index")
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": migrate.compare_type,
                "include_name": migrate.include_name,
                "include_object": migrate.include_object,
            },
        )
        return list(compare_metadata(context, metadata))


# -- a fresh database is the models' schema ---------------------------------------------------


def test_upgrade_empty_database_gives_models_schema(engine: sa.Engine) -> None:
    assert migrate.current(engine) is None
    migrate.upgrade(engine)
    assert migrate.current(engine) == migrate.head()
    assert migrate.head().startswith("00")
    assert differences(engine) == []
    assert migrate.check(engine) is None
    tables = set(sa.inspect(engine).get_table_names())
    assert lamindb_tables(engine) == set(metadata.tables)
    assert migrate.VERSION_TABLE == "lamin_registry_alembic_version"
    search_tables = {name for name in tables if name.startswith("lamin_registry_search_")}
    assert tables - lamindb_tables(engine) - search_tables == {"lamin_registry_alembic_version"}
    # the functional unique index exists on both backends
    with engine.connect() as connection:
        connection.exec_driver_sql(
            "INSERT INTO lamindb_space (uid, name) VALUES ('aaaaaaaaaaaa', 'Lab')"
        )
        with pytest.raises(sa.exc.IntegrityError):
            connection.exec_driver_sql(
                "INSERT INTO lamindb_space (uid, name) VALUES ('bbbbbbbbbbbb', 'LAB')"
            )


def test_downgrade_to_base_leaves_host_tables(empty_url: str, engine: sa.Engine) -> None:
    """Upgrade, check and downgrade touch only lamin_registry's tables and version table."""
    host = sa.MetaData()
    experiment = sa.Table(
        "myapp_experiment", host, sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(50)),
    )
    host_version = sa.Table(  # the host's own Alembic history
        "alembic_version", host, sa.Column("version_num", sa.String(32), primary_key=True)
    )
    host.create_all(engine)
    with engine.begin() as connection:
        connection.execute(experiment.insert().values(name="x"))
        connection.execute(host_version.insert().values(version_num="host_rev_1"))

    migrate.upgrade(engine)
    # a host table holding a foreign key to a registry is not the registry's business either
    ulabel_link = sa.Table(
        "myapp_labelled", host, sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ulabel_id", sa.Integer, sa.ForeignKey(metadata.tables["lamindb_ulabel"].c.id)),
    )
    ulabel_link.create(engine)
    assert migrate.check(engine) is None
    ulabel_link.drop(engine)
    migrate.downgrade(engine, "base")

    assert lamindb_tables(engine) == set()
    assert migrate.current(engine) is None
    with engine.connect() as connection:
        assert connection.execute(sa.select(experiment.c.name)).scalars().all() == ["x"]
        assert connection.execute(sa.select(host_version.c.version_num)).scalar() == "host_rev_1"

    migrate.upgrade(empty_url)  # and up again, from a URL this time
    assert migrate.current(empty_url) == migrate.head()
    assert lamindb_tables(engine) == set(metadata.tables)


# -- check says what is wrong ---------------------------------------------------------------------


def test_check_raises_when_behind(empty_url: str) -> None:
    with pytest.raises(SchemaOutOfDate) as excinfo:
        migrate.check(empty_url)
    message = str(excinfo.value)
    assert "lamin-registry upgrade" in message
    assert "alembic upgrade head" in message
    assert migrate.head() in message


def test_check_reports_drift(engine: sa.Engine) -> None:
    with engine.connect() as connection:  # not in a transaction: the upgrade commits itself
        migrate.upgrade(connection)
        assert not connection.closed
    assert migrate.current(engine) == migrate.head()
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP INDEX ix_lamindb_ulabel_name")
        connection.exec_driver_sql("ALTER TABLE lamindb_ulabel ADD COLUMN colour VARCHAR(20)")
        connection.exec_driver_sql("DROP INDEX unique_space_name_lower")
        connection.exec_driver_sql("DROP INDEX ix_lamindb_recordjson_feature_id_number_record_id")
    with pytest.raises(SchemaOutOfDate) as excinfo:
        migrate.check(engine)
    message = str(excinfo.value)
    assert "ix_lamindb_ulabel_name" in message
    assert "lamindb_ulabel.colour" in message
    assert "unique_space_name_lower" in message  # SQLite cannot reflect it: checked by name
    # PostgreSQL prints its CASE differently from the declaration: checked by name there too
    number_index = "ix_lamindb_recordjson_feature_id_number_record_id on lamindb_recordjson"
    assert f"{number_index} is missing" in message


def test_check_reports_a_column_removed_by_hand(engine: sa.Engine) -> None:
    migrate.upgrade(engine)
    assert migrate.check(engine) is None
    with engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE lamindb_ulabel DROP COLUMN description")
    with pytest.raises(SchemaOutOfDate) as excinfo:
        migrate.check(engine)
    assert "column lamindb_ulabel.description is missing from the database" in str(excinfo.value)


# -- transactions, errors -----------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["postgresql"] if "postgresql" in BACKENDS else [])
def test_connection_in_callers_transaction_is_not_committed(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        connection.begin()
        migrate.upgrade(connection)
        assert migrate.current(connection) == migrate.head()
        connection.rollback()  # transactional DDL: the caller decides
    assert migrate.current(engine) is None
    assert lamindb_tables(engine) == set()


def test_bad_revision_and_unreachable_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    with pytest.raises(InvalidArgument, match="nope"):
        migrate.upgrade(url, "nope")
    with pytest.raises(InvalidArgument, match="nope"):
        migrate.downgrade(url, "nope")
    with pytest.raises(LaminRegistryError, match="Cannot connect"):
        migrate.current("postgresql+psycopg://nobody:secret@127.0.0.1:1/nothing")
    with pytest.raises(InvalidArgument):
        migrate.upgrade("not a url")


# -- the migration scripts themselves ---------------------------------------------------------


@pytest.mark.parametrize("url", ["sqlite:///never_created.db", "postgresql+psycopg://x@nohost/x"])
def test_offline_sql(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMIN_REGISTRY_URL", url)
    buffer = io.StringIO()
    config = Config(output_buffer=buffer)
    config.set_main_option("script_location", str(migrate.script_location()))
    command.upgrade(config, "head", sql=True)
    sql = buffer.getvalue()
    assert "CREATE TABLE lamindb_ulabel" in sql
    assert "CREATE UNIQUE INDEX unique_space_name_lower ON lamindb_space (lower(name))" in sql
    assert "CREATE TABLE lamin_registry_alembic_version" in sql
    cycle_fk = "ADD CONSTRAINT fk_lamindb_run_report_id FOREIGN KEY(report_id)"
    if url.startswith("sqlite"):
        assert cycle_fk not in sql
        assert "CONSTRAINT fk_lamindb_run_report_id FOREIGN KEY(report_id)" in sql
        assert not (REPO_ROOT / "never_created.db").exists()
    else:
        assert cycle_fk in sql
        assert "JSONB" in sql

    for table in metadata.tables:  # every registry table of the models, on both dialects
        assert f"CREATE TABLE {table} (" in sql, table
    first = "INSERT INTO lamin_registry_alembic_version (version_num) VALUES ('0001_baseline')"
    assert first in sql
    assert f"SET version_num='{migrate.head()}'" in sql  # each later step moves the version
    if url.startswith("sqlite"):
        assert "USING fts5(name, content='lamindb_ulabel'" in sql  # 0003 on SQLite
    else:
        assert "ENABLE ROW LEVEL SECURITY" in sql  # 0002 on PostgreSQL
        assert "gin_trgm_ops" in sql  # 0003 on PostgreSQL

    buffer.seek(0)
    buffer.truncate()
    command.downgrade(config, "0001_baseline:base", sql=True)
    sql = buffer.getvalue()
    assert "DROP TABLE lamindb_run;" in sql
    if not url.startswith("sqlite"):
        assert sql.index("DROP CONSTRAINT fk_lamindb_run_report_id") < sql.index(
            "DROP TABLE lamindb_artifact;"
        )

    buffer.seek(0)
    buffer.truncate()
    command.downgrade(config, f"{migrate.head()}:base", sql=True)  # the whole way down
    sql = buffer.getvalue()
    assert sql.index("DROP INDEX ix_lamindb_ulabel_name_trgm") < sql.index(
        "DROP TABLE lamindb_spaceaccess;"
    ) < sql.index("DROP TABLE lamindb_user;")
    assert "DELETE FROM lamin_registry_alembic_version WHERE" in sql


@pytest.mark.parametrize("url", ["sqlite:///never_created.db", "postgresql+psycopg://x@nohost/x"])
def test_alembic_command_line_offline_sql(url: str) -> None:
    """`alembic upgrade head --sql` prints the whole history's SQL and touches no database."""
    env = {k: v for k, v in os.environ.items() if k != "LAMIN_REGISTRY_URL"}
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", "alembic.ini", "-x", f"url={url}",
         "upgrade", "head", "--sql"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "CREATE TABLE lamin_registry_alembic_version" in result.stdout
    assert "CREATE TABLE lamindb_ulabel (" in result.stdout
    assert f"SET version_num='{migrate.head()}'" in result.stdout
    assert result.stdout.rstrip().endswith("COMMIT;")
    assert not (REPO_ROOT / "never_created.db").exists()


def test_alembic_command_line(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    env = {k: v for k, v in os.environ.items() if k != "LAMIN_REGISTRY_URL"}
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", "alembic.ini", "-x", f"url=sqlite:///{db}",
         "upgrade", "head"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Running upgrade  -> 0001_baseline" in result.stderr
    engine = sa.create_engine(f"sqlite:///{db}")
    try:
        assert "lamindb_ulabel" in lamindb_tables(engine)
        assert migrate.current(engine) == migrate.head()
    finally:
        engine.dispose()


FROZEN_IMPORTS = {"sqlalchemy", "alembic"}
"""Besides the standard library, all a migration script may import."""


def unfrozen_imports(source: str) -> list[str]:
    """What in a migration script's ``source`` reaches beyond SQLAlchemy, Alembic and stdlib.

    A script importing ``lamin_registry`` (its models above all) would change meaning when
    the models change; data migrations must use ``sa.table(...)`` copies instead. Dynamic
    imports (``importlib.import_module``, ``__import__``) and relative imports count too.
    """
    allowed = FROZEN_IMPORTS | set(sys.stdlib_module_names)
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] not in allowed]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level or module.split(".")[0] not in allowed:
                found.append("." * node.level + module)
        elif isinstance(node, ast.Call):
            name = ast.unparse(node.func)
            if name in {"importlib.import_module", "import_module", "__import__"}:
                found.append(ast.unparse(node))
    return found


@pytest.mark.parametrize(
    "source",
    [
        "import lamin_registry.models",
        "from lamin_registry.models import ULabel",
        "from lamin_registry import models",
        "import lamin_registry as lr",
        "from . import helpers",
        "import importlib\nm = importlib.import_module('lamin_registry.models')",
        "m = __import__('lamin_registry')",
        "def upgrade():\n    from lamin_registry.models import ULabel",
    ],
)
def test_frozen_check_catches_live_model_imports(source: str) -> None:
    assert unfrozen_imports(source)


def test_migration_scripts_are_frozen() -> None:
    """No revision imports the live models (or anything else of ours): frozen forever."""
    versions = migrate.script_location() / "versions"
    scripts = sorted(versions.glob("*.py"))
    assert len(scripts) >= 3
    assert unfrozen_imports("import sqlalchemy as sa\nfrom alembic import op\nimport json") == []
    for script in scripts:
        source = script.read_text()
        assert unfrozen_imports(source) == [], script.name
        assert "lamin_registry.models" not in source, script.name


def test_import_does_not_load_alembic() -> None:
    code = "import sys, lamin_registry; assert 'alembic' not in sys.modules, 'alembic imported'"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


# -- connect's fast path: the revision read without Alembic -------------------------------------


def test_head_constant_is_the_newest_script() -> None:
    """``migrate.HEAD`` lets connect skip Alembic; a new revision must move it."""
    assert migrate.head() == migrate.HEAD


def test_stored_revision_follows_the_version_table(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        assert migrate.stored_revision(connection) is None  # no version table yet
    migrate.upgrade(engine, "0001_baseline")
    with engine.connect() as connection:
        assert migrate.stored_revision(connection) == "0001_baseline"
    migrate.upgrade(engine)
    with engine.connect() as connection:
        assert migrate.stored_revision(connection) == migrate.HEAD == migrate.current(connection)


def test_connect_upgrades_an_older_schema_and_seeds_once(empty_url: str) -> None:
    import lamin_registry as lr
    from lamin_registry.instance import is_seeded

    migrate.upgrade(empty_url, "0001_baseline")
    engine = sa.create_engine(empty_url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        assert not is_seeded(connection)  # the tables exist, the built-in rows do not
    engine.dispose()
    with lr.connect(empty_url, user="alice") as inst:  # behind: takes Alembic's path
        with inst.engine.connect() as connection:
            assert migrate.stored_revision(connection) == migrate.HEAD
            assert is_seeded(connection)
        with inst.session() as repo:
            assert sorted(branch.id for branch in repo.filter(lr.Branch).all()) == [-1, 0, 1, 2, 3]
            users = repo.filter(lr.User).all()
            assert [user.handle for user in users] == ["alice"]
    with lr.connect(empty_url, user="bob") as inst, inst.session() as repo:  # up to date
        assert [user.handle for user in repo.filter(lr.User).all()] == ["alice", "bob"]
        assert repo.filter(lr.Space, id=1).count() == 1
