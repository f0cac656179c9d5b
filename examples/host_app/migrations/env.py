"""Alembic environment of host_app: its own history in a database it shares with lamin_registry.

Three rules make the two histories independent:

1. **Version tables.** host_app keeps Alembic's default ``alembic_version``; lamin_registry
   keeps ``lamin_registry_alembic_version``. Neither history ever reads the other's.
2. **Which tables are whose** (``host_app/schema.py``). ``include_name`` / ``include_object``
   admit only tables named ``host_app_*``: those of the host's own MetaData *and* its
   user-defined registries, which live in ``lr.metadata`` next to lamin_registry's
   ``lamindb_*`` tables. ``target_metadata`` lists both MetaData objects so that
   autogenerate sees both kinds of host tables.
3. **Order.** host_app's tables point to registry tables, so before its own migrations run,
   ``lr.migrate.upgrade(connection)`` brings lamin_registry to its head *on the same
   connection, in the same transaction*: either both histories move, or neither does.

The database comes from ``config.attributes["connection"]`` (a Connection handed over in
code; never closed, and committed only if no transaction was open), else ``-x url=URL``,
else ``$HOST_APP_URL``, else ``sqlite:///host_app.db``.
"""

from __future__ import annotations

import os
from logging.config import fileConfig

import sqlalchemy as sa
from alembic import context
from host_app.schema import configure_options

import lamin_registry as lr

config = context.config

if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def database_url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url")
    return url or os.environ.get("HOST_APP_URL") or "sqlite:///host_app.db"


def run_on(connection: sa.Connection) -> None:
    """lamin_registry first, then host_app, both inside the connection's transaction."""
    lr.migrate.upgrade(connection)
    context.configure(connection=connection, **configure_options(connection))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        if connection.in_transaction():
            run_on(connection)  # the caller's transaction: the caller commits
        else:
            with connection.begin():
                lr.migrate.begin_sqlite_transaction(connection)
                run_on(connection)
        return
    engine = sa.create_engine(database_url(), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection, connection.begin():
            # one atomic transaction on SQLite too: a failed step leaves neither history moved
            lr.migrate.begin_sqlite_transaction(connection)
            run_on(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("host_app's migrations need a live database (no --sql mode).")
run_migrations_online()
