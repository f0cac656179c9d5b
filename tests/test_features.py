"""Feature annotation of Record, Run and Artifact (issue 10): every dtype through add / set /
update / remove / get / filter / to_dataframe, validation that writes nothing, visibility,
and statement counts that do not grow with the number of records."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa

import lamin_registry as lr
from lamin_registry.errors import InvalidArgument, NoWriteAccess, ValidationError
from lamin_registry.features import dtypes

# -- dtypes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        (int, "int"),
        (float, "float"),
        (str, "str"),
        (bool, "bool"),
        (dict, "dict"),
        (dt.date, "date"),
        (dt.datetime, "datetime"),
        (list[int], "list[int]"),
        ("num", "num"),
        (lr.ULabel, "cat[ULabel]"),
        (lr.Record, "cat[Record]"),
        (lr.User, "cat[User]"),
        (lr.Project, "cat[Project]"),
        (list[lr.ULabel], "list[cat[ULabel]]"),
        ([lr.ULabel, lr.Project], "cat[ULabel|Project]"),
        (lr.Run.uid, "cat[Run.uid]"),
        (lr.ULabel.name, "cat[ULabel]"),
        ("cat[ULabel[abcd1234].name|Project]", "cat[ULabel[abcd1234].name|Project]"),
    ],
)
def test_dtype_serialization(given: Any, stored: str) -> None:
    if stored.startswith("cat[ULabel[abcd1234]"):
        with pytest.raises(ValidationError, match="union"):
            dtypes.serialize(given)
        return
    assert dtypes.serialize(given) == stored


@pytest.mark.parametrize("bad", ["cat", "list", "int|float", "string", "Record", "cat[Feature]"])
def test_invalid_dtypes(bad: str) -> None:
    with pytest.raises(ValidationError):
        dtypes.serialize(bad)


def test_type_dtypes_and_cat_filters(repo: lr.Repository) -> None:
    kind = repo.save(lr.Record(name="Species", is_type=True))
    feature = repo.save(lr.Feature(name="species", dtype=kind))
    assert feature.dtype_as_str == f"cat[Record[{kind.uid}]]"
    assert repo.filter(lr.Feature, dtype_as_str=feature.dtype_as_str).one() is feature
    filtered = lr.Feature(name="kinds", dtype=lr.Record, cat_filters={"is_type": True})
    assert filtered.dtype_as_str == "cat[Record[is_type=True]]"
    typed = lr.Feature(name="typed", dtype=lr.ULabel, cat_filters={"type": kind})
    assert typed.dtype_as_str == f"cat[ULabel[{kind.uid}]]"
    with pytest.raises(ValidationError, match="nested"):
        lr.Feature(name="x", dtype=list[lr.ULabel], cat_filters={"is_type": True})
    with pytest.raises(InvalidArgument, match="non-type"):
        lr.Feature(name="x", dtype=repo.save(lr.Record(name="not a type")))


def test_from_dict() -> None:
    features = lr.Feature.from_dict(
        {"a": 42, "b": 3.14, "c": "s", "d": True, "e": [1, 2], "f": ["a"], "g": {"k": 1}}
    )
    assert [f.dtype_as_str for f in features] == [
        "int",
        "float",
        "str",
        "bool",
        "list[int]",
        "list[str]",
        "dict",
    ]
    with pytest.raises(ValueError, match=r"'\?'"):
        lr.Feature.from_dict({"x": None})


# -- a world of features ----------------------------------------------------------------------


@pytest.fixture
def world(repo: lr.Repository) -> dict[str, Any]:
    species = repo.save(lr.Record(name="Species", is_type=True))
    objects: dict[str, Any] = {
        "species": species,
        "human": repo.save(lr.Record(name="human", type=species)),
        "mouse": repo.save(lr.Record(name="mouse", type=species)),
        "outsider": repo.save(lr.Record(name="outsider")),
        "L1": repo.save(lr.ULabel(name="L1")),
        "L2": repo.save(lr.ULabel(name="L2")),
        "P": repo.save(lr.Project(name="P")),
    }
    repo.save(
        [
            lr.Feature(name="age", dtype=int),
            lr.Feature(name="temperature", dtype=float),
            lr.Feature(name="score", dtype="num"),
            lr.Feature(name="note", dtype=str),
            lr.Feature(name="flag", dtype=bool),
            lr.Feature(name="when", dtype=dt.date),
            lr.Feature(name="stamp", dtype=dt.datetime),
            lr.Feature(name="meta", dtype=dict),
            lr.Feature(name="ints", dtype=list[int]),
            lr.Feature(name="lab", dtype=lr.ULabel),
            lr.Feature(name="labs", dtype=list[lr.ULabel]),
            lr.Feature(name="kind", dtype=species),
            lr.Feature(name="owner", dtype=lr.User),
            lr.Feature(name="project", dtype=lr.Project),
            lr.Feature(name="either", dtype=[lr.ULabel, lr.Project]),
        ]
    )
    return objects


VALUES: dict[str, tuple[Any, Any]] = {
    # feature: (value given, value read back)
    "age": (41, 41),
    "temperature": (37.5, 37.5),
    "score": (3, 3),
    "note": ("hello", "hello"),
    "flag": (True, True),
    "when": (dt.date(2024, 1, 2), dt.date(2024, 1, 2)),
    "stamp": (dt.datetime(2024, 1, 2, 3, 4, 5), dt.datetime(2024, 1, 2, 3, 4, 5)),
    "meta": ({"a": [1, 2]}, {"a": [1, 2]}),
    "ints": ([1, 2], [1, 2]),
    "lab": ("L1", "L1"),
    "labs": (["L2", "L1"], ["L2", "L1"]),
    "kind": ("human", "human"),
    "owner": ("alice", "alice"),
    "project": ("P", "P"),
    "either": ("P", "P"),
}


@pytest.mark.parametrize("name", list(VALUES))
def test_every_dtype_on_a_record(repo: lr.Repository, world: dict[str, Any], name: str) -> None:
    given, read = VALUES[name]
    record = repo.save(lr.Record(name=f"r {name}", features={name: given}))
    assert record.features.get_values() == {name: read}
    assert repo.filter(lr.Record, **{name: given if name != "labs" else "L1"}).one() is record
    frame = repo.to_dataframe(lr.Record, features=[name], limit=None)
    assert frame.loc[record.id, name] == read
    record.features.update_values({name: None})
    assert record.features.get_values() == {}
    record.features.set_values({name: given})
    record.features.remove_values(name)
    assert record.features.get_values() == {}
    assert repo.filter(lr.Record, **{f"{name}__isnull": True}, name=f"r {name}").one() is record


@pytest.mark.parametrize("host", ["Run", "Artifact"])
def test_runs_and_artifacts_accumulate(
    repo: lr.Repository, world: dict[str, Any], host: str
) -> None:
    if host == "Run":
        obj = repo.save(lr.Run(transform=repo.save(lr.Transform(key="t.py"))))
    else:
        storage = repo.save(lr.Storage(root="/s", type="local"))
        obj = repo.save(lr.Artifact(key="a.csv", storage=storage))
    obj.features.add_values({"age": 41, "note": "x", "kind": world["human"]})
    obj.features.add_values({"age": 42})
    values = obj.features.get_values()
    assert values == {"kind": "human", "age": {41, 42}, "note": "x"}
    model = type(obj)
    assert repo.filter(model, age=42).one() is obj
    assert repo.filter(model, age__gt=40).count() == 1  # once, though two values match
    obj.features.remove_values("age", value=41)
    assert obj.features.get_values()["age"] == 42
    if host == "Artifact":
        obj.features.add_values({"lab": "L1"})
        assert obj.features["lab"] is world["L1"]
    else:
        with pytest.raises(InvalidArgument, match="cannot hold ULabel"):
            obj.features.add_values({"lab": "L1"})


def test_add_set_update_semantics_on_records(repo: lr.Repository, world: dict[str, Any]) -> None:
    record = repo.save(lr.Record(name="r", features={"age": 1, "note": "a", "labs": ["L1"]}))
    with pytest.raises(ValidationError, match="to-one features"):
        record.features.add_values({"age": 2})
    record.features.add_values({"labs": ["L2"], "ints": [1]})
    record.features.add_values({"ints": [2, 1]})
    assert record.features.get_values()["labs"] == ["L1", "L2"]
    assert record.features.get_values()["ints"] == [1, 2]
    record.features.update_values({"age": 2})
    assert record.features.get_values()["note"] == "a"
    record.features.set_values({"age": 3})
    assert record.features.get_values() == {"age": 3}
    assert record.features["age"] == 3
    with pytest.raises(ValidationError, match="not found"):
        record.features["nope"]
    # Record(features=) on an existing name replaces its annotations (lamindb's rule)
    again = repo.save(lr.Record(name="r", features={"note": "b"}))
    assert again is record and record.features.get_values() == {"note": "b"}


def test_add_to_many_records_keeps_each_list(repo: lr.Repository, world: dict[str, Any]) -> None:
    a = repo.save(lr.Record(name="a", features={"ints": [1], "labs": ["L1"]}))
    b = repo.save(lr.Record(name="b", features={"ints": [3]}))
    repo.add_feature_values([a, b], {"ints": [2, 1], "labs": ["L2"]})
    assert a.features.get_values() == {"labs": ["L1", "L2"], "ints": [1, 2]}
    assert b.features.get_values() == {"labs": ["L2"], "ints": [3, 2, 1]}


def test_keys_may_be_feature_objects(repo: lr.Repository, world: dict[str, Any]) -> None:
    age = repo.get(lr.Feature, name="age")
    record = repo.save(lr.Record(name="r", features={age: 5}))
    assert record.features.get_values() == {"age": 5}
    with pytest.raises(ValidationError, match="Conflicting"):
        record.features.set_values({age: 5, "age": 6})
    with pytest.raises(ValidationError, match="keys must be"):
        record.features.set_values({1: 5})


# -- validation writes nothing ----------------------------------------------------------------


def _snapshot(repo: lr.Repository) -> str:
    """Row counts and contents of every table that feature writes touch."""
    digest = hashlib.sha256()
    tables = [
        t
        for t in lr.metadata.sorted_tables
        if t.name.startswith(("lamindb_record", "lamindb_run", "lamindb_artifact"))
        or t.name in ("lamindb_jsonvalue", "lamindb_ulabel")
    ]
    for table in tables:
        rows = repo.session.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
        digest.update(f"{table.name}:{len(rows)}:{sorted(map(repr, rows))}".encode())
    return digest.hexdigest()


@pytest.mark.parametrize(
    ("values", "messages"),
    [
        ({"age": "not an int"}, ["'age' (int)", "valid integer"]),
        ({"age": 4.5}, ["'age' (int)"]),
        ({"flag": "yes"}, ["'flag' (bool)"]),
        ({"when": "2024-01-05"}, ["'when' (date)"]),
        ({"ints": [1, "a"]}, ["'ints' (list[int])"]),
        ({"lab": "no such label"}, ["1 term not validated", "'no such label'"]),
        ({"kind": "outsider"}, ["not validated in feature 'kind'"]),  # not of the type
        ({"nokey": 1}, ["could not be validated: ['nokey']", "dtype='int'"]),
        # text neither backend can store alike: refused on SQLite too (PostgreSQL's JSON
        # refuses NUL and lone surrogates), naming the feature
        ({"note": "a\x00b"}, ["'note' (str)", "NUL"]),
        ({"meta": {"k": ["\ud800"]}}, ["'meta' (dict)", "not valid Unicode"]),
        ({"meta": {"k\x00": 1}}, ["'meta' (dict)", "NUL"]),
        (
            {"age": "x", "lab": "nope", "nokey": 1},
            ["'nokey'", "'age' (int)", "'nope'"],  # every problem at once
        ),
    ],
)
def test_validation_failures_write_nothing(
    repo: lr.Repository, world: dict[str, Any], values: dict[str, Any], messages: list[str]
) -> None:
    record = repo.save(lr.Record(name="keep", features={"age": 1, "lab": "L1"}))
    before = _snapshot(repo)
    for action in ("set_values", "update_values"):
        with pytest.raises(ValidationError) as raised:
            getattr(record.features, action)(values)
        for message in messages:
            assert message in str(raised.value)
        assert _snapshot(repo) == before
    with pytest.raises(ValidationError):
        repo.save(lr.Record(name="never", features=values))
    assert _snapshot(repo) == before
    assert repo.filter(lr.Record, name="never").count() == 0
    assert record.features.get_values() == {"lab": "L1", "age": 1}


def test_feature_dtype_cannot_change_under_values(
    repo: lr.Repository, world: dict[str, Any]
) -> None:
    repo.save(lr.Record(name="r", features={"age": 1}))
    with pytest.raises(ValidationError, match="values use it"):
        repo.save(lr.Feature(name="age", dtype=str))
    unused = repo.save(lr.Feature(name="unused", dtype=int))
    assert repo.save(lr.Feature(name="unused", dtype=str)) is unused
    assert unused.dtype_as_str == "str"


# -- querying ---------------------------------------------------------------------------------


def test_queries_by_features(repo: lr.Repository, world: dict[str, Any]) -> None:
    a = repo.save(lr.Record(name="a", features={"age": 30, "kind": "human", "labs": ["L1"]}))
    b = repo.save(lr.Record(name="b", features={"age": 50, "kind": "mouse", "labs": ["L1", "L2"]}))
    age = repo.get(lr.Feature, name="age")
    assert repo.filter(lr.Record, age__gt=40).one() is b
    assert repo.filter(lr.Record, age > 40).one() is b
    assert repo.filter(lr.Record, age <= 30).one() is a
    assert set(repo.filter(lr.Record, age != 30, name__in=["a", "b"])) == {b}
    assert repo.filter(lr.Record, kind="human", age__lt=40).one() is a
    assert repo.filter(lr.Record, kind=world["mouse"]).one() is b
    with pytest.raises(InvalidArgument, match="Unsupported lookup 'name'"):
        repo.filter(lr.Record, kind__name__startswith="mo")  # a feature is not a path
    assert repo.filter(lr.Record, kind__startswith="mo").one() is b
    assert repo.filter(lr.Record, labs="L1").count() == 2  # each host once
    assert repo.filter(lr.Record, labs__in=["L1", "L2"]).count() == 2
    assert repo.filter(lr.Record, lr.Q(age=30) | lr.Q(age=50)).count() == 2
    assert repo.exclude(lr.Record, age=30).filter(name__in=["a", "b"]).one() is b
    assert repo.filter(lr.Record, age__in=[30, 31]).one() is a
    with pytest.raises(InvalidArgument, match="invalid feature names: 'nope'"):
        repo.filter(lr.Record, nope=1)
    with pytest.raises(InvalidArgument, match="number"):
        repo.filter(lr.Record, age__gt="x")
    with pytest.raises(InvalidArgument, match="only supported for Artifact"):
        repo.filter(lr.ULabel, age > 3)
    with pytest.raises(TypeError, match="booleans"):
        bool(age > 3)
    with pytest.raises(InvalidArgument):
        repo.filter(lr.ULabel, age=3)  # not a host: an unknown field


def test_dataframe_with_features(repo: lr.Repository, world: dict[str, Any]) -> None:
    repo.save(lr.Record(name="a", features={"age": 30, "labs": ["L1", "L2"], "note": "n"}))
    frame = repo.to_dataframe(lr.Record, features=True, limit=None)
    assert list(frame.columns[:2]) == ["uid", "name"]
    row = frame[frame["name"] == "a"].iloc[0]
    assert row["age"] == 30 and row["labs"] == ["L1", "L2"] and row["note"] == "n"
    only = repo.to_dataframe(lr.Record, features=["age"], limit=None)
    assert "note" not in only.columns and "age" in only.columns
    with pytest.raises(InvalidArgument, match="Unknown feature names"):
        repo.to_dataframe(lr.Record, features=["nope"])
    with pytest.raises(InvalidArgument, match="only applicable"):
        repo.to_dataframe(lr.ULabel, features=True)


def test_describe(repo: lr.Repository, world: dict[str, Any]) -> None:
    record = repo.save(lr.Record(name="r1", features={"age": 41, "kind": "human"}))
    text = record.describe(return_str=True)
    assert text is not None
    lines = text.splitlines()
    assert lines[0] == "Record: r1"
    assert "└── Features" in text
    assert any(line.split()[-3:] == ["kind", "Record[Species]", "human"] for line in lines)
    assert "created_by: alice" in text
    assert repo.describe(world["L1"]).startswith("ULabel: L1")  # every registry
    assert "Features" not in repo.describe(world["L1"])
    assert "<pre>" in record._repr_html_()


# -- visibility and access --------------------------------------------------------------------


@pytest.fixture
def inst(fresh_url: str) -> Iterator[lr.Instance]:
    instance = lr.connect(fresh_url, user="alice")
    yield instance
    instance.close()


def test_hidden_values_and_hosts(inst: lr.Instance) -> None:
    with inst.session() as alice:
        lab = alice.save(lr.Space(name="lab"))
        alice.save([lr.Feature(name="tag", dtype=lr.ULabel), lr.Feature(name="n", dtype=int)])
        secret = alice.save(lr.ULabel(name="secret", space=lab))
        trashed = alice.save(lr.ULabel(name="trashed"))
        public = alice.save(lr.Record(name="public", features={"tag": "secret", "n": 1}))
        other = alice.save(lr.Record(name="other", features={"tag": "trashed"}))
        hidden_host = alice.save(lr.Record(name="hidden", space=lab, features={"n": 2}))
        alice.delete(trashed)
        assert other.features.get_values() == {}  # trashed labels are omitted
        assert secret.id and public.id
    with inst.session(user="bob") as bob:
        record = bob.get(lr.Record, name="public")
        assert record.features.get_values() == {"n": 1}
        assert bob.filter(lr.Record, tag="secret").count() == 0
        assert bob.filter(lr.Record, n=2).count() == 0
        frame = bob.to_dataframe(lr.Record, features=True, limit=None)
        assert "hidden" not in set(frame["name"])
        assert "tag" not in frame.columns or frame["tag"].isna().all()
        with pytest.raises(ValidationError, match="not validated"):
            record.features.update_values({"tag": "secret"})
        with pytest.raises(lr.errors.DoesNotExist, match="not readable"):
            bob.update_feature_values(hidden_host, {"n": 5})  # loaded by alice


def test_archived_hosts_refuse_annotation(repo: lr.Repository, world: dict[str, Any]) -> None:
    record = repo.save(lr.Record(name="old"))
    repo.archive(record)
    with pytest.raises(NoWriteAccess, match="archived"):
        record.features.set_values({"age": 1})


# -- set-based: statements independent of the number of records ------------------------------


@contextmanager
def counted(repo: lr.Repository) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = repo.session.get_bind()

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def test_statement_count_does_not_grow(repo: lr.Repository, world: dict[str, Any]) -> None:
    counts = []
    for n in (3, 60):
        records = repo.save([lr.Record(name=f"n{n} {i}") for i in range(n)])
        query = repo.filter(lr.Record, name__startswith=f"n{n} ")
        values = {"age": n, "note": "x", "meta": {"k": 1}, "lab": "L1", "labs": ["L1", "L2"]}
        with counted(repo) as statements:
            repo.update_feature_values(query, values)
            repo.add_feature_values(query, {"labs": ["L2"], "ints": [n]})
            repo.set_feature_values(query, {**values, "ints": list(range(n))})
            frame = query.to_dataframe(features=True, limit=None)
            found = repo.filter(lr.Record, age=n, lab="L1").count()
            one = records[-1]
            assert one.features.get_values()["ints"] == list(range(n))
            assert "ints" in (one.describe(return_str=True) or "")
            repo.remove_feature_values(query, "labs", value="L2")
        assert found == n and len(frame) == n and set(frame["age"]) == {n}
        counts.append(len(statements))
        assert records
    assert counts[0] == counts[1]


# -- sheets -----------------------------------------------------------------------------------


@pytest.fixture
def sheet(repo: lr.Repository, world: dict[str, Any]) -> Any:
    features = [repo.get(lr.Feature, name=name) for name in ("kind", "age", "note")]
    schema = repo.save(lr.Schema(name="sample schema", features=features))
    return repo.save(lr.Record(name="Samples", is_type=True, schema=schema))


def test_sheet_members_are_required(repo: lr.Repository, sheet: Any) -> None:
    before = _snapshot(repo)
    with pytest.raises(ValidationError, match="missing required features 'note'"):
        repo.save(lr.Record(name="s1", type=sheet, features={"kind": "human", "age": 3}))
    with pytest.raises(ValidationError, match="missing required features 'kind', 'age'"):
        repo.save(lr.Record(name="blank", type=sheet))
    with pytest.raises(ValidationError, match=r"not in the provided schema: \['flag'\]"):
        repo.save(
            lr.Record(
                name="s1",
                type=sheet,
                features={"kind": "human", "age": 3, "note": "", "flag": True},
            )
        )
    assert _snapshot(repo) == before and repo.filter(lr.Record, type=sheet).count() == 0
    ok = repo.save(
        lr.Record(name="s1", type=sheet, features={"kind": "human", "age": 3, "note": "n"})
    )
    assert ok.features.get_values() == {"kind": "human", "age": 3, "note": "n"}


def test_sheet_export_and_import(repo: lr.Repository, sheet: Any) -> None:
    import pandas as pd

    frame = pd.DataFrame(
        {"name": ["a", "b"], "kind": ["human", "mouse"], "age": [1, 2], "note": ["x", "y"]}
    )
    saved = repo.from_dataframe(sheet, frame)
    assert [r.name for r in saved] == ["a", "b"]
    out = sheet.to_dataframe()
    assert list(out.columns) == [
        "kind",
        "age",
        "note",
        "__lamindb_record_uid__",
        "__lamindb_record_name__",
    ]
    assert out.index.name == "__lamindb_record_id__"
    assert out["age"].tolist() == [1, 2] and out["__lamindb_record_name__"].tolist() == ["a", "b"]
    before = _snapshot(repo)
    bad = pd.DataFrame(
        {"name": ["c", "d"], "kind": ["human", "nope"], "age": [1, None], "note": ["x", "y"]}
    )
    with pytest.raises(ValidationError, match="row 1"):
        repo.from_dataframe(sheet, bad)
    assert _snapshot(repo) == before
    bad_label = pd.DataFrame({"name": ["e", "f"], "kind": ["human", "nope"], "age": [1, 2],
                              "note": ["x", "y"]})
    with pytest.raises(ValidationError, match="'nope'"):
        repo.from_dataframe(sheet, bad_label)  # checked after the rows are inserted: undone
    assert _snapshot(repo) == before
    with pytest.raises(TypeError, match="record type"):
        saved[0].to_dataframe()


def test_cat_filters_restrict_values(repo: lr.Repository, world: dict[str, Any]) -> None:
    repo.save(lr.Feature(name="kinds", dtype=lr.Record, cat_filters={"is_type": True}))
    record = repo.save(lr.Record(name="r", features={"kinds": "Species"}))  # a type: allowed
    assert record.features.get_values() == {"kinds": "Species"}
    with pytest.raises(ValidationError, match="not validated in feature 'kinds'"):
        record.features.set_values({"kinds": "human"})  # not a type
    typed = repo.save(
        lr.Feature(name="typed", dtype=lr.Record, cat_filters={"type": world["species"]})
    )
    assert typed.dtype_as_str == f"cat[Record[{world['species'].uid}]]"
    record.features.set_values({"typed": "mouse"})
    with pytest.raises(ValidationError, match="'outsider'"):
        record.features.set_values({"typed": "outsider"})


def test_sheet_optional_members_and_index(repo: lr.Repository, world: dict[str, Any]) -> None:
    import pandas as pd

    sample_id = repo.save(lr.Feature(name="sample_id", dtype=str))
    age, note = (repo.get(lr.Feature, name=name) for name in ("age", "note"))
    schema = repo.save(
        lr.Schema(name="indexed", features=[age, note.with_config(optional=True)], index=sample_id)
    )
    assert schema.optionals.get_uids() == [note.uid] and schema.index is sample_id
    sheet = repo.save(lr.Record(name="Indexed", is_type=True, schema=schema))
    record = repo.save(lr.Record(type=sheet, features={"sample_id": "S-001", "age": 3}))
    assert record.name == "S-001"  # the index value lives on Record.name
    assert record.features.get_values() == {"sample_id": "S-001", "age": 3}
    with pytest.raises(ValidationError, match="missing required features 'sample_id'"):
        repo.save(lr.Record(type=sheet, features={"age": 4}))
    frame = sheet.to_dataframe()
    assert frame.index.name == "sample_id" and list(frame.index) == ["S-001"]
    assert list(frame.columns) == ["age", "note"]
    assert frame.loc["S-001", "age"] == 3 and pd.isna(frame.loc["S-001", "note"])


def test_type_change_joins_a_sheet(repo: lr.Repository, sheet: Any) -> None:
    loose = repo.save(lr.Record(name="loose", features={"age": 3}))
    before = _snapshot(repo)
    loose.type = sheet
    with pytest.raises(ValidationError, match="missing required features 'kind', 'note'"):
        repo.save(loose)
    repo.session.refresh(loose)
    assert loose.type_id is None and _snapshot(repo) == before
    complete = repo.save(lr.Record(name="complete", features={"age": 3, "kind": "human"}))
    complete.features.update_values({"note": "n"})
    complete.type = sheet
    repo.save(complete)
    assert sheet.to_dataframe()["__lamindb_record_name__"].tolist() == ["complete"]
