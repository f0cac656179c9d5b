"""``to_dataframe``: lamindb's columns, index, limit, ordering and ``include`` (reference §5.4)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import event

import lamin_registry as lr
from lamin_registry.errors import InvalidArgument

ULABEL_COLUMNS = [
    "uid", "name", "description", "reference", "reference_type", "is_locked", "is_type",
    "created_at", "branch_id", "created_on_id", "space_id", "created_by_id", "run_id", "type_id",
]
TRUNCATED = "truncated query result to limit=100 ULabel objects"


def prefix() -> str:
    return f"df-{uuid.uuid4().hex[:8]}-"


def make(repo: lr.Repository, n: int) -> tuple[str, list[lr.ULabel]]:
    start = prefix()
    return start, repo.save([lr.ULabel(name=f"{start}{i:04d}") for i in range(n)])


@contextmanager
def statement_count(repo: lr.Repository) -> Iterator[list[str]]:
    seen: list[str] = []
    connection = repo.session.connection()

    def listener(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(connection, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(connection, "before_cursor_execute", listener)


def test_ulabel_columns_and_index(repo: lr.Repository) -> None:
    start, saved = make(repo, 3)
    frame = repo.filter(lr.ULabel, name__startswith=start).to_dataframe()
    assert list(frame.columns) == ULABEL_COLUMNS
    assert frame.index.name == "id"
    assert sorted(frame.index) == sorted(record.id for record in saved)
    row = frame.loc[saved[0].id]
    assert row["uid"] == saved[0].uid and row["name"] == saved[0].name
    assert row["created_by_id"] == repo.user_id and row["branch_id"] == 1
    assert not row["is_locked"]


def test_registry_level_call_is_the_same_as_filter(repo: lr.Repository) -> None:
    make(repo, 2)
    frame = repo.to_dataframe(lr.ULabel, limit=None)
    expected = repo.filter(lr.ULabel).to_dataframe(limit=None)
    pd.testing.assert_frame_equal(frame, expected)
    assert len(frame) == repo.filter(lr.ULabel).count()


def test_default_limit_warns_only_when_truncated(
    repo: lr.Repository, caplog: pytest.LogCaptureFixture
) -> None:
    start, _ = make(repo, 101)
    query = repo.filter(lr.ULabel, name__startswith=start)
    with caplog.at_level(logging.WARNING, logger="lamin_registry"):
        frame = query.to_dataframe()
    assert len(frame) == 100
    assert TRUNCATED in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="lamin_registry"):
        assert len(query.to_dataframe(limit=50)) == 50  # truncated, but not at the default
        assert len(query.exclude(name=f"{start}0000").to_dataframe()) == 100  # exactly 100
    assert "truncated" not in caplog.text


def test_limit_none_returns_everything(repo: lr.Repository) -> None:
    start, saved = make(repo, 250)
    frame = repo.filter(lr.ULabel, name__startswith=start).to_dataframe(limit=None)
    assert len(frame) == 250
    assert set(frame.index) == {record.id for record in saved}


def test_default_order_is_newest_first(repo: lr.Repository) -> None:
    start, saved = make(repo, 5)
    frame = repo.filter(lr.ULabel, name__startswith=start).to_dataframe()
    assert list(frame.index) == sorted((record.id for record in saved), reverse=True)
    oldest_first = repo.filter(lr.ULabel, name__startswith=start).to_dataframe(order_by="id")
    assert list(oldest_first.index) == sorted(record.id for record in saved)


def test_order_of_an_ordered_query_is_kept(repo: lr.Repository) -> None:
    start = prefix()
    # names sort the other way round than ids
    saved = repo.save([lr.ULabel(name=f"{start}{letter}") for letter in "edcba"])
    frame = repo.filter(lr.ULabel, name__startswith=start).order_by("name").to_dataframe()
    assert list(frame["name"]) == [f"{start}{letter}" for letter in "abcde"]
    assert list(frame.index) == [record.id for record in reversed(saved)]


def test_include_to_one(repo: lr.Repository) -> None:
    start, _ = make(repo, 3)
    frame = repo.filter(lr.ULabel, name__startswith=start).to_dataframe(
        include=["created_by__handle"]
    )
    assert list(frame.columns) == ["uid", "name", "created_by__handle"]
    assert frame.index.name == "id"
    assert set(frame["created_by__handle"]) == {repo.user.handle}
    single = repo.filter(lr.ULabel, name__startswith=start).to_dataframe(
        include="created_by__handle"
    )
    pd.testing.assert_frame_equal(single, frame)


def test_include_to_many_gives_sets(repo: lr.Repository) -> None:
    start = prefix()
    mother = repo.save(lr.ULabel(name=f"{start}mother"))
    father = repo.save(lr.ULabel(name=f"{start}father"))
    child = repo.save(lr.ULabel(name=f"{start}child", parents=[mother, father]))
    orphan = repo.save(lr.ULabel(name=f"{start}orphan"))
    frame = repo.filter(lr.ULabel, name__startswith=start).to_dataframe(
        include=["parents__name", "type__name"]
    )
    assert list(frame.columns) == ["uid", "name", "parents__name", "type__name"]
    assert frame.loc[child.id, "parents__name"] == {f"{start}mother", f"{start}father"}
    assert frame.loc[orphan.id, "parents__name"] == set()
    assert frame.loc[mother.id, "parents__name"] == set()
    assert frame["type__name"].isna().all()
    # the reverse direction goes through the same link table
    children = repo.filter(lr.ULabel, name__startswith=start).to_dataframe(
        include="children__name"
    )
    assert children.loc[mother.id, "children__name"] == {f"{start}child"}


def test_include_hides_trashed_related_records(repo: lr.Repository) -> None:
    start = prefix()
    kept = repo.save(lr.ULabel(name=f"{start}kept"))
    trashed = repo.save(lr.ULabel(name=f"{start}trashed"))
    child = repo.save(lr.ULabel(name=f"{start}child", parents=[kept, trashed]))
    repo.delete(trashed)
    frame = repo.filter(lr.ULabel, name=f"{start}child").to_dataframe(include="parents__name")
    assert frame.loc[child.id, "parents__name"] == {f"{start}kept"}


def test_include_statements_do_not_grow_with_rows(repo: lr.Repository) -> None:
    include = ["created_by__handle", "parents__name"]
    counts = []
    for n in (10, 200):
        start, saved = make(repo, n)
        repo.save(lr.ULabel(name=f"{start}kid", parents=saved[:3]))
        query = repo.filter(lr.ULabel, name__startswith=start)
        with statement_count(repo) as seen:
            frame = query.to_dataframe(include=include, limit=None)
        assert len(frame) == n + 1
        counts.append(len(seen))
    assert counts[0] == counts[1]
    assert counts[0] <= 1 + len(include)


def test_empty_result_has_base_columns(repo: lr.Repository) -> None:
    frame = repo.filter(lr.ULabel, name=f"{prefix()}nothing").to_dataframe()
    assert frame.empty
    assert list(frame.columns) == ["uid", "id", *ULABEL_COLUMNS[1:]]


def test_features_only_for_artifact_record_run(repo: lr.Repository) -> None:
    with pytest.raises(InvalidArgument, match="only applicable for Artifact, Record, and Run"):
        repo.to_dataframe(lr.ULabel, features=True)
    with pytest.raises(InvalidArgument, match="not ULabel"):
        repo.filter(lr.ULabel).to_dataframe(include="features")


def test_df_is_a_deprecated_alias(repo: lr.Repository) -> None:
    start, _ = make(repo, 3)
    query = repo.filter(lr.ULabel, name__startswith=start)
    with pytest.warns(DeprecationWarning):
        frame = query.df()
    pd.testing.assert_frame_equal(frame, query.to_dataframe())
    with pytest.warns(DeprecationWarning):
        assert len(lr.ULabel.df(limit=None)) == repo.filter(lr.ULabel).count()


def test_feature_keeps_dtype_str(repo: lr.Repository) -> None:
    start = prefix()
    feature = repo.save(lr.Feature(name=f"{start}temperature", dtype="float"))
    frame = repo.filter(lr.Feature, name__startswith=start).to_dataframe()
    assert "_dtype_str" in frame.columns
    assert frame.loc[feature.id, "_dtype_str"] == "float"
    assert "_ounit_str" not in frame.columns and "_aux" not in frame.columns


def test_include_privates(repo: lr.Repository) -> None:
    start, saved = make(repo, 2)
    saved[0].aux = {"k": 1}
    repo.save(saved[0])
    query = repo.filter(lr.ULabel, name__startswith=start)
    assert "_aux" not in query.to_dataframe().columns
    frame = query.to_dataframe(include="privates")
    assert "_aux" in frame.columns
    assert frame.loc[saved[0].id, "_aux"] == {"k": 1}
    assert set(ULABEL_COLUMNS) < set(frame.columns)


def test_unknown_include_path(repo: lr.Repository) -> None:
    with pytest.raises(InvalidArgument, match="Available fields"):
        repo.to_dataframe(lr.ULabel, include="created_by__nope")
    with pytest.raises(InvalidArgument, match="not a relationship"):
        repo.to_dataframe(lr.ULabel, include="name__handle")


def test_bad_limit(repo: lr.Repository) -> None:
    for limit in (-1, "10", True, 1.5):
        with pytest.raises(InvalidArgument, match="limit"):
            repo.to_dataframe(lr.ULabel, limit=limit)  # type: ignore[arg-type]
