"""The in-process copies behind ``validate``/``inspect`` (``curation/value_cache.py``) and
``lookup`` (its layouts) are exact: every write, rollback, branch switch and user is seen.

One fresh database per backend for the module: these tests commit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from sqlalchemy import event

import lamin_registry as lr
from tests.conftest import fresh_database

TABLE = lr.ULabel.__table__.name


@dataclass
class Setup:
    inst: lr.Instance
    url: str


@pytest.fixture(scope="module")
def setup(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    with fresh_database(backend, tmp_path_factory.mktemp("cache")) as url:
        inst = lr.connect(url, user="alice")
        with inst.session() as repo:
            lab = repo.save(lr.Space(name="cachelab"))
            repo.save([lr.ULabel(name=f"c{i}") for i in range(20)])
            repo.save(lr.ULabel(name="in lab", space=lab))
            for handle in ("outsider", "insider"):
                repo.session.add(lr.User(handle=handle))
            repo.session.flush()
            repo.grant("insider", lab, "read")
        yield Setup(inst, url)
        inst.close()


@contextmanager
def statements(inst: lr.Instance) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(conn: object, cursor: object, statement: str, *args: object) -> None:
        seen.append(statement)

    event.listen(inst.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(inst.engine, "before_cursor_execute", note)


def reads_table(seen: list[str]) -> bool:
    """Whether the registry's rows were read (the empty-registry check aside)."""
    return any(TABLE in statement and "EXISTS" not in statement for statement in seen)


def check(repo: lr.Repository, values: list[str]) -> list[bool]:
    return [bool(flag) for flag in repo.validate(lr.ULabel, values, mute=True)]


def answered_from_copy(setup: Setup, repo: lr.Repository, values: list[str]) -> bool:
    """Whether a validate of ``values`` (right after one that built the copy) read nothing
    but the change key. PostgreSQL's key is the cluster's snapshot, which other sessions on
    the server move: a few tries."""
    for _ in range(20):
        check(repo, values)
        with statements(setup.inst) as seen:
            check(repo, values)
        if not reads_table(seen):
            return True
    return False


def test_validate_answers_from_the_copy(setup: Setup) -> None:
    with setup.inst.session() as repo:
        assert check(repo, ["c1", "zz", "in lab"]) == [True, False, True]
        assert answered_from_copy(setup, repo, ["c1", "zz", "in lab"])
        inspected = repo.inspect(lr.ULabel, ["c1", "zz"], mute=True)
        assert inspected.validated == ["c1"] and inspected.non_validated == ["zz"]


def test_a_commit_by_another_connection_is_seen(setup: Setup, backend: str) -> None:
    other = lr.connect(setup.url, user="alice")
    try:
        with setup.inst.session() as repo:
            assert check(repo, ["other 1"]) == [False]
            assert answered_from_copy(setup, repo, ["other 1"])
        with other.session() as writer:
            writer.save(lr.ULabel(name="other 1"))
        with setup.inst.session() as repo:
            assert check(repo, ["other 1"]) == [True]
            assert check(repo, ["other 1"]) == [True]
            if backend == "postgresql":  # READ COMMITTED: seen inside one session too
                with other.session() as writer:
                    writer.get(lr.ULabel, name="other 1").name = "other 2"
                assert check(repo, ["other 1", "other 2"]) == [False, True]
    finally:
        other.close()


def test_a_raw_sql_write_and_its_rollback_are_seen(setup: Setup) -> None:
    with setup.inst.session() as repo:
        assert check(repo, ["c2", "renamed"]) == [True, False]
        assert check(repo, ["c2", "renamed"]) == [True, False]
        repo.session.execute(
            sa.text(f"UPDATE {TABLE} SET name = 'renamed' WHERE name = 'c2'")
        )
        assert check(repo, ["c2", "renamed"]) == [False, True]
        assert check(repo, ["c2", "renamed"]) == [False, True]
        repo.session.rollback()
        assert check(repo, ["c2", "renamed"]) == [True, False]
        assert check(repo, ["c2", "renamed"]) == [True, False]


def test_a_savepoint_rollback_is_seen(setup: Setup) -> None:
    with setup.inst.session() as repo:
        assert check(repo, ["nested"]) == [False]
        nested = repo.session.begin_nested()
        repo.save(lr.ULabel(name="nested"))
        assert check(repo, ["nested"]) == [True]
        assert check(repo, ["nested"]) == [True]  # a copy built inside the savepoint
        nested.rollback()
        assert check(repo, ["nested"]) == [False]
        repo.session.rollback()


def test_a_write_through_the_raw_driver_connection_is_seen(setup: Setup, backend: str) -> None:
    with setup.inst.session() as repo:
        assert check(repo, ["c3", "driver"]) == [True, False]
        assert check(repo, ["c3", "driver"]) == [True, False]
        driver = repo.session.connection().connection.dbapi_connection
        assert driver is not None
        cursor = driver.cursor()
        cursor.execute(f"UPDATE {TABLE} SET name = 'driver' WHERE name = 'c3'")
        cursor.close()
        assert check(repo, ["c3", "driver"]) == [False, True]
        repo.session.rollback()
        assert check(repo, ["c3", "driver"]) == [True, False]


def test_switching_branch_is_seen(setup: Setup) -> None:
    with setup.inst.session() as repo:
        repo.switch_branch("cachedev", create=True)
        repo.save(lr.ULabel(name="on dev"))
    with setup.inst.session() as repo:
        assert check(repo, ["on dev", "c4"]) == [False, True]
        assert check(repo, ["on dev", "c4"]) == [False, True]
        repo.switch_branch("cachedev")
        assert check(repo, ["on dev", "c4"]) == [True, True]
        assert check(repo, ["on dev", "c4"]) == [True, True]
        repo.switch_branch("main")
        assert check(repo, ["on dev", "c4"]) == [False, True]
        assert repo.lookup(lr.ULabel).dict().get("on dev") is None


@pytest.mark.parametrize("order", [("alice", "outsider", "insider"), ("outsider", "alice")])
def test_each_user_sees_his_own_spaces(setup: Setup, order: tuple[str, ...]) -> None:
    expected = {"alice": True, "insider": True, "outsider": False}
    for _ in range(2):
        for user in order:
            with setup.inst.session(user=user) as repo:
                for _ in range(2):
                    assert check(repo, ["in lab", "c5"]) == [expected[user], True]
                    assert hasattr(repo.lookup(lr.ULabel), "in_lab") is expected[user]


def test_a_query_restricts_the_copy(setup: Setup) -> None:
    with setup.inst.session() as repo:
        only = repo.filter(lr.ULabel, name__startswith="c1")
        for _ in range(2):
            assert [bool(f) for f in only.validate(["c1", "c2"], mute=True)] == [True, False]
            assert check(repo, ["c1", "c2"]) == [True, True]


def test_lookup_reads_records_afresh(setup: Setup, caplog: pytest.LogCaptureFixture) -> None:
    other = lr.connect(setup.url, user="alice")
    try:
        with setup.inst.session() as repo:
            first = repo.lookup(lr.ULabel)
            assert first.c6.name == "c6"
            again = repo.lookup(lr.ULabel)
            assert again._fields == first._fields and again.c6 is first.c6
        with other.session() as writer:
            writer.get(lr.ULabel, name="c6").description = "changed"
        with setup.inst.session() as repo:
            looked = repo.lookup(lr.ULabel)
            assert looked.c6.description == "changed"
            assert looked._fields == first._fields
        with other.session() as writer:
            writer.get(lr.ULabel, name="c6").name = "C-6"
            writer.save(lr.ULabel(name="c_6"))
        with setup.inst.session() as repo:
            caplog.clear()
            with caplog.at_level(logging.WARNING, logger="lamin_registry"):
                for _ in range(2):
                    looked = repo.lookup(lr.ULabel)
                    assert not hasattr(looked, "c6") and looked.c_6.name == "C-6"
                    assert looked.dict()["c_6"].name == "c_6"
                    listed = repo.lookup(lr.ULabel, keep=False)
                    assert [r.name for r in listed.c_6] == ["C-6", "c_6"]
                    assert repo.lookup(lr.ULabel, keep="last").c_6.name == "c_6"
                    uids = repo.lookup(lr.ULabel, return_field="uid")
                    assert uids.c_6 == looked.c_6.uid
            warned = [r.getMessage() for r in caplog.records if "c_6" in r.getMessage()]
            assert len(warned) == 6  # keep first, last and return_field, each call
    finally:
        other.close()


@pytest.mark.sqlite_only
def test_a_commit_by_a_plain_sqlite3_connection_is_seen(setup: Setup) -> None:
    import sqlite3

    path = sa.make_url(setup.url).database
    assert path is not None
    with setup.inst.session() as repo:
        assert check(repo, ["c7", "from sqlite3"]) == [True, False]
        assert check(repo, ["c7", "from sqlite3"]) == [True, False]
    raw = sqlite3.connect(path)
    raw.execute(f"UPDATE {TABLE} SET name = 'from sqlite3' WHERE name = 'c7'")
    raw.commit()
    raw.close()
    with setup.inst.session() as repo:
        assert check(repo, ["c7", "from sqlite3"]) == [False, True]


def test_the_copies_stay_within_their_budget(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lamin_registry.curation import value_cache

    monkeypatch.setattr(value_cache, "BUDGET", 25)
    with setup.inst.session() as repo:
        for field in ("name", "uid", "description"):
            repo.validate(lr.ULabel, ["c1"], field=field, mute=True)
        store = repo.session.connection().info.get(value_cache._INFO, {})
        assert sum(len(entry.values or ()) for entry in store.values()) <= 25 or len(store) == 1
        assert check(repo, ["c1", "zz"]) == [True, False]
