"""Branches, spaces and access, run inputs, versions (issue 4)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

import lamin_registry as lr
from lamin_registry.errors import DoesNotExist, InvalidArgument, NoWriteAccess
from tests.conftest import fresh_database


@pytest.fixture
def inst(fresh_url: str) -> Iterator[lr.Instance]:
    """A fresh instance created by alice; other users act in their own sessions."""
    instance = lr.connect(fresh_url, user="alice")
    yield instance
    instance.close()


def count_rows(repo: lr.Repository, model: type) -> int:
    table = sa.inspect(model).local_table
    return int(repo.session.scalar(sa.select(sa.func.count()).select_from(table)))


# -- branch codes -------------------------------------------------------------------------------


def test_branch_codes_visibility_on_every_read_path(repo: lr.Repository) -> None:
    kind = repo.save(lr.ULabel(name="Kind", is_type=True))
    labels = {
        code: repo.save(lr.ULabel(name=f"on {code}", type=kind, branch_id=code))
        for code in (-1, 0, 1, 2, 3)
    }
    visible = {"on 1", "on 2"}
    assert set(repo.filter(lr.ULabel, type=kind).to_list("name")) == visible
    assert repo.filter(lr.ULabel, type=kind).count() == 2
    assert set(repo.to_dataframe(lr.ULabel, limit=None)["name"]) - {"Kind"} == visible
    repo.session.expire(kind, ["ulabels"])
    assert {label.name for label in kind.ulabels} == visible  # relationship collection
    for code in (-1, 0, 3):
        with pytest.raises(DoesNotExist):
            repo.get(lr.ULabel, name=f"on {code}")
        assert repo.get(lr.ULabel, labels[code].uid) is labels[code]  # by uid: any branch
        assert repo.get(lr.ULabel, labels[code].id) is labels[code]
        assert repo.filter(lr.ULabel, branch_id=code).one() is labels[code]
    assert repo.filter(lr.ULabel, branch_id=None).count() == 6
    assert repo.filter(lr.ULabel, branch__name="template").one() is labels[3]


def test_archived_records_are_read_only(repo: lr.Repository) -> None:
    label = repo.save(lr.ULabel(name="old"))
    repo.archive(label)
    label.description = "edit"
    with pytest.raises(NoWriteAccess, match="archived"):
        repo.save(label)
    repo.refresh(label)
    assert label.description is None and label.branch_id == 0
    repo.restore(label)
    label.description = "edit after restore"
    repo.save(label)
    assert repo.get(lr.ULabel, label.id).description == "edit after restore"


def test_locked_records_need_a_space_admin(inst: lr.Instance) -> None:
    with inst.session() as alice:
        locked = alice.save(lr.ULabel(name="locked", is_locked=True))
        on_branch_2 = alice.save(lr.ULabel(name="branch 2", branch_id=2))
    for record in (locked, on_branch_2):
        with pytest.raises(NoWriteAccess, match="locked"), inst.session(user="bob") as bob:
            mine = bob.get(lr.ULabel, record.id)
            mine.description = "bob was here"
            bob.save(mine)
        with pytest.raises(NoWriteAccess, match="locked"), inst.session(user="bob") as bob:
            bob.delete(bob.get(lr.ULabel, record.id), permanent=True)
    with pytest.raises(NoWriteAccess, match="locked"), inst.session(user="bob") as bob:
        bob.filter(lr.ULabel, name="branch 2").delete()
    with pytest.raises(NoWriteAccess, match="admin"), inst.session(user="bob") as bob:
        bob.save(lr.ULabel(name="bob locks", is_locked=True))
    with inst.session(user="bob") as bob:
        assert bob.filter(lr.ULabel, name__in=["locked", "branch 2"]).count() == 2  # visible
    with inst.session() as alice:  # alice created the instance: admin of every space
        mine = alice.get(lr.ULabel, locked.id)
        assert mine.description is None
        mine.description = "the admin may"
        alice.save(mine)
    with inst.session() as alice:
        assert alice.get(lr.ULabel, locked.id).description == "the admin may"
        assert alice.filter(lr.ULabel, branch_id=None).count() == 2


# -- named branches ---------------------------------------------------------------------------


def test_named_branch_create_switch_merge(inst: lr.Instance) -> None:
    with inst.session() as repo:
        repo.save(lr.ULabel(name="on main"))
        branch = repo.create_branch("experiment")
        assert branch.id > 3 and branch.status == "standalone"
        repo.switch_branch("experiment")
        via_sugar = lr.ULabel(name="sugar on branch").save()
        draft = repo.save(lr.ULabel(name="on branch"))
        bulk = repo.save([lr.ULabel(name=f"bulk {i}") for i in range(3)])
        assert {draft.branch_id, draft.created_on_id, via_sugar.branch_id} == {branch.id}
        assert all(x.branch_id == branch.id for x in bulk)
        assert set(repo.filter(lr.ULabel).to_list("name")) >= {"on main", "on branch"}
    with inst.session(user="carol") as other:  # named branches are per repository
        assert set(other.filter(lr.ULabel).to_list("name")) == {"on main"}
    with inst.session() as repo:
        repo.switch_branch("experiment")
        assert repo.merge_branch("experiment").status == "standalone"  # into itself: no-op
        merged = repo.merge_branch("experiment", target="main")
        assert merged.status == "merged"
        assert repo.current_branch_id == branch.id  # merging does not switch
    with inst.session(user="carol") as other:
        assert other.filter(lr.ULabel).count() == 6
        moved = other.get(lr.ULabel, draft.id)
        assert (moved.branch_id, moved.created_on_id) == (1, branch.id)
        with pytest.raises(InvalidArgument, match="merged"):
            other.switch_branch("experiment")
        with pytest.raises(InvalidArgument, match="built-in"):
            other.switch_branch("trash")
        with pytest.raises(DoesNotExist, match=r"switch_branch\('nope', create=True\)"):
            other.switch_branch("nope")
    with pytest.raises(lr.errors.IntegrityError), inst.session() as repo:
        repo.create_branch("EXPERIMENT")  # names are unique case-insensitively


# -- spaces -------------------------------------------------------------------------------------


def test_space_access_on_every_api(inst: lr.Instance) -> None:
    with inst.session() as alice:
        lab = alice.save(lr.Space(name="lab"))
        kind = alice.save(lr.ULabel(name="Kind", is_type=True))
        secret = alice.save(lr.ULabel(name="secret", space=lab, type=kind))
        public = alice.save(lr.ULabel(name="public", type=kind))
        before = count_rows(alice, lr.ULabel)
    with inst.session(user="bob") as bob:
        assert bob.filter(lr.ULabel, type__name="Kind").to_list("name") == ["public"]
        assert bob.filter(lr.ULabel, branch_id=None, name="secret").count() == 0
        for idlike in (secret.id, secret.uid, secret.uid[:6]):
            with pytest.raises(DoesNotExist):
                bob.get(lr.ULabel, idlike)
        with pytest.raises(DoesNotExist):
            bob.get(lr.ULabel, name="secret")
        assert "secret" not in set(bob.to_dataframe(lr.ULabel, limit=None)["name"])
        assert [label.name for label in bob.get(lr.ULabel, kind.id).ulabels] == ["public"]
        assert list(bob.get(lr.Space, lab.id).ulabel_set) == []
        assert bob.get(lr.Space, name="lab").id == lab.id  # spaces themselves: readable
    with pytest.raises(NoWriteAccess, match="space 'lab'"), inst.session(user="bob") as bob:
        bob.save(lr.ULabel(name="intruder", space_id=lab.id))
    with pytest.raises(NoWriteAccess), inst.session(user="bob") as bob:
        bob.save([lr.ULabel(name=f"intruder {i}", space_id=lab.id) for i in range(3)])
    with pytest.raises(NoWriteAccess, match="moving"), inst.session(user="bob") as bob:
        mine = bob.get(lr.ULabel, public.id)
        mine.space_id = lab.id
        bob.save(mine)
    with inst.session() as alice:
        assert count_rows(alice, lr.ULabel) == before
        assert alice.get(lr.ULabel, public.id).space_id == 1


def test_grant_read_write_revoke_and_teams(inst: lr.Instance) -> None:
    with inst.session() as alice:
        lab = alice.save(lr.Space(name="lab"))
        secret = alice.save(lr.ULabel(name="secret", space=lab))
        alice.save(lr.User(handle="bob"))
        alice.save(lr.User(handle="carol"))
    with inst.session(user="bob") as bob:
        assert bob.filter(lr.ULabel, name="secret").count() == 0
    with inst.session() as alice:
        alice.grant("bob", lab, "read")
    with inst.session(user="bob") as bob:
        assert bob.get(lr.ULabel, secret.uid).name == "secret"
    with pytest.raises(NoWriteAccess), inst.session(user="bob") as bob:
        bob.save(lr.ULabel(name="x", space_id=lab.id))
    with pytest.raises(NoWriteAccess), inst.session(user="bob") as bob:
        bob.filter(lr.ULabel, name="secret").delete()
    with inst.session() as alice:
        alice.grant(alice.get(lr.User, handle="bob"), "lab", "write")
    with inst.session(user="bob") as bob:
        assert bob.save(lr.ULabel(name="by bob", space_id=lab.id)).space_id == lab.id
        bob.filter(lr.ULabel, name="secret").delete()
        assert bob.filter(lr.ULabel, name="secret").count() == 0
    with pytest.raises(NoWriteAccess, match="admin"), inst.session(user="bob") as bob:
        bob.grant("carol", lab, "read")  # writers cannot grant
    with inst.session() as alice:
        alice.revoke("bob", lab)
    with inst.session(user="bob") as bob:
        assert bob.filter(lr.ULabel, branch_id=None, space_id=lab.id).count() == 0
    with inst.session() as alice:  # teams
        team = lr.Team(name="wetlab")
        team.members.append(alice.get(lr.User, handle="carol"))
        alice.session.add(team)
        alice.session.flush()
        alice.grant("wetlab", lab, "read")
        with pytest.raises(InvalidArgument, match="role"):
            alice.grant("bob", lab, "owner")
        with pytest.raises(InvalidArgument, match="nobody"):
            alice.grant("nobody", lab, "read")
    with inst.session(user="carol") as carol:
        assert carol.filter(lr.ULabel, name="by bob").count() == 1


def test_space_creator_administers_it(inst: lr.Instance) -> None:
    with inst.session(user="carol"):
        pass
    with inst.session(user="bob") as bob:
        own = bob.save(lr.Space(name="bob's"))
        assert own.created_by_id == bob.user_id
        bob.save(lr.ULabel(name="bob's label", space=own))
        bob.grant("carol", own, "read")
    with inst.session(user="carol") as carol:
        assert carol.filter(lr.ULabel, name="bob's label").count() == 1
    with inst.session(user="dave") as dave:
        assert dave.filter(lr.ULabel, name="bob's label").count() == 0
    with inst.session() as alice:  # instance creator: admin of every space
        assert alice.filter(lr.ULabel, name="bob's label").count() == 1


@pytest.fixture(scope="module")
def pg_instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[lr.Instance]:
    """A PostgreSQL instance of its own: row-level security exists only there."""
    with fresh_database("postgresql", tmp_path_factory.mktemp("rls")) as url:
        inst = lr.connect(url, user="alice")
        yield inst
        inst.close()


def test_postgres_row_level_security_for_raw_sql(pg_instance: lr.Instance) -> None:
    """Raw SQL through a non-owner role sees only what the acting user may read."""
    instance = pg_instance
    suffix = uuid.uuid4().hex[:6]
    with instance.session() as alice:
        lab = alice.save(lr.Space(name=f"lab {suffix}"))
        alice.save(lr.ULabel(name=f"secret {suffix}", space=lab))
        alice.save(lr.ULabel(name=f"public {suffix}"))
    with instance.session(user=f"bob{suffix}") as bob:
        bob_id = bob.user_id
    owner = instance.engine
    with owner.begin() as connection:
        connection.exec_driver_sql("GRANT USAGE ON SCHEMA public TO lamin_app")
        connection.exec_driver_sql(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO lamin_app"
        )
        connection.exec_driver_sql("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO lamin_app")
    app_url = owner.url.set(username="lamin_app", password="lamin_app")
    app = sa.create_engine(app_url)
    names = sa.text("SELECT name FROM lamindb_ulabel WHERE name LIKE :pattern")
    try:
        with app.begin() as connection:
            anonymous = set(connection.execute(names, {"pattern": f"%{suffix}"}).scalars())
            assert anonymous == {f"public {suffix}"}
            connection.execute(
                sa.text("SELECT set_config('lamin_registry.user_id', :u, true)"), {"u": str(bob_id)}
            )
            assert set(connection.execute(names, {"pattern": f"%{suffix}"}).scalars()) == {
                f"public {suffix}"
            }
            connection.execute(
                sa.text("SELECT set_config('lamin_registry.user_id', '1', true)")
            )
            assert set(connection.execute(names, {"pattern": f"%{suffix}"}).scalars()) == {
                f"public {suffix}",
                f"secret {suffix}",
            }
        with pytest.raises(sa.exc.ProgrammingError, match="row-level security"), app.begin() as c:
            c.execute(
                sa.text("SELECT set_config('lamin_registry.user_id', :u, true)"), {"u": str(bob_id)}
            )
            c.execute(
                sa.text(
                    "INSERT INTO lamindb_ulabel (uid, name, space_id, created_by_id) "
                    "VALUES ('rlsrlsrl', 'forbidden', :space, :user)"
                ),
                {"space": lab.id, "user": bob_id},
            )
    finally:
        app.dispose()


# -- runs -------------------------------------------------------------------------------------


def test_track_records_inputs(repo: lr.Repository) -> None:
    storage = repo.save(lr.Storage(root="/data", type="local"))
    source = repo.save(lr.Artifact(key="in.csv", storage=storage))
    collection = repo.save(lr.Collection(key="inputs"))
    transform = repo.save(lr.Transform(key="step.py"))
    repo.session.expunge_all()  # loading inside the block is what counts
    with repo.track(transform) as run:
        loaded = repo.get(lr.Artifact, key="in.csv")
        repo.filter(lr.Collection, key="inputs").all()
        output = repo.save(lr.Artifact(key="out.csv", storage_id=storage.id))
    assert [a.id for a in run.input_artifacts] == [loaded.id] == [source.id]
    assert [c.id for c in run.input_collections] == [collection.id]
    assert output.run_id == run.id and output not in run.input_artifacts
    assert [a.key for a in run.output_artifacts] == ["out.csv"]


# -- versions ---------------------------------------------------------------------------------


def test_errored_run_outlives_the_rollback(inst: lr.Instance) -> None:
    """The session rolls back everything saved in the block, but the errored run stays."""
    with inst.session() as alice:
        kept_transform = alice.save(lr.Transform(key="existing.py"))
    with (
        pytest.raises(RuntimeError, match="boom"),
        inst.session(user="dora") as dora,
        dora.track(kept_transform) as first,
    ):
        dora.save(lr.ULabel(name="made before the error"))
        raise RuntimeError("boom")
    new_transform = lr.Transform(key="new.py")
    with (
        pytest.raises(KeyError),
        inst.session(user="dora") as dora,
        dora.track(new_transform) as second,
    ):
        raise KeyError("missing")
    with inst.session() as alice:
        assert alice.filter(lr.ULabel, name="made before the error").count() == 0
        dora_user = alice.get(lr.User, handle="dora")
        for run, transform_key, message in (
            (first, "existing.py", "RuntimeError: boom"),
            (second, "new.py", "KeyError: 'missing'"),
        ):
            stored = alice.get(lr.Run, run.uid)
            assert stored.status == "errored" and stored.finished_at is not None
            assert stored.aux == {"error": message}
            assert stored.transform.key == transform_key
            assert stored.created_by_id == dora_user.id
        assert alice.get(lr.Transform, key="new.py").uid == new_transform.uid
    # an error outside track() keeps nothing
    with pytest.raises(ValueError), inst.session() as alice:
        alice.save(lr.ULabel(name="discarded"))
        raise ValueError
    with inst.session() as alice:
        assert alice.filter(lr.Run).count() == 2


def test_version_chain(repo: lr.Repository, caplog: pytest.LogCaptureFixture) -> None:
    t1 = repo.save(lr.Transform(key="Introduction", description="intro"))
    assert t1.uid.endswith("0000") and t1.is_latest and t1.version == "0000"
    t2 = repo.save(lr.Transform(revises=t1, version="2"))
    assert t2.uid == t1.uid[:12] + "0001"
    assert (t2.key, t2.description, t2.version) == ("Introduction", "intro", "2")
    assert t2.is_latest and not t1.is_latest
    t3 = repo.save(lr.Transform(revises=t2))
    assert t3.uid.endswith("0002")
    assert repo.get(lr.Transform, t1.uid[:12]) is t3
    assert repo.get(lr.Transform, key="Introduction") is t3
    assert repo.filter(lr.Transform, key="Introduction").count() == 3
    with repo:
        assert [t.uid for t in t1.versions] == [t3.uid, t2.uid, t1.uid]
    with caplog.at_level(logging.INFO, logger="lamin_registry"):
        repo.delete(t3)
    assert "new latest Transform version is" in caplog.text
    assert t2.is_latest and not t3.is_latest
    assert repo.get(lr.Transform, t1.uid[:12]) is t2
    t4 = repo.save(lr.Transform(revises=t2))
    assert t4.uid.endswith("0003")  # the trashed version still counts
    with caplog.at_level(logging.WARNING, logger="lamin_registry"):
        t5 = repo.save(lr.Transform(revises=t1))  # stale: t4 is the head
    assert "was not the latest version" in caplog.text
    assert t5.uid.endswith("0004") and not t4.is_latest
    t6 = repo.save(lr.Transform(revises=t5, version="6"))
    with pytest.raises(InvalidArgument, match="'6' is already taken"):
        repo.save(lr.Transform(revises=t6, version="6"))
    with pytest.raises(lr.errors.FieldValidationError, match="has to be of type `Transform`"):
        lr.Transform(revises=lr.ULabel(name="x"))
    assert repo.filter(lr.Transform, is_latest=True, key="Introduction").count() == 1


def test_artifact_versions_and_suffix_arithmetic(repo: lr.Repository) -> None:
    storage = repo.save(lr.Storage(root="/data", type="local"))
    first = repo.save(lr.Artifact(key="x.csv", storage=storage, uid="A" * 16 + "0009"))
    second = repo.save(lr.Artifact(revises=first, storage=storage))
    assert second.uid == "A" * 16 + "000A"
    assert len(second.uid) == 20 and second.key == "x.csv"
