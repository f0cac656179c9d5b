"""``import lamin_registry`` stays light (issue 2): heavy optional libraries load on first use.

Backend-independent: a fresh interpreter imports the package and reports ``sys.modules``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
# imported by the curation, DataFrame, migration and validation code paths only
LAZY = ("pandas", "numpy", "rapidfuzz", "alembic", "pydantic")


def _modules_after(code: str) -> dict[str, bool]:
    script = (
        f"import json, sys\n{code}\n"
        f"print(json.dumps({{name: name in sys.modules for name in {list(LAZY)!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    loaded: dict[str, bool] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


def test_import_loads_no_heavy_optional_library() -> None:
    loaded = _modules_after(
        "import lamin_registry as lr\n"
        "assert 'lamindb_ulabel' in lr.models.metadata.tables  # the models are defined"
    )
    assert loaded == dict.fromkeys(LAZY, False)


@pytest.mark.parametrize("module", ["pandas", "rapidfuzz"])
def test_the_check_sees_a_loaded_library(module: str) -> None:
    """The subprocess check itself works: a library the code imports is reported."""
    assert _modules_after(f"import lamin_registry\nimport {module}")[module] is True
