"""SQLite concurrency benchmark (issue 13): readers beside writers, reads beside a held lock.

    python bench/concurrency.py [--seconds 3] [--writers 4] [--readers 2] [--mode both]

On one SQLite file (WAL) it runs, in separate processes:

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


def _reader(url: str, mode: str, seconds: float, start: Any, out: Any) -> None:
    inst = _instance(url, mode)
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
    time.sleep(2.0)  # let every process import and connect
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--readers", type=int, default=2)
    parser.add_argument("--mode", choices=("before", "after", "both"), default="both")
    args = parser.parse_args()
    modes = ["before", "after"] if args.mode == "both" else [args.mode]
    results = {}
    for mode in modes:
        r = results[mode] = measure(mode, args.seconds, args.writers, args.readers)
        alone, mixed = r["alone"], r["mixed"]
        ratio = mixed["reads_per_s"] / alone["reads_per_s"]
        print(
            f"{mode:>6}: reads/s alone {alone['reads_per_s']:8.1f} | beside {args.writers} "
            f"writers {mixed['reads_per_s']:8.1f} (ratio {ratio:.2f}, "
            f"slowest read session {mixed['slowest_read_s'] * 1000:.0f} ms) | writes/s "
            f"{mixed['writes_per_s']:7.1f} ({mixed['write_errors']} errors) | read beside a "
            f"held write session {r['held_read_s'] * 1000:.1f} ms"
        )
    if len(results) == 2:
        before, after = results["before"], results["after"]
        print(
            "after/before: reads/s beside writers "
            f"{after['mixed']['reads_per_s'] / before['mixed']['reads_per_s']:.1f}x, "
            f"writes/s {after['mixed']['writes_per_s'] / before['mixed']['writes_per_s']:.2f}x, "
            f"read beside a held write session {after['held_read_s'] * 1000:.1f} ms vs "
            f"{before['held_read_s'] * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
