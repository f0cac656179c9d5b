"""A session stays usable and truthful (issue 13): a caught error does not poison it, records
deleted for good leave loaded collections, and run inputs include records the session knew."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

import lamin_registry as lr
from lamin_registry.errors import IntegrityError, NoWriteAccess


@pytest.fixture
def inst(fresh_url: str) -> lr.Instance:
    instance = lr.connect(fresh_url, user="alice")
    yield instance
    instance.close()


def _lab_readable_by_bob(inst: lr.Instance) -> tuple[lr.Space, lr.ULabel]:
    with inst.session() as alice:
        lab = alice.save(lr.Space(name="lab"))
        alice.save(lr.User(handle="bob"))
        alice.grant("bob", lab, "read")
        secret = alice.save(lr.ULabel(name="secret", space=lab))
    return lab, secret


def test_caught_no_write_access_on_an_edit_does_not_poison_the_session(
    inst: lr.Instance,
) -> None:
    _, secret = _lab_readable_by_bob(inst)
    with inst.session(user="bob") as bob:
        label = bob.get(lr.ULabel, secret.id)
        label.name = "renamed by bob"
        with pytest.raises(NoWriteAccess):
            bob.save(label)
        assert label.name == "secret"  # the refused edit is undone on the spot
        kept = bob.save(lr.ULabel(name="bob's own"))  # the rest of the session commits
    with inst.session() as alice:
        assert alice.get(lr.ULabel, secret.id).name == "secret"
        assert alice.get(lr.ULabel, kept.id).name == "bob's own"


def test_caught_no_write_access_with_sugar_and_autoflush(inst: lr.Instance) -> None:
    _, secret = _lab_readable_by_bob(inst)
    with inst.session(user="bob"):
        label = lr.ULabel.get(secret.id)
        label.description = "bob was here"
        with pytest.raises(NoWriteAccess):
            lr.ULabel.filter(name="secret").count()  # the autoflush meets the refusal
        lr.ULabel(name="sugar").save()
    with inst.session() as alice:
        assert alice.get(lr.ULabel, secret.id).description is None
        assert alice.filter(lr.ULabel, name="sugar").count() == 1


def test_refused_delete_is_reverted(inst: lr.Instance) -> None:
    _, secret = _lab_readable_by_bob(inst)
    with inst.session(user="bob") as bob:
        label = bob.get(lr.ULabel, secret.id)
        bob.session.delete(label)
        with pytest.raises(NoWriteAccess):
            bob.session.flush()
        bob.save(lr.ULabel(name="after the refusal"))
    with inst.session() as alice:
        assert alice.get(lr.ULabel, secret.id).name == "secret"


def test_failed_flush_leaves_no_pending_rollback(inst: lr.Instance) -> None:
    with inst.session() as repo:
        first = repo.save(lr.ULabel(name="first"))
        clash = repo.save(lr.ULabel(name="clash"))
        clash.uid = first.uid  # a unique violation at flush
        with pytest.raises(IntegrityError):
            repo.save(clash)
        assert repo.filter(lr.ULabel).count() == 2  # no PendingRollbackError
        repo.save(lr.ULabel(name="later"))
    with inst.session() as repo:
        assert sorted(repo.filter(lr.ULabel).to_list("name")) == ["clash", "first", "later"]
        assert repo.get(lr.ULabel, name="clash").uid != first.uid


def test_permanent_delete_leaves_loaded_collections(inst: lr.Instance) -> None:
    with inst.session() as repo:
        kind = repo.save(lr.ULabel(name="Kind", is_type=True))
        a, b = repo.save([lr.ULabel(name="a", type=kind), lr.ULabel(name="b", type=kind)])
        lab = repo.save(lr.Space(name="lab"))
        in_lab = repo.save(lr.ULabel(name="in lab", space=lab))
        assert {label.name for label in kind.ulabels} == {"a", "b"}
        assert [label.name for label in lab.ulabel_set] == ["in lab"]
        repo.delete(a, permanent=True)
        assert [label.name for label in kind.ulabels] == ["b"]
        repo.filter(lr.ULabel, name="b").delete(permanent=True)  # through a query
        assert kind.ulabels == []
        repo.delete(in_lab, permanent=True)
        assert lab.ulabel_set == []
        assert b not in repo.session


def test_run_inputs_include_artifacts_created_earlier_in_the_session(inst: lr.Instance) -> None:
    with inst.session() as repo:
        storage = repo.save(lr.Storage(root=f"/s{uuid.uuid4().hex[:6]}", type="local"))
        earlier = repo.save(lr.Artifact(key="earlier.csv", storage=storage))
        transform = repo.save(lr.Transform(key="pipeline"))
        with repo.track(transform) as run:
            assert repo.get(lr.Artifact, key="earlier.csv") is earlier  # identity-map hit
            output = repo.save(lr.Artifact(key="output.csv", storage=storage))
            repo.filter(lr.Artifact).all()  # the run's own output is not an input
        repo.session.expire(run, ["input_artifacts"])
        assert [artifact.key for artifact in run.input_artifacts] == ["earlier.csv"]
        assert output.run_id == run.id
    with inst.session() as repo:
        link = sa.text("SELECT count(*) FROM lamindb_artifact_input_of_runs WHERE run_id = :r")
        assert repo.session.execute(link, {"r": run.id}).scalar_one() == 1
