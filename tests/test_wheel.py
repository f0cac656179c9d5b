"""Scripted schema upgrades from an installed wheel (issue 13), exactly as documented.

Builds the wheel (hatchling, no build isolation: nothing is downloaded), installs it into a
new virtual environment whose dependencies come from this one (a ``.pth`` line; the source
checkout is not importable there), and runs the documented commands in an empty folder:

    lamin-registry alembic-ini
    alembic -x url=URL upgrade head
    alembic -x url=URL current
    lamin-registry --url URL check
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import pytest

import lamin_registry as lr

pytestmark = pytest.mark.system  # a step of its own in scripts/test.sh (default suite < 10 min)

ROOT = Path(__file__).resolve().parent.parent
ALEMBIC_SCRIPT = """#!{python}
import sys
from alembic.config import main
sys.exit(main())
"""


def clean_env() -> dict[str, str]:
    """This environment without lamin_registry's variables or a PYTHONPATH (which could make
    a checkout importable in the new venv)."""
    return {
        key: value for key, value in os.environ.items()
        if not key.startswith(("LAMIN_REGISTRY_", "PYTHON", "VIRTUAL_ENV"))
    }


def run(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        argv, cwd=cwd, env=clean_env() if env is None else env, capture_output=True,
        text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, f"{argv}: {done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The ``bin`` folder of a new venv with the freshly built wheel installed."""
    base = tmp_path_factory.mktemp("wheel")
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "-w", str(base / "dist"), str(ROOT)], cwd=base)
    (wheel,) = (base / "dist").glob("lamin_registry-*.whl")
    venv = base / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=base)
    python = venv / "bin" / "python"
    purelib = run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                  cwd=base).strip()
    # the dependencies (SQLAlchemy, Alembic, pandas, ...) of this environment, no download
    Path(purelib, "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
         "--no-index", str(wheel)], cwd=base)
    alembic = venv / "bin" / "alembic"  # what `pip install alembic` would put there
    alembic.write_text(ALEMBIC_SCRIPT.format(python=python))
    alembic.chmod(0o755)
    where = run([str(python), "-c", "import lamin_registry; print(lamin_registry.__file__)"],
                cwd=base)
    assert str(venv) in where and str(ROOT) not in where  # the wheel, not the checkout
    yield venv / "bin"


def test_documented_alembic_commands_work_from_the_installed_wheel(
    wheel_venv: Path, fresh_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    env = clean_env()
    env["PATH"] = f"{wheel_venv}{os.pathsep}{env.get('PATH', '')}"
    out = run(["lamin-registry", "alembic-ini"], folder, env)
    assert "alembic -x url=" in out
    assert "script_location = lamin_registry:_alembic" in (folder / "alembic.ini").read_text()
    run(["alembic", "-x", f"url={fresh_url}", "upgrade", "head"], folder, env)
    out = run(["alembic", "-x", f"url={fresh_url}", "current"], folder, env)
    assert lr.migrate.head() in out
    out = run(["lamin-registry", "--url", fresh_url, "check"], folder, env)
    assert "up to date" in out
    assert sorted(path.name for path in folder.iterdir() if path.suffix != ".db") == [
        "alembic.ini"
    ]
    assert lr.migrate.current(fresh_url) == lr.migrate.head()
