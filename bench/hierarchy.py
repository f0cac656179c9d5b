"""Hierarchy benchmark (issue 11): ancestors of a leaf at depth 30 in a 100,000-node tree.

    python bench/hierarchy.py [--n 100000] [--depth 30] [--url URL | --pg [URL]]

Builds ``n`` ULabels: a chain of ``depth`` labels from the root, and the rest as children
spread over the chain (so the tree has ``n`` nodes and the leaf's ancestors are the chain).
Times ``leaf.query_parents()`` (the recursive statement plus loading the records, median of
50) next to a floor: the same recursive CTE in plain SQL through the driver, without
visibility and without building records.
"""

from __future__ import annotations

import argparse
import statistics
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

FLOOR = """
WITH RECURSIVE walk(id) AS (
  SELECT to_ulabel_id FROM lamindb_ulabel_parents WHERE from_ulabel_id = :start
  UNION
  SELECT p.to_ulabel_id FROM lamindb_ulabel_parents p JOIN walk ON p.from_ulabel_id = walk.id
)
SELECT id FROM walk
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--depth", type=int, default=30)
    parser.add_argument("--url", default=None, help="an existing, empty database")
    common.pg_url_option(parser)
    args = parser.parse_args()
    with ExitStack() as stack:
        url = stack.enter_context(common.bench_database(args, "hierarchy.db"))
        inst = lr.connect(url)
        with inst.session() as repo:
            labels = repo.save([lr.ULabel(name=f"node {i}") for i in range(args.n)])
            link = lr.metadata.tables["lamindb_ulabel_parents"]
            rows = [
                {"from_ulabel_id": labels[i].id, "to_ulabel_id": labels[i - 1].id}
                for i in range(1, args.depth)
            ]
            rows += [
                {"from_ulabel_id": labels[i].id, "to_ulabel_id": labels[i % args.depth].id}
                for i in range(args.depth, args.n)
            ]
            repo.session.connection().execute(sa.insert(link), rows)
            leaf_id = labels[args.depth - 1].id
        if args.pg is not None:  # as autovacuum would after the load
            common.vacuum_analyze(url, "lamindb_ulabel", "lamindb_ulabel_parents")
        with inst.session() as repo:
            leaf = repo.get(lr.ULabel, leaf_id)
            assert leaf.query_parents().count() == args.depth - 1
            times = []
            for _ in range(50):
                start = time.perf_counter()
                found = leaf.query_parents().all()
                times.append(time.perf_counter() - start)
            assert len(found) == args.depth - 1
            connection = repo.session.connection()
            floor_times = []
            for _ in range(50):
                start = time.perf_counter()
                connection.execute(sa.text(FLOOR), {"start": leaf_id}).all()
                floor_times.append(time.perf_counter() - start)
        inst.close()
    ours, floor = statistics.median(times), statistics.median(floor_times)
    backend = sa.make_url(url).get_backend_name()
    print(f"hierarchy bench, {backend}, {args.n:,} nodes, leaf at depth {args.depth}")
    print("| benchmark | lamin_registry | floor | ratio | target |\n|---|---:|---|---:|---:|")
    print(
        f"| ancestors of a leaf (query_parents().all()) | {ours * 1000:.2f} ms | "
        f"{floor * 1000:.2f} ms plain recursive CTE | {ours / floor:.2f}x | <= 10 ms "
        f"{'PASS' if ours <= 0.010 else 'MISS'} |"
    )


if __name__ == "__main__":
    main()
