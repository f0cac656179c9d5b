"""Many processes on one database (issue 13): one row per name, SQLite sessions that do not
block each other, and conflicts raised as library errors.

Local processes only (``multiprocessing``, spawn), at most 5 at a time, each bounded in time.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import concurrency_workers as workers  # tests/ is on sys.path (rootdir conftest)
import pytest
import sqlalchemy as sa

import lamin_registry as lr
from lamin_registry.errors import ConcurrentWrite, DatabaseLocked
from tests.conftest import fresh_database

pytestmark = pytest.mark.system  # a step of its own in scripts/test.sh (default suite < 10 min)

CTX = mp.get_context("spawn")
DEADLINE = 120.0  # seconds any group of processes may take


def run_processes(target: Callable[..., None], arguments: list[tuple[Any, ...]]) -> list[Any]:
    """Start one process per argument tuple, release them together, return their reports."""
    start, out = CTX.Event(), CTX.Queue()
    procs = [CTX.Process(target=target, args=(*args, start, out)) for args in arguments]
    for proc in procs:
        proc.start()
    start.set()
    try:
        reports = [out.get(timeout=DEADLINE) for _ in procs]
    finally:
        for proc in procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
    return reports


def names_table(model: type) -> tuple[str, str]:
    table = sa.inspect(model).local_table.name
    return table, getattr(model, "_name_field", None) or "name"


def duplicates(url: str) -> dict[str, list[tuple[str, int]]]:
    engine = sa.create_engine(url)
    found: dict[str, list[tuple[str, int]]] = {}
    with engine.connect() as connection:
        for kind in workers.MODELS:
            table, column = names_table(getattr(lr, kind))
            rows = connection.exec_driver_sql(
                f"SELECT {column}, count(*) FROM {table} GROUP BY {column} HAVING count(*) > 1"
            ).all()
            if rows:
                found[kind] = [(row[0], row[1]) for row in rows]
    engine.dispose()
    return found


def count_names(url: str, model: type, prefix: str) -> int:
    engine = sa.create_engine(url)
    table, column = names_table(model)
    with engine.connect() as connection:
        count = connection.execute(
            sa.text(f"SELECT count(*) FROM {table} WHERE {column} LIKE :prefix"),
            {"prefix": f"{prefix}%"},
        ).scalar_one()
    engine.dispose()
    return int(count)


def test_same_names_from_many_processes_one_row_each(fresh_url: str) -> None:
    """4 processes save the same names (single and bulk) in every named registry."""
    lr.connect(fresh_url, user="alice").close()
    single = [f"s{i}" for i in range(12)]
    bulk = [f"b{i}" for i in range(150)]
    arguments = [(fresh_url, single, bulk, seed) for seed in range(4)]
    reports = run_processes(workers.save_all, arguments)
    assert [status for status, _ in reports] == ["ok"] * 4, reports
    assert duplicates(fresh_url) == {}
    for kind in workers.MODELS:
        assert count_names(fresh_url, getattr(lr, kind), f"{kind} ") == len(single) + len(bulk)


def test_concurrent_first_sessions_of_new_users(fresh_url: str) -> None:
    """5 processes x 10 first sessions of the same 10 new users: all succeed, 10 rows."""
    lr.connect(fresh_url, user="alice").close()
    handles = [f"new{i}" for i in range(10)]
    arguments = [(fresh_url, handles[i:] + handles[:i]) for i in range(0, 10, 2)]
    reports = run_processes(workers.first_sessions, arguments)
    assert [status for status, _ in reports] == ["ok"] * 5, reports
    assert count_names(fresh_url, lr.User, "new") == 10


def test_saving_a_space_twice_returns_the_stored_space(instance: lr.Instance) -> None:
    with instance.session() as repo:
        first = repo.save(lr.Space(name="twice"))
        again = repo.save(lr.Space(name="twice"))
        assert again is first
    with instance.session() as repo:
        assert repo.save(lr.Space(name="twice")).id == first.id
        repo.delete(repo.get(lr.Space, name="twice"), permanent=True)


# -- sessions nested in one thread ---------------------------------------------------------------


def test_nested_sessions_in_one_thread(fresh_url: str) -> None:
    inst = lr.connect(fresh_url, user="alice", busy_timeout=2)
    with inst.session() as outer:
        outer.filter(lr.ULabel).count()  # the outer session reads first
        with inst.session() as inner:
            inner.save(lr.ULabel(name="inner"))
        outer.save(lr.ULabel(name="outer"))  # then writes: sees the inner commit
        assert outer.get(lr.ULabel, name="inner").name == "inner"
    with inst.session() as outer:
        outer.save(lr.ULabel(name="outer 2"))  # the outer session writes first
        with inst.session() as inner:  # an inner session reads, and is not blocked
            assert inner.filter(lr.ULabel, name__startswith="outer").count() == 1
    with inst.session() as repo:
        assert repo.filter(lr.ULabel).count() == 3
    inst.close()


@pytest.mark.sqlite_only
def test_sqlite_inner_writer_behind_outer_writer_times_out(backend: str, fresh_url: str) -> None:
    """SQLite has one writer at a time: an inner session cannot write while the outer one
    holds the write lock; it says so (DatabaseLocked) after the busy timeout."""
    inst = lr.connect(fresh_url, user="alice", busy_timeout=0.3)
    with inst.session() as outer:
        outer.save(lr.ULabel(name="outer"))
        with pytest.raises(DatabaseLocked, match="first write"), inst.session() as inner:
            inner.save(lr.ULabel(name="inner"))
    inst.close()


@pytest.mark.sqlite_only
def test_read_then_write_is_safe_and_conflicts_are_concurrent_write(
    backend: str, fresh_url: str
) -> None:
    """SQLite: an edit flushed at commit after another session committed since this one first
    read takes the write lock first (no error); only inside a savepoint the caller opened,
    where that is impossible, does the stale snapshot raise ConcurrentWrite (retryable)."""
    inst = lr.connect(fresh_url, user="alice")
    with inst.session() as repo:
        repo.save(lr.ULabel(name="a"))
    with inst.session() as repo:
        label = repo.get(lr.ULabel, name="a")  # this session's snapshot
        with inst.session() as other:
            other.save(lr.ULabel(name="b"))
        label.description = "edited at commit"  # flushed at commit: lock first, then write
    with pytest.raises(ConcurrentWrite, match="run the block again"), inst.session() as repo:
        label = repo.get(lr.ULabel, name="a")
        with inst.session() as other:
            other.save(lr.ULabel(name="c"))
        with repo.session.begin_nested():  # the caller's own savepoint
            label.description = "edited in a savepoint"
            repo.session.flush()
    for _attempt in range(3):  # the documented recipe
        try:
            with inst.session() as repo:
                label = repo.get(lr.ULabel, name="a")
                with repo.session.begin_nested():
                    label.description = "edited in a savepoint"
            break
        except ConcurrentWrite:
            continue
    with inst.session() as repo:
        assert repo.get(lr.ULabel, name="a").description == "edited in a savepoint"
        assert repo.filter(lr.ULabel).count() == 3
    inst.close()


# -- SQLite wait bounds ----------------------------------------------------------------------


def _beside_held_session(
    url: str, write: bool, action: Callable[[lr.Instance], None], repeat: int = 1
) -> float:
    """Seconds ``action`` takes (the best of ``repeat``: the bound is about waiting, not about
    a busy machine's scheduling) while another process holds a session open for 1.5 s."""
    inst = lr.connect(url, user="alice")
    start, held, out = CTX.Event(), CTX.Event(), CTX.Queue()
    proc = CTX.Process(target=workers.hold_session, args=(url, write, 1.5, start, held, out))
    proc.start()
    try:
        start.set()
        assert held.wait(60)
        times = []
        for _ in range(repeat):
            began = time.perf_counter()
            action(inst)
            times.append(time.perf_counter() - began)
        assert max(times) < 1.0, times  # none waited for the 1.5 s session
        took = min(times)
        assert out.get(timeout=DEADLINE)[0] == "ok"
    finally:
        proc.join(timeout=10)
        if proc.is_alive():
            proc.kill()
        inst.close()
    return took


def _read(inst: lr.Instance) -> None:
    with inst.session() as repo:
        repo.filter(lr.ULabel).count()
        repo.get(lr.User, handle="alice")


def _write(inst: lr.Instance) -> None:
    with inst.session() as repo:
        repo.filter(lr.ULabel).count()
        repo.save(lr.ULabel(name=f"written {time.time()}"))


@pytest.fixture
def sqlite_url(backend: str, fresh_url: str) -> str:
    assert backend == "sqlite", "tests using sqlite_url carry the sqlite_only marker"
    lr.connect(fresh_url, user="alice").close()
    return fresh_url


@pytest.mark.sqlite_only
def test_sqlite_read_never_waits_for_a_writer(sqlite_url: str) -> None:
    _read(lr.connect(sqlite_url, user="alice"))  # warm: imports, first query plans
    took = _beside_held_session(sqlite_url, True, _read, repeat=3)
    assert took <= 0.05, f"a read session took {took * 1000:.0f} ms beside a writer"


@pytest.mark.sqlite_only
def test_sqlite_writer_does_not_wait_for_a_reader(sqlite_url: str) -> None:
    took = _beside_held_session(sqlite_url, False, _write)
    assert took < 0.5, f"a write session took {took * 1000:.0f} ms beside a reader"


@pytest.mark.sqlite_only
def test_sqlite_writer_waits_for_a_writer(sqlite_url: str) -> None:
    inst = lr.connect(sqlite_url, user="alice")
    start, held, out = CTX.Event(), CTX.Event(), CTX.Queue()
    args = (sqlite_url, True, 1.5, start, held, out)
    proc = CTX.Process(target=workers.hold_session, args=args)
    proc.start()
    try:
        start.set()
        assert held.wait(60)
        began = time.perf_counter()
        _write(inst)  # waits for the holder's commit, then succeeds
        took = time.perf_counter() - began
        assert out.get(timeout=DEADLINE)[0] == "ok"
    finally:
        proc.join(timeout=10)
        inst.close()
    assert 0.5 < took < 10, f"a write session took {took * 1000:.0f} ms beside a writer"


# -- PostgreSQL: bounded waits and deadlocks as library errors ----------------------------------


@pytest.mark.postgres_only
def test_postgresql_same_name_in_nested_sessions_is_bounded(
    backend: str, fresh_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An inner session saving a name the outer (uncommitted) one saved waits for the name
    lock at most NAME_LOCK_TIMEOUT, then raises DatabaseLocked; the outer session commits."""
    from lamin_registry import concurrency

    monkeypatch.setattr(concurrency, "NAME_LOCK_TIMEOUT", 0.3)
    inst = lr.connect(fresh_url, user="alice")
    with inst.session() as outer:
        outer.save(lr.ULabel(name="same"))
        began = time.perf_counter()
        with pytest.raises(DatabaseLocked, match="same name"), inst.session() as inner:
            inner.save(lr.ULabel(name="same"))
        assert time.perf_counter() - began < 5
        outer.save(lr.ULabel(name="other"))
    with inst.session() as repo:
        assert repo.filter(lr.ULabel, name="same").count() == 1
    inst.close()


@pytest.mark.postgres_only
def test_postgresql_deadlock_is_concurrent_write(backend: str, fresh_url: str) -> None:
    """Two sessions saving two names in opposite orders, one name per save: PostgreSQL breaks
    the deadlock and the loser gets ConcurrentWrite (retryable); the winner commits."""
    import threading

    inst = lr.connect(fresh_url, user="alice")
    first_saved = threading.Barrier(2, timeout=30)
    outcomes: dict[str, str] = {}

    def session(tag: str, names: tuple[str, str]) -> None:
        try:
            with inst.session() as repo:
                repo.save(lr.ULabel(name=names[0]))
                first_saved.wait()
                repo.save(lr.ULabel(name=names[1]))
            outcomes[tag] = "ok"
        except ConcurrentWrite:
            outcomes[tag] = "ConcurrentWrite"
        except Exception as error:  # reported by the assertion below
            outcomes[tag] = repr(error)

    threads = [
        threading.Thread(target=session, args=("a", ("x", "y"))),
        threading.Thread(target=session, args=("b", ("y", "x"))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes.values()) == ["ConcurrentWrite", "ok"], outcomes
    with inst.session() as repo:
        assert sorted(repo.filter(lr.ULabel).to_list("name")) == ["x", "y"]
    inst.close()


@pytest.mark.postgres_only
def test_postgresql_different_names_do_not_wait(backend: str, fresh_url: str) -> None:
    """Name locks serialise only the same name: while a session holds "a" (uncommitted),
    another saves "b" (and a new user registers) without waiting."""
    inst = lr.connect(fresh_url, user="alice")
    with inst.session() as outer:
        outer.save([lr.ULabel(name="a"), lr.Feature(name="a", dtype="str")])
        began = time.perf_counter()
        with inst.session(user="someone new") as inner:
            inner.save([lr.ULabel(name="b"), lr.Feature(name="b", dtype="str")])
        assert time.perf_counter() - began < 2
    with inst.session() as repo:
        assert sorted(repo.filter(lr.ULabel).to_list("name")) == ["a", "b"]
    inst.close()


def test_name_locks_are_bounded_per_table(tmp_path: Path) -> None:
    """PostgreSQL: a bulk save of many names takes at most NAME_BUCKETS advisory locks (one
    per name ran out of lock memory at 100,000 names). SQLite uses its write lock."""
    from sqlalchemy.orm import Session

    from lamin_registry import concurrency

    with fresh_database("postgresql", tmp_path) as url:
        lr.connect(url).close()
        engine = sa.create_engine(url)
        try:
            with engine.connect() as connection, connection.begin():
                session = Session(bind=connection)
                names = [f"name {i}" for i in range(5000)]
                concurrency.lock_names(session, "lamindb_ulabel", names)
                held = session.execute(
                    sa.text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                        "AND pid = pg_backend_pid()"
                    )
                ).scalar_one()
                assert 0 < held <= concurrency.NAME_BUCKETS
        finally:
            engine.dispose()
