"""Performance round two (issue 14), PostgreSQL: lamin_registry against psycopg floors.

    python bench/round2_pg.py [--pg URL] [--n 100000] [--repeat 3]
    python bench/round2_pg.py --scale 10000000 [--chunk 100000] [--pairs 5] [--keep]  # not CI
    python bench/round2_pg.py --reads-only URL --n N                       # an existing load

``--pg`` (default ``$LAMIN_REGISTRY_TEST_PG_URL``) names a server and a role that may create
databases: every run creates its own databases and drops them (``--keep``: not the library's
one, whose URL is printed, for ``--reads-only`` runs later).

* **bulk**: ``repo.save`` of ``n`` new ULabels (objects built before timing, commit
  included) into a fresh library database vs psycopg ``COPY`` of the same columns into the
  library's own table in a second fresh database (same indexes, the ``pg_trgm`` GIN index
  included), and vs psycopg ``executemany`` of an ``INSERT`` (info).
* **scale** (``--scale N``): one library database of ``N`` rows. The first ``N - 2 * pairs *
  chunk`` rows are loaded by COPY with the trigram index dropped, the index is built again,
  then ``--pairs`` library chunks (one session, ``repo.save`` of ``--chunk`` new records)
  alternate with COPY chunks of as many rows into the same table: both pay for the same
  indexes at the full size, and the load of the shared machine weighs on both alike.
* **reads** on the library database (``ANALYZE``d after the load, as autovacuum would):
  1,000 ``get(uid)`` / ``get(name=)`` vs a psycopg loop of ``SELECT * ... WHERE uid = %s``;
  ``filter(name__startswith=...).count()`` through the library (visibility conditions
  included) vs the same ``count(*)`` without them; search, median of 100 look-alike queries
  (a third each exact names, prefixes, typos).
* **curation**: ``lookup()`` of 10,000 records, ``validate`` of 10,000 values (as round2.py on
  SQLite).

Names (deterministic, so a chunked load needs no list of all of them): record ``i`` is
``label {j}``, ``sample_{j:05d}`` or two letters + digits (``AB123``), by ``i % 3``, with
``j = i // 3``.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import string
import sys
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import lamin_registry as lr  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from common import (  # noqa: E402
    Table,
    best,
    copy_ulabels,
    database,
    drop_database,
    drop_time,
    executemany_ulabels,
    psycopg_connect,
    say,
    ulabel_rows,
    vacuum_analyze,
)
from round2 import typo  # noqa: E402  (the SQLite bench's typos)

TABLE = Table(width=58)
row = TABLE.row
LETTERS = [a + b for a in string.ascii_uppercase for b in string.ascii_uppercase]


def name_of(i: int) -> str:
    j, kind = divmod(i, 3)
    if kind == 0:
        return f"label {j}"
    if kind == 1:
        return f"sample_{j:05d}"
    return f"{LETTERS[j % 676]}{j // 676 + 1}"


def queries_for(n: int, count: int = 100) -> list[str]:
    rng = random.Random(7)
    result = []
    for k in range(count):
        name = name_of(rng.randrange(n))
        kind = k % 3
        if kind == 0:
            result.append(name)
        elif kind == 1:
            result.append(name[: max(3, len(name) * 2 // 3)])
        else:
            result.append(typo(name, rng))
    return result


def raw_rows(start: int, stop: int) -> list[tuple[Any, ...]]:
    return ulabel_rows(name_of(i) for i in range(start, stop))


def save_chunk(inst: lr.Instance, start: int, stop: int) -> float:
    labels = [lr.ULabel(name=name_of(i)) for i in range(start, stop)]
    with inst.session() as repo:
        begin = time.perf_counter()
        repo.save(labels)
    return time.perf_counter() - begin


def analyze(url: str) -> None:
    vacuum_analyze(url, "lamindb_ulabel")  # as autovacuum would after a load this size


def bulk(admin_url: str, n: int, repeat: int) -> None:
    saves, copies, manies = [], [], []
    for _ in range(repeat):
        with database(admin_url) as url, database(admin_url) as floor_url:
            inst = lr.connect(url, user="bench")
            lr.connect(floor_url, user="bench").close()
            saves.append(save_chunk(inst, 0, n))
            with inst.session() as repo:  # the index is usable (and exact: the sync tests)
                assert repo.search(lr.ULabel, name_of(n - 1)).scores[0] == 100
            inst.close()
            conn = psycopg_connect(floor_url)
            copies.append(copy_ulabels(conn, raw_rows(0, n)))
            conn.execute("TRUNCATE lamindb_ulabel CASCADE")
            conn.commit()
            manies.append(executemany_ulabels(conn, raw_rows(0, n)))
            conn.close()
    row(f"bulk save {n:,} ULabels", min(saves), min(copies), "psycopg COPY", "<= 2x")
    row(f"  same, vs executemany (info, {n:,})", min(saves), min(manies), "psycopg executemany")


def scale(admin_url: str, n: int, chunk: int, pairs: int) -> str:
    """A library database of ``n`` rows; the last ``2 * pairs`` chunks alternate a library
    save and a COPY into the same table (both pay for the same indexes at the full size,
    and the load of the shared machine weighs on both alike).

    The rows before them are loaded by COPY with the trigram index dropped and built again
    afterwards (as a restore would): maintaining a GIN index row by row is what makes a
    10M load take hours on this machine, for the library and the floor alike.
    """
    measured = 2 * pairs * chunk
    with database(admin_url, keep=True) as url:
        say(f"library database: {url}")
        inst = lr.connect(url, user="bench")
        conn = psycopg_connect(url)
        begin = time.perf_counter()
        conn.execute("DROP INDEX ix_lamindb_ulabel_name_trgm")
        conn.commit()
        fill = max(0, n - measured)
        for start in range(0, fill, 1_000_000):
            copy_ulabels(conn, raw_rows(start, min(fill, start + 1_000_000)))
            say(f"  filled {min(fill, start + 1_000_000):>11,} rows by COPY, wall "
                f"{time.perf_counter() - begin:6.0f} s, load {os.getloadavg()[0]:.1f}")
        conn.execute("SET maintenance_work_mem = '1GB'")
        conn.execute("CREATE INDEX ix_lamindb_ulabel_name_trgm ON lamindb_ulabel "
                     "USING gin (name gin_trgm_ops)")
        conn.commit()
        say(f"  trigram index built, wall {time.perf_counter() - begin:6.0f} s")
        analyze(url)
        saved = copied = 0.0
        for start in range(fill, n, 2 * chunk):
            middle, stop = min(n, start + chunk), min(n, start + 2 * chunk)
            lib = save_chunk(inst, start, middle)
            floor = copy_ulabels(conn, raw_rows(middle, stop)) if stop > middle else 0.0
            saved, copied = saved + lib, copied + floor
            say(f"  {stop:>11,} rows: library chunk {lib:6.2f} s, COPY chunk {floor:6.2f} s, "
                f"load {os.getloadavg()[0]:.1f}")
        conn.close()
        inst.close()
        row(f"bulk save {chunk:,} ULabels into {fill:,}+ rows ({pairs} chunks, sum)", saved,
            copied, "psycopg COPY, chunks alternating, same table", "<= 2x")
    return url


def reads(url: str, n: int, gets: int, repeat: int) -> None:
    analyze(url)
    inst = lr.connect(url, user="bench")
    conn = psycopg_connect(url)
    step = max(1, n // gets)
    sample = conn.execute(
        "SELECT uid, name FROM lamindb_ulabel WHERE id %% %s = 0 ORDER BY id LIMIT %s",
        (step, gets),
    ).fetchall()
    with inst.session() as repo:
        for kind, field, sql in (
            ("uid", 0, "SELECT * FROM lamindb_ulabel WHERE uid = %s"),
            ("name", 1, "SELECT * FROM lamindb_ulabel WHERE name = %s"),
        ):
            values = [item[field] for item in sample]

            def library(values: list[str] = values, kind: str = kind) -> None:
                for value in values:
                    if kind == "uid":
                        repo.get(lr.ULabel, value)
                    else:
                        repo.get(lr.ULabel, name=value)

            def floor(values: list[str] = values, sql: str = sql) -> None:
                for value in values:
                    conn.execute(sql, (value,)).fetchall()

            lib, flo = best(library, repeat), best(floor, repeat)
            row(f"{len(values):,} x get({kind}), {n:,} rows", lib, flo, "psycopg loop",
                "<= 5x; <= 1 ms a get")

        prefix = "label 1"

        def counted() -> None:
            repo.filter(lr.ULabel, name__startswith=prefix).count()

        def counted_raw() -> None:
            conn.execute("SELECT count(*) FROM lamindb_ulabel WHERE name LIKE %s",
                         (prefix + "%",)).fetchall()

        row(f"filter(name__startswith={prefix!r}).count(), {n:,} rows", best(counted, repeat),
            best(counted_raw, repeat), "same SQL without visibility", "<= 2x")
        queries = queries_for(n)
        for query in queries[:3]:  # warm-up
            repo.search(lr.ULabel, query)
        times: dict[int, list[float]] = {0: [], 1: [], 2: []}
        for k, query in enumerate(queries):
            start = time.perf_counter()
            result = repo.search(lr.ULabel, query)
            times[k % 3].append(time.perf_counter() - start)
            if k % 3 == 0:
                assert result.scores and result.scores[0] == 100, (query, result.scores[:3])
        every = [t for kind in times.values() for t in kind]
        row(f"search look-alike names, {n:,} rows: median of 100", statistics.median(every),
            None, "", "<= 150 ms at 10M", unit="ms")
        say("    medians exact / prefix / typo: " + " / ".join(
            f"{statistics.median(kind) * 1000:.1f} ms" for kind in times.values())
            + f"; max {max(every) * 1000:.1f} ms")
    conn.close()
    inst.close()


def curation(admin_url: str, repeat: int) -> None:
    """``lookup()`` of 10,000 records and ``validate`` of 10,000 values (half known), as the
    SQLite table of round2.py measures them, on a registry of 10,000 ``label {i}``."""
    with database(admin_url) as url:
        inst = lr.connect(url, user="bench")
        names = [f"label {i}" for i in range(10_000)]
        with inst.session() as repo:
            repo.save([lr.ULabel(name=name) for name in names])
        values = names[::2] + [f"unknown {i}" for i in range(5_000)]
        with inst.session() as repo:
            lookup = best(lambda: repo.lookup(lr.ULabel), repeat)
            dropped = drop_time(lambda: repo.lookup(lr.ULabel))
            validate = best(lambda: repo.validate(lr.ULabel, values, mute=True), repeat)
        inst.close()
        known = set(names)
        floor = best(lambda: [value in known for value in values], repeat)
        table = lr.ULabel.__table__.name
        conn = psycopg_connect(url)
        fetched = best(lambda: conn.execute(
            f"SELECT * FROM {table} WHERE branch_id = 1 ORDER BY id").fetchall(), repeat)
        conn.close()
        row("lookup() of 10,000 records", lookup, fetched, "psycopg fetchall of the rows",
            "<= 0.1 s")
        say(f"    dropping a 10,000-record Lookup (outside the timed call): "
            f"{dropped * 1000:.1f} ms")
        row("validate 10,000 values (5,000 known) vs 10,000 rows", validate, floor,
            "Python set", "<= 10 ms", unit="ms")


def standard(admin_url: str, n: int, gets: int, repeat: int) -> None:
    """The 100,000-row tables: bulk, the reads on a table filled by COPY, curation."""
    bulk(admin_url, n, repeat)
    with database(admin_url) as url:
        lr.connect(url, user="bench").close()
        conn = psycopg_connect(url)
        for start in range(0, n, 100_000):
            copy_ulabels(conn, raw_rows(start, min(n, start + 100_000)))
        conn.close()
        reads(url, n, gets, repeat)
    curation(admin_url, repeat)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg", default=os.environ.get("LAMIN_REGISTRY_TEST_PG_URL"))
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--gets", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scale", type=int, default=None, help="rows of a chunked load")
    parser.add_argument("--chunk", type=int, default=100_000)
    parser.add_argument("--pairs", type=int, default=5, help="measured chunk pairs (--scale)")
    parser.add_argument("--keep", action="store_true", help="keep the library database")
    parser.add_argument("--reads-only", default=None, help="URL of a loaded library database")
    args = parser.parse_args()
    say(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load {os.getloadavg()}")
    if args.reads_only:
        reads(args.reads_only, args.n, args.gets, args.repeat)
    elif args.scale:
        url = scale(args.pg, args.scale, args.chunk, args.pairs)
        try:
            reads(url, args.scale, args.gets, args.repeat)
        finally:
            if not args.keep:
                drop_database(args.pg, sa.make_url(url).database or "")
    else:
        standard(args.pg, args.n, args.gets, args.repeat)
    say(f"done {time.strftime('%H:%M UTC', time.gmtime())}, load {os.getloadavg()}")
    say()
    say(TABLE.markdown("operation (PostgreSQL)"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
