"""Property tests: standardize and inspect against a plain-Python model of lamindb's rules.

The model reads the stored rows back and applies the three tiers (exact > case-insensitive >
synonym; ``keep``; None passes through; empties stay); the database implementation must agree
on every generated registry and input, on both backends.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lamin_registry as lr
from lamin_registry.curation import standardize as standardize_module

TEXT = st.text(alphabet="aAbB -", min_size=1, max_size=3)
SYNONYMS = st.lists(TEXT, max_size=3).map(lambda items: "|".join(items) or None)
REGISTRY = st.lists(st.tuples(TEXT, SYNONYMS), min_size=0, max_size=6)
VALUES = st.lists(st.one_of(TEXT, st.none(), st.just("")), max_size=10)
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@contextmanager
def registry(repo: lr.Repository, rows: list[tuple[str, str | None]]) -> Iterator[list[Any]]:
    """Store the features inside a savepoint; yield ``(id, name, synonyms)`` by id."""
    savepoint = repo.session.begin_nested()
    try:
        if rows:
            repo.save([lr.Feature(name=n, synonyms=s, dtype="str") for n, s in rows])
        stored = repo.session.execute(
            sa.select(lr.Feature.id, lr.Feature.name, lr.Feature.synonyms)
            .where(lr.Feature.branch_id == 1).order_by(lr.Feature.id)
        ).all()
        yield list(stored)
    finally:
        savepoint.rollback()


def model_standardize(
    stored: list[Any], value: Any, case_sensitive: bool, keep: str | bool
) -> Any:
    if value is None or value == "":
        return value
    names = [row.name for row in stored]
    if value in names:
        return value
    if not case_sensitive:
        for name in names:
            if name.lower() == value.lower():
                return name
    key = value if case_sensitive else value.lower()
    hits = [
        row.name
        for row in stored
        for item in (row.synonyms or "").split("|")
        if item and item != row.name and (item if case_sensitive else item.lower()) == key
    ]
    if not hits:
        return value
    if keep == "first":
        return hits[0]
    if keep == "last":
        return hits[-1]
    distinct = list(dict.fromkeys(hits))
    return distinct[0] if len(distinct) == 1 else distinct


@SETTINGS
@given(rows=REGISTRY, values=VALUES, case_sensitive=st.booleans(),
       keep=st.sampled_from(["first", "last", False]))
def test_standardize_follows_the_tiers(
    repo: lr.Repository, rows: list[tuple[str, str | None]], values: list[Any],
    case_sensitive: bool, keep: str | bool,
) -> None:
    with registry(repo, rows) as stored:
        result = repo.standardize(
            lr.Feature, values, case_sensitive=case_sensitive, keep=keep, mute=True
        )
        expected = [model_standardize(stored, v, case_sensitive, keep) for v in values]
        assert result == expected
        mapper = repo.standardize(
            lr.Feature, values, case_sensitive=case_sensitive, keep=keep, return_mapper=True,
            mute=True,
        )
        assert mapper == {
            v: e for v, e in zip(values, expected, strict=True) if v not in (None, "") and e != v
        }


@SETTINGS
@given(rows=REGISTRY, values=VALUES)
def test_inspect_partitions_the_unique_values(
    repo: lr.Repository, rows: list[tuple[str, str | None]], values: list[Any]
) -> None:
    with registry(repo, rows) as stored:
        result = repo.inspect(lr.Feature, values, mute=True)
        names = {row.name for row in stored}
        unique = [v for v in dict.fromkeys(values) if v not in (None, "")]
        assert result.validated == [v for v in unique if v in names]
        assert result.non_validated == [v for v in unique if v not in names]
        assert result.n_unique == len(unique)
        assert result.n_empty == len(values) - len(unique)
        expected_frac = (
            0 if not unique else 100 - round(100 * len(result.non_validated) / len(unique), 1)
        )
        assert result.frac_validated == expected_frac
        for value, target in result.synonyms_mapper.items():
            assert value in result.non_validated
            assert target == model_standardize(stored, value, False, "first") != value
        assert set(result.synonyms_mapper) == {
            v for v in result.non_validated if model_standardize(stored, v, False, "first") != v
        }
        flags = repo.validate(lr.Feature, values, mute=True).tolist()
        assert flags == [v in names for v in values]


def hitting_values(data: st.DataObject, rows: list[tuple[str, str | None]]) -> list[Any]:
    """Inputs that mostly hit: the rows' names, their upper case and synonyms, plus noise."""
    pool = [name for name, _ in rows] + [name.upper() for name, _ in rows] + [
        item for _, synonyms in rows for item in (synonyms or "").split("|") if item
    ]
    choices = st.one_of(st.sampled_from(pool), TEXT, st.none()) if pool else TEXT
    return data.draw(st.lists(choices, max_size=10))


@SETTINGS
@given(rows=REGISTRY, data=st.data(), chunk=st.sampled_from([1, 2, 50_000]))
def test_from_values_returns_the_standardized_rows_in_database_order(
    repo: lr.Repository, rows: list[tuple[str, str | None]], data: st.DataObject, chunk: int
) -> None:
    """Every visible row holding a value's standard name, once, by id, however the values
    are cut into statements (``chunk``: values per statement)."""
    values = hitting_values(data, rows)
    with registry(repo, rows) as stored, mock.patch.object(
        standardize_module, "VALUE_CHUNK", chunk
    ):
        records = repo.from_values(lr.Feature, values, mute=True)
        targets = {
            model_standardize(stored, v, False, "first") for v in values if v not in (None, "")
        }
        assert [record.id for record in records] == [
            row.id for row in stored if row.name in targets
        ]
        assert all(sa.inspect(record).persistent for record in records)


@SETTINGS
@given(names=st.lists(TEXT, max_size=6), data=st.data(), chunk=st.sampled_from([1, 50_000]))
def test_from_values_create_gives_one_record_per_input(
    repo: lr.Repository, names: list[str], data: st.DataObject, chunk: int
) -> None:
    """``create=True``: per non-empty input the stored record with that exact name (the
    first by id), else a new unsaved one of its own."""
    values = hitting_values(data, [(name, None) for name in names])
    savepoint = repo.session.begin_nested()
    try:
        saved = [repo.save(lr.ULabel(name=name)) for name in names]
        first: dict[str, lr.ULabel] = {}
        for record in sorted(saved, key=lambda r: r.id):
            first.setdefault(record.name, record)
        with mock.patch.object(standardize_module, "VALUE_CHUNK", chunk):
            result = repo.from_values(lr.ULabel, values, create=True, mute=True)
        inputs = [v for v in values if v not in (None, "")]
        assert [record.name for record in result] == inputs
        for value, record in zip(inputs, result, strict=True):
            if value in first:
                assert record is first[value]
            else:
                assert sa.inspect(record).transient
        new = [record for record in result if sa.inspect(record).transient]
        assert len({id(record) for record in new}) == len(new)
    finally:
        savepoint.rollback()


@given(st.lists(st.text(min_size=1, max_size=12), max_size=30))
def test_lookup_keys_in_one_pass_equal_key_by_key(values: list[str]) -> None:
    from lamin_registry.curation.lookup import to_key, to_keys

    assert to_keys(values) == [to_key(value) for value in values]
