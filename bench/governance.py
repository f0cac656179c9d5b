"""Governance benchmark (issue 4): what the access checks cost.

    python bench/governance.py [--n 100000] [--repeat 5] [--write-readme] [--pg [URL]]

On one SQLite instance (``--pg``: a fresh PostgreSQL database on the server of ``URL``,
default ``$LAMIN_REGISTRY_TEST_PG_URL``, dropped afterwards) with ``n`` ULabels spread over
space 1 and four private spaces, it times the same filter (``name__startswith``, all
matches, 20% of the rows) and a full ``count()`` three ways:

* as the instance's creator (admin of every space: no space condition at all), the floor;
* as a user with read access to two of the five spaces (``space_id IN (...)`` added);
* raw SQLAlchemy Core with the same WHERE but no visibility conditions;
* on PostgreSQL also the same two statements as plain SQL on a psycopg connection.

It prints times and the ratios restricted / unrestricted and restricted / Core (/ psycopg).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import lamin_registry as lr  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
import common  # noqa: E402
from common import best  # noqa: E402

SECTION = "## Governance (issue 4)"
PG_SECTION = "### Governance on PostgreSQL"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--write-readme", action="store_true")
    common.pg_url_option(parser)
    args = parser.parse_args()
    n = args.n
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    with ExitStack() as stack:
        url = stack.enter_context(common.bench_database(args, "governance.db"))
        postgres = url.startswith("postgresql")
        inst = lr.connect(url, user="alice")
        with inst.session() as alice:
            spaces = [alice.save(lr.Space(name=f"lab {i}")) for i in range(4)]
            alice.save(lr.User(handle="bob"))
            space_ids = [1] + [space.id for space in spaces]
            alice.save(
                [
                    lr.ULabel(name=f"{'match' if i % 5 == 0 else 'other'} {i}",
                              space_id=space_ids[i % 5])
                    for i in range(n)
                ]
            )
            alice.grant("bob", spaces[0], "read")
        if postgres:
            common.vacuum_analyze(url, "lamindb_ulabel")  # as autovacuum would after the load
        table = lr.ULabel.__table__
        prefix = table.c.name.like("match%") if postgres else table.c.name.op("GLOB")("match*")
        plain = (  # the same two statements as plain SQL on the driver
            "SELECT id FROM lamindb_ulabel WHERE name LIKE 'match%' AND branch_id IN (1, 2)",
            "SELECT count(*) FROM lamindb_ulabel",
        )

        def run_filter(user: str) -> tuple[int, int]:
            with inst.session(user=user) as repo:
                rows = repo.filter(lr.ULabel, name__startswith="match").to_list("id")
                return len(rows), repo.filter(lr.ULabel).count()

        def run_core() -> tuple[int, int]:
            with inst.engine.connect() as connection:
                rows = connection.execute(
                    sa.select(table.c.id).where(prefix, table.c.branch_id.in_([1, 2]))
                ).all()
                total = connection.execute(sa.select(sa.func.count()).select_from(table)).scalar()
                return len(rows), int(total or 0)

        def run_psycopg(conn: object) -> tuple[int, int]:
            rows = conn.execute(plain[0]).fetchall()  # type: ignore[attr-defined]
            return len(rows), conn.execute(plain[1]).fetchone()[0]  # type: ignore[attr-defined]

        admin_rows, admin_total = run_filter("alice")
        _, bob_total = run_filter("bob")
        assert (admin_rows, admin_total) == (n // 5, n), (admin_rows, admin_total)
        assert bob_total == 2 * n // 5, bob_total  # space 1 and lab 0
        unrestricted = best(lambda: run_filter("alice"), args.repeat)
        restricted = best(lambda: run_filter("bob"), args.repeat)
        assert run_core() == (admin_rows, admin_total)
        core = best(run_core, args.repeat)
        raw = None
        if postgres:
            conn = common.psycopg_connect(url)
            conn.autocommit = True
            assert run_psycopg(conn) == (admin_rows, admin_total)
            raw = best(lambda: run_psycopg(conn), args.repeat)
            conn.close()
        inst.close()

    lines = [
        f"n = {n:,} ULabels in 5 spaces; filter(name__startswith=...) of 20% + count(); "
        f"best of {args.repeat}",
        "",
        "| case | time | ratio |",
        "|---|---|---|",
        f"| unrestricted (instance creator) | {unrestricted * 1000:.1f} ms | 1.00 |",
        f"| restricted (user reading 2 of 5 spaces) | {restricted * 1000:.1f} ms | "
        f"{restricted / unrestricted:.2f} x unrestricted |",
        f"| SQLAlchemy Core, no visibility | {core * 1000:.1f} ms | "
        f"restricted = {restricted / core:.2f} x Core |",
    ]
    if raw is not None:
        lines.append(f"| the same SQL on psycopg, no visibility | {raw * 1000:.1f} ms | "
                     f"restricted = {restricted / raw:.2f} x psycopg; unrestricted = "
                     f"{unrestricted / raw:.2f} x psycopg |")
    table_text = "\n".join(lines)
    print(table_text)
    if args.write_readme:
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        if raw is None:
            block = f"{SECTION}\n\n`python bench/governance.py`\n\n{table_text}\n"
            common.write_readme(SECTION, block)
        else:
            block = (f"{PG_SECTION}\n\n`python bench/governance.py --pg [URL]` (a fresh "
                     f"database, dropped afterwards): {common.server_version(args.pg)}, "
                     f"{started}, load average {load} at the end\n\n{table_text}\n")
            common.write_readme(PG_SECTION, block, after=SECTION)


if __name__ == "__main__":
    main()
