"""Governance benchmark (issue 4): what the access checks cost.

    python bench/governance.py [--n 100000] [--repeat 5] [--write-readme]

On one SQLite instance with ``n`` ULabels spread over space 1 and four private spaces, it
times the same filter (``name__startswith``, all matches, 20% of the rows) and a full
``count()`` three ways:

* as the instance's creator (admin of every space: no space condition at all), the floor;
* as a user with read access to two of the five spaces (``space_id IN (...)`` added);
* raw SQLAlchemy Core with the same WHERE but no visibility conditions.

It prints times and the ratios restricted / unrestricted and restricted / Core.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import lamin_registry as lr  # noqa: E402

README = ROOT / "bench" / "README.md"
SECTION = "## Governance (issue 4)"


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--write-readme", action="store_true")
    args = parser.parse_args()
    n = args.n
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'governance.db'}"
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
        table = lr.ULabel.__table__

        def run_filter(user: str) -> tuple[int, int]:
            with inst.session(user=user) as repo:
                rows = repo.filter(lr.ULabel, name__startswith="match").to_list("id")
                return len(rows), repo.filter(lr.ULabel).count()

        def run_core() -> tuple[int, int]:
            with inst.engine.connect() as connection:
                rows = connection.execute(
                    sa.select(table.c.id).where(
                        table.c.name.op("GLOB")("match*"), table.c.branch_id.in_([1, 2])
                    )
                ).all()
                total = connection.execute(sa.select(sa.func.count()).select_from(table)).scalar()
                return len(rows), int(total or 0)

        admin_rows, admin_total = run_filter("alice")
        _, bob_total = run_filter("bob")
        assert (admin_rows, admin_total) == (n // 5, n), (admin_rows, admin_total)
        assert bob_total == 2 * n // 5, bob_total  # space 1 and lab 0
        unrestricted = best(lambda: run_filter("alice"), args.repeat)
        restricted = best(lambda: run_filter("bob"), args.repeat)
        core = best(run_core, args.repeat)
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
    table_text = "\n".join(lines)
    print(table_text)
    if args.write_readme:
        text = README.read_text() if README.exists() else "# Benchmarks\n"
        block = f"{SECTION}\n\n`python bench/governance.py`\n\n{table_text}\n"
        pattern = re.compile(rf"{re.escape(SECTION)}\n.*?(?=\n## |\Z)", re.S)
        text = pattern.sub(block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block
        README.write_text(text)


if __name__ == "__main__":
    main()
