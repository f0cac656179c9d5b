"""lamindb parity (issue 11): merge into any branch, branch errors, ``is_latest`` on every
move and delete, delete return values, error classes that are lamindb's builtins too,
class-only curation methods, constructor keyword messages, name de-duplication by type."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import lamin_registry as lr
from lamin_registry.errors import (
    BranchAlreadyExists,
    DoesNotExist,
    FieldValidationError,
    IntegrityError,
    InvalidArgument,
)


def stored_latest(repo: lr.Repository, *records: lr.Transform) -> list[bool]:
    """``is_latest`` as the database holds it (not the session's objects)."""
    ids = [r.id for r in records]
    rows = dict(
        repo.session.execute(
            sa.select(lr.Transform.id, lr.Transform.is_latest).where(lr.Transform.id.in_(ids))
        ).all()
    )
    return [rows[i] for i in ids]


def family(repo: lr.Repository, key: str, n: int) -> list[lr.Transform]:
    return [repo.save(lr.Transform(key=key, source_code=f"v{i}")) for i in range(n)]


# -- branches -----------------------------------------------------------------------------------


def test_merge_into_any_branch_does_not_switch(repo: lr.Repository) -> None:
    a, b = repo.create_branch("a"), repo.create_branch("b")
    repo.switch_branch("a")
    on_a = repo.save(lr.ULabel(name="on a"))
    repo.switch_branch(b.uid)  # name, uid, id or Branch
    on_b = repo.save(lr.ULabel(name="on b"))
    merged = repo.merge_branch("a")  # target: the current branch, b
    assert merged is a and a.status == "merged"
    assert repo.current_branch_id == b.id
    assert (on_a.branch_id, on_a.created_on_id) == (b.id, a.id)  # created_on never changes
    assert repo.filter(lr.ULabel, branch_id=b.id).count() == 2
    assert repo.merge_branch(b).status == "standalone"  # into itself: nothing happens
    assert on_b.branch_id == b.id
    repo.merge_branch(b.id, target="main")
    assert repo.current_branch_id == b.id and b.status == "merged"
    assert repo.session.scalar(
        sa.select(sa.func.count()).where(lr.ULabel.id.in_([on_a.id, on_b.id]),
                                         lr.ULabel.branch_id == 1)
    ) == 2


def test_branch_errors(repo: lr.Repository) -> None:
    repo.create_branch("exp")
    with pytest.raises(BranchAlreadyExists, match="'EXP' already exists"):
        repo.create_branch("EXP")
    assert issubclass(BranchAlreadyExists, IntegrityError)
    with pytest.raises(BranchAlreadyExists, match="already exists"):
        repo.save(lr.Branch(name="Exp"))  # the unique index, not only create_branch's check
    assert [b.name for b in repo.filter(lr.Branch, name__iexact="exp")] == ["exp"]
    with pytest.raises(BranchAlreadyExists, match="Omit create=True"):
        repo.switch_branch("exp", create=True)
    created = repo.switch_branch("fresh", create=True)
    assert repo.current_branch_id == created.id and created.id > 3
    with pytest.raises(DoesNotExist, match=r"^Branch 'nope' not found\.$"):
        repo.merge_branch("nope")
    with pytest.raises(DoesNotExist, match=r"^Branch 'nope' not found\.$"):
        repo.merge_branch("exp", target="nope")
    with pytest.raises(DoesNotExist, match="Branch must be saved"):
        repo.merge_branch(lr.Branch(name="unsaved"))
    with pytest.raises(DoesNotExist, match=r"does not exist\. To create and switch"):
        repo.switch_branch("nope")
    with pytest.raises(InvalidArgument, match="Only named branches"):
        repo.merge_branch("main", target="exp")
    with pytest.raises(InvalidArgument, match="built-in branch 'trash'"):
        repo.merge_branch("exp", target="trash")
    with pytest.raises(InvalidArgument):
        repo.merge_branch(3.5)  # type: ignore[arg-type]


def test_merge_reconciles_is_latest(repo: lr.Repository) -> None:
    v1 = repo.save(lr.Transform(key="k.py", source_code="1"))
    dev = repo.create_branch("dev")
    repo.switch_branch(dev)
    v2 = repo.save(lr.Transform(key="k.py", source_code="2"))  # the next version, on dev
    assert v2.uid[:12] == v1.uid[:12] and v2.branch_id == dev.id
    assert stored_latest(repo, v1, v2) == [True, True]  # one head per branch
    repo.merge_branch(dev, target="main")
    assert stored_latest(repo, v1, v2) == [False, True]  # the newest wins
    assert (v1.is_latest, v2.is_latest, v2.branch_id) == (False, True, 1)
    repo.switch_branch("main")
    assert repo.get(lr.Transform, key="k.py") is v2


# -- is_latest on deletes and restores ------------------------------------------------------------


def test_record_deletes_promote_and_restore_reconciles(repo: lr.Repository) -> None:
    v1, v2 = family(repo, "rec.py", 2)
    repo.delete(v2)
    assert stored_latest(repo, v1, v2) == [True, False] and v2.branch_id == -1
    repo.restore(v2)  # lamindb leaves two heads here; the newest is the latest again
    assert stored_latest(repo, v1, v2) == [False, True]
    assert (v1.is_latest, v2.is_latest) == (False, True)
    repo.archive(v2)
    assert stored_latest(repo, v1, v2) == [True, True]  # one head on main, one in the archive
    repo.restore(v2)
    assert stored_latest(repo, v1, v2) == [False, True]
    assert repo.delete(v2, permanent=True) is None  # Transform: None, as lamindb
    assert stored_latest(repo, v1) == [True]
    solo = repo.save(lr.Transform(key="solo.py"))
    repo.delete(solo)
    assert stored_latest(repo, solo) == [True]  # the last version keeps it, in trash


def test_query_deletes_promote(repo: lr.Repository) -> None:
    v1, v2, v3 = family(repo, "q.py", 3)
    assert repo.filter(lr.Transform, key="q.py", is_latest=True).delete() is None
    # only the head went to trash (lamindb's UPDATE trashed the promoted version too)
    assert stored_latest(repo, v1, v2, v3) == [False, True, False]
    assert repo.filter(lr.Transform, key="q.py").count() == 2
    repo.filter(lr.Transform, key="q.py", is_latest=True).delete(permanent=True)
    assert stored_latest(repo, v1, v3) == [True, False]
    assert repo.filter(lr.Transform, key="q.py", branch_id=None).count() == 2
    repo.filter(lr.Transform, key="q.py", branch_id=-1).restore()
    assert stored_latest(repo, v1, v3) == [False, True]
    repo.filter(lr.Transform, key="q.py").delete()  # the whole family: the head keeps it
    assert stored_latest(repo, v1, v3) == [False, True]


# -- delete return values (features reference §9) -----------------------------------------------


def test_permanent_delete_returns_django_counts(repo: lr.Repository) -> None:
    label = repo.save(lr.ULabel(name="gone"))
    assert label.delete(permanent=True) == (1, {"lamindb.ULabel": 1})
    parent = repo.save(lr.ULabel(name="parent"))
    child = repo.save(lr.ULabel(name="child"))
    child.parents.append(parent)
    repo.session.flush()
    assert repo.delete(child, permanent=True) == (
        2, {"lamindb.ULabel_parents": 1, "lamindb.ULabel": 1}
    )
    repo.save(lr.Feature(name="age", dtype=int))
    kind = repo.save(lr.Record(name="Kind", is_type=True))
    repo.save(lr.Feature(name="kind", dtype=kind))
    human = repo.save(lr.Record(name="human", type=kind))
    record = repo.save(lr.Record(name="r", features={"age": 3, "kind": human}))
    assert repo.delete(record, permanent=True) == (
        3, {"lamindb.RecordJson": 1, "lamindb.RecordRecord": 1, "lamindb.Record": 1}
    )
    space = repo.save(lr.Space(name="scratch"))
    assert repo.delete(space, permanent=True) == (1, {"lamindb.Space": 1})


def test_delete_returns_none_elsewhere(repo: lr.Repository) -> None:
    transform = repo.save(lr.Transform(key="t.py"))
    run = repo.save(lr.Run(transform))
    assert repo.delete(run, permanent=True) is None
    assert repo.delete(transform, permanent=True) is None
    label = repo.save(lr.ULabel(name="soft"))
    assert label.delete() is None and label.branch_id == -1
    assert lr.ULabel(name="unsaved").delete() is None
    repo.save(lr.ULabel(name="q1"))
    assert repo.filter(lr.ULabel, name="q1").delete(permanent=True) is None


# -- errors -------------------------------------------------------------------------------------


def test_errors_are_lamindbs_builtin_kinds(repo: lr.Repository) -> None:
    for bad in ({"key": "a/../b"}, {"key": "a\\b"}, {"key": "k", "version": 0}):
        with pytest.raises(ValueError) as raised:
            lr.Transform(**bad)
        assert isinstance(raised.value, FieldValidationError)
    with pytest.raises(ValueError):
        lr.ULabel("positional")  # type: ignore[misc]
    with pytest.raises(TypeError):  # lamindb: TypeError("`revises` has to be of type ...")
        repo.save(lr.Transform(key="x.py", revises=repo.save(lr.ULabel(name="l"))))
    with pytest.raises(TypeError):
        lr.Space(nme="x")


def test_unknown_keyword_names_the_constructor_parameters() -> None:
    with pytest.raises(FieldValidationError) as raised:
        lr.ULabel(nme="x")
    assert str(raised.value).endswith(
        "Only name, description, reference, reference_type, is_type, type, branch, space are "
        "valid keyword arguments"
    )
    with pytest.raises(FieldValidationError) as raised:
        lr.Record(nme="x")
    message = str(raised.value)
    assert "features" in message and "schema" in message
    assert "children" not in message and "created_by" not in message and "uid" not in message
    with pytest.raises(FieldValidationError, match="revises"):
        lr.Transform(keys="x")


@pytest.mark.parametrize("method", ["validate", "inspect", "standardize", "from_values"])
def test_class_only_curation_methods_refuse_records(repo: lr.Repository, method: str) -> None:
    label = repo.save(lr.ULabel(name="T cell"))
    assert hasattr(label, method)
    with pytest.raises(TypeError, match=rf"ULabel\.{method}\(\) is a class method and must be "
                       r"called on the ULabel class, not on a ULabel object"):
        getattr(label, method)(["T cell"])
    getattr(lr.ULabel, method)(["T cell"])  # the class still works


# -- name de-duplication by type (behaviour §7.3) ------------------------------------------------


def test_dedupe_without_type_matches_across_the_registry(repo: lr.Repository) -> None:
    kind = repo.save(lr.Record(name="MyType", is_type=True))
    typed = repo.save(lr.Record(name="label 1", type=kind))
    assert repo.save(lr.Record(name="label 1")) is typed  # no type passed: any type
    assert repo.save(lr.Record(name="label 1", type=kind)) is typed
    untyped = repo.save(lr.Record(name="label 1", type=None))  # type=None: untyped only
    assert untyped is not typed and untyped.type_id is None
    assert repo.save(lr.Record(name="label 1", type=None)) is untyped
    assert repo.save(lr.Record(name="label 1")) is typed  # the lowest id wins
    other = repo.save(lr.Record(name="Other", is_type=True))
    assert repo.save(lr.Record(name="label 1", type=other)) not in (typed, untyped)
    batch = repo.save([lr.Record(name="fresh"), lr.Record(name="fresh")])
    assert batch[0] is batch[1]
