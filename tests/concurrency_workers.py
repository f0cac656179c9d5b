"""Process bodies for tests/test_concurrency.py (importable by spawned processes).

Every worker connects on its own, waits for the common start signal, and reports
``("ok", detail)`` or ``("error", "<class>: <message>")`` on the queue; none runs longer than
its ``deadline`` (seconds from the start signal).
"""

from __future__ import annotations

import random
import time
from typing import Any

import lamin_registry as lr

MODELS = ("ULabel", "Record", "Feature", "Transform", "Space", "User")


def make(kind: str, name: str) -> Any:
    if kind == "Feature":
        return lr.Feature(name=name, dtype="str")
    if kind == "Transform":
        return lr.Transform(key=name)
    if kind == "User":
        return lr.User(handle=name)
    return getattr(lr, kind)(name=name)


def save_all(
    url: str, single: list[str], bulk: list[str], seed: int, start: Any, out: Any
) -> None:
    """For every registry: each ``single`` name in a session of its own, then all ``bulk``
    names in one bulk save; names in an order of this process's own (``seed``)."""
    rng = random.Random(seed)
    try:
        inst = lr.connect(url, user="alice")
        start.wait(60)
        for kind in MODELS:
            for name in rng.sample(single, len(single)):
                with inst.session() as repo:
                    repo.save(make(kind, f"{kind} {name}"))
            with inst.session() as repo:
                repo.save([make(kind, f"{kind} {name}") for name in rng.sample(bulk, len(bulk))])
        out.put(("ok", seed))
        inst.close()
    except Exception as error:  # reported, asserted on by the test
        out.put(("error", f"{type(error).__name__}: {error}"))


def first_sessions(url: str, handles: list[str], start: Any, out: Any) -> None:
    """One first session per new user handle."""
    try:
        inst = lr.connect(url, user="alice")
        start.wait(60)
        for handle in handles:
            with inst.session(user=handle) as repo:
                repo.filter(lr.ULabel).count()
        out.put(("ok", len(handles)))
        inst.close()
    except Exception as error:
        out.put(("error", f"{type(error).__name__}: {error}"))


def hold_session(url: str, write: bool, hold: float, start: Any, held: Any, out: Any) -> None:
    """Open a session, write (or only read) in it, signal ``held``, keep it open ``hold`` s."""
    try:
        inst = lr.connect(url, user="alice")
        start.wait(60)
        with inst.session() as repo:
            if write:
                repo.save(lr.ULabel(name=f"held {time.time()}"))
            else:
                repo.filter(lr.ULabel).count()
            held.set()
            time.sleep(hold)
        out.put(("ok", hold))
        inst.close()
    except Exception as error:
        held.set()
        out.put(("error", f"{type(error).__name__}: {error}"))
