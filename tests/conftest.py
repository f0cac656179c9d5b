"""Fixtures: every test runs on SQLite and on a real PostgreSQL server.

``LAMIN_REGISTRY_TEST_PG_URL`` names a PostgreSQL database whose role may CREATE DATABASE
(``bash scripts/test.sh`` starts one and sets it). ``LAMIN_REGISTRY_TEST_BACKENDS=sqlite``
restricts a local run to SQLite on purpose; without either, the PostgreSQL tests fail rather
than silently skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

import lamin_registry as lr

BACKENDS = [
    name.strip()
    for name in os.environ.get("LAMIN_REGISTRY_TEST_BACKENDS", "sqlite,postgresql").split(",")
    if name.strip()
]


def pg_admin_url() -> str:
    url = os.environ.get("LAMIN_REGISTRY_TEST_PG_URL")
    if not url:
        pytest.fail(
            "LAMIN_REGISTRY_TEST_PG_URL is not set: run `bash scripts/test.sh`, or set "
            "LAMIN_REGISTRY_TEST_BACKENDS=sqlite to test SQLite only"
        )
    return url


@contextmanager
def fresh_database(backend: str, directory: Path) -> Iterator[str]:
    """The URL of a new, empty database on ``backend``; dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / f'lr_{uuid.uuid4().hex[:8]}.db'}"
        return
    admin = sa.make_url(pg_admin_url())
    name = f"lr_test_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """``"sqlite"`` or ``"postgresql"``."""
    return str(request.param)


@pytest.fixture
def fresh_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A new, empty database for tests that connect themselves."""
    with fresh_database(backend, tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def instance(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[lr.Instance]:
    """One migrated and seeded instance per backend, shared by the session (user alice)."""
    with fresh_database(backend, tmp_path_factory.mktemp(backend)) as url:
        inst = lr.connect(url, user="alice")
        yield inst
        inst.close()


@contextmanager
def rolled_back_repository(inst: lr.Instance, user: str | None = None) -> Iterator[lr.Repository]:
    """A repository whose every write is rolled back at the end (savepoints inside)."""
    connection = inst.engine.connect()
    transaction = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        repo = lr.Repository(session, user=user or inst.user)
        with repo:
            yield repo
    finally:
        session.close()
        transaction.rollback()
        connection.close()


@pytest.fixture
def repo(instance: lr.Instance) -> Iterator[lr.Repository]:
    """The active repository of a test; nothing it writes outlives the test."""
    with rolled_back_repository(instance) as repository:
        yield repository


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``postgres_only`` (``sqlite_only``) run with that backend only: their
    other instances are deselected (not skipped), so a skip in the report always means
    something."""
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("backend") if callspec is not None else None
        wrong = (backend == "sqlite" and item.get_closest_marker("postgres_only")) or (
            backend == "postgresql" and item.get_closest_marker("sqlite_only")
        )
        (dropped if wrong else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
