"""SQLite concurrency benchmark (issue 13): readers beside writers, reads beside a held lock.

    python bench/concurrency.py [--seconds 3] [--writers 4] [--readers 2] [--mode both]

On one SQLite file (WAL) it runs, in separate processes:

Every process connects and runs one session first (imports, statement compilation), then
all start together. Measured:

* ``readers`` processes alone, each looping ``with inst.session(): get(ULabel, name=...)`` plus
  a ``filter(...).count()``, for ``seconds``: the floor;
* the same readers beside ``writers`` processes, each looping ``with inst.session():`` a
  ``get`` followed by ``save(ULabel(...))`` (read, then write);
* one process holding a write session open for 1 s while another reads: the slowest read.

``--mode before`` emulates the sessions of the previous releases (every session opened with
``BEGIN IMMEDIATE``), ``--mode after`` uses the current ones (deferred BEGIN, write lock at
the first write), ``--mode both`` (default) runs both and prints the ratios after / before.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import lamin_registry as lr  # noqa: E402


def _instance(url: str, mode: str) -> lr.Instance:
    inst = lr.connect(url, user="alice")
    if mode == "before":  # every session starts with BEGIN IMMEDIATE, as before issue 13
        from sqlalchemy.orm import sessionmaker

        inst._sessions = sessionmaker(bind=inst.engine, expire_on_commit=False)
    return inst


def _warm(inst: lr.Instance, name: str) -> None:
    """First use costs ~0.5 s of imports and statement compilation: not what is measured."""
    with inst.session() as repo:
        repo.get(lr.ULabel, name="seed 0")
        repo.filter(lr.ULabel, name__startswith="seed 1").count()
        repo.save(lr.ULabel(name=name))


def _reader(url: str, mode: str, seconds: float, start: Any, out: Any) -> None:
    inst = _instance(url, mode)
    _warm(inst, f"warm reader {time.time()}")
    out.put(("ready",))
    start.wait()
    done, slowest = 0, 0.0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        began = time.perf_counter()
        with inst.session() as repo:
            repo.get(lr.ULabel, name=f"seed {done % 500}")
            repo.filter(lr.ULabel, name__startswith="seed 1").count()
        slowest = max(slowest, time.perf_counter() - began)
        done += 1
    out.put(("read", done, slowest))
    inst.close()


def _writer(url: str, mode: str, seconds: float, number: int, start: Any, out: Any) -> None:
    inst = _instance(url, mode)
    _warm(inst, f"warm writer {number}")
    out.put(("ready",))
    start.wait()
    done, errors = 0, 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        try:
            with inst.session() as repo:
                repo.get(lr.ULabel, name=f"seed {done % 500}")
                repo.save(lr.ULabel(name=f"w{number} {done}"))
            done += 1
        except lr.errors.LaminRegistryError:
            errors += 1
    out.put(("write", done, errors))
    inst.close()


def _holder(url: str, mode: str, hold: float, start: Any, held: Any) -> None:
    inst = _instance(url, mode)
    _warm(inst, "warm holder")
    start.wait()
    with inst.session() as repo:
        repo.save(lr.ULabel(name="held"))
        held.set()
        time.sleep(hold)
    inst.close()


def run_mix(url: str, mode: str, seconds: float, writers: int, readers: int) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_reader, args=(url, mode, seconds, start, out))
             for _ in range(readers)]
    procs += [ctx.Process(target=_writer, args=(url, mode, seconds, i, start, out))
              for i in range(writers)]
    for proc in procs:
        proc.start()
    for _ in procs:  # every process connected and warmed up
        out.get(timeout=120)
    start.set()
    results = [out.get(timeout=seconds + 60) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
    reads = sum(r[1] for r in results if r[0] == "read")
    return {
        "reads_per_s": reads / seconds,
        "slowest_read_s": max((r[2] for r in results if r[0] == "read"), default=0.0),
        "writes_per_s": sum(r[1] for r in results if r[0] == "write") / seconds,
        "write_errors": sum(r[2] for r in results if r[0] == "write"),
    }


def held_lock_read(url: str, mode: str, hold: float = 1.0) -> float:
    """Seconds one read session takes while another process holds a write session open."""
    ctx = mp.get_context("spawn")
    start, held = ctx.Event(), ctx.Event()
    proc = ctx.Process(target=_holder, args=(url, mode, hold, start, held))
    proc.start()
    inst = _instance(url, mode)
    _warm(inst, "warm main")
    start.set()
    held.wait(timeout=60)
    began = time.perf_counter()
    with inst.session() as repo:
        repo.filter(lr.ULabel, name__startswith="seed").count()
    took = time.perf_counter() - began
    proc.join(timeout=60)
    with inst.session() as repo:
        repo.delete(repo.get(lr.ULabel, name="held"), permanent=True)
    inst.close()
    return took


def measure(mode: str, seconds: float, writers: int, readers: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'concurrency.db'}"
        inst = lr.connect(url, user="alice")
        with inst.session() as repo:
            repo.save([lr.ULabel(name=f"seed {i}") for i in range(500)])
        inst.close()
        alone = run_mix(url, mode, seconds, 0, readers)
        mixed = run_mix(url, mode, seconds, writers, readers)
        held = held_lock_read(url, mode)
    return {"alone": alone, "mixed": mixed, "held_read_s": held}


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--readers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs; medians shown")
    parser.add_argument("--mode", choices=("before", "after", "both"), default="both")
    args = parser.parse_args()
    modes = ["before", "after"] if args.mode == "both" else [args.mode]
    runs: dict[str, list[dict[str, Any]]] = {mode: [] for mode in modes}
    for _ in range(args.rounds):  # alternate, so a busy machine hurts both modes alike
        for mode in modes:
            runs[mode].append(measure(mode, args.seconds, args.writers, args.readers))
    results = {}
    for mode in modes:

        def med(path: tuple[str, ...], mode: str = mode) -> float:
            values = []
            for run in runs[mode]:
                value: Any = run
                for key in path:
                    value = value[key]
                values.append(float(value))
            return _median(values)

        r = results[mode] = {
            "alone": med(("alone", "reads_per_s")),
            "mixed": med(("mixed", "reads_per_s")),
            "slowest": med(("mixed", "slowest_read_s")),
            "writes": med(("mixed", "writes_per_s")),
            "errors": sum(run["mixed"]["write_errors"] for run in runs[mode]),
            "held": med(("held_read_s",)),
        }
        print(
            f"{mode:>6}: reads/s alone {r['alone']:7.1f} | beside {args.writers} writers "
            f"{r['mixed']:7.1f} (ratio {r['mixed'] / r['alone']:.2f}, slowest read session "
            f"{r['slowest'] * 1000:.0f} ms) | writes/s {r['writes']:6.1f} ({r['errors']} "
            f"errors) | one read beside a held write session {r['held'] * 1000:.1f} ms"
        )
    if len(results) == 2:
        before, after = results["before"], results["after"]
        print(
            f"after/before (medians of {args.rounds}): reads/s beside writers "
            f"{after['mixed'] / before['mixed']:.2f}x, writes/s "
            f"{after['writes'] / before['writes']:.2f}x, slowest read session "
            f"{after['slowest'] * 1000:.0f} vs {before['slowest'] * 1000:.0f} ms, read beside "
            f"a held write session {after['held'] * 1000:.1f} vs {before['held'] * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
