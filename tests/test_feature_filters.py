"""Numeric feature predicates in both SQL shapes (issue 10), on SQLite and PostgreSQL.

A numeric Record predicate compares ``json_number(value)``, the expression of the index
``ix_lamindb_recordjson_feature_id_number_record_id``. On SQLite it is written
``record.id IN (SELECT ...)`` when it matches few value rows (``IN_LIMIT``) and ``EXISTS``
otherwise; AND-ed ``IN`` predicates nest into one. Every answer here is checked in both shapes
against the same answer computed in Python.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

import lamin_registry as lr

AGES = [-5, 0, 10, 39, 40, 41, 60, 2**62]
TEMPERATURES = [36.0, 36.4, 36.5, 37.5, 38.0, 0.1 + 0.2, 40.9, 41.0]


@pytest.fixture(params=["in", "exists"])
def shape(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, repo: lr.Repository
) -> str:
    """``in``: every numeric predicate qualifies for IN (on SQLite); ``exists``: none does."""
    limit = 10**9 if request.param == "in" else 0
    monkeypatch.setattr("lamin_registry.features.lookups.IN_LIMIT", limit)
    return str(request.param)


@pytest.fixture
def people(repo: lr.Repository) -> dict[str, Any]:
    repo.save(
        [
            lr.Feature(name="age", dtype=int),
            lr.Feature(name="temperature", dtype=float),
            lr.Feature(name="note", dtype=str),
        ]
    )
    records = []
    for i, (age, temperature) in enumerate(zip(AGES, TEMPERATURES, strict=True)):
        values = {"age": age, "temperature": temperature, "note": f"{age}"}
        records.append(repo.save(lr.Record(name=f"person {i}", features=values)))
    records.append(repo.save(lr.Record(name="person none", features={"note": "40"})))
    repo.save(lr.Record(name="other", features={"age": 50, "temperature": 37.0}))
    features = {f.name: f for f in repo.filter(lr.Feature, name__in=["age", "temperature"])}
    return {"records": records, **features}


def expected(people: dict[str, Any], test: Callable[[int, float], bool]) -> set[str]:
    pairs = zip(AGES, TEMPERATURES, strict=True)
    return {f"person {i}" for i, (age, temp) in enumerate(pairs) if test(age, temp)}


def names(query: lr.Query[Any]) -> set[str]:
    return {record.name for record in query if record.name != "other"}


def test_numeric_predicates(repo: lr.Repository, people: dict[str, Any], shape: str) -> None:
    age, temperature = people["age"], people["temperature"]
    cases: list[tuple[Any, Callable[[int, float], bool]]] = [
        (repo.filter(lr.Record, age > 40), lambda a, t: a > 40),
        (repo.filter(lr.Record, age__gte=40), lambda a, t: a >= 40),
        (repo.filter(lr.Record, age < 0.5), lambda a, t: a < 0.5),
        (repo.filter(lr.Record, age__lte=-5), lambda a, t: a <= -5),
        (repo.filter(lr.Record, age=40), lambda a, t: a == 40),
        (repo.filter(lr.Record, age=2**62), lambda a, t: a == 2**62),
        (repo.filter(lr.Record, age__in=[0, 41, 99]), lambda a, t: a in (0, 41, 99)),
        (repo.filter(lr.Record, temperature=0.1 + 0.2), lambda a, t: t == 0.1 + 0.2),
        (repo.filter(lr.Record, temperature__lt=36.5), lambda a, t: t < 36.5),
        (repo.filter(lr.Record, age != 40), lambda a, t: a != 40),  # + the one without an age
        (
            repo.filter(lr.Record, age > 10, temperature < 38, name__startswith="person"),
            lambda a, t: a > 10 and t < 38,
        ),
        (
            repo.filter(lr.Record, age >= 0, age < 50, temperature__gte=36.4),
            lambda a, t: 0 <= a < 50 and t >= 36.4,
        ),
        (
            repo.filter(lr.Record, lr.Q(age__gt=50) | lr.Q(temperature__lt=36.1)),
            lambda a, t: a > 50 or t < 36.1,
        ),
        (
            repo.exclude(lr.Record, age > 10, temperature < 38).filter(name__startswith="per"),
            lambda a, t: not (a > 10 and t < 38),
        ),
    ]
    for number, (query, test) in enumerate(cases):
        want = expected(people, test)
        if number in (9, len(cases) - 1):  # "not": a record without an age is in
            want.add("person none")
        assert names(query) == want, str(query.statement())
        others = sum(1 for record in query if record.name == "other")
        assert query.count() == len(want) + others


def test_shapes_and_pages(repo: lr.Repository, people: dict[str, Any], shape: str) -> None:
    age, temperature = people["age"], people["temperature"]
    query = repo.filter(lr.Record, age > 10, temperature < 38, name__startswith="person")
    sql = str(query.statement().compile(repo.session.get_bind()))
    if repo.dialect == "sqlite" and shape == "in":
        # the two predicates nest into one IN: the record table is read for both at once
        assert sql.count("lamindb_record.id IN") == 1 and "EXISTS" not in sql
        assert sql.count("IN (SELECT") == 2  # the second inside the first
    else:
        assert sql.count("EXISTS") == 2
    chosen = expected(people, lambda a, t: a > 10 and t < 38)
    want = sorted((r for r in people["records"] if r.name in chosen), key=lambda r: r.id)
    assert query.order_by("id").limit(1).all() == want[:1]
    assert query.order_by("-id").all() == want[::-1]
    assert query.exists() and query.count() == len(want)


def test_numbers_need_numbers(repo: lr.Repository, people: dict[str, Any], shape: str) -> None:
    """A text value of a numeric feature (lamindb could write one) neither matches nor fails."""
    table = lr.metadata.tables["lamindb_recordjson"]
    odd = repo.save(lr.Record(name="odd"))
    repo.session.execute(
        sa.insert(table).values(record_id=odd.id, feature_id=people["age"].id, value="forty")
    )
    assert "odd" not in {r.name for r in repo.filter(lr.Record, people["age"] > -100)}
    assert repo.filter(lr.Record, people["age"] > -100).count() == len(AGES) + 1  # + "other"


@pytest.mark.postgres_only
def test_postgresql_plans_each_statement_for_its_values(repo: lr.Repository) -> None:
    """No server-side prepares: a generic plan made for ``age > 0`` would serve ``age > 89``
    too (``lr.instance.configure_postgresql_engine``)."""
    driver = repo.session.connection().connection.driver_connection
    assert driver is not None and driver.prepare_threshold is None


def test_count_then_page_follow_a_branch_switch(repo: lr.Repository) -> None:
    """``q.count()`` and a page of ``q`` restrict the filter's subqueries once per
    visibility (Query._visible_conditions): a label visible on one branch only matches there,
    whichever of the derived queries runs after the switch."""
    repo.save(lr.Feature(name="lab", dtype=lr.ULabel))
    record = repo.save(lr.Record(name="on main"))
    repo.switch_branch("side", create=True)
    label = repo.save(lr.ULabel(name="side label"))
    record.features.set_values({"lab": label})
    query = repo.filter(lr.Record, lab="side label")
    assert query.count() == 1
    repo.switch_branch("main")
    assert query.order_by("id").limit(10).all() == [] and query.count() == 0
    repo.switch_branch("side")
    assert query.order_by("id").limit(10).all() == [record]
