"""save, idempotent save, delete/restore/archive, refresh, feature values, runs, models."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
import sqlalchemy as sa

import lamin_registry as lr
from lamin_registry.errors import (
    FieldValidationError,
    IntegrityError,
    InvalidArgument,
    ValidationError,
)
from lamin_registry.uids import ALPHABET


def test_save_returns_persistent_record_with_stamps(repo: lr.Repository) -> None:
    label = repo.save(lr.ULabel(name="T cell", description="a lymphocyte"))
    assert label.id is not None
    assert label.created_by_id == repo.user_id
    assert label.branch_id == label.created_on_id == 1
    assert label.space_id == 1
    assert label.created_at.tzinfo is not None
    assert repo.get(lr.ULabel, label.id) is label


def test_edit_and_save_refreshes_updated_at(repo: lr.Repository) -> None:
    label = repo.save(lr.ULabel(name="x"))
    before = label.updated_at
    label.description = "changed"
    repo.save(label)
    repo.refresh(label)
    assert label.description == "changed"
    assert label.updated_at > before
    assert label.created_at <= before


def test_idempotent_save_returns_stored_record(
    repo: lr.Repository, caplog: pytest.LogCaptureFixture
) -> None:
    first = repo.save(lr.ULabel(name="Label1"))
    with caplog.at_level(logging.INFO, logger="lamin_registry"):
        again = repo.save(lr.ULabel(name="Label1", description="new text"))
    assert again is first
    assert "returning ulabel with same name: 'Label1'" in caplog.text
    assert first.description == "new text"  # lamindb copies differing non-None values
    assert repo.filter(lr.ULabel, name="Label1").count() == 1


def test_idempotent_save_is_case_sensitive_and_type_scoped(repo: lr.Repository) -> None:
    kind = repo.save(lr.ULabel(name="Kind", is_type=True))
    plain = repo.save(lr.ULabel(name="label 1"))
    typed = repo.save(lr.ULabel(name="label 1", type=kind))
    assert typed is not plain and typed.type_id == kind.id
    assert repo.save(lr.ULabel(name="label 1", type=kind)) is typed
    assert repo.save(lr.ULabel(name="Label 1")) is not plain


def test_idempotent_save_ignores_trash(repo: lr.Repository) -> None:
    old = repo.save(lr.ULabel(name="gone"))
    repo.delete(old)
    new = repo.save(lr.ULabel(name="gone"))
    assert new is not old
    assert new.branch_id == 1


def test_bulk_save_dedupes_within_batch_and_against_db(repo: lr.Repository) -> None:
    stored = repo.save(lr.ULabel(name="a"))
    result = repo.save([lr.ULabel(name="a"), lr.ULabel(name="b"), lr.ULabel(name="b")])
    assert result[0] is stored
    assert result[1] is result[2]
    assert repo.filter(lr.ULabel).count() == 2


def test_user_handle_is_the_name_field(repo: lr.Repository) -> None:
    assert repo.save(lr.User(handle="alice")) is repo.user


def test_constructor_validation() -> None:
    with pytest.raises(FieldValidationError, match="keyword arguments"):
        lr.ULabel("T cell")  # type: ignore[misc]
    with pytest.raises(FieldValidationError, match=r"Only .*name.* are valid keyword arguments"):
        lr.ULabel(nme="x")
    with pytest.raises(FieldValidationError, match=re.escape("['name'] are required.")):
        lr.ULabel(description="no name")
    with pytest.raises(FieldValidationError, match="at most 150 characters"):
        lr.ULabel(name="x" * 151)
    with pytest.raises(FieldValidationError, match="expects str"):
        lr.ULabel(name=5)
    with pytest.raises(ValidationError, match="must be exactly 8 characters long, got 3"):
        lr.ULabel(name="x", uid="abc")
    with pytest.raises(ValidationError, match="Please pass dtype"):
        lr.Feature(name="no dtype")
    with pytest.raises(FieldValidationError, match="kind: foo is not a valid value"):
        lr.Transform(key="t", kind="foo")
    with pytest.raises(FieldValidationError, match="Enter a valid URL"):
        lr.Project(name="p", url="not a url")
    with pytest.raises(FieldValidationError, match="Must be a DOI"):
        lr.Reference(name="r", doi="11.1/x")
    assert lr.Reference(name="r", doi="https://doi.org/10.1000/xyz123").doi
    with pytest.raises(FieldValidationError, match="backslash"):
        lr.Transform(key="a\\b")
    with pytest.raises(FieldValidationError, match=r"'\.\.'"):
        lr.Transform(key="a/../b")


@pytest.mark.parametrize(
    ("model", "kwargs", "length"),
    [
        (lr.ULabel, {"name": "x"}, 8),
        (lr.User, {"handle": "x"}, 8),
        (lr.Space, {"name": "x"}, 12),
        (lr.Feature, {"name": "x", "dtype": "str"}, 12),
        (lr.Project, {"name": "x"}, 12),
        (lr.Reference, {"name": "x"}, 12),
        (lr.Storage, {"root": "/tmp/x", "type": "local"}, 12),
        (lr.Record, {}, 16),
        (lr.Schema, {}, 16),
        (lr.Transform, {"key": "x"}, 16),
        (lr.Collection, {"key": "x"}, 20),
    ],
)
def test_uid_lengths_and_alphabet(model: type, kwargs: dict[str, object], length: int) -> None:
    uid = model(**kwargs).uid
    assert len(uid) == length
    assert set(uid) <= set(ALPHABET)
    if model in (lr.Transform, lr.Collection):
        assert uid.endswith("0000")


def test_uids_from_the_pool_are_distinct_across_threads_and_a_fork() -> None:
    """uids come from a per-length pool: never handed out twice, in threads or a child."""
    import os
    import sys
    import threading

    from lamin_registry.uids import base62

    drawn: list[str] = []

    def draw() -> None:
        drawn.extend(base62(8) for _ in range(3_000))

    threads = [threading.Thread(target=draw) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(drawn)) == len(drawn) == 12_000
    assert all(len(uid) == 8 and set(uid) <= set(ALPHABET) for uid in drawn)
    if sys.platform == "win32" or not hasattr(os, "fork"):
        return
    base62(12)  # the pool of 12-character uids is filled in the parent
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.write(write, "".join(base62(12) for _ in range(10)).encode())
        os._exit(0)
    os.waitpid(pid, 0)
    os.close(write)
    child = os.read(read, 120).decode()
    os.close(read)
    parent = "".join(base62(12) for _ in range(10))
    assert len(child) == 120 and child != parent


def test_repr_shows_uid_first() -> None:
    text = repr(lr.ULabel(name="T cell", uid="abcdEFGH"))
    assert text.startswith("ULabel(uid='abcdEFGH', name='T cell'")


def test_aux_property() -> None:
    label = lr.ULabel(name="x")
    assert label.aux is None
    label.aux = {"k": 1}
    assert label._aux == {"k": 1}
    label.aux = {}
    assert label.aux is None and label._aux is None


def test_records_of_an_earlier_session(fresh_url: str) -> None:
    """delete/archive/restore/save of a record loaded by another session write to the database."""
    inst = lr.connect(fresh_url, user="alice")
    try:
        with inst.session() as first:
            x, y, z = first.save([lr.ULabel(name=n) for n in ("x", "y", "z")])
        with inst.session() as repo:
            repo.delete(x)
            repo.archive(y)
        assert (x.branch_id, y.branch_id) == (-1, 0)
        with inst.session() as repo:
            every = repo.filter(lr.ULabel, branch_id=None)
            stored = {label.name: label.branch_id for label in every}
            assert stored == {"x": -1, "y": 0, "z": 1}
            held = repo.get(lr.ULabel, z.id)  # this session already holds z's row
            repo.delete(z)
            assert held.branch_id == -1 and z.branch_id == -1
            repo.restore(x)
            z.description = "edited elsewhere"
            assert repo.save(z) is held and held.description == "edited elsewhere"
        with inst.session() as repo:
            assert repo.get(lr.ULabel, x.id).branch_id == 1
            assert repo.get(lr.ULabel, z.id).description == "edited elsewhere"
            repo.delete(y, permanent=True)
            assert repo.filter(lr.ULabel, branch_id=None).count() == 2
    finally:
        inst.close()


def test_soft_delete_restore_archive(repo: lr.Repository) -> None:
    label = repo.save(lr.ULabel(name="x"))
    repo.delete(label)
    assert label.branch_id == -1
    assert repo.filter(lr.ULabel, name="x").count() == 0
    assert repo.get(lr.ULabel, label.uid) is label  # get by uid sees the trash
    repo.restore(label)
    assert label.branch_id == 1
    repo.archive(label)
    assert label.branch_id == 0
    assert not repo.filter(lr.ULabel, name="x").exists()
    assert repo.filter(lr.ULabel, branch_id=0).one() is label


def test_permanent_delete_and_protected_references(repo: lr.Repository) -> None:
    kind = repo.save(lr.ULabel(name="Kind", is_type=True))
    child = repo.save(lr.ULabel(name="child", type=kind))
    with pytest.raises(IntegrityError, match=r"protected foreign keys: 'lamindb_ulabel\.type_id'"):
        repo.delete(kind, permanent=True)
    assert repo.get(lr.ULabel, kind.id) is kind  # nothing happened
    repo.delete(child, permanent=True)
    repo.delete(kind, permanent=True)
    assert repo.filter(lr.ULabel, branch_id=None).count() == 0


def test_registries_without_branches_refuse_soft_delete(repo: lr.Repository) -> None:
    space = repo.save(lr.Space(name="lab"))
    with pytest.raises(InvalidArgument, match="Soft delete is not possible for Space"):
        repo.delete(space)
    with pytest.raises(InvalidArgument, match="permanent=True"):
        repo.delete(repo.user)
    repo.delete(space, permanent=True)
    with pytest.raises(lr.errors.DoesNotExist):
        repo.get(lr.Space, name="lab")


def test_query_delete_and_restore(repo: lr.Repository) -> None:
    repo.save([lr.ULabel(name=f"label_{i}") for i in range(3)] + [lr.ULabel(name="other")])
    repo.filter(lr.ULabel, name__startswith="label_").delete()
    assert repo.filter(lr.ULabel, branch_id=-1).count() == 3
    assert repo.filter(lr.ULabel).to_list("name") == ["other"]
    repo.filter(lr.ULabel, branch_id=-1).restore()
    assert repo.filter(lr.ULabel).count() == 4
    repo.filter(lr.ULabel, name__startswith="label_").delete(permanent=True)
    assert repo.filter(lr.ULabel, branch_id=None).count() == 1


def test_delete_unsaved_record_has_no_effect(
    repo: lr.Repository, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="lamin_registry"):
        repo.delete(lr.ULabel(name="never saved"))
    assert "record is not yet saved, delete has no effect" in caplog.text


def test_space_name_unique_case_insensitively(repo: lr.Repository) -> None:
    repo.save(lr.Space(name="Lab"))
    with pytest.raises(IntegrityError, match=r"unique_space_name_lower|UNIQUE"):
        repo.save(lr.Space(name="lab"))
    assert repo.filter(lr.Space, name__iexact="lab").count() == 1  # savepoint kept the first


def test_refresh_fields(repo: lr.Repository) -> None:
    label = repo.save(lr.ULabel(name="x"))
    assert label.description is None
    repo.session.execute(
        sa.update(lr.ULabel).where(lr.ULabel.id == label.id).values(description="db side"),
        execution_options={"synchronize_session": False},
    )
    assert label.description is None  # still the loaded value
    label.refresh_from_db(fields=["description"])
    assert label.description == "db side"
    with pytest.raises(InvalidArgument, match="Unknown field"):
        repo.refresh(label, ["nope"])
    with pytest.raises(InvalidArgument, match="not saved"):
        repo.refresh(lr.ULabel(name="y"))


@pytest.mark.parametrize(
    ("value", "digest"),
    [
        (37.5, "x1psgBGwpW2nUHWL8e3jag"),
        ("37.5", "x1psgBGwpW2nUHWL8e3jag"),
        ("hello", "XUFAKrxLKna5cZ2REBfFkg"),
        (1, "xMpCOKC5I4INzFCab3WEmw"),
        (True, "-CfPRi9ihI3zfF4elKTadA"),
        (1.0, "5MLo7aw2Ksq3EjZUuec0Mg"),
        ([1, 2], "BM0OAVHzUuf9QU1pSmBBNg"),
        ({"b": 1, "a": 2}, "Xk0U2CwyC6-y8Shv5IbR-A"),
        ({}, "mZFLkyvTelC5g8XnyQrpOw"),
    ],
)
def test_feature_value_hash(value: object, digest: str) -> None:
    assert lr.FeatureValue(value=value).hash == digest


def test_feature_value_get_or_create(repo: lr.Repository) -> None:
    feature = repo.save(lr.Feature(name="temperature", dtype="float"))
    first, existed = lr.FeatureValue.get_or_create(feature, 37.5)
    assert (existed, first.hash) == (False, "x1psgBGwpW2nUHWL8e3jag")
    second, existed = repo.get_or_create_feature_value(feature, 37.5)
    assert existed and second is first
    as_text, existed = repo.get_or_create_feature_value(feature, "37.5")
    assert existed and as_text is first  # lamindb: first stored value wins
    other, existed = repo.get_or_create_feature_value(feature, 1.0)
    assert not existed and other is not first
    free_a, _ = repo.get_or_create_feature_value(None, 5)
    free_b, existed = repo.get_or_create_feature_value(None, 5)
    assert not existed and free_a.id != free_b.id  # NULL feature never collides
    assert lr.JsonValue is lr.FeatureValue
    assert sorted(v.value for v in feature.values) == [1.0, 37.5]


def test_track_stamps_run_and_finishes(repo: lr.Repository) -> None:
    transform = repo.save(lr.Transform(key="pipeline.py"))
    with repo.track(transform) as run:
        assert run.status == "started"
        label = repo.save(lr.ULabel(name="made in run"))
        labels = repo.save([lr.ULabel(name=f"bulk {i}") for i in range(3)])
    assert run.status == "completed" and run.finished_at is not None
    assert label.run_id == run.id and all(x.run_id == run.id for x in labels)
    assert repo.save(lr.ULabel(name="after")).run_id is None
    assert run.transform is transform and transform.runs == [run]
    assert len(run.uid) == 16
    with pytest.raises(ValueError, match="boom"), repo.track(transform) as failed:
        raise ValueError("boom")
    assert failed.status == "errored"
    assert "boom" in str(failed._aux)
    assert repo.filter(lr.Run, status="errored").one() is failed


def test_reverse_collections(repo: lr.Repository) -> None:
    label = repo.save(lr.ULabel(name="x"))
    transform = repo.save(lr.Transform(key="t"))
    space = repo.get(lr.Space, 1)
    assert label in space.ulabel_set
    assert transform in space.transform_set
    assert hasattr(space, "featurevalue_set") and hasattr(space, "branch_set")
    assert transform in repo.user.created_transforms
    artifact = repo.save(
        lr.Artifact(key="a.csv", storage=repo.save(lr.Storage(root="/data", type="local")))
    )
    assert artifact in repo.user.created_artifacts


def test_many_to_many_links(repo: lr.Repository) -> None:
    storage = repo.save(lr.Storage(root="/data", type="local"))
    label = repo.save(lr.ULabel(name="l"))
    artifact = lr.Artifact(key="x.parquet", storage=storage)
    artifact.ulabels.append(label)
    artifact = repo.save(artifact)
    assert label.artifacts == [artifact]
    parent = repo.save(lr.ULabel(name="parent"))
    label.parents.append(parent)
    repo.save(label)
    assert parent.children == [label]
    schema = repo.save(lr.Schema(name="s"))
    feature = repo.save(lr.Feature(name="f", dtype=int))
    schema.features.append(feature)
    repo.save(schema)
    assert feature.schemas == [schema]
    assert repo.filter(lr.ULabel, artifacts__key="x.parquet").one() is label


def test_feature_dtype_forms() -> None:
    assert lr.Feature(name="a", dtype=int).dtype == "int"
    assert lr.Feature(name="b", dtype=lr.ULabel).dtype == "cat[ULabel]"
    assert lr.Feature(name="c", dtype="cat[Record[abc]]").dtype == "cat[Record[abc]]"
    assert lr.Feature(name="T", is_type=True).dtype is None


def test_record_with_schema_becomes_type(repo: lr.Repository) -> None:
    schema = repo.save(lr.Schema(name="sheet schema"))
    assert lr.Record(name="sheet", schema=schema).is_type is True


def test_run_and_branch_status() -> None:
    run = lr.Run(transform=lr.Transform(key="t"))
    run.status = "aborted"
    assert run._status_code == 2
    with pytest.raises(FieldValidationError, match="Invalid Run status 'bad'"):
        run.status = "bad"
    branch = lr.Branch(name="b")
    branch.status = "review"
    assert branch._status_code == 2
    with pytest.raises(ValueError, match="Invalid branch status"):
        branch.status = "nope"


def test_created_at_is_utc(repo: lr.Repository) -> None:
    before = dt.datetime.now(dt.UTC)
    label = repo.save(lr.ULabel(name="x"))
    repo.refresh(label)
    assert label.created_at.tzinfo == dt.UTC
    assert abs(label.created_at - before) < dt.timedelta(minutes=5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"type": 5}, "expects a ULabel record, got 5; pass type_id"),
        ({"space": 1}, "expects a Space record"),
        ({"parents": [1]}, "expects ULabel records"),
        ({"parents": "a"}, "expects a list of ULabel records"),
        ({"branch": "main"}, "expects a Branch record"),
        ({"description": "a\x00b"}, "NUL character"),
        ({"run_id": 10**30}, "64-bit integers"),
        ({"type_id": 2**40}, "32-bit integers"),
    ],
)
def test_constructor_checks_relationships_and_ranges(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(FieldValidationError, match=re.escape(message)):
        lr.ULabel(name="x", **kwargs)


def test_get_with_an_id_beyond_the_column_range(repo: lr.Repository) -> None:
    for value in (2**31, 2**63, -(2**70)):
        with pytest.raises(lr.errors.DoesNotExist):
            repo.get(lr.ULabel, value)
    assert repo.filter(lr.ULabel).count() == 0  # the session is still usable


def test_project_status_takes_numbers(repo: lr.Repository) -> None:
    project = repo.save(lr.Project(name="p"))
    assert repo.filter(lr.Project, status=0).one() is project
    with pytest.raises(InvalidArgument, match="no names"):
        repo.filter(lr.Project, status="completed")
