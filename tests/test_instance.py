"""connect(), seeding, sessions, users and the active repository."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

import lamin_registry as lr
from lamin_registry.errors import NoActiveSession, SchemaOutOfDate


def test_connect_seeds_builtin_rows(fresh_url: str) -> None:
    inst = lr.connect(fresh_url, user="alice")
    try:
        with inst.session() as repo:
            space = repo.get(lr.Space, 1)
            assert (space.name, space.uid) == ("all", "aaaaaaaaaaaa")
            branches = {b.id: b.name for b in repo.session.scalars(sa.select(lr.Branch))}
            assert branches == {-1: "trash", 0: "archive", 1: "main", 2: "locked", 3: "template"}
            assert repo.get(lr.User, 1).handle == "alice"
            assert repo.user.handle == "alice"
        # a second connect is idempotent and keeps the creator as user 1
        again = lr.connect(fresh_url, user="bob")
        with again.session() as repo:
            assert repo.get(lr.User, 1).handle == "alice"
            assert repo.user.handle == "bob"
            assert repo.session.scalar(sa.select(sa.func.count()).select_from(lr.Branch)) == 5
        again.close()
    finally:
        inst.close()


def test_named_branch_ids_start_above_template(fresh_url: str) -> None:
    with lr.connect(fresh_url) as inst, inst.session() as repo:
        branch = lr.Branch(name="feature-x")
        repo.session.add(branch)
        repo.session.flush()
        assert branch.id == 4


def test_sqlite_pragmas(tmp_path: Path) -> None:
    with lr.connect(f"sqlite:///{tmp_path / 'p.db'}") as inst, inst.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_sqlite_lock_held_too_long_is_database_locked(tmp_path: Path) -> None:
    """A session waiting past the busy timeout gets DatabaseLocked, not the driver's error."""
    url = f"sqlite:///{tmp_path / 'locked.db'}"
    with lr.connect(url, busy_timeout=0.2) as inst:
        with inst.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 200
        with inst.session() as holder:
            holder.save(lr.ULabel(name="holds the write lock"))
            started = time.perf_counter()
            with (
                pytest.raises(lr.errors.DatabaseLocked, match=r"locked\.db.*0\.2 s"),
                inst.session() as waiter,
            ):
                waiter.save(lr.ULabel(name="never written"))
            assert time.perf_counter() - started < 10
        with inst.session() as repo:  # the holder committed; the waiter left nothing
            assert repo.filter(lr.ULabel).to_list("name") == ["holds the write lock"]


def test_sqlite_planner_uses_name_index_not_branch(tmp_path: Path) -> None:
    with lr.connect(f"sqlite:///{tmp_path / 'plan.db'}") as inst, inst.session() as repo:
        stmt = repo.filter(lr.ULabel, name="x").statement()
        sql = str(stmt.compile(inst.engine, compile_kwargs={"literal_binds": True}))
        plan = " ".join(
            str(row[-1])
            for row in repo.session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")
        )
        assert "ix_lamindb_ulabel_name" in plan, plan
        assert "branch_id" not in plan.split("USING INDEX")[-1].split("(")[0], plan


def test_default_url_and_user_from_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAMIN_REGISTRY_URL", f"sqlite:///{tmp_path / 'env.db'}")
    monkeypatch.setenv("LAMIN_REGISTRY_USER", "carol")
    with lr.connect() as inst:
        assert inst.user == "carol"
        assert inst.url.database == str(tmp_path / "env.db")
    monkeypatch.delenv("LAMIN_REGISTRY_URL")
    monkeypatch.delenv("LAMIN_REGISTRY_USER")
    monkeypatch.chdir(tmp_path)
    with lr.connect() as inst:
        assert inst.user == "anonymous"
    assert (tmp_path / "lamin_registry.db").exists()


def test_migrate_false_on_empty_database_names_the_command(fresh_url: str) -> None:
    database = sa.make_url(fresh_url).database
    if fresh_url.startswith("sqlite"):  # a missing file is never created
        with pytest.raises(SchemaOutOfDate, match=r"does not exist.*lamin-registry init"):
            lr.connect(fresh_url, migrate=False)
        assert not Path(str(database)).exists()
        Path(str(database)).touch()  # an existing, empty database
    with pytest.raises(SchemaOutOfDate, match="lamin-registry upgrade"):
        lr.connect(fresh_url, migrate=False)


def test_migrate_false_on_current_database_connects(fresh_url: str) -> None:
    lr.connect(fresh_url).close()
    with lr.connect(fresh_url, migrate=False, user="dave") as inst, inst.session() as repo:
        assert repo.user.handle == "dave"


def test_bad_url_is_a_clear_error() -> None:
    with pytest.raises(lr.errors.InvalidArgument, match="mysql"):
        lr.connect("mysql://localhost/x")
    with pytest.raises(lr.errors.InvalidArgument):
        lr.connect("not a url")


def test_session_commits_and_rolls_back(fresh_url: str) -> None:
    with lr.connect(fresh_url) as inst:
        with inst.session() as repo:
            repo.save(lr.ULabel(name="kept"))
        with pytest.raises(RuntimeError), inst.session() as repo:
            repo.save(lr.ULabel(name="dropped"))
            raise RuntimeError("boom")
        with inst.session() as repo:
            assert repo.filter(lr.ULabel).to_list("name") == ["kept"]


def test_session_as_new_user_registers_them(fresh_url: str) -> None:
    with lr.connect(fresh_url, user="alice") as inst:
        with inst.session(user="bob") as repo:
            label = repo.save(lr.ULabel(name="by bob"))
            assert label.created_by.handle == "bob"
        with inst.session() as repo:
            assert repo.get(lr.User, handle="bob").id == label.created_by_id


def test_repository_on_host_session_never_commits(instance: lr.Instance) -> None:
    with instance.engine.connect() as connection:
        transaction = connection.begin()
        session = Session(bind=connection, join_transaction_mode="create_savepoint")
        repo = lr.Repository(session, user="erin")
        repo.save(lr.ULabel(name="host label"))
        assert session.scalar(sa.select(lr.User.id).where(lr.User.handle == "erin")) is not None
        session.close()
        transaction.rollback()
    with instance.engine.connect() as connection:
        handles = connection.execute(sa.select(lr.User.handle)).scalars().all()
        names = connection.execute(sa.select(lr.ULabel.name)).scalars().all()
    assert "erin" not in handles
    assert "host label" not in names


def test_repository_survives_a_host_rollback(fresh_url: str) -> None:
    """The host rolls back and goes on with the same repository (its user is expired then)."""
    inst = lr.connect(fresh_url, user="alice")
    try:
        with Session(inst.engine) as session:
            repo = lr.Repository(session, user="alice")
            repo.save(lr.ULabel(name="rolled back"))
            session.rollback()
            assert repo.save(lr.ULabel(name="kept")).created_by_id == repo.user_id
            session.commit()
        with inst.session() as check:
            assert check.filter(lr.ULabel).to_list("name") == ["kept"]
    finally:
        inst.close()


def test_active_repository_only_inside_with(instance: lr.Instance) -> None:
    with pytest.raises(NoActiveSession, match=r"inst\.session\(\)"):
        lr.ULabel.filter(name="x")
    with pytest.raises(NoActiveSession):
        lr.ULabel(name="x").save()
    with instance.engine.connect() as connection:
        session = Session(bind=connection)
        repo = lr.Repository(session)
        with pytest.raises(NoActiveSession):
            lr.ULabel.filter()
        with repo:
            assert lr.ULabel.filter(name="nothing").count() == 0
        with pytest.raises(NoActiveSession):
            lr.ULabel.filter()
        session.close()


def test_plain_session_records_get_creator_id(instance: lr.Instance) -> None:
    with instance.engine.connect() as connection:
        transaction = connection.begin()
        with Session(bind=connection) as session:
            label = lr.ULabel(name="plain")
            session.add(label)
            session.flush()
            assert label.created_by_id == 1
            assert session.scalars(sa.select(lr.ULabel).where(lr.ULabel.name == "plain")).one()
        transaction.rollback()


def test_concurrent_writers_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'concurrent.db'}"
    lr.connect(url).close()
    script = textwrap.dedent(
        f"""
        import sys
        import lamin_registry as lr
        inst = lr.connect({url!r}, user=sys.argv[1])
        for batch in range(10):
            with inst.session() as repo:
                repo.save([lr.ULabel(name=f"{{sys.argv[1]}} {{batch}} {{i}}") for i in range(50)])
        """
    )
    writers = [
        subprocess.Popen([sys.executable, "-c", script, name], stderr=subprocess.PIPE)
        for name in ("w1", "w2", "w3")
    ]
    for writer in writers:
        _, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err.decode()
    with lr.connect(url) as inst, inst.session() as repo:
        assert repo.filter(lr.ULabel).count() == 3 * 10 * 50
        creators = {label.created_by.handle for label in repo.filter(lr.ULabel).limit(2000)}
        assert creators == {"w1", "w2", "w3"}
