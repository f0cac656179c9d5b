"""What the benchmarks share: timing, the summary table, throwaway PostgreSQL databases.

Bench scripts import this module as ``common`` (``python bench/x.py`` puts ``bench/`` on
``sys.path``). Bench code does not import ``tests/``: ``database`` here is the bench's own
copy of what ``tests/conftest.py::fresh_database`` does for the tests.

* ``say``, ``best``: printing as the run goes, the smallest wall time of ``repeat`` runs;
* ``Table``: the rows (operation, lamin_registry, floor, ratio, target) a bench prints as it
  goes and as a markdown table at the end (round2.py and round2_pg.py);
* ``database(admin_url)``: a new, empty PostgreSQL database on the server of ``admin_url``
  (whose role may create databases), dropped afterwards; ``psycopg_connect``: a plain psycopg
  connection to a SQLAlchemy URL, for the floors;
* ``pg_url_option``: the ``--pg URL`` option of the benches that run on SQLite by default;
* ``write_readme``: put a block under its heading in ``bench/README.md``, the rest untouched.
"""

from __future__ import annotations

import argparse
import os
import re
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

README = Path(__file__).resolve().parent / "README.md"
PG_ENV = "LAMIN_REGISTRY_TEST_PG_URL"


def say(text: str = "") -> None:
    print(text, flush=True)


def best(fn: Callable[[], Any], repeat: int) -> float:
    """The smallest wall time of ``repeat`` runs of ``fn``, each run's result held until the
    timer has stopped: what a call returns is dropped when the caller lets go of it, and for
    10,000 ORM objects leaving a session's identity map that takes 10-20 ms -- the
    previous run's result, charged to the next run, when it was dropped inside the timer."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
        del result
    return min(times)


def drop_time(fn: Callable[[], Any]) -> float:
    """The wall time of dropping what one call of ``fn`` returns (reported beside ``best``)."""
    result = fn()
    start = time.perf_counter()
    del result
    return time.perf_counter() - start


class Table:
    """Rows of (operation, lamin_registry, floor, ratio, target), printed as they come."""

    def __init__(self, width: int = 60) -> None:
        self.rows: list[tuple[str, str, str, str, str]] = []
        self.width = width

    def row(self, name: str, library: float, floor: float | None, floor_name: str,
            target: str = "", unit: str = "s") -> None:
        """One measurement; ``floor`` None for rows without one (absolute targets)."""

        def fmt(value: float) -> str:
            return f"{value * 1000:.2f} ms" if unit == "ms" else f"{value:.3f} s"

        ratio = "" if floor is None else f"{library / floor:.2f}x"
        floor_text = "" if floor is None else f"{fmt(floor)} ({floor_name})"
        self.add(name, fmt(library), floor_text, ratio, target)

    def add(self, *cells: str) -> None:
        """A row of ready-made cells (operation, lamin_registry, floor, ratio, target)."""
        name, library, floor, ratio, target = cells
        self.rows.append((name, library, floor, ratio, target))
        say(f"{name:<{self.width}} {library:>12}  {floor:<44} {ratio:>7}  {target}")

    def extend(self, other: Table, prefix: str = "") -> None:
        self.rows.extend((prefix + item[0], *item[1:]) for item in other.rows)

    def markdown(self, operation: str = "operation") -> str:
        lines = [f"| {operation} | lamin_registry | floor | ratio | target |",
                 "|---|---:|---|---:|---|"]
        lines += ["| " + " | ".join(item) + " |" for item in self.rows]
        return "\n".join(lines)


# -- PostgreSQL --------------------------------------------------------------------------------


def pg_url_option(parser: argparse.ArgumentParser) -> None:
    """``--pg URL``: run on a fresh database on that PostgreSQL server instead of SQLite."""
    parser.add_argument(
        "--pg", nargs="?", const=os.environ.get(PG_ENV), default=None, metavar="URL",
        help="run on PostgreSQL: a server URL whose role may create databases (the bench "
             f"creates its own and drops it); without URL, ${PG_ENV}",
    )


def pg_url(value: str | None) -> str:
    if not value:
        raise SystemExit(f"--pg needs a URL (or ${PG_ENV})")
    return value


@contextmanager
def database(admin_url: str, keep: bool = False) -> Iterator[str]:
    """The URL of a new, empty database on the server of ``admin_url``; dropped afterwards
    (``keep``: left for a later run)."""
    admin = sa.make_url(admin_url)
    name = f"lr_bench_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        if not keep:
            drop_database(admin_url, name)
        engine.dispose()


@contextmanager
def bench_database(args: argparse.Namespace, filename: str) -> Iterator[str]:
    """The URL a bench runs on: a fresh PostgreSQL database with ``--pg`` (dropped
    afterwards), else ``--url`` if the bench has it, else a SQLite file ``filename`` in a
    temporary directory."""
    if getattr(args, "pg", None) is not None:
        with database(pg_url(args.pg)) as url:
            yield url
    elif getattr(args, "url", None):
        yield args.url
    else:
        with tempfile.TemporaryDirectory() as directory:
            yield f"sqlite:///{Path(directory) / filename}"


def drop_database(admin_url: str, name: str) -> None:
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    engine.dispose()


def psycopg_connect(url: str) -> Any:
    """A plain psycopg 3 connection (psycopg's defaults) to a SQLAlchemy URL, in a UTC
    session as the library's connections are: psycopg hands timestamps over in the session
    zone, and converting them to any other (``Etc/UTC`` included) slows a fetch of 10,000
    rows by a third, which would flatter every ratio to a floor that reads timestamps."""
    import psycopg

    parsed = sa.make_url(url)
    return psycopg.connect(host=parsed.host, port=parsed.port, user=parsed.username,
                           password=parsed.password, dbname=parsed.database,
                           options="-c TimeZone=UTC")


ULABEL_COLUMNS = ("uid, name, branch_id, created_on_id, space_id, is_locked, is_type, created_at, "
                  "created_by_id, updated_at")


def ulabel_rows(names: Iterable[str]) -> list[tuple[Any, ...]]:
    """Rows of ``ULABEL_COLUMNS`` for a floor: what a library save writes, ids by the sequence."""
    from lamin_registry.uids import base62

    now = time.strftime("%Y-%m-%d %H:%M:%S+00")
    return [(base62(8), name, 1, 1, 1, False, False, now, 1, now) for name in names]


def copy_ulabels(conn: Any, rows: list[tuple[Any, ...]]) -> float:
    """psycopg ``COPY`` of ``ulabel_rows`` into ``lamindb_ulabel``, commit included: seconds."""
    start = time.perf_counter()
    with conn.cursor() as cur, cur.copy(
        f"COPY lamindb_ulabel ({ULABEL_COLUMNS}) FROM STDIN"
    ) as copy:
        for item in rows:
            copy.write_row(item)
    conn.commit()
    return time.perf_counter() - start


def executemany_ulabels(conn: Any, rows: list[tuple[Any, ...]]) -> float:
    """psycopg ``executemany`` of an INSERT of ``ulabel_rows``, commit included: seconds."""
    start = time.perf_counter()
    with conn.cursor() as cur:
        cur.executemany(f"INSERT INTO lamindb_ulabel ({ULABEL_COLUMNS}) VALUES "
                        "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", rows)
    conn.commit()
    return time.perf_counter() - start


def server_version(url: str) -> str:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        version = str(connection.exec_driver_sql("SHOW server_version").scalar())
    engine.dispose()
    return f"PostgreSQL {version.split()[0]}"


def vacuum_analyze(url: str, *tables: str) -> None:
    """What autovacuum would do after a load, now (planner statistics, visibility map)."""
    conn = psycopg_connect(url)
    conn.autocommit = True
    conn.execute(f"VACUUM ANALYZE {', '.join(tables)}")
    conn.close()


# -- bench/README.md ---------------------------------------------------------------------------


def write_readme(heading: str, block: str, after: str | None = None) -> None:
    """Replace the part of bench/README.md from ``heading`` to the next ``##``/``###`` heading
    with ``block``; a new heading goes after the part under ``after`` (or at the end)."""
    text = README.read_text() if README.exists() else "# Benchmarks\n"
    block = block.rstrip("\n") + "\n"

    def span(title: str) -> tuple[int, int] | None:
        found = re.search(rf"^{re.escape(title)}\n", text, re.M)
        if found is None:
            return None
        following = re.compile(r"^#{2,3} ", re.M).search(text, found.end())
        return found.start(), following.start() if following else len(text)

    where = span(heading)
    if where is None:
        parent = span(after) if after else None
        at = parent[1] if parent else len(text)
        text = text[:at].rstrip("\n") + "\n\n" + block + ("\n" + text[at:] if text[at:] else "")
    else:
        rest = text[where[1]:]
        text = text[:where[0]] + block + ("\n" + rest if rest else "")
    README.write_text(text.rstrip("\n") + "\n")
