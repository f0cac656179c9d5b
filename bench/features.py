"""Feature annotation benchmark (issue 10).

    python bench/features.py [--n 100000] [--pg [URL] | --url URL]

On ``n`` Records (SQLite by default; ``--pg`` a fresh database on a PostgreSQL server, made
and dropped by the bench; ``--url`` a database that exists and is empty) it times, each next
to a floor measured in the same run:

* annotating ``n`` "sample" records with 5 features (3 non-categorical, 2 categorical) in one
  call (``repo.update_feature_values(query, ...)``) vs ``executemany`` of as many value and
  link rows into the same tables (floor), for ``n`` "patient" records whose age
  (``k % 100``) and temperature (36.0 to 40.9, by ``k // 100``) vary;
* ``filter`` by two feature predicates and one field, ``count()`` + the first page of 100 by
  id, twice: where all ``n`` samples match (``age > 40, temperature < 38,
  name__startswith="sample"``) and where 1% of the patients do (``age > 89,
  temperature < 36.5, name__startswith="patient"``). The floor is the best hand-written SQL
  for the same answer on the driver: the fastest of several shapes (``EXISTS``, nested
  ``IN``, the name index kept out of the page), for the count and the page each;
* ``to_dataframe(features=True, limit=None)`` vs the same ``to_dataframe`` without features;
* ``get_values()`` and ``describe()`` of one record (median of 200), vs one ``session.execute``
  of a one-row SELECT by primary key.

The printed ratios are the figures of bench/README.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import lamin_registry as lr  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
import common  # noqa: E402


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median(fn: Callable[[], object], repeat: int = 200) -> float:
    return statistics.median(timed(fn) for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--url", default=None, help="an existing, empty database")
    common.pg_url_option(parser)
    args = parser.parse_args()
    n = args.n
    with common.bench_database(args, "features.db") as url:
        inst = lr.connect(url, user="alice")
        with inst.session() as repo:
            repo.save(lr.ULabel(name="T cell"))
            repo.save(lr.ULabel(name="B cell"))
            kind = repo.save(lr.Record(name="Sample", is_type=True))
            repo.save(
                [
                    lr.Feature(name="age", dtype=int),
                    lr.Feature(name="temperature", dtype=float),
                    lr.Feature(name="note", dtype=str),
                    lr.Feature(name="cell_type", dtype=lr.ULabel),
                    lr.Feature(name="tags", dtype=list[lr.ULabel]),
                ]
            )
            repo.save([lr.Record(name=f"sample {i}", type=kind) for i in range(n)])
            repo.save([lr.Record(name=f"patient {i}") for i in range(n)])
        values = {
            "age": 41,
            "temperature": 37.5,
            "note": "ok",
            "cell_type": "T cell",
            "tags": ["T cell", "B cell"],
        }
        with inst.session() as repo:
            query = repo.filter(lr.Record, type=kind)
            annotate = timed(lambda: repo.update_feature_values(query, values))
        with inst.session() as repo:
            floor = _floor(repo)
        if inst.engine.dialect.name == "postgresql":
            with inst.engine.connect() as connection:  # what autovacuum would do, now
                connection.execution_options(isolation_level="AUTOCOMMIT")
                connection.exec_driver_sql(  # every table the annotation wrote
                    "VACUUM ANALYZE lamindb_record, lamindb_recordjson, lamindb_recordulabel"
                )
        with inst.session() as repo:
            age = repo.get(lr.Feature, name="age")
            temperature = repo.get(lr.Feature, name="temperature")
            cases = {
                "all": ((age > 40, temperature < 38), "sample", n, (40, 38)),
                "1%": ((age > 89, temperature < 36.5), "patient", _selected(n), (89, 36.5)),
            }
            filters: dict[str, tuple[float, float]] = {}
            for case, (predicates, prefix, expected, bounds) in cases.items():

                def page(predicates: tuple[object, ...] = predicates, prefix: str = prefix,
                         expected: int = expected) -> None:
                    q = repo.filter(lr.Record, *predicates, name__startswith=prefix)
                    assert q.count() == expected
                    assert len(q.order_by("id").limit(100).all()) == min(expected, 100)

                page()
                library = statistics.median(timed(page) for _ in range(5))
                ids = (age.id, temperature.id)
                filters[case] = (library, _best_sql(repo, ids, bounds, prefix, expected))
            plain = statistics.median(
                timed(lambda: query.to_dataframe(limit=None)) for _ in range(3)
            )
            with_features = statistics.median(
                timed(lambda: query.to_dataframe(features=True, limit=None)) for _ in range(3)
            )
            one = query.first()
            assert one is not None
            get_values = median(lambda: one.features.get_values())
            describe = median(lambda: one.describe(return_str=True))
            by_pk = sa.select(lr.Record.id, lr.Record.name).where(lr.Record.id == one.id)
            one_select = median(lambda: repo.session.execute(by_pk).all())
        inst.close()
    backend = sa.make_url(url).get_backend_name()
    best = "best hand-written SQL"
    rows = [
        ("annotate n records x 5 features (1 call)", annotate, floor, "executemany, same rows"),
        ("filter, all n match: count + page of 100", *filters["all"], best),
        ("filter, 1% match: count + page of 100", *filters["1%"], best),
        ("to_dataframe(features=True, limit=None)", with_features, plain, "without features"),
        ("get_values() of one record", get_values, one_select, "one-row SELECT"),
        ("describe() of one record", describe, one_select, "one-row SELECT"),
    ]
    print(f"features bench, {backend}, n = {n:,}")
    print("| benchmark | lamin_registry | floor | ratio |\n|---|---:|---|---:|")
    for label, value, base, what in rows:
        ratio = f"{value / base:.2f}x" if base else ""
        shown = f"{value * 1000:.2f} ms" if value < 1 else f"{value:.2f} s"
        floor_text = ""
        if base:
            floor_text = f"{base * 1000:.2f} ms {what}" if base < 1 else f"{base:.2f} s {what}"
        print(f"| {label} | {shown} | {floor_text} | {ratio} |")


def _ages(k: int) -> tuple[int, float]:
    """The age and temperature of the k-th patient: independent, 10% above 89 / below 36.5."""
    return k % 100, 36 + ((k // 100) % 50) / 10


def _selected(n: int) -> int:
    return sum(1 for k in range(n) if _ages(k)[0] > 89 and _ages(k)[1] < 36.5)


def _best_sql(
    repo: lr.Repository, ids: tuple[int, int], bounds: tuple[float, float], prefix: str,
    expected: int,
) -> float:
    """The fastest hand-written count plus the fastest hand-written page, on the driver."""
    postgres = repo.dialect == "postgresql"
    if postgres:
        number = (
            "(CASE WHEN jsonb_typeof({0}.value) = 'number' "
            "THEN ({0}.value #>> '{{}}')::numeric END)"
        )
        name = f"r.name LIKE '{prefix}%'"
    else:
        number = (
            "(CASE WHEN json_type({0}.value) IN ('integer', 'real') "
            "THEN json_extract({0}.value, '$') ELSE NULL END)"
        )
        name = f"r.name GLOB '{prefix}*'"
    tests = [f"{number.format(a)} {op} {bound}" for a, op, bound in
             (("a", ">", bounds[0]), ("b", "<", bounds[1]))]
    base = f"{name} AND r.branch_id IN (1, 2)"
    exists = (
        f"EXISTS (SELECT 1 FROM lamindb_recordjson a WHERE a.record_id = r.id "
        f"AND a.feature_id = {ids[0]} AND {tests[0]}) AND EXISTS (SELECT 1 FROM "
        f"lamindb_recordjson b WHERE b.record_id = r.id AND b.feature_id = {ids[1]} "
        f"AND {tests[1]})"
    )
    nested = (
        f"r.id IN (SELECT a.record_id FROM lamindb_recordjson a WHERE a.feature_id = {ids[0]} "
        f"AND {tests[0]} AND a.record_id IN (SELECT b.record_id FROM lamindb_recordjson b "
        f"WHERE b.feature_id = {ids[1]} AND {tests[1]}))"
    )
    wheres = [f"{exists} AND {base}", f"{nested} AND {base}"]
    if not postgres:  # the name index kept out: a scan by id that stops after the page
        wheres.append(f"{exists} AND +{base}")
    cursor = repo.session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]

    def fastest(statements: list[str], check: Callable[[list[Any]], bool]) -> float:
        times = []
        for statement in statements:
            cursor.execute(statement)
            assert check(cursor.fetchall()), statement
            times.append(statistics.median(
                timed(lambda s=statement: cursor.execute(s).fetchall()) for _ in range(5)
            ))
        return min(times)

    count = fastest(
        [f"SELECT count(*) FROM lamindb_record r WHERE {w}" for w in wheres],
        lambda rows: rows[0][0] == expected,
    )
    page = fastest(
        [f"SELECT r.* FROM lamindb_record r WHERE {w} ORDER BY r.id LIMIT 100" for w in wheres],
        lambda rows: len(rows) == min(expected, 100),
    )
    return count + page


def _floor(repo: lr.Repository) -> float:
    """``executemany`` of as many rows as the annotation writes, for the patients."""
    tables = lr.metadata.tables
    json, link = tables["lamindb_recordjson"], tables["lamindb_recordulabel"]
    ids = list(
        repo.session.scalars(
            sa.select(lr.Record.id).where(lr.Record.name.like("patient %")).order_by(lr.Record.id)
        )
    )
    features = dict(repo.session.execute(sa.select(lr.Feature.name, lr.Feature.id)).all())
    labels = list(repo.session.scalars(sa.select(lr.ULabel.id)))
    json_rows = [
        {"record_id": i, "feature_id": features[name], "value": value}
        for k, i in enumerate(ids)
        for name, value in zip(("age", "temperature", "note"), (*_ages(k), "ok"), strict=True)
    ]
    link_rows = [
        {"record_id": i, "feature_id": features[name], "value_id": label}
        for i in ids
        for name, label in (("cell_type", labels[0]), ("tags", labels[0]), ("tags", labels[1]))
    ]
    connection = repo.session.connection()

    def write() -> None:
        connection.execute(sa.insert(json), json_rows)
        connection.execute(sa.insert(link), link_rows)

    return timed(write)


if __name__ == "__main__":
    main()
