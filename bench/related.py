"""Related managers (issue 11): what the RelatedList collection class costs, and the managers.

    python bench/related.py [--n 20000] [--url URL | --pg [URL]]

Builds ``n`` ULabels, each with one parent among 100 hubs, and one hub with ``n`` members.

* eager loading: ``select(ULabel).options(selectinload(ULabel.parents))`` over the ``n``
  labels with the library's ``RelatedList`` next to SQLAlchemy's own ``InstrumentedList``
  (the relationship's collection class swapped back for the floor), median of 5;
* ``hub.children.count()`` on an unloaded hub (the attribute access loads the list, then one
  COUNT) next to ``repo.related(hub, "children").count()`` (the COUNT only) and
  ``len(hub.children)`` (the load only);
* ``child.parents.add(hub)`` + ``remove(hub)`` (two savepoints and flushes) next to
  ``append`` + ``flush`` + ``remove`` + ``flush`` on the same list, median of 200; on
  PostgreSQL also with ``set_config`` of the RLS user sent again for every savepoint (as
  before 9ebd507, ``hooks._database_user_holds`` patched), interleaved with the library's in
  rounds of 50 (info).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.collections import InstrumentedList

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import lamin_registry as lr  # noqa: E402
from lamin_registry import hooks  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
import common  # noqa: E402

from lamin_registry.models.related import RelatedList  # noqa: E402


def median(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def show(name: str, ours: float, floor: float, floor_name: str) -> None:
    print(f"| {name} | {ours * 1e3:.2f} ms | {floor * 1e3:.2f} ms {floor_name} | "
          f"{ours / floor:.2f}x |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--url", default=None, help="an existing, empty database")
    common.pg_url_option(parser)
    args = parser.parse_args()
    with ExitStack() as stack:
        url = stack.enter_context(common.bench_database(args, "related.db"))
        inst = lr.connect(url)
        with inst.session() as repo:
            hubs = repo.save([lr.ULabel(name=f"hub {i}") for i in range(100)])
            labels = repo.save([lr.ULabel(name=f"label {i}") for i in range(args.n)])
            link = lr.metadata.tables["lamindb_ulabel_parents"]
            rows = [
                {"from_ulabel_id": label.id, "to_ulabel_id": hubs[i % 100].id}
                for i, label in enumerate(labels)
            ]
            repo.session.connection().execute(sa.insert(link), rows)
            hub_id, child_id = hubs[0].id, labels[1].id
        if args.pg is not None:  # as autovacuum would after the load
            common.vacuum_analyze(url, "lamindb_ulabel", "lamindb_ulabel_parents")
        print(f"n = {args.n}\n")
        print("| benchmark | lamin_registry | floor | ratio |\n|---|---:|---|---:|")
        impl = sa.inspect(lr.ULabel).class_manager["parents"].impl

        def eager() -> None:
            with inst.session() as repo:
                stmt = sa.select(lr.ULabel).options(selectinload(lr.ULabel.parents))
                loaded = repo.session.scalars(stmt.where(lr.ULabel.name.like("label %"))).all()
                assert sum(len(x.parents) for x in loaded) == args.n

        ours = median(eager, 5)
        impl.collection_factory = InstrumentedList
        try:
            floor = median(eager, 5)
        finally:
            impl.collection_factory = RelatedList
        show(f"selectinload(parents) of {args.n} labels", ours, floor, "InstrumentedList")

        def timed(action: Callable[[lr.Repository, lr.ULabel], object]) -> float:
            with inst.session() as repo:
                hub = repo.get(lr.ULabel, hub_id)
                start = time.perf_counter()
                action(repo, hub)
                return time.perf_counter() - start

        managed = statistics.median(timed(lambda r, h: h.children.count()) for _ in range(5))
        query = statistics.median(
            timed(lambda r, h: r.related(h, "children").count()) for _ in range(5)
        )
        loaded = statistics.median(timed(lambda r, h: len(h.children)) for _ in range(5))
        members = args.n // 100
        show(f"hub.children.count(), {members} members, unloaded", managed, loaded,
             "len(hub.children)")
        show(f'repo.related(hub, "children").count(), {members} members', query, loaded,
             "len(hub.children)")

        with inst.session() as repo:
            child = repo.get(lr.ULabel, child_id)
            hub2 = repo.get(lr.ULabel, hubs[2].id)

            def managers() -> None:
                child.parents.add(hub2)
                child.parents.remove(hub2)

            def plain() -> None:
                child.parents.append(hub2)
                repo.session.flush()
                child.parents._sa_remove_one(hub2)
                repo.session.flush()

            ours = median(managers, 200)
            floor = median(plain, 200)
            resent: list[float] = []
            once: list[float] = []
            if args.pg is not None:  # the savepoint's set_config round trip, interleaved
                holds = hooks._database_user_holds
                for _ in range(6):
                    once.append(median(managers, 50))
                    hooks._database_user_holds = lambda *a: False  # type: ignore[assignment]
                    try:
                        resent.append(median(managers, 50))
                    finally:
                        hooks._database_user_holds = holds  # type: ignore[assignment]
            repo.session.rollback()
        show("parents.add + parents.remove", ours, floor, "append+flush, remove+flush")
        if resent:
            show("  the same, set_config sent once per transaction vs again for every "
                 "savepoint (info, interleaved)", statistics.median(once),
                 statistics.median(resent), "set_config per savepoint")
        inst.close()


if __name__ == "__main__":
    main()
