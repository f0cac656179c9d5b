"""Benchmark of issue 3 (curation at scale) on SQLite; prints each time next to its floor.

    python bench/curation.py            # 100k and 1M registries, about 4 minutes (mostly
                                        # inserting 1M rows through the FTS5 triggers)
    python bench/curation.py --quick    # 100k only
    python bench/curation.py --pg [URL] # on a fresh PostgreSQL database (dropped afterwards)

Registries are Features with pseudo-word names (2-3 words, 20,000 distinct words) and 0-2
synonyms each, inserted with plain SQL (the FTS5 triggers of the search revision run as in
production). Floors work on the same data already in memory: ``rapidfuzz.process.extract``
over every name and synonym for search (on 10 of the queries at 1M: it takes seconds each),
Python ``set``/``dict`` look-ups for curation. from_values runs twice, each in a fresh session:
on the 100,000 unique curation inputs (the realistic case: exact names, other casing, synonyms
and unknown values, so every tier runs) and on 100,000 stored names (the heaviest case:
100,000 records to build).

``--pg URL`` (without URL: ``$LAMIN_REGISTRY_TEST_PG_URL``) runs the same on fresh
PostgreSQL databases, the registries loaded by psycopg ``COPY``, with two more floors on the
server, measured in the same run: validate as one psycopg statement finding the unique values
among the names plus the same set look-ups over the inputs, from_values as one psycopg
``SELECT *`` of the 100,000 stored names' rows (no records); each the faster of
``name = ANY(%s)`` and a join with ``unnest(%s)``.
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
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import lamin_registry as lr  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
import common  # noqa: E402

SEED = 3
Row = tuple[str, str | None]


def words(rng: random.Random, count: int) -> list[str]:
    consonants, vowels = "bcdfghjklmnprstvwz", "aeiou"
    found: set[str] = set()
    while len(found) < count:
        syllables = rng.randint(2, 4)
        word = "".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(syllables))
        found.add(word + rng.choice(["", "n", "s", "l", "r"]))
    return sorted(found)


def registry_rows(n: int, rng: random.Random) -> list[Row]:
    vocabulary = words(rng, 20_000)
    rows: list[Row] = []
    seen: set[str] = set()
    while len(rows) < n:
        name = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(2, 3)))
        if name in seen:
            continue
        seen.add(name)
        synonyms = [" ".join(rng.choice(vocabulary) for _ in range(2))
                    for _ in range(rng.randint(0, 2))]
        rows.append((name, "|".join(synonyms) or None))
    return rows


def build(url: str, rows: list[Row]) -> lr.Instance:
    inst = lr.connect(url, user="bench")
    alphabet = string.ascii_letters + string.digits
    rng = random.Random(SEED)
    if inst.engine.dialect.name == "postgresql":  # COPY: the setup, not what is measured
        conn = common.psycopg_connect(url)
        with conn.cursor() as cur, cur.copy(
            "COPY lamindb_feature (uid, name, synonyms, _dtype_str, array_rank, array_size, "
            "created_by_id) FROM STDIN"
        ) as copy:
            for name, synonyms in rows:
                copy.write_row(("".join(rng.choices(alphabet, k=12)), name, synonyms, "str",
                                0, 0, 1))
        conn.commit()
        conn.close()
        common.vacuum_analyze(url, "lamindb_feature")  # as autovacuum would after the load
        return inst
    insert = sa.text(
        "INSERT INTO lamindb_feature (uid, name, synonyms, _dtype_str, array_rank, array_size, "
        "created_by_id) VALUES (:uid, :name, :synonyms, 'str', 0, 0, 1)"
    )
    with inst.engine.begin() as connection:
        batch = [
            {"uid": "".join(rng.choices(alphabet, k=12)), "name": name, "synonyms": synonyms}
            for name, synonyms in rows
        ]
        connection.execute(insert, batch)
    return inst


def typo(text: str, rng: random.Random) -> str:
    """A transposition or a substitution inside the longest word."""
    word = max(text.split(), key=len)
    i = rng.randrange(1, len(word) - 2)
    if rng.random() < 0.5:
        changed = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    else:
        changed = word[:i] + rng.choice("aeiouxyz") + word[i + 1 :]
    return text.replace(word, changed, 1)


def queries(
    rows: list[Row], count: int, rng: random.Random
) -> tuple[dict[str, list[str]], list[str]]:
    """Queries by kind, and the names the typo queries were made from (what they must find)."""
    picks = rng.sample(rows, count)
    with_synonyms = [row for row in rows[:50_000] if row[1]]
    typo_targets = [name for name, _ in picks[2 * count // 5 : 4 * count // 5]]
    return {
        "exact name": [name for name, _ in picks[: count // 5]],
        "synonym": [s.split("|")[0] for _, s in rng.sample(with_synonyms, count // 5) if s],
        "prefix": [
            name[: max(4, len(name) * 3 // 5)] for name, _ in picks[count // 5 : 2 * count // 5]
        ],
        "typo": [typo(name, rng) for name, _ in picks[2 * count // 5 : 4 * count // 5]],
        "word order": [" ".join(reversed(name.split())) for name, _ in picks[4 * count // 5 :]],
    }, typo_targets


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def bench_search(inst: lr.Instance, rows: list[Row], count: int) -> list[tuple[str, float, float]]:
    from rapidfuzz import process

    rng = random.Random(SEED + len(rows))
    groups, typo_targets = queries(rows, count, rng)
    targets = iter(typo_targets)
    choices = [name.lower() for name, _ in rows] + [
        item.lower() for _, synonyms in rows if synonyms for item in synonyms.split("|")
    ]
    ours: dict[str, list[float]] = {}
    floor: list[float] = []
    found = 0
    typos = 0
    with inst.session() as repo:
        repo.search(lr.Feature, "warm up")
        for kind, items in groups.items():
            for query in items:
                elapsed, result = timed(lambda q=query: repo.search(lr.Feature, q))
                ours.setdefault(kind, []).append(elapsed)
                if kind == "typo":
                    typos += 1
                    found += next(targets) in {record.name for record in result}
                if len(rows) <= 200_000 or len(floor) < 10:  # the 1M floor takes seconds
                    extract = timed(lambda q=query: process.extract(q.lower(), choices, limit=20))
                    floor.append(extract[0])
    everything = [t for times in ours.values() for t in times]
    floor_median = statistics.median(floor)
    print(f"  search {len(rows):,}: typo queries finding their name {found}/{typos}")
    label = f"search, {len(rows):,} names + synonyms"
    lines = [(f"{label}: median of {len(everything)} queries", statistics.median(everything),
              floor_median)]
    lines += [(f"{label}: {kind} (median)", statistics.median(times), floor_median)
              for kind, times in ours.items()]
    return lines


def curation_inputs(rows: list[Row], rng: random.Random) -> list[str]:
    """100,000 unique values (60% names, 10% other casing, 10% synonyms, 20% unknown), 1M total."""
    names = [name for name, _ in rows]
    synonyms = [s.split("|")[0] for _, s in rows if s]
    unique = set(rng.sample(names, 60_000))
    unique |= {name.upper() for name in rng.sample(names, 10_000)}
    unique |= set(rng.sample(synonyms, 10_000))
    while len(unique) < 100_000:
        unique.add(f"unknown value {len(unique)}")
    pool = sorted(unique)
    values = pool + rng.choices(pool, k=1_000_000 - len(pool))
    rng.shuffle(values)
    return values


def server_floors(url: str, values: list[str], sample: list[str],
                  names: set[str]) -> tuple[float, float]:
    """PostgreSQL: validate as one statement finding which unique values are names, plus set
    look-ups over the inputs; from_values as one statement reading the stored names' rows
    (psycopg). Each the faster of ``name = ANY(%s)`` and a join with ``unnest(%s)``."""
    import numpy as np

    conn = common.psycopg_connect(url)
    conn.autocommit = True
    shapes = ("SELECT {} FROM lamindb_feature f WHERE f.name = ANY(%s)",
              "SELECT {} FROM lamindb_feature f JOIN unnest(%s::text[]) AS v(name) "
              "ON f.name = v.name")

    def validate(shape: str) -> Callable[[], Any]:
        def run() -> Any:
            unique = list(dict.fromkeys(values))
            found = {name for (name,) in conn.execute(shape.format("f.name"), (unique,))}
            return np.fromiter((value in found for value in values), dtype=bool,
                               count=len(values))
        return run

    def load(shape: str) -> Callable[[], Any]:
        return lambda: conn.execute(shape.format("f.*") + " ORDER BY f.id", (sample,)).fetchall()

    expected = sum(value in names for value in values)
    t_validate = t_load = float("inf")
    for shape in shapes:
        validate(shape)()  # warm
        elapsed, flags = timed(validate(shape))
        assert flags.sum() == expected
        t_validate = min(t_validate, elapsed)
        elapsed, loaded = timed(load(shape))
        assert len(loaded) == len(sample)
        t_load = min(t_load, elapsed)
    conn.close()
    return t_validate, t_load


def bench_curation(inst: lr.Instance, rows: list[Row]) -> list[tuple[str, float, float]]:
    import numpy as np

    rng = random.Random(SEED)
    values = curation_inputs(rows, rng)
    names = {name for name, _ in rows}
    lowered: dict[str, str] = {}
    by_synonym: dict[str, str] = {}
    for name, synonyms in rows:
        lowered.setdefault(name.lower(), name)
        for item in (synonyms or "").split("|"):
            if item and item != name:
                by_synonym.setdefault(item.lower(), name)

    def floor_validate() -> Any:
        return np.fromiter((value in names for value in values), dtype=bool, count=len(values))

    def floor_standardize(inputs: list[str] = values) -> list[str]:
        out = []
        for value in inputs:
            if value in names:
                out.append(value)
            else:
                key = value.lower()
                out.append(lowered.get(key) or by_synonym.get(key) or value)
        return out

    def floor_from_values(inputs: list[str]) -> set[str]:
        return {name for name in floor_standardize(inputs) if name in names}

    floor_v = timed(floor_validate)[0]
    floor_s = timed(floor_standardize)[0]
    lines = []
    with inst.session() as repo:
        t_validate, flags = timed(lambda: repo.validate(lr.Feature, values, mute=True))
        assert flags.sum() == floor_validate().sum()
        t_inspect, result = timed(lambda: repo.inspect(lr.Feature, values, mute=True))
        t_standardize, standard = timed(lambda: repo.standardize(lr.Feature, values, mute=True))
        assert standard == floor_standardize()
    # from_values, each in a fresh session (as a script calling it once would be): (a) the
    # realistic case, the 100,000 unique values a curator passes (60% names, 10% other
    # casing, 10% synonyms, 20% unknown: exact match, then the standardize tiers, then the
    # mapped names); (b) the heaviest case, 100,000 stored names: 100,000 records to build
    unique = list(dict.fromkeys(values))
    sample = rng.sample(sorted(names), 100_000)
    with inst.session() as repo:
        t_mixed, records = timed(lambda: repo.from_values(lr.Feature, unique, mute=True))
        floor_mixed, expected = timed(lambda: floor_from_values(unique))
        assert {record.name for record in records} == expected
        n_mixed = len(records)
    del records
    with inst.session() as repo:
        t_from, records = timed(lambda: repo.from_values(lr.Feature, sample, mute=True))
        assert len(records) == 100_000
        ids = [record.id for record in records]
        assert ids == sorted(ids)
        floor_from = timed(lambda: [name for name in sample if name in names])[0]
    print(f"  inspect: {len(result.validated):,} validated, {len(result.synonyms_mapper):,} "
          "mapped by casing/synonyms")
    label = "1,000,000 values (100,000 unique) vs 100,000 rows"
    lines.append((f"validate, {label}", t_validate, floor_v))
    lines.append((f"inspect, {label}", t_inspect, floor_v))
    lines.append((f"standardize, {label}", t_standardize, floor_s))
    lines.append((f"from_values, 100,000 unique curation values → {n_mixed:,} records", t_mixed,
                  floor_mixed))
    lines.append(("from_values, 100,000 stored names → 100,000 records", t_from, floor_from))
    if inst.engine.dialect.name == "postgresql":
        url = inst.engine.url.render_as_string(hide_password=False)
        server_validate, server_load = server_floors(url, values, sample, names)
        lines.append((f"validate, {label} (floor: psycopg, one statement + set)",
                      t_validate, server_validate))
        lines.append(("from_values, 100,000 stored names (floor: psycopg, one SELECT * of "
                      "their rows)", t_from, server_load))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="100k registry only")
    common.pg_url_option(parser)
    args = parser.parse_args()
    rng = random.Random(SEED)
    lines: list[tuple[str, float, float]] = []
    started = time.perf_counter()
    print(time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
    with ExitStack() as stack:
        if args.pg is not None:
            admin = common.pg_url(args.pg)
            backend = common.server_version(admin)

            def fresh(size: int) -> str:
                return stack.enter_context(common.database(admin))
        else:
            directory = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            backend = f"SQLite {sqlite3.sqlite_version}"

            def fresh(size: int) -> str:
                return f"sqlite:///{directory / f'bench_{size}.db'}"

        rows_100k = registry_rows(100_000, rng)
        elapsed, inst = timed(lambda: build(fresh(100_000), rows_100k))
        print(f"  built 100,000 features in {elapsed:.1f} s")
        lines += bench_search(inst, rows_100k, 100)
        lines += bench_curation(inst, rows_100k)
        inst.close()
        if not args.quick:
            rows_1m = rows_100k + registry_rows(900_000, random.Random(SEED + 1))
            elapsed, inst = timed(lambda: build(fresh(1_000_000), rows_1m))
            print(f"  built 1,000,000 features in {elapsed:.1f} s")
            lines += bench_search(inst, rows_1m, 50)
            inst.close()
    print()
    print("| operation | lamin_registry | floor | ratio |")
    print("|---|---:|---:|---:|")
    for label, ours, floor in lines:
        print(f"| {label} | {_fmt(ours)} | {_fmt(floor)} | {ours / floor:.1f}x |")
    print(f"\n(total {time.perf_counter() - started:.0f} s, Python {sys.version.split()[0]}, "
          f"{backend}, load average {os.getloadavg()})")


def _fmt(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


if __name__ == "__main__":
    main()
