"""lookup, validate, inspect, standardize, from_values and synonyms: lamindb's rules (reference §6).

Data A (Feature with synonyms) and data B (ULabels) are the reference's worked examples; the
expected outputs below are the reference's.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

import lamin_registry as lr
from lamin_registry.errors import InvalidArgument, ValidationError

DATA_A = [
    ("T cell", "T-cell|T-lymphocyte|T lymphocyte"),
    ("B cell", "B-lymphocyte|B lymphocyte|B-cell"),
    ("PP cell", "type F enteroendocrine cell"),
    ("nodal myocyte", "P cell|myocytus nodalis|cardiac pacemaker cell"),
]
DATA_B = ["Label1", "Label2", "Label3", "label 4", "My label", "label"]


@pytest.fixture
def features(repo: lr.Repository) -> list[lr.Feature]:
    return repo.save([lr.Feature(name=n, synonyms=s, dtype="str") for n, s in DATA_A])


@pytest.fixture
def labels(repo: lr.Repository) -> list[lr.ULabel]:
    return repo.save([lr.ULabel(name=name) for name in DATA_B])


# -- validate -------------------------------------------------------------------------------------


def test_validate_is_exact_and_case_sensitive(
    repo: lr.Repository, features: list[lr.Feature], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="lamin_registry"):
        result = repo.validate(lr.Feature, ["T cell", "t cell", "T-cell", "PP cell"])
    assert isinstance(result, np.ndarray) and result.dtype == bool
    assert result.tolist() == [True, False, False, True]
    assert "2 unique terms (50.00%) are validated for name" in caplog.text
    assert "2 unique terms (50.00%) are not validated for name: 't cell', 'T-cell'" in caplog.text


def test_validate_shapes_na_and_field(repo: lr.Repository, features: list[lr.Feature]) -> None:
    assert repo.validate(lr.Feature, "T cell") is True
    assert repo.validate(lr.Feature, "T-cell") is False
    series = pd.Series(["B cell", None, np.nan, "nodal myocyte", "B cell"])
    assert repo.validate(lr.Feature, series).tolist() == [True, False, False, True, True]
    nested = [["T cell", "x"], ["PP cell"]]
    assert repo.validate(lr.Feature, nested).tolist() == [True, False, True]
    alice = repo.user.handle
    assert repo.validate(lr.User, [alice, alice.upper() + "X"], "handle").tolist() == [True, False]
    with pytest.raises(TypeError, match="Type mismatch: identifiers are 'numeric'"):
        repo.validate(lr.Feature, [1, 2])
    with pytest.raises(InvalidArgument, match="Unknown field 'nme'"):
        repo.validate(lr.Feature, ["T cell"], "nme")


def test_validate_mute_and_empty_registry(
    repo: lr.Repository, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="lamin_registry"):
        assert repo.validate(lr.Reference, ["x"]).tolist() == [False]
    assert "Your Reference registry is empty, consider populating it first!" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="lamin_registry"):
        repo.validate(lr.Reference, ["x"], mute=True)
    assert caplog.text == ""


def test_hidden_branches_are_invisible_to_curation(
    repo: lr.Repository, labels: list[lr.ULabel]
) -> None:
    label2 = next(label for label in labels if label.name == "Label2")
    repo.delete(label2)
    archived = repo.save(lr.ULabel(name="archived one"))
    repo.archive(archived)
    template = repo.save(lr.ULabel(name="template one", branch_id=3))
    assert template.branch_id == 3
    names = ["Label1", "Label2", "archived one", "template one"]
    assert repo.validate(lr.ULabel, names).tolist() == [True, False, False, False]
    everything = repo.filter(lr.ULabel, branch_id=None)
    assert everything.validate(names).tolist() == [True, False, False, False]
    assert [r.name for r in repo.from_values(lr.ULabel, names)] == ["Label1"]
    assert "label2" not in repo.lookup(lr.ULabel)._fields


def test_query_restricts_curation(repo: lr.Repository, labels: list[lr.ULabel]) -> None:
    only_upper = repo.filter(lr.ULabel, name__startswith="L")
    assert only_upper.validate(["Label1", "label"]).tolist() == [True, False]
    assert only_upper.inspect(["Label1", "label"]).validated == ["Label1"]
    assert set(only_upper.lookup()._fields) == {"label1", "label2", "label3", "dict"}


# -- inspect --------------------------------------------------------------------------------------


def test_inspect_reference_example(
    repo: lr.Repository, features: list[lr.Feature], caplog: pytest.LogCaptureFixture
) -> None:
    values = ["T cell", "t cell", "T-cell", "PP cell", "xyz", "", None]
    with caplog.at_level(logging.INFO, logger="lamin_registry"):
        result = repo.inspect(lr.Feature, values)
    assert isinstance(result, lr.InspectResult)
    assert result.validated == ["T cell", "PP cell"]
    assert result.non_validated == ["t cell", "T-cell", "xyz"]
    assert result.synonyms_mapper == {"t cell": "T cell", "T-cell": "T cell"}
    assert result.frac_validated == 40.0
    assert result.n_empty == 2
    assert result.n_unique == 5
    assert result["validated"] == result["mapped"] == ["T cell", "PP cell"]
    assert result["non_validated"] == result["not_mapped"] == ["t cell", "T-cell", "xyz"]
    with pytest.raises(KeyError, match="invalid key"):
        result["other"]
    frame = result.df
    assert list(frame.index[:6]) == values[:6] and pd.isna(frame.index[6])
    assert frame["__validated__"].tolist() == [True, False, False, True, False, False, False]
    detected = "detected 2 unique terms with inconsistent casing/synonyms: t cell, T-cell"
    assert detected in caplog.text


def test_inspect_without_synonyms_has_empty_mapper(
    repo: lr.Repository, labels: list[lr.ULabel]
) -> None:
    result = repo.inspect(lr.ULabel, ["label1", "Label1"])
    assert result.validated == ["Label1"]
    assert result.non_validated == ["label1"]
    assert result.synonyms_mapper == {}
    empty = repo.inspect(lr.ULabel, [None, ""])
    assert (empty.n_unique, empty.n_empty, empty.frac_validated) == (0, 2, 0)


def test_inspect_counts_duplicates_as_empty(repo: lr.Repository, labels: list[lr.ULabel]) -> None:
    result = repo.inspect(lr.ULabel, ["Label1", "Label1", "nope"])
    assert (result.n_unique, result.n_empty) == (2, 1)
    assert result.frac_validated == 50.0


# -- standardize ----------------------------------------------------------------------------------


def test_standardize_reference_examples(
    repo: lr.Repository, features: list[lr.Feature], caplog: pytest.LogCaptureFixture
) -> None:
    values = ["T-cell", "t cell", "B lymphocyte", "P cell", "unknown", "T cell"]
    with caplog.at_level(logging.INFO, logger="lamin_registry"):
        result = repo.standardize(lr.Feature, values)
    assert result == ["T cell", "T cell", "B cell", "nodal myocyte", "unknown", "T cell"]
    assert "standardized 4/6 terms" in caplog.text
    assert repo.standardize(lr.Feature, values, return_mapper=True) == {
        "T-cell": "T cell", "t cell": "T cell", "B lymphocyte": "B cell", "P cell": "nodal myocyte"
    }
    assert repo.standardize(lr.Feature, ["t-cell", "t cell", "T-cell"], case_sensitive=True) == [
        "t-cell", "t cell", "T cell"
    ]
    assert repo.standardize(lr.Feature, "b-cell") == "B cell"
    assert repo.standardize(lr.Feature, ["T-cell", None]) == ["T cell", None]


def test_standardize_return_field_and_keep(repo: lr.Repository) -> None:
    gclc, ugcg, a1cf = repo.save([
        lr.Feature(name="GCLC", synonyms="GCS|GLCL", dtype="str"),
        lr.Feature(name="UGCG", synonyms="GCS|GCS1", dtype="str"),
        lr.Feature(name="A1CF", dtype="str"),
    ])
    assert repo.standardize(lr.Feature, ["GCS", "A1CF"], keep=False) == [["GCLC", "UGCG"], "A1CF"]
    assert repo.standardize(lr.Feature, ["GCS"]) == ["GCLC"]
    assert repo.standardize(lr.Feature, ["GCS"], keep="last") == ["UGCG"]
    assert repo.standardize(lr.Feature, ["gcs1"], keep=False) == ["UGCG"]
    assert repo.standardize(lr.Feature, ["GCS", "A1CF"], return_field="uid") == [gclc.uid, a1cf.uid]
    assert repo.standardize(lr.Feature, ["GLCL"], return_field="uid", return_mapper=True) == {
        "GLCL": gclc.uid
    }
    with pytest.raises(InvalidArgument, match="keep"):
        repo.standardize(lr.Feature, ["GCS"], keep="middle")
    assert ugcg.name == "UGCG"


def test_field_match_beats_another_rows_synonym(repo: lr.Repository) -> None:
    repo.save([
        lr.Feature(name="BRCA1", synonyms="BRCC1", dtype="str"),
        lr.Feature(name="BRCC1", synonyms="something", dtype="str"),
    ])
    assert repo.standardize(lr.Feature, ["BRCA1", "BRCC1"]) == ["BRCA1", "BRCC1"]
    repo.save(lr.Feature(name="TP53", synonyms="p53", dtype="str"))
    repo.save(lr.Feature(name="P53", dtype="str"))
    # the case-insensitive name match (tier 2) wins over TP53's synonym (tier 3)
    assert repo.standardize(lr.Feature, ["p53"]) == ["P53"]
    assert repo.standardize(lr.Feature, ["p53"], case_sensitive=True) == ["TP53"]


def test_standardize_acts_only_on_registries_with_synonyms(
    repo: lr.Repository, labels: list[lr.ULabel], features: list[lr.Feature]
) -> None:
    assert repo.standardize(lr.ULabel, ["label1", "LABEL1"]) == ["label1", "LABEL1"]
    assert repo.standardize(lr.ULabel, ["label1"], return_mapper=True) == {}
    # a field other than the name field: unchanged
    assert repo.standardize(lr.Feature, ["T-cell"], field="description") == ["T-cell"]
    # a synonyms field the registry lacks: unchanged
    assert repo.standardize(lr.Feature, ["T-cell"], synonyms_field="aliases") == ["T-cell"]


# -- from_values ----------------------------------------------------------------------------------


def test_from_values_database_order_and_log(
    repo: lr.Repository, labels: list[lr.ULabel], caplog: pytest.LogCaptureFixture
) -> None:
    train = repo.save(lr.ULabel(name="train"))
    with caplog.at_level(logging.INFO, logger="lamin_registry"):
        records = repo.from_values(lr.ULabel, ["train", "Label2", "Label1", "nope", None, "train"])
    assert [r.name for r in records] == ["Label1", "Label2", "train"]
    assert records[-1] is train
    assert "did not create ULabel records for 1 non-validated names: 'nope'" in caplog.text


def test_from_values_collapses_synonyms(repo: lr.Repository, features: list[lr.Feature]) -> None:
    records = repo.from_values(lr.Feature, ["T cell", "T-cell", "t cell", "B cell", "B-cell"])
    assert [r.name for r in records] == ["T cell", "B cell"]


def test_from_values_create(repo: lr.Repository, labels: list[lr.ULabel]) -> None:
    klass = repo.save(lr.ULabel(name="class"))
    records = repo.from_values(lr.ULabel, ["class", "nope"], create=True)
    assert records[0] is klass
    assert records[1].name == "nope" and sa.inspect(records[1]).key is None
    twins = repo.from_values(lr.ULabel, ["new1", "new1"], create=True)
    assert len(twins) == 2 and twins[0] is not twins[1]
    saved = repo.save(twins)
    assert saved[0] is saved[1]  # saving deduplicates by name
    assert repo.filter(lr.ULabel, name="new1").count() == 1


def test_from_values_uses_no_query_per_value(
    repo: lr.Repository, labels: list[lr.ULabel]
) -> None:
    statements: list[str] = []
    engine = repo.session.get_bind()

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        values = [f"value {i}" for i in range(2000)] + ["Label1"]
        records = repo.from_values(lr.ULabel, values)
        assert repo.validate(lr.ULabel, values).sum() == 1
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert [r.name for r in records] == ["Label1"]
    assert len([s for s in statements if "lamindb_ulabel" in s]) <= 3


def count_statements(repo: lr.Repository, table: str, action: Callable[[], Any]) -> int:
    """How many statements touching ``table`` ``action`` runs."""
    statements: list[str] = []
    engine = repo.session.get_bind()

    def note(*args: object) -> None:
        statements.append(str(args[2]))

    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        action()
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)
    return len([statement for statement in statements if table in statement])


@pytest.mark.parametrize("operation", ["from_values", "standardize", "inspect", "validate"])
def test_statements_do_not_grow_with_the_values(
    repo: lr.Repository, features: list[lr.Feature], operation: str
) -> None:
    """Each tier is one statement per chunk of 50,000 values, whatever the number of values
    (both inputs reach every tier: exact, other casing, synonym, unknown)."""
    small = ["T cell", "t cell", "T-cell", "b cell", "nope"]
    large = small + [f"value {i}" for i in range(3000)] + ["B-cell", "pp CELL"]
    method = getattr(repo, operation)
    counts = [
        count_statements(repo, "lamindb_feature", partial(method, lr.Feature, values, mute=True))
        for values in (small, large)
    ]
    assert counts[1] <= counts[0]  # fewer when the first call built the copy of validate
    # from_values: exact, casing, synonyms, the mapped names; validate: exact, no more
    assert counts[1] <= {"from_values": 4, "validate": 1}.get(operation, 3)


def test_from_values_reads_timestamps_as_aware_utc(repo: lr.Repository, backend: str) -> None:
    """Loaded records carry timezone-aware UTC timestamps, however the database holds them
    (SQLite: naive UTC text in any ISO form; PostgreSQL: timestamptz)."""
    utc = dt.UTC
    if backend == "sqlite":
        stored = {
            "2024-05-06 05:08:09.123456": dt.datetime(2024, 5, 6, 5, 8, 9, 123456, tzinfo=utc),
            "2024-05-06 05:08:09": dt.datetime(2024, 5, 6, 5, 8, 9, tzinfo=utc),
            "2024-05-06T05:08:09.123": dt.datetime(2024, 5, 6, 5, 8, 9, 123000, tzinfo=utc),
            "2024-05-06": dt.datetime(2024, 5, 6, tzinfo=utc),
            "2024-05-06 07:08:09+02:00": dt.datetime(2024, 5, 6, 5, 8, 9, tzinfo=utc),
        }
        assign = "created_at = :value"
    else:
        stored = {
            "2024-05-06 07:08:09.123456+02": dt.datetime(2024, 5, 6, 5, 8, 9, 123456, tzinfo=utc),
            "2024-05-06 05:08:09+00": dt.datetime(2024, 5, 6, 5, 8, 9, tzinfo=utc),
        }
        assign = "created_at = CAST(:value AS timestamptz)"
    labels = repo.save([lr.ULabel(name=f"stamped {i}") for i in range(len(stored))])
    for label, text in zip(labels, stored, strict=True):
        repo.session.execute(
            sa.text(f"UPDATE lamindb_ulabel SET {assign} WHERE id = :id"),
            {"value": text, "id": label.id},
        )
    repo.session.expire_all()
    records = repo.from_values(lr.ULabel, [label.name for label in labels], mute=True)
    assert [record.created_at for record in records] == list(stored.values())
    assert all(record.created_at.tzinfo is utc for record in records)
    assert all(record.updated_at.tzinfo is utc for record in records)


# -- lookup ---------------------------------------------------------------------------------------


def test_lookup_keys_and_collisions(
    repo: lr.Repository, caplog: pytest.LogCaptureFixture
) -> None:
    saved = repo.save([lr.ULabel(name=name) for name in
                       ["123abc", "My label!", "class", "my-label", "My Label"]])
    with caplog.at_level(logging.WARNING, logger="lamin_registry"):
        lookup = repo.lookup(lr.ULabel)
    assert lookup._fields == ("ln_123abc", "my_label_", "class_", "my_label", "dict")
    assert lookup.ln_123abc is saved[0]
    assert lookup.my_label is saved[3]
    assert "2 records found for 'my_label'. Returning based on keep='first'." in caplog.text
    assert repo.lookup(lr.ULabel, keep="last").my_label is saved[4]
    assert repo.lookup(lr.ULabel, keep=False).my_label == [saved[3], saved[4]]
    assert repo.lookup(lr.ULabel, return_field="uid").class_ == saved[2].uid
    mapping = lookup.dict()
    assert mapping["My label!"] is saved[1] and mapping["class"] is saved[2]
    assert set(mapping) == {"123abc", "My label!", "class", "my-label", "My Label"}


def test_lookup_field_and_sugar(repo: lr.Repository, features: list[lr.Feature]) -> None:
    lookup = lr.Feature.lookup()
    assert lookup.t_cell.name == "T cell"
    assert lookup.nodal_myocyte.name == "nodal myocyte"
    by_uid = repo.lookup(lr.Feature, field="uid")
    first = features[0]
    key = first.uid.lower() if first.uid[0].isalpha() else f"ln_{first.uid.lower()}"
    assert getattr(by_uid, key) is first
    with pytest.raises(InvalidArgument):
        repo.lookup(lr.Feature, keep="any")


# -- synonyms -------------------------------------------------------------------------------------


def test_add_and_remove_synonyms(repo: lr.Repository, features: list[lr.Feature]) -> None:
    t_cell = features[0]
    t_cell.add_synonym(["T cells", "T-cell", "CD3+ cell"])
    repo.refresh(t_cell)
    assert t_cell.synonyms == "T-cell|T-lymphocyte|T lymphocyte|T cells|CD3+ cell"
    repo.add_synonym(t_cell, "")
    repo.add_synonym(t_cell, [])
    repo.add_synonym(t_cell, [""])
    with pytest.raises(ValidationError, match=r"a synonym can't contain '\|'!"):
        repo.add_synonym(t_cell, "a|b")
    with pytest.raises(ValidationError, match="you are trying to assign a synonym to record"):
        repo.add_synonym(t_cell, "B-cell")
    repo.add_synonym(t_cell, "B-cell", force=True)
    repo.remove_synonym(t_cell, ["T-cell", "T cells", "not there"])
    repo.refresh(t_cell)
    assert t_cell.synonyms == "T-lymphocyte|T lymphocyte|CD3+ cell|B-cell"
    t_cell.remove_synonym(t_cell.synonyms.split("|"))
    repo.refresh(t_cell)
    assert t_cell.synonyms is None


def test_synonym_conflicts_ignore_hidden_rows(
    repo: lr.Repository, features: list[lr.Feature]
) -> None:
    b_cell = features[1]
    repo.delete(b_cell)
    repo.add_synonym(features[0], "B-cell")
    assert "B-cell" in features[0].synonyms.split("|")
    unsaved = lr.Feature(name="new one", dtype="str")
    repo.add_synonym(unsaved, ["x", "y"])
    assert unsaved.synonyms == "x|y" and sa.inspect(unsaved).key is None


def test_synonyms_need_a_synonyms_field(repo: lr.Repository, labels: list[lr.ULabel]) -> None:
    with pytest.raises(AttributeError):
        repo.add_synonym(labels[0], "x")
    with pytest.raises(AttributeError):
        repo.remove_synonym(labels[0], "x")
    with pytest.raises(AttributeError):
        repo.set_abbr(labels[0], "L1")


def test_set_abbr(repo: lr.Repository) -> None:
    project = repo.save(lr.Project(name="Human Cell Atlas"))
    project.set_abbr("HCA")
    repo.refresh(project)
    assert project.abbr == "HCA"
    reference = repo.save(lr.Reference(name="A paper"))
    repo.set_abbr(reference, "AP")
    assert repo.get(lr.Reference, reference.id).abbr == "AP"
