"""Which modules a piece of code loads, seen from a fresh interpreter (import-cost tests)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def loaded_after(code: str, names: Iterable[str]) -> dict[str, bool]:
    """Run ``code`` in a new interpreter; ``{name: whether it is in sys.modules afterwards}``."""
    script = (
        f"import json, sys\n{code}\n"
        f"print(json.dumps({{name: name in sys.modules for name in {list(names)!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    loaded: dict[str, bool] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded
