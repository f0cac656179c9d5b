"""PostgreSQL: ``get``'s key look-ups are sent prepared, nothing else is, and a prepared
statement survives schema changes (``lamin_registry/pg_prepare.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event

import lamin_registry as lr
from lamin_registry import pg_prepare
from lamin_registry.errors import SchemaOutOfDate

pytestmark = pytest.mark.postgres_only


def prepared_statements(repo: lr.Repository) -> list[str]:
    connection = repo.session.connection()
    return list(connection.exec_driver_sql("SELECT statement FROM pg_prepared_statements")
                .scalars())


@pytest.fixture
def sent_prepared(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The statements ``pg_prepare.execute`` sent prepared during the test."""
    sent: list[str] = []
    original = pg_prepare.execute

    def execute(cursor: Any, sql: str, params: Any) -> bool:
        done = original(cursor, sql, params)
        if done:
            sent.append(sql)
        return done

    monkeypatch.setattr(pg_prepare, "execute", execute)
    yield sent


def test_key_lookups_are_prepared_and_nothing_else(
    repo: lr.Repository, sent_prepared: list[str]
) -> None:
    label = repo.save(lr.ULabel(name="prepared one", description="d"))
    for _ in range(3):
        assert repo.get(lr.ULabel, label.uid) is label
        assert repo.get(lr.ULabel, name="prepared one") is label
        assert repo.get(lr.ULabel, label.id) is label
        assert repo.get(lr.ULabel, description="d") is label  # not a key: unprepared
        assert repo.filter(lr.ULabel, name="prepared one").count() == 1
        assert repo.get(lr.ULabel, label.uid[:6]) is label  # a prefix: LIKE, unprepared
    assert len(sent_prepared) == 9
    assert all("description =" not in sql and "LIKE" not in sql for sql in sent_prepared)
    on_server = [sql for sql in prepared_statements(repo) if "FROM lamindb_ulabel" in sql]
    for key in ("uid", "name", "id"):  # each prepared once
        assert sum(f"lamindb_ulabel.{key} = $1" in sql for sql in on_server) == 1, key
    assert not any("count(" in sql or "description =" in sql for sql in on_server)
    driver = repo.session.connection().connection.driver_connection
    assert driver is not None and driver.prepare_threshold is None  # left as it was


def test_the_orm_path_is_prepared_too(repo: lr.Repository, sent_prepared: list[str]) -> None:
    label = repo.save(lr.ULabel(name="orm path"))
    seen: list[Any] = []
    listener = lambda session, instance: seen.append(instance)  # noqa: E731
    event.listen(repo.session, "loaded_as_persistent", listener)  # no fast path now
    try:
        repo.session.expunge(label)
        found = repo.get(lr.ULabel, label.uid)
    finally:
        event.remove(repo.session, "loaded_as_persistent", listener)
    assert found.id == label.id and seen == [found]
    assert len(sent_prepared) == 1


def test_ddl_in_the_same_connection(repo: lr.Repository) -> None:
    """A column type changed in the connection that holds the prepared look-up (a migration),
    also inside a savepoint rolled back afterwards: the next get prepares it afresh."""
    label = repo.save(lr.ULabel(name="before ddl"))
    connection = repo.session.connection()
    for _ in range(2):
        assert repo.get(lr.ULabel, label.uid) is label
    assert prepared_statements(repo)
    connection.exec_driver_sql("ALTER TABLE lamindb_ulabel ALTER COLUMN name TYPE text")
    assert repo.get(lr.ULabel, label.uid) is label
    assert repo.get(lr.ULabel, name="before ddl") is label
    with repo.session.begin_nested() as savepoint:
        connection.exec_driver_sql(
            "ALTER TABLE lamindb_ulabel ALTER COLUMN name TYPE varchar(200)"
        )
        assert repo.get(lr.ULabel, label.uid) is label  # prepared with the new type
        savepoint.rollback()  # the type is text again
    for _ in range(2):  # prepared again after the rollback, and still there the next time
        assert repo.get(lr.ULabel, label.uid) is label
        assert repo.get(lr.ULabel, name="before ddl") is label
    with repo.session.begin_nested() as savepoint:  # no DDL: the same
        savepoint.rollback()
    for _ in range(2):
        assert repo.get(lr.ULabel, label.uid) is label


def test_a_column_type_changed_by_another_connection(fresh_url: str) -> None:
    inst = lr.connect(fresh_url, user="alice")
    try:
        with inst.session() as repo:
            uid = repo.save(lr.ULabel(name="elsewhere")).uid
            for _ in range(2):
                repo.get(lr.ULabel, uid)
        other = sa.create_engine(fresh_url)
        with other.begin() as connection:
            connection.exec_driver_sql("ALTER TABLE lamindb_ulabel ALTER COLUMN name TYPE text")
        other.dispose()
        with pytest.raises(SchemaOutOfDate, match="column types changed"), \
                inst.session() as repo:  # the pooled connection that holds the statement
            repo.get(lr.ULabel, uid)
        with inst.session() as repo:  # the rollback dropped it: prepared afresh
            assert repo.get(lr.ULabel, uid).name == "elsewhere"
    finally:
        inst.close()
