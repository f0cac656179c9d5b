"""A sheet's schema after joining (lamindb-features §3.1, §3.2): values set later on its
records, and the index feature of the sheet type (lamin_registry/features/sheet_values.py)."""

from __future__ import annotations

from typing import Any

import pytest

import lamin_registry as lr
from lamin_registry.errors import InvalidArgument, ValidationError
from tests.test_features import _snapshot, sheet, world  # noqa: F401 - fixtures


def test_sheet_index_feature_must_be_str(repo: lr.Repository, world: dict[str, Any]) -> None:  # noqa: F811
    age = repo.get(lr.Feature, name="age")
    schema = repo.save(lr.Schema(name="by age", features=[age], index=age))
    before = _snapshot(repo)
    with pytest.raises(ValidationError, match=r"'age' must have dtype str .* not 'int'"):
        repo.save(lr.Record(name="Ages", is_type=True, schema=schema))
    assert _snapshot(repo) == before and not repo.filter(lr.Record, name="Ages").exists()
    page = repo.save(lr.Record(name="Page", is_type=True))
    page.schema = schema  # a stored type becoming such a sheet
    with pytest.raises(ValidationError, match="must have dtype str"):
        repo.save(page)
    repo.session.refresh(page)  # the failed save was undone (its savepoint rolled back)
    assert page.schema_id is None
    sample_id = repo.save(lr.Feature(name="sample_id", dtype=str))
    fine = repo.save(lr.Schema(name="by id", features=[age], index=sample_id))
    assert repo.save(lr.Record(name="Ids", is_type=True, schema=fine)).schema_id == fine.id


def test_set_and_update_inside_a_sheet_follow_its_schema(
    repo: lr.Repository,
    sheet: Any,  # noqa: F811
) -> None:
    record = repo.save(
        lr.Record(name="s1", type=sheet, features={"kind": "human", "age": 3, "note": "n"})
    )
    loose = repo.save(lr.Record(name="loose", features={"flag": True}))
    before = _snapshot(repo)
    failures = [
        (lambda: record.features.set_values({"kind": "human", "age": 3}),
         r"Failed to set features on Record 's1' \(type='Samples'\): missing required "
         r"features 'note' \(COLUMN_NOT_IN_DATAFRAME\)"),
        (lambda: record.features.set_values({"kind": "human", "age": 3, "note": "n",
                                             "flag": True}),
         r"not in the provided schema: \['flag'\]"),
        (lambda: record.features.update_values({"flag": True}), r"\['flag'\]"),
        (lambda: record.features.update_values({"note": None}), "missing required features 'note'"),
        (lambda: record.features.add_values({"labs": ["L1"]}), r"\['labs'\]"),
        (lambda: repo.update_feature_values(repo.filter(lr.Record, name__in=["s1", "loose"]),
                                            {"age": None}), "missing required features 'age'"),
    ]
    for call, message in failures:
        with pytest.raises(ValidationError, match=message):
            call()
        assert _snapshot(repo) == before
    record.features.update_values({"age": 4})
    record.features.set_values({"kind": "mouse", "age": 5, "note": "m"})
    assert record.features.get_values() == {"kind": "mouse", "age": 5, "note": "m"}
    loose.features.set_values({"flag": False, "lab": "L1"})  # not in a sheet: unchecked
    assert loose.features.get_values() == {"lab": "L1", "flag": False}


def test_index_value_lives_on_the_name(repo: lr.Repository, world: dict[str, Any]) -> None:  # noqa: F811
    sample_id = repo.save(lr.Feature(name="sample_id", dtype=str))
    age = repo.get(lr.Feature, name="age")
    schema = repo.save(lr.Schema(name="indexed", features=[age], index=sample_id))
    indexed = repo.save(lr.Record(name="Indexed", is_type=True, schema=schema))
    record = repo.save(lr.Record(type=indexed, features={"sample_id": "S-001", "age": 3}))
    record.features.set_values({**record.features.get_values(), "age": 5})  # index unchanged
    assert record.features.get_values() == {"sample_id": "S-001", "age": 5}
    record.features.update_values({"age": 6})
    assert record.features.get_values() == {"sample_id": "S-001", "age": 6}
    with pytest.raises(ValidationError, match=r"stored on Record.name \('S-001'\), got 'S-002'"):
        record.features.set_values({"sample_id": "S-002", "age": 1})
    other = repo.save(lr.Record(name="other", features={"age": 1}))
    with pytest.raises(InvalidArgument, match="apart from other records"):
        repo.update_feature_values([record, other], {"sample_id": "S-001"})
    assert record.features.get_values() == {"sample_id": "S-001", "age": 6}
