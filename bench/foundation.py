"""Foundation benchmarks (issue 2): lamin_registry against a floor measured in the same run.

    python bench/foundation.py [--n 100000] [--gets 1000] [--write-readme] [--pg [URL]]

Every benchmark prints the library's time, the floor's time and their ratio against the
issue's target, on SQLite files in a temporary directory created with ``lr.connect``:

* bulk save of ``n`` ULabels (``repo.save(list)``, commit included) vs ``sqlite3.executemany``
  of the same rows with the same INSERT into the same table of a second, identically created
  database (same indexes, same pragmas); the floor's tuples and the library's objects are both
  built before timing; construction and construction + save are printed separately;
* ``get`` by uid and by name, 1,000 times on the ``n``-row table, vs the same loop through
  SQLAlchemy Core (``conn.execute(select(table).where(table.c.name == v)).all()``); the
  SQLite ``EXPLAIN QUERY PLAN`` of the library's statements shows which index they use;
* ``to_dataframe(limit=None)`` vs ``pandas.read_sql`` of the same SELECT (same columns, same
  WHERE and ORDER BY, as a Core statement so both get the same result processing);
* ``python -c "import lamin_registry"`` vs ``python -c "import sqlalchemy.orm"``, median of 7
  fresh interpreters each, byte code cached for both (a warm-up run first);
* uid generation for ``n`` uids against the insert.

Reads are best of ``--repeat`` runs for both sides (the machine may be shared).
``--pg URL`` (without URL: ``$LAMIN_REGISTRY_TEST_PG_URL``) runs the bulk save, get and
to_dataframe on fresh PostgreSQL databases against psycopg floors instead
(``bench/foundation_pg.py``).
``--write-readme`` puts the table into ``bench/README.md`` under ``## Foundation (issue 2)``,
leaving every other section of that file as it is.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import secrets
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import event

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import lamin_registry as lr  # noqa: E402
from lamin_registry.uids import ALPHABET, base62  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
import common  # noqa: E402
from common import say  # noqa: E402

README = common.README
SECTION = "## Foundation (issue 2)"
PG_SECTION = "### Foundation on PostgreSQL"


@dataclass
class Row:
    name: str
    library: float
    floor: float | None
    target: float | None
    floor_name: str
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return None if self.floor is None else self.library / self.floor

    @property
    def verdict(self) -> str:
        if self.target is None or self.ratio is None:
            return "info"
        return "PASS" if self.ratio <= self.target else "FAIL"


ROWS: list[Row] = []
NOTES: list[str] = []


def report(row: Row) -> None:
    ROWS.append(row)
    ratio = "" if row.ratio is None else f"  ratio {row.ratio:5.2f}x"
    target = "" if row.target is None else f" (target <= {row.target:g}x: {row.verdict})"
    floor = "" if row.floor is None else f"  floor {row.floor:8.3f} s ({row.floor_name})"
    say(f"{row.name:<40} library {row.library:8.3f} s{floor}{ratio}{target}")


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """The smallest wall time of ``repeat`` runs of ``fn`` and its last result."""
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


@contextmanager
def captured(engine: sa.Engine) -> Iterator[list[tuple[str, Any, bool]]]:
    """Every (statement, parameters, executemany) the engine sends to the driver."""
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
    """A plain sqlite3 connection with the pragmas ``lr.connect`` sets on its own."""
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("foreign_keys=ON", "busy_timeout=30000", "journal_mode=WAL",
                   "synchronous=NORMAL"):
        conn.execute(f"PRAGMA {pragma}")
    return conn


# -- 1. bulk save ----------------------------------------------------------------------------


def bench_bulk_save(
    directory: Path, n: int, rounds: int, gets: int
) -> tuple[lr.Instance, list[tuple[str, str]], float]:
    """Fills one database with ``n`` labels and times the floor.

    Returns the instance, ``(uid, name)`` of ``gets`` labels spread over the table, and the
    library's save time.
    """
    names = [f"label {i:07d}" for i in range(n)]
    construct_times, save_times, floor_times, statements = [], [], [], []
    inst: lr.Instance | None = None
    stored: list[Any] = []
    for round_ in range(rounds):
        stored, rows = [], []  # the previous round's objects would slow this one's collector
        if inst is not None:
            inst.close()
        inst = lr.connect(f"sqlite:///{directory / f'library{round_}.db'}", user="bench")
        floor_inst = lr.connect(f"sqlite:///{directory / f'floor{round_}.db'}", user="bench")
        floor_inst.close()

        start = time.perf_counter()
        labels = [lr.ULabel(name=name) for name in names]
        construct_times.append(time.perf_counter() - start)

        with captured(inst.engine) as seen, inst.session() as repo:
            start = time.perf_counter()
            stored = repo.save(labels)
            seen_before_commit = len(seen)
        save_times.append(time.perf_counter() - start)  # commit included
        statements.append(seen_before_commit)
        assert all(record.id is not None for record in stored)
        del labels

        # the floor: the library's own INSERT, the same rows, as the driver receives them
        insert_sql, insert_rows = next(
            (sql, params) for sql, params, many in seen if many and sql.startswith("INSERT")
        )
        rows = [tuple(row) for row in insert_rows]
        del seen, insert_rows
        conn = raw_sqlite(directory / f"floor{round_}.db")
        start = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany(insert_sql, rows)
        conn.execute("COMMIT")
        floor_times.append(time.perf_counter() - start)
        floor_count = conn.execute("SELECT count(*) FROM lamindb_ulabel").fetchone()[0]
        conn.close()
        with inst.engine.connect() as connection:
            library_count = connection.exec_driver_sql(
                "SELECT count(*) FROM lamindb_ulabel"
            ).scalar()
        assert floor_count == library_count == n, (floor_count, library_count)

    assert inst is not None
    step = max(1, len(stored) // gets)
    sample = [(record.uid, record.name) for record in stored[::step][:gets]]
    stored = []  # no 100,000 live objects for the garbage collector in what follows
    # the same two measurements on tables without the search index's triggers
    # (lamin_registry_search_*), which take most of the floor's time
    triggers: list[str] = []
    bare_times, bare_library_times = [], []
    for round_ in range(rounds):
        floor_path, library_path = (directory / f"{side}_bare{round_}.db"
                                    for side in ("floor", "library"))
        for path in (floor_path, library_path):
            lr.connect(f"sqlite:///{path}", user="bench").close()
            conn = raw_sqlite(path)
            triggers = [name for (name,) in conn.execute(
                "SELECT name FROM sqlite_master "
                "WHERE type = 'trigger' AND tbl_name = 'lamindb_ulabel'"
            )]
            for name in triggers:
                conn.execute(f'DROP TRIGGER "{name}"')
            conn.close()
        conn = raw_sqlite(floor_path)
        start = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany(insert_sql, rows)
        conn.execute("COMMIT")
        bare_times.append(time.perf_counter() - start)
        conn.close()
        bare_inst = lr.connect(f"sqlite:///{library_path}", user="bench")
        labels = [lr.ULabel(name=name) for name in names]
        with bare_inst.session() as repo:
            start = time.perf_counter()
            repo.save(labels)
        bare_library_times.append(time.perf_counter() - start)
        del labels
        bare_inst.close()
    del rows
    bare_time, bare_library = min(bare_times), min(bare_library_times)

    save, floor = min(save_times), min(floor_times)
    report(Row(f"construct {n:,} ULabel objects", min(construct_times), None, None, "",
               "object construction, before the save"))
    report(Row(f"bulk save {n:,} ULabels", save, floor, 3.0, "sqlite3.executemany",
               f"{min(statements)} SQL statements in the save"))
    report(Row(f"construct + bulk save {n:,}",
               min(c + s for c, s in zip(construct_times, save_times, strict=True)),
               floor, None, "sqlite3.executemany"))
    if triggers:
        report(Row(f"  bulk save {n:,}, table without the {len(triggers)} search triggers",
                   bare_library, bare_time, None, "sqlite3.executemany, same table",
                   "info: FTS5 triggers dropped on both sides"))
        NOTES.append(
            f"The bulk-save floor includes the {len(triggers)} FTS5 `trigram` triggers that keep "
            f"the search index (`lamin_registry_search_ulabel`) in sync: {floor - bare_time:.1f} "
            f"s of its {floor:.1f} s. Without them the same executemany takes "
            f"{bare_time:.2f} s."
        )
    say(f"  SQL statements sent during repo.save(): {min(statements)}  "
        f"(INSERT columns: {insert_sql[insert_sql.index('(') + 1:insert_sql.index(')')]})")
    return inst, sample, save


# -- 2. get ----------------------------------------------------------------------------------


def query_plan(inst: lr.Instance, call: Callable[[lr.Repository], Any]) -> list[str]:
    """SQLite's EXPLAIN QUERY PLAN (PostgreSQL's EXPLAIN) of the SELECT ``call`` sends."""
    with captured(inst.engine) as seen, inst.session() as repo:
        call(repo)
    sql, params, _ = next(
        entry for entry in seen
        if entry[0].lstrip().startswith("SELECT") and "FROM lamindb_ulabel" in entry[0]
    )
    explain = "EXPLAIN" if inst.engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN"
    with inst.engine.connect() as connection:
        plan = connection.exec_driver_sql(f"{explain} {sql}", params).all()
    return [str(row[-1]).strip() for row in plan]


RawLoop = Callable[[str, list[str]], Callable[[], None]]


def bench_get(inst: lr.Instance, sample: list[tuple[str, str]], n: int, repeat: int,
              raw: tuple[RawLoop, str] | None = None) -> None:
    """``raw``: a floor closer to the driver than the Core loop (PostgreSQL: a psycopg loop),
    as ``(loop(field, values), name)``; the Core loop is then an info row."""
    uids = [uid for uid, _ in sample]
    names = [name for _, name in sample]
    table = lr.ULabel.__table__

    def library(**by: list[str]) -> Callable[[], None]:
        ((field, values),) = by.items()

        def run() -> None:
            with inst.session() as repo:
                for value in values:
                    if field == "uid":
                        record = repo.get(lr.ULabel, value)
                    else:
                        record = repo.get(lr.ULabel, **{field: value})
                    assert getattr(record, field) == value

        return run

    def core(column: sa.Column[Any], values: list[str]) -> Callable[[], None]:
        def run() -> None:
            with inst.engine.connect() as conn:
                for value in values:
                    rows = conn.execute(sa.select(table).where(column == value)).all()
                    assert len(rows) == 1

        return run

    def orm(field: str, values: list[str], prebuilt: bool) -> Callable[[], None]:
        """What the ORM itself costs: entity rows with the visibility filter of a get."""
        attribute = getattr(lr.ULabel, field)
        branches = lr.ULabel.branch_id.in_(sa.bindparam("branches", expanding=True))
        conditions = [attribute == sa.bindparam("value")]
        if field == "name":
            conditions.append(branches)
        statement = sa.select(lr.ULabel).where(*conditions).limit(2)

        def run() -> None:
            with inst.session() as repo:
                session = repo.session
                for value in values:
                    if prebuilt:
                        stmt = statement
                    else:
                        where = [attribute == value]
                        if field == "name":
                            where.append(lr.ULabel.branch_id.in_([1, 2]))
                        stmt = sa.select(lr.ULabel).where(*where).limit(2)
                    params = {"value": value, "branches": [1, 2]} if prebuilt else None
                    assert len(session.scalars(stmt, params).all()) == 1

        return run

    for field, values in (("uid", uids), ("name", names)):
        column = table.c[field]
        library(**{field: values[:20]})()  # warm the statement caches of both
        core(column, values[:20])()
        lib_time, _ = best(library(**{field: values}), repeat)
        floor_time, _ = best(core(column, values), repeat)
        floor_name = "SQLAlchemy Core loop"
        if raw is not None:
            raw[0](field, values[:20])()
            core_time, floor_name = floor_time, raw[1]
            floor_time, _ = best(raw[0](field, values), repeat)
        report(Row(f"{len(values):,} x get by {field} ({n:,} rows)", lib_time,
                   floor_time, 2.0, floor_name))
        if raw is not None:
            report(Row(f"  SQLAlchemy Core loop by {field}", core_time, floor_time, None,
                       floor_name, "info: what SQLAlchemy Core costs"))
        for prebuilt in (False, True):
            orm(field, values[:20], prebuilt)()
            orm_time, _ = best(orm(field, values, prebuilt), repeat)
            how = "statement with bind parameters, built once" if prebuilt else (
                "statement built per call")
            report(Row(f"  plain ORM loop by {field}, {how}", orm_time, floor_time, None,
                       floor_name, "info: what the ORM costs"))
    for label, call in (
        ("name", lambda repo: repo.get(lr.ULabel, name=names[0])),
        ("uid", lambda repo: repo.get(lr.ULabel, uids[0])),
    ):
        plan = query_plan(inst, call)
        expected = "ix_lamindb_ulabel_name" if label == "name" else "uid"
        if inst.engine.dialect.name == "postgresql":  # the branch is a Filter: line
            ok = any(line.startswith(("Index Scan", "Limit")) for line in plan) and any(
                expected in line for line in plan if "Index" in line)
            explain = "EXPLAIN"
        else:
            uses_branch = any("branch_id" in line for line in plan)
            ok = any(expected in line for line in plan) and not uses_branch
            explain = "EXPLAIN QUERY PLAN"
        say(f"  {explain} get by {label}: {' | '.join(plan)}  "
            f"[{'uses the ' + label + ' index' if ok else 'WRONG INDEX'}]")
        NOTES.append(f"`{explain}` of `get(ULabel, {label}=...)`: "
                     f"`{' | '.join(plan)}` ({'ok' if ok else 'WRONG INDEX'})")


# -- 3. to_dataframe -------------------------------------------------------------------------


def bench_dataframe(inst: lr.Instance, n: int, repeat: int) -> None:
    table = lr.ULabel.__table__

    def library() -> pd.DataFrame:
        with inst.session() as repo:
            return repo.to_dataframe(lr.ULabel, limit=None)

    with inst.session() as repo:
        visible = repo.visible_branch_ids
        repo.to_dataframe(lr.ULabel, limit=10)  # warm: pandas import, statement cache
    lib_time, frame = best(library, repeat)
    assert len(frame) == n, len(frame)
    columns = [table.c.id, *(table.c[name] for name in frame.columns)]
    stmt = sa.select(*columns).where(table.c.branch_id.in_(visible)).order_by(table.c.id.desc())

    def floor() -> pd.DataFrame:
        with inst.engine.connect() as conn:
            return pd.read_sql(stmt, conn, index_col="id")

    floor_time, expected = best(floor, repeat)
    assert list(expected.columns) == list(frame.columns)
    assert expected.index.equals(frame.index)
    driver = "" if inst.engine.dialect.name == "sqlite" else f" over {inst.engine.driver}"
    report(Row(f"to_dataframe(limit=None), {n:,} rows", lib_time, floor_time, 2.0,
               f"pandas.read_sql{driver}"))


# -- 4. import -------------------------------------------------------------------------------


def bench_import(directory: Path, runs: int) -> None:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed wheel has its byte code compiled
    env["PYTHONPYCACHEPREFIX"] = str(directory / "pycache")  # ... and so does this checkout
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))

    # What a program pays before its first result: the models are defined on first use
    # (lamin_registry/__init__.py), the mappers configured on the first query, and connecting
    # to an up-to-date database reads its revision without Alembic.
    database = directory / "import_connect.db"
    lr.connect(f"sqlite:///{database}", user="bench").close()
    first_use = (
        "import lamin_registry as lr; from sqlalchemy.orm import configure_mappers; "
        "lr.ULabel; configure_mappers()"
    )
    first_query = (
        "import lamin_registry as lr\n"
        f"inst = lr.connect('sqlite:///{database}', user='bench')\n"
        "with inst.session() as repo: repo.filter(lr.ULabel, name='x').count()"
    )
    cli_help = "import sys; from lamin_registry.cli import main; sys.argv[1:] = ['--help']; main()"

    def run(code: str) -> float:
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", code], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL
        )
        return time.perf_counter() - start

    floor_code = "import sqlalchemy.orm"
    times: dict[str, list[float]] = {
        code: [] for code in ("import lamin_registry", floor_code, first_use, first_query, cli_help)
    }
    for code in times:
        run(code)  # warm-up: writes the byte code cache
    for _ in range(runs):
        for code, samples in times.items():
            samples.append(run(code))
    median = {code: statistics.median(samples) for code, samples in times.items()}
    library, floor = median["import lamin_registry"], median[floor_code]
    floor_name = "python -c 'import sqlalchemy.orm'"
    report(Row("python -c 'import lamin_registry'", library, floor, 1.3, floor_name,
               f"median of {runs}"))
    for code, label in (
        (first_use, "import + lr.ULabel + configure_mappers() (the models defined)"),
        (first_query, "import + lr.connect(up-to-date SQLite file) + first query"),
        (cli_help, "lamin-registry --help"),
    ):
        report(Row(f"  {label}", median[code], floor, None, floor_name,
                   f"info, median of {runs}"))
    NOTES.append(
        "`import lamin_registry` loads only `lamin_registry.errors`; the registries are defined "
        "on first use (docs/architecture.md, Import cost). The info rows below it are what a "
        "program pays before its first result: defining the models and configuring the "
        "mappers is SQLAlchemy work that no import order avoids."
    )
    if library / floor > 1.3:
        culprits = import_culprits(env)
        say("  import time over target; what lamin_registry adds to sqlalchemy.orm "
            "(-X importtime, self time):")
        for name, micros in culprits:
            say(f"    {micros / 1000:7.1f} ms  {name}")
        NOTES.append(
            "Import over target. Largest additions to `import sqlalchemy.orm` "
            "(`-X importtime`, self ms): "
            + ", ".join(f"`{name}` {micros / 1000:.0f}" for name, micros in culprits[:8])
        )


def import_culprits(env: dict[str, str]) -> list[tuple[str, int]]:
    """Modules ``import lamin_registry`` loads beyond ``sqlalchemy.orm``, by self time."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import sqlalchemy.orm; import lamin_registry"],
        env=env, cwd=ROOT, capture_output=True, text=True, check=True,
    )
    floor = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import sqlalchemy.orm"],
        env=env, cwd=ROOT, capture_output=True, text=True, check=True,
    )
    pattern = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")
    base = {m.group(4) for m in pattern.finditer(floor.stderr)}
    added = [
        (m.group(4), int(m.group(1)))
        for m in pattern.finditer(result.stderr)
        if m.group(4) not in base
    ]
    groups: dict[str, int] = {}
    for name, micros in added:
        if name.startswith("lamin_registry"):
            key = name
        elif name.startswith("sqlalchemy.dialects.postgresql") or name in (
            "sqlalchemy.connectors.asyncio", "sqlalchemy.dialects._typing"
        ) or name.startswith("asyncio") or name in ("ssl", "_ssl", "socket", "selectors"):
            key = "sqlalchemy.dialects.postgresql (+ asyncio, ssl, socket it pulls in)"
        else:
            key = name.split(".")[0] if not name.startswith("sqlalchemy") else name
        groups[key] = groups.get(key, 0) + micros
    return sorted(groups.items(), key=lambda item: -item[1])[:12]


# -- 5. uids ---------------------------------------------------------------------------------


def bench_uids(n: int, save_time: float) -> None:
    start = time.perf_counter()
    uids = [base62(8) for _ in range(n)]
    uid_time = time.perf_counter() - start
    assert len(set(uids)) == n
    start = time.perf_counter()
    for _ in range(n // 10):
        "".join(secrets.choice(ALPHABET) for _ in range(8))
    per_char = (time.perf_counter() - start) * 10
    report(Row(f"{n:,} uids vs the bulk save", uid_time, save_time, 0.1, "bulk save",
               f"secrets.choice per character would take {per_char:.2f} s"))
    say(f"  (one secrets.choice per character: {per_char:.3f} s for {n:,} uids)")


# -- table -----------------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, SQLAlchemy {sa.__version__}, "
        f"pandas {pd.__version__}, SQLite {sqlite3.sqlite_version}"
    )


def table_rows() -> list[str]:
    lines = []
    for row in ROWS:
        floor = "" if row.floor is None else f"{row.floor:.3f} s ({row.floor_name})"
        ratio = "" if row.ratio is None else f"{row.ratio:.2f}x"
        target = "" if row.target is None else f"<= {row.target:g}x"
        name = row.name + (f" ({row.note})" if row.note else "")
        lines.append(f"| {name} | {row.library:.3f} s | {floor} | {ratio} | {target} | "
                     f"{row.verdict} |")
    return lines


def table_markdown(args: argparse.Namespace) -> str:
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    lines = [
        SECTION,
        "",
        "Run: `python bench/foundation.py` (about a minute; `--n 100000` rows by default, "
        "`--write-readme` rewrites this section and leaves the others alone).",
        "",
        "Each ratio is against a floor measured in the same run, on SQLite files made by "
        "`lr.connect`: the bulk save against `sqlite3.executemany` of the library's own INSERT "
        "and rows into an identically created table (same indexes, triggers and pragmas; "
        "objects and tuples built before timing, commit included); `get` against "
        "`conn.execute(select(table).where(table.c.name == v)).all()` in a loop (no visibility "
        "filter); `to_dataframe(limit=None)` against `pandas.read_sql` of the same SELECT "
        "(`index_col='id'`); the import against `python -c 'import sqlalchemy.orm'`, byte code "
        f"cached for both. Reads are best of {args.repeat}, imports the median of "
        f"{args.import_runs}; rows marked info have no target.",
        "",
        f"Latest run: {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, {machine()}; "
        f"load average {load} (the machine is shared).",
        "",
        "| benchmark | lamin_registry | floor | ratio | target | result |",
        "|---|---:|---|---:|---:|---|",
    ]
    lines += table_rows()
    lines.append("")
    lines.extend(f"- {note}" for note in NOTES)
    if NOTES:
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="rows (default 100,000)")
    parser.add_argument("--gets", type=int, default=1_000, help="get() calls per loop")
    parser.add_argument("--repeat", type=int, default=5, help="runs per read benchmark")
    parser.add_argument("--rounds", type=int, default=2, help="bulk-save rounds")
    parser.add_argument("--import-runs", type=int, default=7, help="interpreters per side")
    parser.add_argument("--write-readme", action="store_true", help="update bench/README.md")
    common.pg_url_option(parser)
    args = parser.parse_args()
    if args.pg is not None:
        import foundation_pg

        return foundation_pg.main(args)

    total = time.perf_counter()
    say(machine())
    with tempfile.TemporaryDirectory(prefix="lr_bench_") as tmp:
        directory = Path(tmp)
        inst, sample, save_time = bench_bulk_save(directory, args.n, args.rounds, args.gets)
        bench_get(inst, sample, args.n, args.repeat)
        bench_dataframe(inst, args.n, args.repeat)
        inst.close()
        bench_import(directory, args.import_runs)
        bench_uids(args.n, save_time)
    section = table_markdown(args)
    say()
    say(section)
    if args.write_readme:
        common.write_readme(SECTION, section)
        say(f"wrote {README.relative_to(ROOT)}")
    say(f"total {time.perf_counter() - total:.1f} s")
    return 0 if all(row.verdict != "FAIL" for row in ROWS) else 1


if __name__ == "__main__":
    sys.exit(main())
