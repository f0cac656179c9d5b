"""Performance round two (issue 14): lamin_registry against floors measured in the same run.

    python bench/round2.py [--n 100000] [--parts bulk,get,search,curation,peer,big,pg]
                           [--pg URL] [--repeat 3] [--big 1000000] [--search-sizes ...]

SQLite (files made by ``lr.connect`` in a temporary directory):

* bulk save of ``n`` ULabels (commit included; objects built before timing) vs
  ``sqlite3.executemany`` of the library's own INSERT and rows into the same table *without*
  the search triggers (the issue's floor), and with them (info);
* 1,000 ``get(uid)`` / ``get(name=)`` vs a raw ``sqlite3`` loop over the same index
  (``SELECT * ... WHERE uid = ?``); 1,000 ``get(uid prefix)`` vs ``WHERE uid GLOB ?``;
* search over look-alike names (thirds ``label {i}``, ``sample_{i:05d}``, two letters +
  digits), 10,000 and ``n`` rows: median of 100 queries (exact, prefix, typo) vs
  ``rapidfuzz.process.extract`` over the names in memory;
* ``lookup()`` of 10,000 records; ``validate`` of 10,000 values (absolute targets);
* ``big``: a bulk save of ``--big`` ULabels in a fresh process, objects built first: time
  and peak RSS (absolute targets).

PostgreSQL (part ``pg``; ``--pg URL``, default ``$LAMIN_REGISTRY_TEST_PG_URL``): the tables of
``bench/round2_pg.py`` (bulk save vs psycopg ``COPY`` / ``executemany``, the get loops vs a
psycopg loop, ``count()`` with and without visibility, search); its ``--scale`` run (10M
rows) is run on its own.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import string
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import lamin_registry as lr  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from common import Table, best, drop_time, say  # noqa: E402

TABLE = Table()  # (operation, library, floor, ratio, target)
row = TABLE.row


@contextmanager
def captured(engine: sa.Engine) -> Iterator[list[tuple[str, Any, bool]]]:
    seen: list[tuple[str, Any, bool]] = []

    def listener(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
                 executemany: bool) -> None:
        seen.append((statement, parameters, executemany))

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def raw_sqlite(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("foreign_keys=ON", "busy_timeout=30000", "journal_mode=WAL",
                   "synchronous=NORMAL"):
        conn.execute(f"PRAGMA {pragma}")
    return conn


def drop_search_triggers(path: Path) -> None:
    conn = raw_sqlite(path)
    for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'lamindb_ulabel'"
    ).fetchall():
        conn.execute(f'DROP TRIGGER "{name}"')
    conn.close()


def lookalike_names(n: int) -> list[str]:
    """Thirds: ``label {i}``, ``sample_{i:05d}``, two letters + digits (gene-like codes)."""
    rng = random.Random(14)
    names: list[str] = []
    codes: set[str] = set()
    third = n // 3
    names.extend(f"label {i}" for i in range(third))
    names.extend(f"sample_{i:05d}" for i in range(third))
    while len(names) + len(codes) < n:
        codes.add("".join(rng.choices(string.ascii_uppercase, k=2)) + str(rng.randrange(1, 10**5)))
    return names + sorted(codes)


def typo(text: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(text) - 1)
    if rng.random() < 0.5:  # transposition
        return text[:i - 1] + text[i] + text[i - 1] + text[i + 1:]
    return text[:i] + rng.choice(string.ascii_lowercase) + text[i + 1:]


def search_queries(names: list[str], count: int = 100,
                   sources: list[str] | None = None) -> list[str]:
    """Exact names, prefixes (2/3 of the name) and typos, a third each; ``sources`` (if
    given) receives the name each query was made from."""
    rng = random.Random(7)
    picks = rng.sample(names, count)
    if sources is not None:
        sources.extend(picks)
    queries = []
    for i, name in enumerate(picks):
        kind = i % 3
        if kind == 0:
            queries.append(name)
        elif kind == 1:
            queries.append(name[: max(3, len(name) * 2 // 3)])
        else:
            queries.append(typo(name, rng))
    return queries


# -- SQLite ------------------------------------------------------------------------------------


def _floor_insert(seen: list[tuple[str, Any, bool]], inst: lr.Instance) -> tuple[str, list[Any]]:
    """The floor's INSERT (the library's columns, ``VALUES`` bound row by row) and its rows:
    the values the library stored, read back in id order (strings for datetimes, integers for
    booleans: what the library bound, whether by ``executemany`` or one JSON array)."""
    statement = next(s for s, _, _ in seen if s.startswith("INSERT INTO lamindb_ulabel"))
    columns = statement[statement.index("(") + 1 : statement.index(")")]
    marks = ", ".join("?" for _ in columns.split(","))
    with inst.engine.connect() as connection:
        rows = [
            tuple(r) for r in connection.exec_driver_sql(
                f"SELECT {columns} FROM lamindb_ulabel ORDER BY id"
            )
        ]
    return f"INSERT INTO lamindb_ulabel ({columns}) VALUES ({marks})", rows


def sqlite_bulk(directory: Path, n: int, repeat: int) -> lr.Instance:
    names = [f"label {i}" for i in range(n)]
    save_times, floor_times, with_trigger_times = [], [], []
    save_cpu, floor_cpu = [], []
    inst: lr.Instance | None = None
    for round_ in range(repeat):
        if inst is not None:
            inst.close()
        inst = lr.connect(f"sqlite:///{directory / f'bulk{round_}.db'}", user="bench")
        labels = [lr.ULabel(name=name) for name in names]
        with captured(inst.engine) as seen, inst.session() as repo:
            start, cpu = time.perf_counter(), time.process_time()
            repo.save(labels)
        save_times.append(time.perf_counter() - start)
        save_cpu.append(time.process_time() - cpu)
        del labels
        sql, rows = _floor_insert(seen, inst)
        del seen
        for with_triggers, times in ((False, floor_times), (True, with_trigger_times)):
            path = directory / f"floor{round_}_{with_triggers}.db"
            lr.connect(f"sqlite:///{path}", user="bench").close()
            if not with_triggers:
                drop_search_triggers(path)
            conn = raw_sqlite(path)
            start, cpu = time.perf_counter(), time.process_time()
            conn.execute("BEGIN")
            conn.executemany(sql, rows)
            conn.execute("COMMIT")
            times.append(time.perf_counter() - start)
            if not with_triggers:
                floor_cpu.append(time.process_time() - cpu)
            conn.close()
        del rows
    assert inst is not None
    with inst.session() as repo:  # the index is usable (tests/test_search_index_sync.py: exact)
        assert repo.search(lr.ULabel, f"label {n - 1}").scores[0] == 100
    save, floor = min(save_times), min(floor_times)
    row(f"bulk save {n:,} ULabels", save, floor, "executemany, no search triggers", "<= 2x")
    row(f"  same, process CPU time (info, load {os.getloadavg()[0]:.1f})", min(save_cpu),
        min(floor_cpu), "executemany, no search triggers")
    row(f"  executemany with the per-row search triggers (info, {n:,})",
        min(with_trigger_times), floor, "executemany, no search triggers")
    return inst


_BIG_SCRIPT = """
import resource, sys, time
import lamin_registry as lr
from pathlib import Path

def rss():  # current resident set, MB
    return int(Path('/proc/self/statm').read_text().split()[1]) * resource.getpagesize() / 2**20

n, path = int(sys.argv[1]), sys.argv[2]
inst = lr.connect(f"sqlite:///{path}", user="bench")
base = rss()
start, cpu = time.perf_counter(), time.process_time()
labels = [lr.ULabel(name=f"label {i}") for i in range(n)]
built, built_cpu = time.perf_counter() - start, time.process_time() - cpu
objects = rss() - base
with inst.session() as repo:
    start, cpu = time.perf_counter(), time.process_time()
    repo.save(labels)
saved, saved_cpu = time.perf_counter() - start, time.process_time() - cpu
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{built:.3f} {saved:.3f} {objects:.0f} {peak:.0f} {built_cpu:.3f} {saved_cpu:.3f}")
"""


def sqlite_big(directory: Path, n: int) -> None:
    """A bulk save of ``n`` ULabels in a fresh process: time (objects built first) and peak
    RSS (``ru_maxrss``: the whole process, interpreter and objects included)."""
    import subprocess

    path = directory / "big.db"
    out = subprocess.run(
        [sys.executable, "-c", _BIG_SCRIPT, str(n), str(path)],
        check=True, capture_output=True, text=True, cwd=ROOT,
    ).stdout.split()
    built, saved, objects, peak = float(out[0]), float(out[1]), float(out[2]), float(out[3])
    built_cpu, saved_cpu = float(out[4]), float(out[5])
    row(f"bulk save {n:,} ULabels (objects built before)", saved, None, "",
        ">= 3x faster than 127 s (<= 42 s)")
    row(f"  construction + save (info, {n:,})", built + saved, None, "", "")
    say(f"    construction {built:.1f} s ({objects:.0f} MB for the objects), save {saved:.1f} s, "
        f"peak RSS {peak / 1024:.2f} GB (target < 1.5 GB); process CPU time: construction "
        f"{built_cpu:.1f} s, save {saved_cpu:.1f} s, load average {os.getloadavg()[0]:.1f}")
    TABLE.add(f"  peak RSS, bulk save {n:,} ULabels", f"{peak / 1024:.2f} GB",
              f"{objects / 1024:.2f} GB the objects alone", "", "< 1.5 GB")


def sqlite_get(inst: lr.Instance, path: Path, count: int, repeat: int) -> None:
    with inst.engine.connect() as connection:
        sample = connection.exec_driver_sql(
            "SELECT uid, name FROM lamindb_ulabel ORDER BY id"
        ).all()
    step = max(1, len(sample) // count)
    sample = sample[::step][:count]
    uids = [uid for uid, _ in sample]
    names = [name for _, name in sample]
    prefixes = [uid[:6] for uid in uids]
    conn = raw_sqlite(path)

    def raw(sql: str, values: list[str]) -> Callable[[], None]:
        def run() -> None:
            for value in values:
                conn.execute(sql, (value,)).fetchall()
        return run

    with inst.session() as repo:
        def library(kind: str) -> Callable[[], None]:
            def run() -> None:
                if kind == "uid":
                    for uid in uids:
                        repo.get(lr.ULabel, uid)
                elif kind == "name":
                    for name in names:
                        repo.get(lr.ULabel, name=name)
                else:
                    for prefix in prefixes:
                        repo.get(lr.ULabel, prefix)
            return run

        for kind, sql, values, target in (
            ("uid", "SELECT * FROM lamindb_ulabel WHERE uid = ?", uids, "<= 5x"),
            ("name", "SELECT * FROM lamindb_ulabel WHERE name = ?", names, "<= 5x"),
            ("uid prefix", "SELECT * FROM lamindb_ulabel WHERE uid GLOB ? LIMIT 2",
             [prefix + "*" for prefix in prefixes], "<= 6x"),
        ):
            lib = best(library(kind), repeat)
            floor = best(raw(sql, values), repeat)
            row(f"{len(values):,} x get({kind})", lib, floor, "raw sqlite3 loop", target)
    conn.close()


def fill(inst: lr.Instance, names: list[str], chunk: int = 100_000) -> None:
    for start in range(0, len(names), chunk):  # a million objects at once: ~1.5 GB
        with inst.session() as repo:
            repo.save([lr.ULabel(name=name) for name in names[start : start + chunk]])


def _rss_mb() -> float:
    import resource

    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


def sqlite_search(directory: Path, sizes: list[int], repeat: int) -> None:
    """Median of 100 look-alike queries (wall and CPU time), after a warm-up whose second
    search builds the in-process copy (its time and the process's RSS growth reported)."""
    from rapidfuzz import process

    for size in sizes:
        names = lookalike_names(size)
        inst = lr.connect(f"sqlite:///{directory / f'search{size}.db'}", user="bench")
        start = time.perf_counter()
        fill(inst, names)
        filled = time.perf_counter() - start
        sources: list[str] = []
        queries = search_queries(names, sources=sources)
        with inst.session() as repo:
            start = time.perf_counter()
            repo.search(lr.ULabel, queries[0])  # the SQL path (the copy is built next time)
            first = time.perf_counter() - start
            rss = _rss_mb()
            start, cpu = time.perf_counter(), time.process_time()
            repo.search(lr.ULabel, queries[1])
            build, build_cpu = time.perf_counter() - start, time.process_time() - cpu
            grown = _rss_mb() - rss
            for name in names[:: max(1, size // 5)][:5]:  # warm-up, not the measured queries
                repo.search(lr.ULabel, name[:-1] + "#")  # (the copy remembers rankings)
            times, cpu_times = [], []
            for query in queries:
                start, cpu = time.perf_counter(), time.process_time()
                repo.search(lr.ULabel, query)
                times.append(time.perf_counter() - start)
                cpu_times.append(time.process_time() - cpu)
            results = [[r.name for r in repo.search(lr.ULabel, query)] for query in queries]
        found = sum(
            1 for i, query in enumerate(queries)
            if i % 3 == 2 and any(
                name in names and query != name and len(name) == len(query)
                for name in results[i]
            )
        )
        sourced = sum(1 for i in range(2, len(queries), 3) if sources[i] in results[i])
        exact = sum(1 for i in range(0, len(queries), 3) if results[i][:1] == [queries[i]])
        floor_times = []
        for query in queries[:20]:
            start = time.perf_counter()
            process.extract(query, names, limit=20)
            floor_times.append(time.perf_counter() - start)
        target = "<= 2 ms" if size <= 10_000 else "<= 10 ms" if size <= 100_000 else "<= 60 ms"
        row(f"search look-alike names, {size:,} rows: median of 100", statistics.median(times),
            statistics.median(floor_times), "rapidfuzz.extract in memory", target, unit="ms")
        kinds = [statistics.median(times[k::3]) * 1000 for k in range(3)]
        say(f"    CPU median {statistics.median(cpu_times) * 1000:.2f} ms; exact / prefix / typo "
            f"medians {kinds[0]:.2f} / {kinds[1]:.2f} / {kinds[2]:.2f} ms; "
            f"max {max(times) * 1000:.1f} ms")
        say(f"    exact names first: {exact}/34; typo queries with their source name in the "
            f"results: {sourced}/33, with a same-length stored name: {found}/33")
        say(f"    fill {filled:.1f} s; first search (SQL) {first * 1000:.0f} ms; second search "
            f"(builds the copy) {build:.2f} s wall, {build_cpu:.2f} s CPU, RSS +{grown:.0f} MB")
        inst.close()


def sqlite_curation(directory: Path, repeat: int) -> None:
    names = [f"label {i}" for i in range(10_000)]
    inst = lr.connect(f"sqlite:///{directory / 'curation.db'}", user="bench")
    fill(inst, names)
    values = names[::2] + [f"unknown {i}" for i in range(5_000)]
    with inst.session() as repo:
        def lookup() -> Any:
            return repo.lookup(lr.ULabel)
        lookup_time = best(lookup, repeat)
        dropped = drop_time(lambda: repo.lookup(lr.ULabel))

        def validate() -> None:
            repo.validate(lr.ULabel, values, mute=True)
        validate_time = best(validate, repeat)
    known = set(names)
    floor = best(lambda: [value in known for value in values], repeat)
    table = lr.ULabel.__table__.name
    conn = raw_sqlite(directory / "curation.db")
    fetched = best(lambda: conn.execute(
        f"SELECT * FROM {table} WHERE branch_id = 1 ORDER BY id").fetchall(), repeat)
    conn.close()
    row("lookup() of 10,000 records", lookup_time, fetched, "raw sqlite3 fetchall of the rows",
        "<= 0.1 s")
    say(f"    dropping a 10,000-record Lookup (outside the timed call): {dropped * 1000:.1f} ms")
    row("validate 10,000 values (5,000 known) vs 10,000 rows", validate_time, floor,
        "Python set", "<= 10 ms", unit="ms")
    inst.close()


def sqlite_peer(directory: Path) -> None:
    """The issue's side-by-side workload with lamindb 2.12.1 (10,000 ULabels ``label 0`` ...
    ``label 9999``); lamindb's times are the issue's, measured on this machine."""
    import numpy  # noqa: F401  lamindb imports it with itself; validate here on first use

    names = [f"label {i}" for i in range(10_000)]
    inst = lr.connect(f"sqlite:///{directory / 'peer.db'}", user="bench")
    labels = [lr.ULabel(name=name) for name in names]
    with inst.session() as repo:
        start = time.perf_counter()
        repo.save(labels)
    peer = [("bulk save 10k", time.perf_counter() - start, 56.7)]
    uids = [label.uid for label in labels[::10]]
    with inst.session() as repo:
        def timed(fn: Callable[[], Any]) -> float:
            start = time.perf_counter()
            fn()
            return time.perf_counter() - start

        repo.search(lr.ULabel, "label 123")  # the copy is built on the second search
        cpu = time.process_time()
        searched = timed(lambda: [repo.search(lr.ULabel, "label 123") for _ in range(100)])
        cpu = time.process_time() - cpu
        say(f"    search 'label 123' x100 (the first builds the copy): {searched:.3f} s wall, "
            f"{cpu:.3f} s CPU")
        peer += [
            ("1k get(name=)", timed(lambda: [repo.get(lr.ULabel, name=n) for n in names[::10]]),
             2.68),
            ("1k get(uid)", timed(lambda: [repo.get(lr.ULabel, u) for u in uids]), 1.57),
            ("1k get(uid prefix)", timed(lambda: [repo.get(lr.ULabel, u[:6]) for u in uids]),
             1.84),
            ("search 'label 123' x100", searched, 2.27),
            ("validate 10k", timed(lambda: repo.validate(lr.ULabel, names, mute=True)), 0.030),
            ("lookup 10k", timed(lambda: repo.lookup(lr.ULabel)), 1.10),
        ]
    inst.close()
    for name, ours, lamindb in peer:
        TABLE.add(f"peer workload: {name}", f"{ours:.3f} s", f"lamindb {lamindb} s",
                  f"{lamindb / ours:.0f}x faster", "")


# -- PostgreSQL: bench/round2_pg.py ----------------------------------------------------------


def pg_part(admin_url: str, n: int, gets: int, repeat: int) -> None:
    """The PostgreSQL tables (bench/round2_pg.py; its ``--scale`` run is separate)."""
    import round2_pg

    round2_pg.standard(admin_url, n, gets, repeat)
    TABLE.extend(round2_pg.TABLE, prefix="PostgreSQL: ")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--gets", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--parts", default="bulk,get,search,curation",
                        help="bulk,get,search,curation,peer,big,pg")
    parser.add_argument("--big", type=int, default=1_000_000, help="rows of the 'big' part")
    parser.add_argument("--search-sizes", default="",
                        help="registry sizes of the search part (default: 10000 and --n)")
    parser.add_argument("--pg", default=os.environ.get("LAMIN_REGISTRY_TEST_PG_URL"))
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    say(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        if "bulk" in parts or "get" in parts:
            inst = sqlite_bulk(directory, args.n, 1 if "bulk" not in parts else args.repeat)
            if "get" in parts:
                path = Path(inst.engine.url.database or "")
                sqlite_get(inst, path, args.gets, args.repeat)
            inst.close()
        if "peer" in parts:
            sqlite_peer(directory)
        if "search" in parts:
            sizes = [int(size) for size in args.search_sizes.split(",")] if args.search_sizes \
                else [10_000, args.n]
            sqlite_search(directory, sizes, args.repeat)
        if "curation" in parts:
            sqlite_curation(directory, args.repeat)
        if "big" in parts:
            sqlite_big(directory, args.big)
        if "pg" in parts and args.pg:
            pg_part(args.pg, args.n, args.gets, args.repeat)
    say()
    say(TABLE.markdown())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
