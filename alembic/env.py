"""Alembic environment of lamin_registry.

The database comes from, in this order:

1. ``config.attributes["connection"]``: a Connection handed over in code
   (``lamin_registry.migrate`` does this, MLflow style). It is never closed. Inside a
   transaction of the caller nothing is committed (the caller commits or rolls back);
   otherwise the migrations run in one transaction of their own, committed at the end.
2. ``alembic -x url=URL ...``
3. ``$LAMIN_REGISTRY_URL``
4. ``sqlite:///lamin_registry.db`` (the default of ``lamin_registry.connect()``)

Only tables of ``lamin_registry.models.metadata`` are compared and migrated, and the history
lives in its own version table, so a host application's tables and Alembic history in the
same database are left alone.
"""

from __future__ import annotations

import os
from logging.config import fileConfig
from typing import Any

import sqlalchemy as sa
from alembic import context
from alembic.operations import ops

import lamin_registry.models
from lamin_registry.migrate import (
    VERSION_TABLE,
    begin_sqlite_transaction,
    compare_type,
    include_name,
    include_object,
    render_item,
)

DEFAULT_URL = "sqlite:///lamin_registry.db"

config = context.config
target_metadata = lamin_registry.models.metadata

# Configure logging only when run from an ini file that has logging sections (the `alembic`
# command line with lamin_registry's ini); called from code (no ini file), or with a minimal
# ini holding only [alembic], the logging stays as it is.
if config.config_file_name is not None and config.file_config.has_section("formatters"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def database_url() -> str:
    """The URL of the command line (``-x url=``), else ``$LAMIN_REGISTRY_URL``, else the default."""
    url = context.get_x_argument(as_dictionary=True).get("url")
    return url or os.environ.get("LAMIN_REGISTRY_URL") or DEFAULT_URL


def process_revision_directives(
    migration_context: Any, revision: Any, directives: list[ops.MigrationScript]
) -> None:
    """``alembic revision --autogenerate`` writes no file when nothing changed."""
    cmd_opts = getattr(config, "cmd_opts", None)
    if getattr(cmd_opts, "autogenerate", False) and directives:
        script = directives[0]
        if script.upgrade_ops is not None and script.upgrade_ops.is_empty():
            directives[:] = []
            print("No changes in lamin_registry's schema; no revision written.")


def configure_options(dialect_name: str) -> dict[str, Any]:
    """The ``context.configure`` options shared by offline and online runs."""
    return {
        "target_metadata": target_metadata,
        "version_table": VERSION_TABLE,
        "include_name": include_name,
        "include_object": include_object,
        "compare_type": compare_type,
        # Reflected defaults differ by backend (`now()` vs `CURRENT_TIMESTAMP`, `1` vs `'1'`);
        # comparing them reports noise, not drift.
        "compare_server_default": False,
        # SQLite cannot ALTER most things: later migrations recreate tables in batch mode.
        "render_as_batch": dialect_name == "sqlite",
        "render_item": render_item,
        "process_revision_directives": process_revision_directives,
    }


def run_migrations_offline() -> None:
    """``--sql`` mode: emit the SQL for the URL's dialect; no server is contacted.

    The script is one transaction on every dialect (``BEGIN;`` ... ``COMMIT;``): SQLite's DDL
    is transactional too, so a script that fails half-way leaves no half a schema behind.
    """
    url = database_url()
    context.configure(
        url=url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        transactional_ddl=True,
        **configure_options(sa.make_url(url).get_backend_name()),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_on(connection: sa.Connection) -> None:
    """Run the migrations on ``connection``.

    ``begin_transaction`` opens (and commits) a transaction only when the connection is not
    already in one; inside a caller's transaction it does nothing and the caller commits.
    """
    context.configure(connection=connection, **configure_options(connection.dialect.name))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run against a live database: the caller's connection, else a new engine."""
    connection = config.attributes.get("connection")
    if connection is not None:
        if connection.in_transaction():
            run_on(connection)  # the caller's transaction: the caller commits
        else:
            with connection.begin():  # our own, committed when every step succeeded
                begin_sqlite_transaction(connection)
                run_on(connection)
        return
    engine = sa.create_engine(database_url(), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection, connection.begin():
            begin_sqlite_transaction(connection)  # one atomic transaction on SQLite too
            run_on(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
