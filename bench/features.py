"""Feature annotation benchmark (issue 10).

    python bench/features.py [--n 100000] [--url URL]

On ``n`` Records (SQLite by default, or ``--url`` for a PostgreSQL database that exists and
is empty) it times, each next to a floor measured in the same run:

* annotating every record with 5 features (3 non-categorical, 2 categorical) in one call
  (``repo.update_feature_values(query, ...)``) vs ``executemany`` of the same value and link
  rows into the same tables (floor);
* ``filter`` by two feature predicates and one field: ``count()`` + the first page of 100, vs
  the same two SQL statements sent straight to the driver (the database's own time);
* ``to_dataframe(features=True, limit=None)`` vs the same ``to_dataframe`` without features;
* ``get_values()`` and ``describe()`` of one record (median of 200), vs one ``session.execute``
  of a one-row SELECT by primary key.

The printed ratios are the figures of bench/README.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import lamin_registry as lr  # noqa: E402


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median(fn: Callable[[], object], repeat: int = 200) -> float:
    return statistics.median(timed(fn) for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--url", default=None)
    args = parser.parse_args()
    n = args.n
    with tempfile.TemporaryDirectory() as directory:
        url = args.url or f"sqlite:///{Path(directory) / 'features.db'}"
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
            repo.save([lr.Record(name=f"floor {i}") for i in range(n)])
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
            floor = _floor(repo, n)
        with inst.session() as repo:
            age = repo.get(lr.Feature, name="age")
            temperature = repo.get(lr.Feature, name="temperature")

            def page() -> None:
                q = repo.filter(lr.Record, age > 40, temperature < 38, name__startswith="sample")
                assert q.count() == n
                assert len(q.order_by("id").limit(100).all()) == 100

            page()
            filter_time = statistics.median(timed(page) for _ in range(5))
            sql_floor = statistics.median(_driver_time(repo, page) for _ in range(5))
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
    rows = [
        ("annotate n records x 5 features (1 call)", annotate, floor, "executemany, same rows"),
        ("filter 2 predicates + field: count + page", filter_time, sql_floor, "same SQL, driver"),
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


def _driver_time(repo: lr.Repository, call: Callable[[], object]) -> float:
    """The SQL ``call`` sends, replayed on the DBAPI cursor: what the database itself needs."""
    sent: list[tuple[str, object]] = []
    engine = repo.session.get_bind()

    def record(_conn: object, _cursor: object, statement: str, params: object, *_: object) -> None:
        sent.append((statement, params))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    cursor = repo.session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    start = time.perf_counter()
    for statement, parameters in sent:
        cursor.execute(statement, parameters)
        cursor.fetchall()
    return time.perf_counter() - start


def _floor(repo: lr.Repository, n: int) -> float:
    """``executemany`` of the rows the annotation writes, into the same tables."""
    tables = lr.metadata.tables
    json, link = tables["lamindb_recordjson"], tables["lamindb_recordulabel"]
    ids = list(
        repo.session.scalars(sa.select(lr.Record.id).where(lr.Record.name.like("floor %")))
    )
    features = dict(repo.session.execute(sa.select(lr.Feature.name, lr.Feature.id)).all())
    labels = list(repo.session.scalars(sa.select(lr.ULabel.id)))
    json_rows = [
        {"record_id": i, "feature_id": features[name], "value": value}
        for i in ids
        for name, value in (("age", 41), ("temperature", 37.5), ("note", "ok"))
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
