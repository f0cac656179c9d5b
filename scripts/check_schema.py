"""CI step: a database upgraded by the migration history matches the models (no drift).

    python scripts/check_schema.py [POSTGRES_ADMIN_URL]

Upgrades a new SQLite file, and a new PostgreSQL database created through the admin URL when
one is given, to head with ``lr.migrate.upgrade`` and runs ``lr.migrate.check`` on each: it
raises ``SchemaOutOfDate`` listing every difference, and this script exits 1 with that list.
"""

from __future__ import annotations

import sys
import tempfile
import uuid
from pathlib import Path

import sqlalchemy as sa

import lamin_registry as lr
from lamin_registry.errors import SchemaOutOfDate


def check(url: str, label: str) -> bool:
    lr.migrate.upgrade(url)
    try:
        lr.migrate.check(url)
    except SchemaOutOfDate as error:
        print(f"{label}: DRIFT\n{error}")
        return False
    print(f"{label}: at {lr.migrate.current(url)}, matches the models")
    return True


def main(argv: list[str]) -> int:
    ok = True
    with tempfile.TemporaryDirectory() as directory:
        ok &= check(f"sqlite:///{Path(directory) / 'check.db'}", "sqlite")
    if argv:
        admin = sa.make_url(argv[0])
        name = f"lr_check_{uuid.uuid4().hex[:8]}"
        engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            url = admin.set(database=name).render_as_string(hide_password=False)
            ok &= check(url, "postgresql")
        finally:
            with engine.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            engine.dispose()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
