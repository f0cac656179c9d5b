"""repo.get / Model.get: id, uid, case-sensitive uid prefix, expressions, versions."""

from __future__ import annotations

import pytest

import lamin_registry as lr
from lamin_registry.errors import DoesNotExist, InvalidArgument, MultipleResultsFound


def test_get_by_id_and_full_uid(repo: lr.Repository) -> None:
    label = repo.save(lr.ULabel(name="get me"))
    assert repo.get(lr.ULabel, label.id) is label
    assert repo.get(lr.ULabel, label.uid) is label
    assert lr.ULabel.get(label.uid) is label
    assert lr.ULabel.get(label.id) is label
    assert lr.ULabel.get(name="get me") is label
    assert lr.ULabel.get(uid=label.uid) is label
    with pytest.raises(DoesNotExist):
        repo.get(lr.ULabel, label.id + 10_000)


def test_get_by_uid_prefix_is_case_sensitive(repo: lr.Repository) -> None:
    upper = repo.save(lr.ULabel(name="upper", uid="AbCdEf12"))
    lower = repo.save(lr.ULabel(name="lower", uid="abCdEf12"))
    assert repo.get(lr.ULabel, "AbCd") is upper
    assert repo.get(lr.ULabel, "abCd") is lower
    assert repo.get(lr.ULabel, "a") is lower  # unique among the uids starting with 'a'
    assert repo.get(lr.ULabel, "AbCdEf12") is upper
    with pytest.raises(DoesNotExist):
        repo.get(lr.ULabel, "ABCD")
    with pytest.raises(DoesNotExist):
        repo.get(lr.ULabel, "abcdef12")


def test_ambiguous_prefix_asks_for_more_characters(repo: lr.Repository) -> None:
    first = repo.save(lr.ULabel(name="first", uid="Zq9aaaaa"))
    second = repo.save(lr.ULabel(name="second", uid="Zq9bbbbb"))
    with pytest.raises(MultipleResultsFound, match="more characters"):
        repo.get(lr.ULabel, "Zq9")
    assert repo.get(lr.ULabel, "Zq9a") is first
    assert repo.get(lr.ULabel, "Zq9b") is second


def test_missing_uid_message(repo: lr.Repository) -> None:
    with pytest.raises(DoesNotExist) as error:
        repo.get(lr.ULabel, "zzzzzzzz")
    assert str(error.value) == (
        "No record found with uid 'zzzzzzzz'. Did you forget a keyword as in "
        "ULabel.get(name='zzzzzzzz')?"
    )
    with pytest.raises(DoesNotExist) as error:
        lr.Transform.get("my-pipeline.py")
    assert str(error.value) == (
        "No record found with uid 'my-pipeline.py'. Did you forget a keyword as in "
        "Transform.get(key='my-pipeline.py')?"
    )


def test_uid_wildcards_are_literal(repo: lr.Repository) -> None:
    repo.save(lr.ULabel(name="wild", uid="Wx0abcde"))
    for idlike in ("Wx0%", "Wx0_", "Wx0*", "Wx0?", "Wx0[a]", "%", "_", "*"):
        with pytest.raises(DoesNotExist):
            repo.get(lr.ULabel, idlike)


def test_get_by_expressions_messages(repo: lr.Repository) -> None:
    repo.save([lr.ULabel(name="twin", description=str(i)) for i in range(3)])
    # idempotent save: same name -> same record; so build duplicates with distinct types
    kinds = repo.save([lr.ULabel(name=f"Kind{i}", is_type=True) for i in range(3)])
    repo.save([lr.ULabel(name="dup", type=kind) for kind in kinds])
    with pytest.raises(DoesNotExist) as missing:
        repo.get(lr.ULabel, name="no such label")
    assert str(missing.value).startswith("ULabel matching query does not exist.")
    with pytest.raises(MultipleResultsFound) as several:
        repo.get(lr.ULabel, name="dup")
    assert str(several.value).startswith("get() returned more than one ULabel -- it returned 3!")
    assert repo.get(lr.ULabel, name="dup", type=kinds[1]).type_id == kinds[1].id


def test_get_sees_hidden_branches_by_id_and_uid_only(repo: lr.Repository) -> None:
    trashed = repo.save(lr.ULabel(name="trashed label"))
    archived = repo.save(lr.ULabel(name="archived label"))
    repo.delete(trashed)
    repo.archive(archived)
    assert trashed.branch_id == -1
    assert archived.branch_id == 0
    for record in (trashed, archived):
        assert repo.get(lr.ULabel, record.id) is record
        assert repo.get(lr.ULabel, record.uid) is record
        assert repo.get(lr.ULabel, record.uid[:6]) is record
        assert repo.get(lr.ULabel, uid=record.uid) is record
        with pytest.raises(DoesNotExist):
            repo.get(lr.ULabel, name=record.name)
        assert repo.get(lr.ULabel, name=record.name, branch_id=None) is record
    assert repo.get(lr.ULabel, name="trashed label", branch__name="trash") is trashed


def _family(repo: lr.Repository, stem: str, key: str) -> list[lr.Transform]:
    old = lr.Transform(key=key, uid=stem + "0000", version="1")
    new = lr.Transform(key=key, uid=stem + "0001", version="2")
    old.is_latest = False
    return [repo.save(old), repo.save(new)]  # two saves: distinct created_at


def test_versioned_get_returns_the_latest(repo: lr.Repository) -> None:
    old, new = _family(repo, "Vq1stemABCDE", "family.py")
    assert repo.get(lr.Transform, "Vq1stemABCDE") is new  # the stem
    assert repo.get(lr.Transform, "Vq1stem") is new  # a prefix of the stem
    assert repo.get(lr.Transform, old.uid) is old  # a full uid: that version
    assert repo.get(lr.Transform, new.uid) is new
    assert repo.get(lr.Transform, key="family.py") is new
    assert repo.get(lr.Transform, key="family.py", is_latest=False) is old
    assert repo.get(lr.Transform, key="family.py", version="1") is old
    # versions share the stem, so a stem prefix never counts as ambiguous
    _, other_new = _family(repo, "Vq1otherABCD", "other.py")
    assert repo.get(lr.Transform, "Vq1") in (new, other_new)
    with pytest.raises(DoesNotExist):
        repo.get(lr.Transform, "Vq1nothing")


def test_versioned_get_falls_back_to_the_newest_version(repo: lr.Repository) -> None:
    old, new = _family(repo, "Wq2stemABCDE", "orphaned.py")
    new.is_latest = False
    repo.save(new)
    assert repo.get(lr.Transform, "Wq2stemABCDE") in (old, new)
    assert repo.get(lr.Transform, key="orphaned.py") is new  # newest by created_at


def test_get_argument_errors(repo: lr.Repository) -> None:
    with pytest.raises(InvalidArgument, match=r"ULabel\.get\(name='...'\)"):
        repo.get(lr.ULabel)
    with pytest.raises(InvalidArgument, match="not both"):
        repo.get(lr.ULabel, 1, name="x")
    for idlike in (True, 1.5, b"abc", ["abc"]):
        with pytest.raises(InvalidArgument):
            repo.get(lr.ULabel, idlike)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="Unknown field 'nme'"):
        repo.get(lr.ULabel, nme="x")
    with pytest.raises(InvalidArgument, match="has no uid"):
        repo.get(lr.FeatureValue, "abc")
    with pytest.raises(InvalidArgument, match="registry class"):
        repo.get("ULabel", 1)  # type: ignore[arg-type]


def test_get_on_registries_without_branches(repo: lr.Repository) -> None:
    user = repo.user
    assert repo.get(lr.User, user.uid) is user
    assert repo.get(lr.User, handle=user.handle) is user
    assert repo.get(lr.Branch, -1).name == "trash"
    assert repo.get(lr.Branch, name="archive").id == 0
    with pytest.raises(DoesNotExist) as error:
        repo.get(lr.User, "zzzzzzzz")
    assert "User.get(handle='zzzzzzzz')" in str(error.value)


def test_get_by_stem_after_revising(repo: lr.Repository) -> None:
    first = repo.save(lr.Transform(key="revised.py"))
    second = repo.save(lr.Transform(key="revised.py", revises=first))
    assert second.uid[:12] == first.uid[:12]
    assert repo.get(lr.Transform, first.uid[:12]) is second
    assert repo.get(lr.Transform, first.uid) is first
    assert repo.get(lr.Transform, key="revised.py") is second
    assert lr.Transform.filter(key="revised.py").count() == 2
