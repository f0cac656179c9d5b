"""Foundation benchmarks (issue 2) on PostgreSQL: ``python bench/foundation.py --pg [URL]``.

Every database is created for the run on the server of ``URL`` (a role that may create
databases; default ``$LAMIN_REGISTRY_TEST_PG_URL``) and dropped afterwards. Floors, measured
in the same run with psycopg:

* bulk save of ``n`` ULabels (objects built before timing, commit included; the library
  saves them by ``COPY``) vs psycopg ``COPY`` of the same columns into the library's own
  table in a second fresh database (same indexes, the ``pg_trgm`` GIN index of search
  included), and vs psycopg ``executemany`` of an INSERT (info); both sides again on tables
  without the trigram index (info: what the search index costs, as the SQLite table's rows
  without the FTS5 triggers);
* ``get`` by uid and by name, ``--gets`` times, vs a psycopg loop of ``SELECT * ... WHERE
  uid = %s`` (SQLite's floor, the SQLAlchemy Core loop, and the plain ORM loops are info);
  ``EXPLAIN`` of the library's statements; the psycopg loop with its statements unprepared
  (info: psycopg prepares from the fifth execution; the library prepares get's key look-ups
  from the first, ``lamin_registry/pg_prepare.py``, and nothing else);
* ``to_dataframe(limit=None)`` vs ``pandas.read_sql`` of the same SELECT over psycopg.

The import and uid rows of the SQLite table do not depend on the database: not repeated.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import common
import foundation
from common import say
from foundation import Row, report

import lamin_registry as lr

TRIGRAM_INDEX = "ix_lamindb_ulabel_name_trgm"


def bulk_save(stack: ExitStack, admin: str, n: int, rounds: int,
              gets: int) -> tuple[lr.Instance, str, list[tuple[str, str]]]:
    """The library's and the floors' bulk saves; the last library database stays open."""
    names = [f"label {i:07d}" for i in range(n)]
    construct, saves, copies, manies, statements = [], [], [], [], []
    inst: lr.Instance | None = None
    url = ""
    stored: list[Any] = []
    for _ in range(rounds):
        stored = []
        if inst is not None:
            inst.close()
        url = stack.enter_context(common.database(admin))  # dropped at the end of the run
        with common.database(admin) as floor_url:
            inst = lr.connect(url, user="bench")
            lr.connect(floor_url, user="bench").close()
            start = time.perf_counter()
            labels = [lr.ULabel(name=name) for name in names]
            construct.append(time.perf_counter() - start)
            with foundation.captured(inst.engine) as seen, inst.session() as repo:
                start = time.perf_counter()
                stored = repo.save(labels)
                statements.append(len(seen))
            saves.append(time.perf_counter() - start)  # commit included
            del labels
            conn = common.psycopg_connect(floor_url)
            copies.append(common.copy_ulabels(conn, common.ulabel_rows(names)))
            conn.execute("TRUNCATE lamindb_ulabel CASCADE")
            conn.commit()
            manies.append(common.executemany_ulabels(conn, common.ulabel_rows(names)))
            count = conn.execute("SELECT count(*) FROM lamindb_ulabel").fetchone()[0]
            conn.close()
            assert count == n, count
    assert inst is not None
    step = max(1, len(stored) // gets)
    sample = [(record.uid, record.name) for record in stored[::step][:gets]]
    stored = []
    bare_saves, bare_copies = [], []
    for _ in range(rounds):  # both sides without the trigram index
        with common.database(admin) as bare_url, common.database(admin) as floor_url:
            for each in (bare_url, floor_url):
                lr.connect(each, user="bench").close()
                conn = common.psycopg_connect(each)
                conn.execute(f"DROP INDEX {TRIGRAM_INDEX}")
                conn.commit()
                conn.close()
            bare = lr.connect(bare_url, user="bench")
            labels = [lr.ULabel(name=name) for name in names]
            with bare.session() as repo:
                start = time.perf_counter()
                repo.save(labels)
            bare_saves.append(time.perf_counter() - start)
            bare.close()
            del labels
            conn = common.psycopg_connect(floor_url)
            bare_copies.append(common.copy_ulabels(conn, common.ulabel_rows(names)))
            conn.close()
    save, copy = min(saves), min(copies)
    report(Row(f"construct {n:,} ULabel objects", min(construct), None, None, "",
               "object construction, before the save"))
    report(Row(f"bulk save {n:,} ULabels", save, copy, 3.0, "psycopg COPY",
               f"{min(statements)} SQL statements in the save"))
    report(Row(f"  bulk save {n:,} ULabels vs executemany", save, min(manies), None,
               "psycopg executemany", "info"))
    report(Row(f"construct + bulk save {n:,}",
               min(c + s for c, s in zip(construct, saves, strict=True)), copy, None,
               "psycopg COPY"))
    report(Row(f"  bulk save {n:,}, table without the trigram index", min(bare_saves),
               min(bare_copies), None, "psycopg COPY, same table",
               "info: GIN index dropped on both sides"))
    foundation.NOTES.append(
        f"The bulk-save floor includes the server's upkeep of the `pg_trgm` GIN index of "
        f"search (`{TRIGRAM_INDEX}`): {copy - min(bare_copies):.1f} s of its {copy:.1f} s. "
        f"Without it the same COPY takes {min(bare_copies):.2f} s."
    )
    return inst, url, sample


def psycopg_loop(url: str, prepare: bool = True) -> Callable[[str, list[str]], Callable[[], None]]:
    """A psycopg loop of ``SELECT * ... WHERE field = %s``; psycopg prepares a statement from
    its fifth execution unless ``prepare`` is false (lamin_registry's connections prepare
    only get's key look-ups: ``lamin_registry/pg_prepare.py``)."""
    conn = common.psycopg_connect(url)
    conn.autocommit = True
    if not prepare:
        conn.prepare_threshold = None

    def loop(field: str, values: list[str]) -> Callable[[], None]:
        sql = f"SELECT * FROM lamindb_ulabel WHERE {field} = %s"

        def run() -> None:
            for value in values:
                assert len(conn.execute(sql, (value,)).fetchall()) == 1

        return run

    return loop


def table_markdown(args: argparse.Namespace, server: str, started: str) -> str:
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    lines = [
        foundation.PG_SECTION,
        "",
        f"Run: `python bench/foundation.py --pg [URL] --n {args.n}` (fresh databases on the "
        "server of URL, dropped afterwards; `--write-readme` rewrites this part only).",
        "",
        "Floors, in the same run, with psycopg 3: the bulk save against `COPY` of the same "
        "columns into the library's own table in a second fresh database (same indexes, the "
        "`pg_trgm` GIN index included) and `executemany` of an INSERT (info); `get` against a "
        "psycopg loop of `SELECT * ... WHERE uid = %s` (psycopg prepares it from the fifth "
        "call; the library sends get's key look-ups prepared, every other statement unprepared); "
        "`to_dataframe(limit=None)` "
        "against `pandas.read_sql` of the same SELECT over psycopg. Best of "
        f"{args.repeat} for reads, of {args.rounds} for the bulk save; the import and uid "
        "rows do not depend on the database and are not repeated.",
        "",
        f"Run: {started}, {server} (local), {foundation.machine()}; load average {load} at "
        "the end (the 2 cores are shared with other sessions: each ratio is within this run).",
        "",
        "| benchmark | lamin_registry | floor | ratio | target | result |",
        "|---|---:|---|---:|---:|---|",
    ]
    lines += foundation.table_rows()
    lines.append("")
    lines.extend(f"- {note}" for note in foundation.NOTES)
    return "\n".join(lines) + "\n"


def main(args: argparse.Namespace) -> int:
    admin = common.pg_url(args.pg)
    total = time.perf_counter()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    server = common.server_version(admin)
    say(f"{server}; {foundation.machine()}; load {os.getloadavg()}")
    with ExitStack() as stack:
        inst, url, sample = bulk_save(stack, admin, args.n, args.rounds, args.gets)
        common.vacuum_analyze(url, "lamindb_ulabel")  # as autovacuum would after the load
        prepared = psycopg_loop(url)
        foundation.bench_get(inst, sample, args.n, args.repeat,
                             raw=(prepared, "psycopg loop"))
        unprepared = psycopg_loop(url, prepare=False)
        for field in ("uid", "name"):  # what preparing gives the floor, measured again now
            values = [uid for uid, _ in sample] if field == "uid" else [
                name for _, name in sample]
            floor = foundation.best(prepared(field, values), args.repeat)[0]
            plain = foundation.best(unprepared(field, values), args.repeat)[0]
            report(Row(f"  psycopg loop by {field}, statements unprepared (as lamin_registry "
                       "sends its other statements)", plain, floor, None, "psycopg loop",
                       "info"))
        foundation.bench_dataframe(inst, args.n, args.repeat)
        inst.close()
    section = table_markdown(args, server, started)
    say()
    say(section)
    if args.write_readme:
        common.write_readme(foundation.PG_SECTION, section, after=foundation.SECTION)
        say("wrote bench/README.md")
    say(f"total {time.perf_counter() - total:.1f} s")
    return 0 if all(row.verdict != "FAIL" for row in foundation.ROWS) else 1
