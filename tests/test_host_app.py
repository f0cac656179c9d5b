"""Embedding (issue 5): ``examples/host_app`` shares one database with lamin_registry.

The host has its own DeclarativeBase, tables pointing into the registry, a user-defined
registry and its own Alembic history (version table ``alembic_version``), whose ``env.py``
upgrades lamin_registry first on the same connection. These tests run that history
programmatically, as the host's deployment would, on both backends.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

import lamin_registry as lr
from lamin_registry.errors import IntegrityError, LaminRegistryError

HOST_DIR = Path(__file__).resolve().parent.parent / "examples" / "host_app"
sys.path.insert(0, str(HOST_DIR))
from host_app import schema  # noqa: E402
from host_app.db import make_engine, make_sessions  # noqa: E402
from host_app.models import Experiment, Note, Sample  # noqa: E402

HOST_TABLES = {"host_app_note", "host_app_sample", "host_app_experiment"}

pytestmark = pytest.mark.filterwarnings(
    # SQLite cannot reflect the expression indexes of registry tables the host's keys point to
    "ignore:Skipped unsupported reflection of expression-based index"
)


def host_config(connection: sa.Connection) -> Config:
    """host_app's Alembic config in code: its script directory, our connection, no ini file
    (so the host's logging configuration stays out of the test process)."""
    config = Config()
    config.set_main_option("script_location", str(HOST_DIR / "migrations"))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    return config


def run_host(engine: sa.Engine, action: Callable[[Config, str], None], revision: str) -> None:
    """``alembic upgrade/downgrade <revision>`` of host_app on ``engine``."""
    with engine.connect() as connection:
        action(host_config(connection), revision)


def host_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"version_table": schema.VERSION_TABLE}
        )
        heads = context.get_current_heads()
    return heads[0] if heads else None


def table_names(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def host_differences(engine: sa.Engine) -> list[object]:
    """What host_app's autogenerate would write (``compare_metadata`` with its filters)."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts=schema.configure_options(connection))
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*expression-based index")
            return list(compare_metadata(context, schema.TARGET_METADATA))  # type: ignore[arg-type]


@pytest.fixture
def engine(fresh_url: str) -> Iterator[sa.Engine]:
    """The host's engine on a fresh, empty database."""
    engine = make_engine(fresh_url, poolclass=sa.pool.NullPool)
    yield engine
    engine.dispose()


@pytest.fixture
def migrated(engine: sa.Engine, fresh_url: str) -> sa.Engine:
    """Both histories at head and the built-in rows seeded (alice is the creator)."""
    run_host(engine, command.upgrade, "head")
    lr.connect(fresh_url, user="alice").close()  # finds the schema at head; seeds
    return engine


# -- (a) one upgrade moves both histories ------------------------------------------------------


def test_host_upgrade_brings_both_histories_to_head(engine: sa.Engine) -> None:
    assert lr.migrate.current(engine) is None and host_revision(engine) is None
    run_host(engine, command.upgrade, "head")
    assert lr.migrate.current(engine) == lr.migrate.head()
    assert host_revision(engine) == "0002"
    tables = table_names(engine)
    assert HOST_TABLES | {"alembic_version", lr.migrate.VERSION_TABLE, "lamindb_ulabel"} <= tables
    run_host(engine, command.upgrade, "head")  # again: nothing to do, nothing breaks
    assert host_revision(engine) == "0002"


def test_failed_host_step_leaves_neither_history_moved(engine: sa.Engine) -> None:
    """lamin_registry's upgrade runs in the host's transaction: a failure undoes both."""
    with engine.begin() as connection:  # a stray table in the way of host_app's 0001
        connection.exec_driver_sql("CREATE TABLE host_app_note (id INTEGER PRIMARY KEY)")
    with pytest.raises(sa.exc.DBAPIError, match="host_app_note"):
        run_host(engine, command.upgrade, "head")
    assert lr.migrate.current(engine) is None
    assert host_revision(engine) is None
    assert table_names(engine) == {"host_app_note"}


# -- (b) the histories are independent ---------------------------------------------------------


def test_histories_downgrade_independently(engine: sa.Engine) -> None:
    run_host(engine, command.upgrade, "head")
    registry_tables = {name for name in table_names(engine) if name.startswith("lamindb_")}

    run_host(engine, command.downgrade, "base")  # the host's history only
    assert host_revision(engine) is None
    assert not HOST_TABLES & table_names(engine)
    assert lr.migrate.current(engine) == lr.migrate.head()
    assert registry_tables <= table_names(engine)
    assert lr.migrate.check(engine) is None

    run_host(engine, command.upgrade, "0001")  # a host table that needs nothing of ours
    with engine.begin() as connection:
        connection.execute(sa.insert(Note.__table__).values(text="kept"))
    lr.migrate.downgrade(engine, "base")  # lamin_registry's history only
    assert lr.migrate.current(engine) is None
    assert not {name for name in table_names(engine) if name.startswith("lamindb_")}
    assert host_revision(engine) == "0001"
    with engine.connect() as connection:
        assert connection.scalars(sa.select(Note.text)).all() == ["kept"]

    run_host(engine, command.upgrade, "head")  # and back: lamin_registry first, then 0002
    assert (lr.migrate.current(engine), host_revision(engine)) == (lr.migrate.head(), "0002")


def test_registry_downgrade_refused_while_host_tables_point_into_it(migrated: sa.Engine) -> None:
    """Dropping ``lamindb_ulabel`` under a Sample that points to it must fail, and atomically."""
    with make_sessions(migrated)() as session:
        label = lr.Repository(session, user="alice").save(lr.ULabel(name="T cell"))
        session.add(Sample(name="s1", ulabel=label))
        session.commit()
    with pytest.raises(LaminRegistryError, match="host_app_"):  # foreign keys on, SQLite too
        lr.migrate.downgrade(migrated, "base")
    assert lr.migrate.current(migrated) == lr.migrate.head()
    assert "lamindb_ulabel" in table_names(migrated)
    with make_sessions(migrated)() as session:
        assert session.scalars(sa.select(Sample)).one().ulabel.name == "T cell"


# -- (c) both compare clean ------------------------------------------------------------------


def test_both_histories_compare_clean(engine: sa.Engine) -> None:
    run_host(engine, command.upgrade, "0001")
    missing = {diff[1].name for diff in host_differences(engine) if diff[0] == "add_table"}
    assert missing == {"host_app_sample", "host_app_experiment"}  # the filter sees the host's
    assert all(  # ... and nothing of lamin_registry's
        "lamindb_" not in str(getattr(diff[1], "name", "")) for diff in host_differences(engine)
    )
    run_host(engine, command.upgrade, "head")
    assert host_differences(engine) == []
    assert lr.migrate.check(engine) is None


# -- (d) a repository inside the host's transaction ----------------------------------------------


def count(session: sa.orm.Session, model: type) -> int:
    return int(session.scalar(sa.select(sa.func.count()).select_from(model)))


def test_repository_in_host_transaction_rolls_back_with_it(migrated: sa.Engine) -> None:
    sessions = make_sessions(migrated)
    with sessions() as session:
        repo = lr.Repository(session, user="bob")  # registers bob, without committing
        label = repo.save(lr.ULabel(name="T cell"))
        session.add(Sample(name="s1", ulabel=label))
        repo.save(Experiment(name="Heart atlas"))
        session.flush()
        assert session.in_transaction()
        with sessions() as other:  # nobody else sees it before the host commits
            assert count(other, Sample) == 0
            assert other.scalar(sa.select(lr.ULabel).where(lr.ULabel.name == "T cell")) is None
        session.rollback()
    with sessions() as session:
        assert count(session, Sample) == 0
        assert count(session, Experiment) == 0
        assert session.scalar(sa.select(lr.ULabel).where(lr.ULabel.name == "T cell")) is None
        assert session.scalar(sa.select(lr.User).where(lr.User.handle == "bob")) is None


def test_repository_in_host_transaction_commits_with_it(migrated: sa.Engine) -> None:
    sessions = make_sessions(migrated)
    with sessions() as session:
        repo = lr.Repository(session, user="bob")
        with repo:  # the active repository: record-level sugar works too
            label = lr.ULabel(name="T cell").save()
            experiment = Experiment(name="Heart atlas", synonyms="HA").save()
        session.add(Sample(name="s1", ulabel=label))
        session.commit()
    with sessions() as session:
        sample = session.scalars(sa.select(Sample)).one()
        assert sample.ulabel is not None and sample.ulabel.name == "T cell"  # the relationship
        assert sample.ulabel.created_by.handle == "bob"
        repo = lr.Repository(session, user="bob")
        assert repo.get(lr.ULabel, sample.ulabel_id).uid == label.uid
        assert repo.standardize(Experiment, ["HA"], mute=True) == ["Heart atlas"]
        assert repo.get(Experiment, experiment.uid[:5]).created_by.handle == "bob"
        # the registry's API across into host tables: a protected reference is reported
        with pytest.raises(IntegrityError):
            repo.delete(sample.ulabel, permanent=True)
        assert session.get(lr.ULabel, sample.ulabel_id) is not None


def test_demo_runs(fresh_url: str) -> None:
    """``examples/host_app/demo.py`` keeps working (it is the README's walk-through)."""
    result = subprocess.run(
        [sys.executable, str(HOST_DIR / "demo.py"), fresh_url],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "after rollback: 0 samples" in result.stdout
    assert "'sample 1' is labelled 'T cell', saved by bob" in result.stdout
    assert "standardized: ['Heart atlas', 'Heart atlas']" in result.stdout
