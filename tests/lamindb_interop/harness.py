"""Drive the real lamindb from its own virtual environment, in subprocesses.

The interpreter comes from ``$LR_LAMINDB_PYTHON`` or ``scripts/lamindb_venv.sh`` (which
installs lamindb into ``$LR_LAMINDB_VENV``, default ``/tmp/lamindb-venv``).
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
SIDE = Path(__file__).resolve().with_name("lamindb_side.py")


def lamindb_python() -> str:
    python = os.environ.get("LR_LAMINDB_PYTHON")
    if python:
        return python
    out = subprocess.run(
        ["bash", str(ROOT / "scripts" / "lamindb_venv.sh")],
        check=True, capture_output=True, text=True,
    ).stdout
    python = out.strip().splitlines()[-1]
    os.environ["LR_LAMINDB_PYTHON"] = python
    return python


class LamindbInstance:
    """One lamindb instance created with ``lamin init`` in ``directory``."""

    def __init__(self, directory: Path, backend: str, pg_admin_url: str | None = None) -> None:
        self.directory = directory
        self.settings = directory / "settings"
        self.settings.mkdir(parents=True, exist_ok=True)
        name = f"ldb{uuid.uuid4().hex[:8]}"
        storage = directory / name
        lamin = str(Path(lamindb_python()).with_name("lamin"))
        command = [lamin, "init", "--storage", str(storage)]
        self.pg_database: str | None = None
        self.pg_admin_url = pg_admin_url
        if backend == "postgresql":
            assert pg_admin_url is not None
            admin = sa.make_url(pg_admin_url)
            engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
            with engine.connect() as connection:
                connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
            engine.dispose()
            self.pg_database = name
            url = admin.set(database=name)
            django_url = url.set(drivername="postgresql").render_as_string(hide_password=False)
            command += ["--db", django_url]
            self.url = url.render_as_string(hide_password=False)
        else:
            self.url = f"sqlite:///{storage / '.lamindb' / 'lamin.db'}"
        self.run_command(command)
        self.slug = f"anonymous/{name}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["LAMIN_SETTINGS_DIR"] = str(self.settings)
        env.pop("LAMIN_REGISTRY_URL", None)
        return env

    def run_command(self, command: list[str]) -> str:
        done = subprocess.run(
            command, cwd=self.directory, env=self.env(), capture_output=True, text=True
        )
        if done.returncode != 0:
            raise AssertionError(
                f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
            )
        return done.stdout

    def phase(self, phase: str) -> Any:
        """Run ``lamindb_side.py PHASE`` and return its JSON result."""
        out = self.directory / f"{phase}-{uuid.uuid4().hex[:6]}.json"
        self.run_command([lamindb_python(), str(SIDE), self.slug, phase, str(out)])
        return json.loads(out.read_text())

    def drop(self) -> None:
        if self.pg_database and self.pg_admin_url:
            engine = sa.create_engine(self.pg_admin_url, isolation_level="AUTOCOMMIT")
            with engine.connect() as connection:
                connection.exec_driver_sql(
                    f'DROP DATABASE IF EXISTS "{self.pg_database}" WITH (FORCE)'
                )
            engine.dispose()
