"""filter / exclude / Q / Query on SQLite and PostgreSQL.

Matching rules under test (lamin_registry.query.lookups): ``exact`` and
``contains``/``startswith``/``endswith`` are case-sensitive on both backends (SQLite uses
GLOB), the ``i`` variants fold case, and every character of a value matches literally.
"""

from __future__ import annotations

import datetime as dt
import warnings
from typing import Any

import pytest
import sqlalchemy as sa

import lamin_registry as lr
from lamin_registry.errors import (
    DoesNotExist,
    InvalidArgument,
    MultipleResultsFound,
)

NAMES = [
    "Alpha",
    "alpha",
    "ALPHA beta",
    "cat[*_*]",
    "cat",
    "cat[x]",
    "50%",
    "500",
    "a_b",
    "axb",
    "back\\slash",
    "backslash",
    "q?x",
    "qyx",
    "star*",
    "start",
    "per/cent",
    "Ünïcode",
]
# descriptions: None for most, so that NULL handling shows
DESCRIPTIONS = {"Alpha": "x", "alpha": "y", "cat": "x", "a_b": "X"}


def names(records: Any) -> set[str]:
    return {record.name for record in records}


@pytest.fixture
def labels(repo: lr.Repository) -> dict[str, lr.ULabel]:
    saved = repo.save([lr.ULabel(name=name, description=DESCRIPTIONS.get(name)) for name in NAMES])
    return {label.name: label for label in saved}


# -- lookups on string fields ---------------------------------------------------------------

LOOKUP_CASES: list[tuple[str, Any, set[str]]] = [
    ("name", "alpha", {"alpha"}),
    ("name__exact", "Alpha", {"Alpha"}),
    ("name__iexact", "ALPHA", {"Alpha", "alpha"}),
    ("name__contains", "lph", {"Alpha", "alpha"}),
    ("name__contains", "LPH", {"ALPHA beta"}),
    ("name__icontains", "LpH", {"Alpha", "alpha", "ALPHA beta"}),
    ("name__startswith", "al", {"alpha"}),
    ("name__startswith", "A", {"Alpha", "ALPHA beta"}),
    ("name__istartswith", "al", {"Alpha", "alpha", "ALPHA beta"}),
    ("name__endswith", "ta", {"ALPHA beta"}),
    ("name__endswith", "HA", set()),
    ("name__iendswith", "HA", {"Alpha", "alpha"}),
    ("name__in", ["alpha", "cat", "nope"], {"alpha", "cat"}),
    ("name__in", [], set()),
    ("name__regex", "^[Aa]lpha$", {"Alpha", "alpha"}),
    ("name__regex", "^alpha", {"alpha"}),
    ("name__iregex", "^alpha", {"Alpha", "alpha", "ALPHA beta"}),
    ("name__iregex", "BETA$", {"ALPHA beta"}),
    ("description", "x", {"Alpha", "cat"}),
    ("description__iexact", "x", {"Alpha", "cat", "a_b"}),
    ("description__in", ["x", "y"], {"Alpha", "alpha", "cat"}),
    ("description__isnull", False, {"Alpha", "alpha", "cat", "a_b"}),
]


@pytest.mark.parametrize(("key", "value", "expected"), LOOKUP_CASES)
def test_string_lookups(
    repo: lr.Repository, labels: dict[str, lr.ULabel], key: str, value: Any, expected: set[str]
) -> None:
    assert names(repo.filter(lr.ULabel, **{key: value}).filter(name__in=NAMES)) == expected


def test_exact_none_is_null(repo: lr.Repository, labels: dict[str, lr.ULabel]) -> None:
    without = set(NAMES) - set(DESCRIPTIONS)
    mine = repo.filter(lr.ULabel, name__in=NAMES)
    assert names(mine.filter(description=None)) == without
    assert names(mine.filter(description__isnull=True)) == without
    assert names(mine.filter(description__iexact=None)) == without


# Every character of a pattern value is literal: LIKE's % _ and the escape character, GLOB's
# * ? [ and the backslash.
SPECIAL_VALUES = [
    "%",
    "_",
    "\\",
    "*",
    "?",
    "[",
    "]",
    "/",
    "[*_*]",
    "50%",
    "a_b",
    "back\\slash",
    "t[x",
    "q?",
    "r*",
]


@pytest.mark.parametrize("value", SPECIAL_VALUES)
def test_special_characters_match_literally(
    repo: lr.Repository, labels: dict[str, lr.ULabel], value: str
) -> None:
    def check(lookup: str, predicate: Any) -> None:
        expected = {name for name in NAMES if predicate(name)}
        found = names(repo.filter(lr.ULabel, name__in=NAMES, **{f"name__{lookup}": value}))
        assert found == expected, (lookup, value)

    check("contains", lambda name: value in name)
    check("startswith", lambda name: name.startswith(value))
    check("endswith", lambda name: name.endswith(value))
    check("icontains", lambda name: value.lower() in name.lower())
    check("istartswith", lambda name: name.lower().startswith(value.lower()))
    check("iendswith", lambda name: name.lower().endswith(value.lower()))
    check("exact", lambda name: name == value)
    check("iexact", lambda name: name.lower() == value.lower())


def test_special_names_found_by_every_lookup(
    repo: lr.Repository, labels: dict[str, lr.ULabel]
) -> None:
    for name in ["cat[*_*]", "50%", "a_b", "back\\slash", "q?x", "star*", "per/cent"]:
        for lookup in ("exact", "iexact", "contains", "icontains", "startswith", "endswith"):
            found = repo.filter(lr.ULabel, name__in=NAMES, **{f"name__{lookup}": name}).all()
            assert [label.name for label in found] == [name], (lookup, name)


def test_numeric_and_datetime_comparisons(
    repo: lr.Repository, labels: dict[str, lr.ULabel]
) -> None:
    ids = sorted(label.id for label in labels.values())
    middle = ids[5]
    query = repo.filter(lr.ULabel, name__in=NAMES)
    assert sorted(r.id for r in query.filter(id__gt=middle)) == ids[6:]
    assert sorted(r.id for r in query.filter(id__gte=middle)) == ids[5:]
    assert sorted(r.id for r in query.filter(id__lt=middle)) == ids[:5]
    assert sorted(r.id for r in query.filter(id__lte=middle)) == ids[:6]
    assert sorted(r.id for r in query.filter(id__in=ids[2:4])) == ids[2:4]
    # numeric strings are numbers, as in Django
    assert [r.id for r in repo.filter(lr.ULabel, id=str(middle))] == [middle]
    created = labels["cat"].created_at
    assert created.tzinfo is not None
    later = created + dt.timedelta(days=1)
    assert query.filter(created_at__gt=later).count() == 0
    assert query.filter(created_at__lte=later).count() == len(NAMES)
    # naive datetimes and ISO strings are taken as UTC
    naive = later.replace(tzinfo=None)
    assert query.filter(created_at__lte=naive).count() == len(NAMES)
    assert query.filter(created_at__lte=naive.isoformat()).count() == len(NAMES)
    # an aware datetime in another zone is converted
    elsewhere = later.astimezone(dt.timezone(dt.timedelta(hours=-7)))
    assert query.filter(created_at__lte=elsewhere).count() == len(NAMES)


def test_boolean_and_integer_fields(repo: lr.Repository) -> None:
    kind = repo.save(lr.ULabel(name="Kind", is_type=True))
    repo.save(lr.ULabel(name="instance", type=kind))
    assert names(repo.filter(lr.ULabel, is_type=True)) == {"Kind"}
    assert "Kind" not in names(repo.filter(lr.ULabel, is_type=False))
    assert names(repo.filter(lr.ULabel, type_id=kind.id)) == {"instance"}
    assert names(repo.filter(lr.ULabel, type_id__isnull=False)) == {"instance"}


# -- relationships ------------------------------------------------------------------------------


@pytest.fixture
def bob(repo: lr.Repository) -> lr.User:
    return repo.save(lr.User(handle="bob"))


def test_foreign_key_paths(repo: lr.Repository, bob: lr.User) -> None:
    alice = repo.user
    repo.save(lr.ULabel(name="by alice"))
    repo.save(lr.ULabel(name="by bob", created_by=bob))
    assert names(repo.filter(lr.ULabel, created_by__handle="bob")) == {"by bob"}
    assert names(repo.filter(lr.ULabel, created_by__handle=alice.handle)) == {"by alice"}
    assert names(repo.filter(lr.ULabel, created_by__handle__startswith="bo")) == {"by bob"}
    assert names(repo.filter(lr.ULabel, created_by=bob)) == {"by bob"}
    assert names(repo.filter(lr.ULabel, created_by=bob.id)) == {"by bob"}
    assert names(repo.filter(lr.ULabel, created_by=alice.id)) == {"by alice"}
    assert names(repo.filter(lr.ULabel, created_by__in=[bob, alice.id])) == {"by alice", "by bob"}
    assert names(repo.filter(lr.ULabel, created_by_id=bob.id)) == {"by bob"}
    assert names(repo.exclude(lr.ULabel, created_by=bob)) == {"by alice"}


def test_relationship_given_a_string_suggests_the_name_field(repo: lr.Repository) -> None:
    with pytest.raises(InvalidArgument) as error:
        repo.filter(lr.ULabel, created_by="anonymous")
    assert str(error.value) == (
        "Invalid lookup 'anonymous' for created_by. Did you mean created_by__handle?"
    )
    with pytest.raises(InvalidArgument, match=r"Did you mean type__name\?"):
        repo.filter(lr.ULabel, type="Kind")
    with pytest.raises(InvalidArgument, match="expects a ULabel record or id, got a User"):
        repo.filter(lr.ULabel, type=repo.user)
    with pytest.raises(InvalidArgument, match="not saved yet"):
        repo.filter(lr.ULabel, type=lr.ULabel(name="unsaved"))
    with pytest.raises(InvalidArgument, match="needs a field of created_by"):
        repo.filter(lr.ULabel, created_by__startswith="a")


def test_type_paths(repo: lr.Repository) -> None:
    cell = repo.save(lr.ULabel(name="CellType", is_type=True))
    tissue = repo.save(lr.ULabel(name="Tissue", is_type=True))
    repo.save(lr.ULabel(name="T cell", type=cell))
    repo.save(lr.ULabel(name="B cell", type=cell))
    repo.save(lr.ULabel(name="liver", type=tissue))
    assert names(repo.filter(lr.ULabel, type__name="CellType")) == {"T cell", "B cell"}
    assert names(repo.filter(lr.ULabel, type=cell)) == {"T cell", "B cell"}
    assert names(repo.filter(lr.ULabel, type__name__in=["Tissue"])) == {"liver"}
    untyped = names(repo.filter(lr.ULabel, type=None))
    assert {"CellType", "Tissue"} <= untyped
    assert not untyped & {"T cell", "B cell", "liver"}
    assert names(repo.filter(lr.ULabel, type__isnull=True)) == untyped
    # reverse one-to-many: the type's records
    assert names(repo.filter(lr.ULabel, ulabels__name="liver")) == {"Tissue"}
    mine = repo.filter(lr.ULabel, name__in=["CellType", "Tissue", "T cell", "B cell", "liver"])
    assert names(mine.filter(ulabels__isnull=False)) == {"CellType", "Tissue"}
    # two levels deep
    assert names(repo.filter(lr.ULabel, type__created_by__handle=repo.user.handle)) == {
        "T cell",
        "B cell",
        "liver",
    }


def test_many_to_many_paths(repo: lr.Repository) -> None:
    storage = repo.save(lr.Storage(root="s3://query-test-bucket", type="s3"))
    red, blue, green = repo.save(
        [
            lr.ULabel(name="red", description="warm"),
            lr.ULabel(name="blue"),
            lr.ULabel(name="green", description="warm"),
        ]
    )
    first = repo.save(lr.Artifact(key="a/first.csv", storage=storage))
    second = repo.save(lr.Artifact(key="a/second.csv", storage=storage))
    repo.save(lr.Artifact(key="a/third.csv", storage=storage))
    first.ulabels.extend([red, blue])
    second.ulabels.extend([blue, green])
    repo.save([first, second])

    def keys(query: lr.Query[lr.Artifact]) -> list[str]:
        return sorted(artifact.key for artifact in query)

    assert keys(repo.filter(lr.Artifact, ulabels__name="red")) == ["a/first.csv"]
    # one row per artifact even when several linked labels match
    assert keys(repo.filter(lr.Artifact, ulabels__name__in=["red", "blue"])) == [
        "a/first.csv",
        "a/second.csv",
    ]
    assert repo.filter(lr.Artifact, ulabels__name__in=["red", "blue"]).count() == 2
    assert keys(repo.filter(lr.Artifact, ulabels=green)) == ["a/second.csv"]
    assert keys(repo.filter(lr.Artifact, ulabels__in=[red.id, green])) == [
        "a/first.csv",
        "a/second.csv",
    ]
    assert keys(repo.filter(lr.Artifact, ulabels__isnull=True)) == ["a/third.csv"]
    assert keys(repo.filter(lr.Artifact, ulabels=None)) == ["a/third.csv"]
    assert keys(repo.exclude(lr.Artifact, ulabels__name="blue")) == ["a/third.csv"]
    # lookups through the same relationship in one call hold for the same label (Django)
    assert keys(repo.filter(lr.Artifact, ulabels__name="blue", ulabels__description="warm")) == []
    assert keys(repo.filter(lr.Artifact, ulabels__name="green", ulabels__description="warm")) == [
        "a/second.csv"
    ]
    # ... and in separate calls for any labels
    assert keys(
        repo.filter(lr.Artifact, ulabels__name="blue").filter(ulabels__description="warm")
    ) == ["a/first.csv", "a/second.csv"]
    # reverse direction, and through storage (FK) from the label side
    assert names(repo.filter(lr.ULabel, artifacts__key="a/second.csv")) == {"blue", "green"}
    assert names(repo.filter(lr.ULabel, artifacts__key__endswith="first.csv")) == {"red", "blue"}
    assert names(repo.filter(lr.ULabel, artifacts__storage__root="s3://query-test-bucket")) == {
        "red",
        "blue",
        "green",
    }


def test_parents_and_children(repo: lr.Repository) -> None:
    immune, t_cell, cd4, cd8 = repo.save(
        [lr.ULabel(name=n) for n in ("immune cell", "T cell", "CD4 T cell", "CD8 T cell")]
    )
    t_cell.parents.append(immune)
    cd4.parents.append(t_cell)
    cd8.parents.append(t_cell)
    repo.save([t_cell, cd4, cd8])
    assert names(repo.filter(lr.ULabel, parents__name="T cell")) == {"CD4 T cell", "CD8 T cell"}
    assert names(repo.filter(lr.ULabel, children__name="CD4 T cell")) == {"T cell"}
    assert names(repo.filter(lr.ULabel, children__name__startswith="CD")) == {"T cell"}
    assert names(repo.filter(lr.ULabel, parents__parents__name="immune cell")) == {
        "CD4 T cell",
        "CD8 T cell",
    }
    assert names(repo.filter(lr.ULabel, parents=immune)) == {"T cell"}
    assert names(
        repo.filter(lr.ULabel, name__in=["immune cell", "T cell", "CD4 T cell"], parents=None)
    ) == {"immune cell"}


# -- Q, raw SQLAlchemy conditions, exclude ------------------------------------------------------


def test_q_combinations(repo: lr.Repository, labels: dict[str, lr.ULabel]) -> None:
    mine = repo.filter(lr.ULabel, name__in=NAMES)
    Q = lr.Q
    assert names(mine.filter(Q(name="alpha") | Q(name="cat"))) == {"alpha", "cat"}
    assert names(mine.filter(Q(name__startswith="cat") & Q(description="x"))) == {"cat"}
    assert names(mine.filter(Q(name__startswith="cat") & ~Q(name="cat"))) == {"cat[*_*]", "cat[x]"}
    nested = (Q(name__startswith="a") | Q(name__startswith="A")) & ~(
        Q(description="x") | Q(name__contains=" ")
    )
    assert names(mine.filter(nested)) == {"alpha", "a_b", "axb"}
    # keyword lookups and Q objects together, Q objects from several arguments AND-ed
    assert names(
        mine.filter(Q(name__icontains="alpha"), Q(description__isnull=False), name="alpha")
    ) == {"alpha"}
    # two keywords in one Q are AND-ed
    assert names(mine.filter(Q(name__startswith="a", description="X"))) == {"a_b"}


def test_empty_q_adds_no_condition(repo: lr.Repository, labels: dict[str, lr.ULabel]) -> None:
    mine = repo.filter(lr.ULabel, name__in=NAMES)
    everything = set(NAMES)
    q = lr.Q()
    for name in ("alpha", "cat"):
        q |= lr.Q(name=name)
    assert names(mine.filter(q)) == {"alpha", "cat"}
    assert names(mine.filter(lr.Q() & lr.Q(name="cat"))) == {"cat"}
    assert names(mine.filter(lr.Q())) == everything
    assert names(mine.filter(~lr.Q())) == everything
    assert not lr.Q()
    assert lr.Q(name="a")


def test_negation_keeps_nulls(repo: lr.Repository, labels: dict[str, lr.ULabel]) -> None:
    """Django semantics: excluding description="x" keeps records without a description."""
    mine = repo.filter(lr.ULabel, name__in=NAMES)
    expected = set(NAMES) - {"Alpha", "cat"}
    assert names(mine.exclude(description="x")) == expected
    assert names(mine.filter(~lr.Q(description="x"))) == expected
    assert names(mine.exclude(description__isnull=True)) == set(DESCRIPTIONS)
    # exclude with several keywords drops the records matching all of them
    assert names(mine.exclude(name__startswith="cat", description="x")) == set(NAMES) - {"cat"}
    # double negation is the filter again
    assert names(mine.filter(~~lr.Q(description="x"))) == {
        "Alpha",
        "cat",
    }
    assert names(mine.exclude(~lr.Q(description="x"))) == {
        "Alpha",
        "cat",
    }
    assert names(mine.exclude(lr.Q(name="alpha") | lr.Q(description="x"))) == (
        set(NAMES) - {"alpha", "Alpha", "cat"}
    )


def test_raw_sqlalchemy_conditions(repo: lr.Repository, labels: dict[str, lr.ULabel]) -> None:
    mine = repo.filter(lr.ULabel, name__in=NAMES)
    assert names(mine.filter(lr.ULabel.name.startswith("ALPHA "))) == {"ALPHA beta"}
    assert names(mine.filter(sa.or_(lr.ULabel.name == "cat", lr.ULabel.name == "axb"))) == {
        "cat",
        "axb",
    }
    assert names(mine.filter(lr.ULabel.name.in_(["cat", "alpha"]), lr.Q(description="x"))) == {
        "cat"
    }
    assert names(mine.exclude(lr.ULabel.name != "cat")) == {"cat"}
    with pytest.raises(InvalidArgument, match="use keywords"):
        mine.filter("alpha")
    with pytest.raises(InvalidArgument, match="Cannot filter by"):
        mine.filter(object())


def test_large_in_lists(repo: lr.Repository) -> None:
    """Lists longer than the backends' parameter limits still work (one array/JSON param)."""
    repo.save([lr.ULabel(name=f"many {i}") for i in range(5)])
    wanted = [f"many {i}" for i in range(0, 5, 2)] + [f"absent {i}" for i in range(70_000)]
    assert names(repo.filter(lr.ULabel, name__in=wanted)) == {"many 0", "many 2", "many 4"}
    ids = [label.id for label in repo.filter(lr.ULabel, name__startswith="many ")]
    assert repo.filter(lr.ULabel, id__in=[*ids, *range(10**6, 10**6 + 40_000)]).count() == 5
    assert repo.exclude(lr.ULabel, name__in=wanted).filter(name__startswith="many").count() == 2


# -- renamed keywords ------------------------------------------------------------------------------


def test_run_status_maps_to_status_code(repo: lr.Repository) -> None:
    transform = repo.save(lr.Transform(key="status-test.py"))
    done = lr.Run(transform=transform)
    done.status = "completed"
    failed = lr.Run(transform=transform)
    failed.status = "errored"
    repo.save([done, failed, lr.Run(transform=transform)])
    runs = repo.filter(lr.Run, transform=transform)
    assert [run.status for run in runs.filter(status="completed")] == ["completed"]
    assert {run.status for run in runs.filter(status__in=["errored", "scheduled"])} == {
        "errored",
        "scheduled",
    }
    assert [run.status for run in runs.exclude(status__in=["errored", "scheduled"])] == [
        "completed"
    ]
    assert runs.filter(_status_code=0).one().status == "completed"
    assert repo.filter(lr.Transform, runs__status="errored").one() == transform
    with pytest.raises(InvalidArgument) as error:
        runs.filter(status="done")
    assert str(error.value) == (
        "Invalid Run status 'done'. Expected one of: 'scheduled', 'restarted', 'started', "
        "'completed', 'errored', 'aborted'."
    )


def test_version_and_dtype_renames(repo: lr.Repository) -> None:
    repo.save(lr.Transform(key="versioned.py", version="1.0"))
    assert [t.key for t in repo.filter(lr.Transform, version="1.0")] == ["versioned.py"]
    assert [t.key for t in repo.filter(lr.Transform, version__startswith="1.")] == ["versioned.py"]
    repo.save([lr.Feature(name="age", dtype=int), lr.Feature(name="cell", dtype=lr.ULabel)])
    assert names(repo.filter(lr.Feature, dtype="int")) == {"age"}
    assert names(repo.filter(lr.Feature, dtype=int)) == {"age"}
    assert names(repo.filter(lr.Feature, dtype=lr.ULabel)) == {"cell"}
    assert names(repo.filter(lr.Feature, dtype__startswith="cat[")) == {"cell"}
    assert repo.filter(lr.Feature, name="age").order_by("dtype").to_list("dtype") == ["int"]


# -- the Query chain ---------------------------------------------------------------------------


def test_query_chain(repo: lr.Repository, labels: dict[str, lr.ULabel]) -> None:
    query = repo.filter(lr.ULabel, name__in=NAMES, name__startswith="a")
    assert isinstance(query, lr.Query)
    expected = ["a_b", "alpha", "axb"]
    assert [r.name for r in query.order_by("name")] == expected
    assert [r.name for r in query.order_by("-name")] == expected[::-1]
    assert [r.name for r in query.order_by("-name").limit(2)] == ["axb", "alpha"]
    assert [r.name for r in query.order_by("-name").limit(2).all()] == ["axb", "alpha"]
    assert query.order_by("name").to_list("name") == expected
    assert query.order_by("name").to_list() == query.order_by("name").all()
    assert len(query) == 3
    assert query.count() == 3
    assert query.limit(2).count() == 2
    assert query.exists()
    assert bool(query)
    assert not repo.filter(lr.ULabel, name="nothing").exists()
    assert not repo.filter(lr.ULabel, name="nothing")
    # chaining never changes the original query
    narrowed = query.filter(description="X")
    assert [r.name for r in narrowed] == ["a_b"]
    assert query.count() == 3
    assert query.exclude(name="axb").count() == 2
    assert query.order_by("name")[0].name == "a_b"
    # order_by replaces an earlier order; with no fields it removes it
    assert [r.name for r in query.order_by("-name").order_by("name")] == expected
    assert not query.order_by("name").order_by().is_ordered
    with pytest.raises(InvalidArgument, match="Unknown field 'nope'"):
        query.order_by("nope")
    with pytest.raises(InvalidArgument, match="is a relationship"):
        query.to_list("created_by")
    with pytest.raises(InvalidArgument, match="limit"):
        query.limit(-1)


def test_first_one_and_one_or_none(repo: lr.Repository, labels: dict[str, lr.ULabel]) -> None:
    query = repo.filter(lr.ULabel, name__in=NAMES, name__startswith="cat")
    ids = sorted(label.id for label in query)
    assert query.first().id == ids[0]  # type: ignore[union-attr]
    assert query.order_by("-id").first().id == ids[-1]  # type: ignore[union-attr]
    assert query.order_by("-name").first().name == "cat[x]"  # type: ignore[union-attr]
    assert repo.filter(lr.ULabel, name="nothing").first() is None
    # unordered first() orders by id, not by whatever index the planner walks (SQLite
    # returns ``name IN (...)`` in name order)
    zz, mm, aa = repo.save([lr.ULabel(name=n) for n in ("zz first", "mm second", "aa third")])
    assert zz.id < mm.id < aa.id
    assert repo.filter(lr.ULabel, name__in=["aa third", "mm second", "zz first"]).first() is zz
    assert query.filter(name="cat").one().name == "cat"
    assert query.filter(name="cat").one_or_none().name == "cat"  # type: ignore[union-attr]
    assert query.filter(name="dog").one_or_none() is None
    with pytest.raises(DoesNotExist, match="ULabel matching query does not exist"):
        query.filter(name="dog").one()
    with pytest.raises(MultipleResultsFound):
        query.one()
    with pytest.raises(MultipleResultsFound):
        query.one_or_none()


def test_df_is_deprecated(repo: lr.Repository, labels: dict[str, lr.ULabel]) -> None:
    query = repo.filter(lr.ULabel, name__in=NAMES, name__startswith="cat")
    with pytest.warns(DeprecationWarning, match="to_dataframe"):
        frame = query.df()
    assert sorted(frame["name"]) == ["cat", "cat[*_*]", "cat[x]"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert sorted(query.to_dataframe()["name"]) == ["cat", "cat[*_*]", "cat[x]"]


def test_record_level_sugar(repo: lr.Repository, labels: dict[str, lr.ULabel]) -> None:
    assert names(lr.ULabel.filter(name__startswith="cat", description="x")) == {"cat"}
    assert names(lr.ULabel.exclude(name__startswith="a").filter(name__startswith="a")) == set()
    assert names(lr.ULabel.exclude(name__in=NAMES).filter(name__in=NAMES)) == set()
    assert lr.ULabel.filter(lr.ULabel.name == "alpha").one().name == "alpha"


# -- default branch visibility -------------------------------------------------------------------


@pytest.fixture
def branches(repo: lr.Repository) -> dict[int, lr.ULabel]:
    """One label per built-in branch: trash -1, archive 0, main 1, locked 2, template 3."""
    records = {
        branch: repo.save(lr.ULabel(name=f"on branch {branch}", branch_id=branch))
        for branch in (-1, 0, 1, 2, 3)
    }
    assert {b: r.branch_id for b, r in records.items()} == {b: b for b in records}
    return records


def branch_names(query: lr.Query[lr.ULabel]) -> set[str]:
    return {name for name in names(query) if name.startswith("on branch")}


def test_default_visibility(repo: lr.Repository, branches: dict[int, lr.ULabel]) -> None:
    visible = {"on branch 1", "on branch 2"}
    assert branch_names(repo.filter(lr.ULabel)) == visible
    assert branch_names(repo.filter(lr.ULabel, name__startswith="on branch")) == visible
    assert branch_names(repo.exclude(lr.ULabel, name="on branch 1")) == {"on branch 2"}
    assert repo.filter(lr.ULabel, name="on branch -1").count() == 0
    assert repo.filter(lr.ULabel, name__startswith="on branch").count() == 2
    assert not repo.filter(lr.ULabel, name="on branch 3").exists()
    assert repo.filter(lr.ULabel, name__startswith="on branch").order_by("name").to_list(
        "name"
    ) == ["on branch 1", "on branch 2"]
    assert lr.ULabel.filter(name__startswith="on branch").count() == 2


def test_naming_the_branch_disables_the_default_filter(
    repo: lr.Repository, branches: dict[int, lr.ULabel]
) -> None:
    everything = {f"on branch {b}" for b in branches}
    assert branch_names(repo.filter(lr.ULabel, branch_id=-1)) == {"on branch -1"}
    assert branch_names(repo.filter(lr.ULabel, branch__name="trash")) == {"on branch -1"}
    assert branch_names(repo.filter(lr.ULabel, branch_id=0)) == {"on branch 0"}
    assert branch_names(repo.filter(lr.ULabel, branch_id__in=[3, -1])) == {
        "on branch 3",
        "on branch -1",
    }
    assert branch_names(repo.filter(lr.ULabel, branch_id=None)) == everything
    assert branch_names(repo.filter(lr.ULabel, branch=None)) == everything
    assert branch_names(repo.filter(lr.ULabel, branch=0)) == {"on branch 0"}
    assert branch_names(repo.filter(lr.ULabel, lr.Q(branch_id=-1) | lr.Q(branch_id=3))) == {
        "on branch -1",
        "on branch 3",
    }
    assert branch_names(repo.filter(lr.ULabel, ~lr.Q(branch__name="main"))) == everything - {
        "on branch 1"
    }
    assert branch_names(repo.filter(lr.ULabel, lr.ULabel.branch_id < 1)) == {
        "on branch -1",
        "on branch 0",
    }
    assert branch_names(repo.exclude(lr.ULabel, branch_id=1)) == everything - {"on branch 1"}
    # chained onto a default query, naming the branch also turns the filter off
    assert branch_names(repo.filter(lr.ULabel).filter(branch_id=-1)) == {"on branch -1"}


def test_ids_and_uids_see_every_branch(repo: lr.Repository, branches: dict[int, lr.ULabel]) -> None:
    """lamindb: a key that is exactly id/uid/hash(__in) looks at every branch."""
    trashed = branches[-1]
    assert repo.filter(lr.ULabel, uid=trashed.uid).one() == trashed
    assert repo.filter(lr.ULabel, id=trashed.id).one() == trashed
    assert branch_names(repo.filter(lr.ULabel, id__in=[r.id for r in branches.values()])) == {
        f"on branch {b}" for b in branches
    }
    # other lookups on them do not
    assert repo.filter(lr.ULabel, uid__startswith=trashed.uid).count() == 0
    # exclude by id keeps the default filter
    assert branch_names(repo.exclude(lr.ULabel, id=branches[1].id)) == {"on branch 2"}


def test_registries_without_branches_are_not_filtered(repo: lr.Repository) -> None:
    assert {b.name for b in repo.filter(lr.Branch)} >= {
        "trash",
        "archive",
        "main",
        "locked",
        "template",
    }
    assert repo.filter(lr.Branch, name="trash").one().id == -1
    assert repo.filter(lr.User, handle=repo.user.handle).one() == repo.user
