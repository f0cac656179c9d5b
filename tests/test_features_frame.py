"""Reading values: ``to_dataframe(features=...)`` read column-wise
(lamin_registry/features/frame.py) shows what ``get_values()`` shows, for every dtype, on
Record, Run and Artifact; ``get_values()`` and ``describe()`` of one record take two
statements."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

import lamin_registry as lr
from tests.test_features import VALUES, counted, world  # noqa: F401 - the fixture

pytestmark = pytest.mark.usefixtures("world")


def _cells(frame: pd.DataFrame, record_id: int, names: list[str]) -> dict[str, Any]:
    """The frame's non-empty feature cells of one row."""
    row = frame.loc[record_id]
    cells = {}
    for name in names:
        if name in frame.columns:
            value = row[name]
            if isinstance(value, list | set | dict) or not pd.isna(value):
                cells[name] = value
    return cells


def test_every_dtype_in_one_frame(repo: lr.Repository) -> None:
    """features=True (every visible feature) and features=[names] agree with get_values:
    one record per dtype, one with every dtype, one without values; JSON lists and dicts
    are one object per cell."""
    names = list(VALUES)
    singles = [
        repo.save(lr.Record(name=f"one {name}", features={name: given}))
        for name, (given, _) in VALUES.items()
    ]
    both = [
        repo.save(lr.Record(name=f"all {i}", features={n: g for n, (g, _) in VALUES.items()}))
        for i in range(2)
    ]
    empty = repo.save(lr.Record(name="none"))
    query = repo.filter(lr.Record, id__in=[r.id for r in [*singles, *both, empty]])
    for features in (True, names, ["labs", "age"]):
        frame = query.to_dataframe(features=features, limit=None)
        shown = names if features is True else list(features)
        for record in [*singles, *both, empty]:
            expected = {k: v for k, v in record.features.get_values().items() if k in shown}
            assert _cells(frame, record.id, shown) == expected, (features, record.name)
    frame = query.to_dataframe(features=True, limit=None)
    assert [c for c in frame.columns if c in names] == [
        f.name for f in repo.filter(lr.Feature, name__in=names).order_by("id")
    ]
    first, second = (frame.loc[record.id] for record in both)
    assert first["ints"] == second["ints"] and first["ints"] is not second["ints"]
    assert first["meta"] is not second["meta"]
    assert frame.loc[empty.id, ["age", "labs"]].isna().all()


@pytest.mark.parametrize("host", ["Run", "Artifact"])
def test_several_values_per_feature(repo: lr.Repository, world: dict[str, Any], host: str) -> None:  # noqa: F811
    """A Run or Artifact holds several values of a feature: a set in the frame, as in
    get_values; a single value stays a scalar."""
    transform = repo.save(lr.Transform(key="t.py"))
    storage = repo.save(lr.Storage(root="/s", type="local"))
    objs = []
    for i in range(3):
        obj = (
            lr.Run(transform=transform)
            if host == "Run"
            else lr.Artifact(key=f"a{i}.csv", storage=storage)
        )
        objs.append(repo.save(obj))
    objs[0].features.add_values({"age": 41, "note": "x", "kind": world["human"]})
    objs[0].features.add_values({"age": 42, "kind": world["mouse"], "meta": {"k": 1}})
    objs[0].features.add_values({"meta": {"k": 2}})
    objs[1].features.add_values({"age": 7})
    model = type(objs[0])
    frame = repo.filter(model, id__in=[o.id for o in objs]).to_dataframe(
        features=True, limit=None
    )
    for obj in objs:
        values = obj.features.get_values()
        cells = _cells(frame, obj.id, list(VALUES))
        if isinstance(values.get("meta"), list):  # unhashable: a list, in link order
            assert sorted(cells.pop("meta"), key=str) == sorted(values.pop("meta"), key=str)
        assert cells == values
    assert frame.loc[objs[0].id, "age"] == {41, 42}
    assert frame.loc[objs[0].id, "kind"] == {"human", "mouse"}
    assert frame.loc[objs[1].id, "age"] == 7


def test_one_record_reads_in_two_statements(repo: lr.Repository) -> None:
    """The registries in use, then the values with their features' names and dtypes (no
    third round trip for the features)."""
    record = repo.save(
        lr.Record(name="r", features={"age": 3, "note": "n", "lab": "L1", "labs": ["L1", "L2"]})
    )
    with counted(repo) as statements:
        values = record.features.get_values()
    assert values == {"lab": "L1", "labs": ["L1", "L2"], "age": 3, "note": "n"}
    assert len(statements) == 2, statements
    record.describe()  # loads the related records its fields show (space, branch, ...)
    with counted(repo) as statements:
        text = record.describe(return_str=True) or ""
    assert "labs" in text and len(statements) == 2, statements


@pytest.mark.postgres_only
def test_one_record_reads_prepared(repo: lr.Repository) -> None:
    """On PostgreSQL both statements of get_values() are sent prepared (planning the value
    union costs as much as running it); the reads after a refused and a done write are
    right."""
    import sqlalchemy as sa

    record = repo.save(lr.Record(name="r", features={"age": 3, "lab": "L1"}))
    assert record.features.get_values() == {"lab": "L1", "age": 3}
    prepared = repo.session.execute(
        sa.text("SELECT statement FROM pg_prepared_statements")
    ).scalars().all()
    assert any("lamindb_recordjson" in text and "UNION ALL" in text for text in prepared)
    assert any("DISTINCT lamindb_feature._dtype_str" in text for text in prepared)
    with pytest.raises(lr.errors.ValidationError):
        record.features.set_values({"age": "not an int"})
    record.features.update_values({"age": 4})
    assert record.features.get_values() == {"lab": "L1", "age": 4}
