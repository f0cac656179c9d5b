"""``lr.connect()`` and ``Instance``: the engine, the schema check, seeding, sessions."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from . import concurrency
from .dberrors import translated
from .diagnostics import (
    mask_passwords,
    missing_driver,
    require_existing_sqlite_file,
    require_url,
    shown_url,
    translate_sqlite_errors,
)
from .errors import DatabaseLocked, InvalidArgument, LaminRegistryError, SchemaOutOfDate
from .models.base import metadata
from .models.core import Branch, Space, User
from .repository import Repository
from .runs import ErroredRun, write_errored_runs

logger = logging.getLogger("lamin_registry")

DEFAULT_URL = "sqlite:///lamin_registry.db"
URL_ENV = "LAMIN_REGISTRY_URL"
USER_ENV = "LAMIN_REGISTRY_USER"

BUILTIN_BRANCHES = [
    (-1, "tttttttttttt", "trash", "The trash."),
    (0, "aaaaaaaaaaaa", "archive", "The archive."),
    (1, "mmmmmmmmmmmm", "main", "The main & default branch of the instance."),
    (2, "llllllllllll", "locked", "Locked records: visible, editable by space admins only."),
    (3, "pppppppppppp", "template", "Templates: hidden from queries and search."),
]

# Columns whose single-column index matches a large share of the rows. SQLite has no
# statistics until ANALYZE runs, and without them it may prefer ``branch_id = 1`` over
# ``name = ?``; a sqlite_stat1 row per such index tells it how unselective they are.
LOW_SELECTIVITY = frozenset(
    {
        "branch_id",
        "created_on_id",
        "space_id",
        "created_by_id",
        "run_id",
        "is_type",
        "is_latest",
        "_status_code",
        "kind",
        "storage_id",
        "feature_id",
        "transform_id",
        "minimal_set",
        "ordered_set",
        "maximal_set",
        "array_rank",
        "array_size",
        "type_id",
    }
)


SQLITE_BUSY_TIMEOUT = 30.0
"""Seconds a SQLite statement waits for another connection's write lock (``busy_timeout``)."""


def configure_sqlite_engine(
    engine: sa.Engine,
    *,
    read_only: bool = False,
    busy_timeout: float = SQLITE_BUSY_TIMEOUT,
    wal: bool = True,
) -> None:
    """Foreign keys on, WAL, a busy timeout, and working SAVEPOINTs for a SQLite engine.

    pysqlite's own transaction handling breaks SAVEPOINT (and so atomic bulk saves); the
    documented SQLAlchemy recipe hands BEGIN to SQLAlchemy. Sessions of ``Instance.session()``
    begin deferred (reads take no lock) and take the write lock at their first write entry
    point; every other transaction (migrations, seeding, a host's sessions) starts with
    ``BEGIN IMMEDIATE``. See :mod:`lamin_registry.concurrency` and ``docs/concurrency.md``.

    ``read_only=True`` (``using()``): ``query_only``, a plain ``BEGIN`` that takes no write
    lock, and no journal-mode switch (that would be a write). ``wal=False``
    (``connect(migrate=False)``): the database's journal mode is left as it is.

    A lock still held when ``busy_timeout`` runs out raises :class:`DatabaseLocked`, which
    says what holds such locks, instead of the driver's bare "database is locked".
    """
    timeout_ms = int(busy_timeout * 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={timeout_ms}")
        if read_only:
            cursor.execute("PRAGMA query_only=ON")
        else:
            if wal:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql(concurrency.begin_statement(connection, read_only))

    concurrency.install(engine)  # before the handler below: write conflicts come first

    @event.listens_for(engine, "reset")
    def _on_reset(dbapi_connection: Any, connection_record: Any, reset_state: Any) -> None:
        # A COMMIT that SQLite refused (a deferred foreign key, as lamindb declares them)
        # leaves its transaction open while SQLAlchemy counts it as ended and skips the
        # pool's rollback: the next BEGIN would fail. End it before the pool reuses it.
        if getattr(dbapi_connection, "in_transaction", False):
            dbapi_connection.rollback()

    @event.listens_for(engine, "handle_error")
    def _on_error(context: sa.engine.ExceptionContext) -> None:
        message = str(context.original_exception)
        if "database is locked" in message or "database is busy" in message:
            raise DatabaseLocked(
                f"The SQLite database {engine.url.database!r} is locked: another session or "
                f"process held its write lock for more than {busy_timeout:g} s. A "
                "lamin_registry session holds that lock from its first write until it "
                "ends, so close the other session (a `with inst.session()` block that wrote, "
                "open in this thread, counts too) or try again later."
            ) from context.sqlalchemy_exception


def configure_postgresql_engine(engine: sa.Engine) -> None:
    """Send statements unprepared (psycopg ``prepare_threshold = None``); sessions in UTC.

    Django's psycopg 3 backend (lamindb's) binds parameters client-side by default and so never
    prepares either.

    psycopg prepares a statement on the server from its fifth execution on, and after five
    more PostgreSQL may switch to a *generic* plan, made without the parameter values. For a
    filter that is a trap: ``age > 89`` (1% of the rows) and ``age > 0`` (all of them) are
    the same statement, and the generic plan picked for one serves the other. Measured: the
    count + first page of a 1% feature filter went from 35 ms to 470 ms at the eleventh
    repetition (bench/features.py). An unprepared statement is planned for its values every
    time. (``plan_cache_mode = force_custom_plan`` would do that too, but it applies to every
    statement of the session, those inside functions and triggers included, and made
    annotating 20,000 records 4x slower.) psycopg2 never prepares; asyncpg prepares every
    statement and is left as it is.

    The one exception: ``get``'s look-ups by primary key, unique column or indexed name are
    sent prepared (:mod:`lamin_registry.pg_prepare`), one plan fitting every value there.

    Each new connection's session ``TimeZone`` is set to UTC (:func:`_use_utc`), as Django
    does for lamindb.
    """
    from . import pg_prepare

    pg_prepare.install(engine)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        driver = getattr(dbapi_connection, "driver_connection", None) or dbapi_connection
        if hasattr(driver, "prepare_threshold"):  # psycopg 3, sync or async
            driver.prepare_threshold = None
        _use_utc(dbapi_connection, driver)


def _use_utc(dbapi_connection: Any, driver: Any) -> None:
    """``SET TIME ZONE 'UTC'`` on a new connection whose session zone is another one.

    Timestamps are read back in UTC whatever the session zone (``UTCDateTime``); in another
    zone, even ``Etc/UTC``, psycopg hands them over in that zone and each one is converted,
    which was a third of ``lookup()``'s time for 10,000 records (two timestamps a row). In UTC
    they arrive in ``datetime.UTC`` and converting is returning them. Django sets the same
    zone on lamindb's connections. A zone named in the URL's ``options`` is overridden for
    the library's engines only; the values read are the same either way.
    """
    info = getattr(driver, "info", None)  # psycopg 3: the server's reported parameters
    if info is None or info.parameter_status("TimeZone") == "UTC":
        return
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SET TIME ZONE 'UTC'")
    finally:
        cursor.close()
    dbapi_connection.commit()


def create_engine(
    url: str | sa.URL,
    *,
    busy_timeout: float = SQLITE_BUSY_TIMEOUT,
    wal: bool = True,
    **kwargs: Any,
) -> sa.Engine:
    """An engine configured for lamin_registry (SQLite pragmas; PostgreSQL: no prepares).

    Messages never show the password; a missing driver names the extra that installs it; a
    plain path (``"registry.db"``) is refused with the ``sqlite:///`` URL to write instead.
    """
    require_url(url)
    try:
        backend = sa.make_url(url).get_backend_name()
    except sa.exc.ArgumentError as error:
        message = mask_passwords(f"Cannot use database URL {shown_url(url)!r}: {error}", url)
        raise InvalidArgument(message) from None
    if backend not in ("sqlite", "postgresql"):
        raise InvalidArgument(f"lamin_registry supports SQLite and PostgreSQL, not {backend}")
    try:
        engine = sa.create_engine(url, **kwargs)
    except ImportError as error:
        raise missing_driver(url, error) from None
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, TypeError) as error:
        message = mask_passwords(f"Cannot use database URL {shown_url(url)!r}: {error}", url)
        raise InvalidArgument(message) from None
    if backend == "sqlite":
        configure_sqlite_engine(engine, busy_timeout=busy_timeout, wal=wal)
        translate_sqlite_errors(engine)
    else:
        configure_postgresql_engine(engine)
        concurrency.install(engine)  # deadlocks and serialization failures: ConcurrentWrite
    return engine


def is_seeded(connection: sa.Connection) -> bool:
    """Whether every built-in row (user 1, space 1, branches -1..3) exists: one query."""
    user, space, branch = (model.__table__.c.id for model in (User, Space, Branch))
    present = sa.select(
        sa.select(sa.func.count()).where(user == 1).scalar_subquery()
        + sa.select(sa.func.count()).where(space == 1).scalar_subquery()
        + sa.select(sa.func.count())
        .where(branch.in_([row[0] for row in BUILTIN_BRANCHES]))
        .scalar_subquery()
    )
    return bool(connection.execute(present).scalar_one() == 2 + len(BUILTIN_BRANCHES))


def seed(connection: sa.Connection, user: str) -> None:
    """Insert the built-in rows if missing: space 1, the first user, branches -1..3."""
    with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
        if connection.dialect.name == "postgresql":  # the policies of 0004: user 1 seeds
            session.execute(sa.text("SELECT set_config('lamin_registry.user_id', '1', true)"))
        if session.get(User, 1) is None:
            session.add(User(id=1, handle=user))
        if session.get(Space, 1) is None:
            session.add(
                Space(
                    id=1,
                    uid="aaaaaaaaaaaa",
                    name="all",
                    description="Every team & user with access to the instance has access.",
                )
            )
        session.flush()
        for branch_id, uid, name, description in BUILTIN_BRANCHES:
            if session.get(Branch, branch_id) is None:
                session.add(
                    Branch(
                        id=branch_id, uid=uid, name=name, description=description, created_by_id=1
                    )
                )
        session.flush()
        if connection.dialect.name == "postgresql":
            for table in ("lamindb_branch", "lamindb_space", "lamindb_user"):
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"GREATEST((SELECT max(id) FROM {table}), 1))"
                )
        session.commit()


def seed_sqlite_statistics(connection: sa.Connection) -> None:
    """Tell SQLite's planner that branch/space/flag indexes are unselective (see above)."""
    connection.exec_driver_sql("ANALYZE sqlite_schema")  # creates sqlite_stat1 if missing
    existing = {
        (tbl, idx)
        for tbl, idx in connection.exec_driver_sql("SELECT tbl, idx FROM sqlite_stat1").all()
    }
    rows = []
    for table in metadata.sorted_tables:
        for index in table.indexes:
            names = [col.name for col in index.columns]
            unselective = len(names) == 1 and names[0] in LOW_SELECTIVITY and not index.unique
            if unselective and (table.name, index.name) not in existing:
                rows.append((table.name, index.name, "1000000 250000"))
    if rows:
        connection.exec_driver_sql(
            "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)",
            rows,
        )
        connection.exec_driver_sql("ANALYZE sqlite_schema")


class Instance:
    """A connected lamin_registry database: ``inst.session()`` opens a repository on it."""

    rls_identity = "setting"  # "role": every session acts as the login role (lamin_registry.rls)

    def __init__(self, engine: sa.Engine, user: str) -> None:
        self.engine = engine
        self.user = user
        # SQLite: sessions begin deferred and lock at their first write (concurrency.py)
        sessions_engine = engine.execution_options(**{concurrency.DEFERRED_OPTION: True})
        self._sessions = sessionmaker(bind=sessions_engine, expire_on_commit=False)
        self._using: dict[str, Any] = {}  # URL -> read-only Instance (lamin_registry.using)

    @property
    def url(self) -> sa.URL:
        """The database URL (password hidden in ``str()``)."""
        return self.engine.url

    def __repr__(self) -> str:
        url = self.engine.url.render_as_string(hide_password=True)
        return f"Instance({url!r}, user={self.user!r})"

    @contextmanager
    def session(self, user: str | None = None) -> Iterator[Repository]:
        """A repository over a new session: commits on success, rolls back on an exception.

        Inside the block it is also the active repository for record-level sugar. Runs of
        ``repo.track()`` blocks that raised are written again after a rollback (``runs.py``).
        """
        handle = user or self.user
        if handle != self.user and self.rls_identity == "role":
            raise InvalidArgument(
                f"This instance acts as its login role {self.user!r} (rls_identity='role'); "
                f"connect as {handle!r} with that role's own credentials instead."
            )
        errored: list[ErroredRun] = []
        try:
            with self._sessions() as session:
                session.info["lamin_registry.instance"] = self  # repo.using() shares engines
                repo = Repository(session, user=handle)
                with repo:
                    try:
                        yield repo
                    except BaseException:
                        session.rollback()
                        errored = repo.errored_runs
                        raise
                    with translated("commit failed"):
                        session.commit()
        finally:
            if errored:  # after the session closed: its connection holds no lock any more
                self._keep_errored_runs(handle, errored)

    def _keep_errored_runs(self, handle: str, errored: list[ErroredRun]) -> None:
        """Write the runs that errored in a rolled-back session again (see ``runs.py``).

        Never masks the exception that caused the rollback: a failure here is logged.
        """
        try:
            with self._sessions() as session:
                keeper = Repository(session, user=handle)
                write_errored_runs(keeper, errored)
                session.commit()
        except Exception as error:  # the block's own exception is the one to see
            logger.warning("could not keep %d errored run(s): %s", len(errored), error)

    def using(self, url_or_name: str | sa.URL) -> Instance:
        """Another instance, opened for reading: ``with inst.using("prod").session() as r:``.

        ``url_or_name`` is a URL or a named instance (``lamin_registry.config``). The other
        database is never migrated or seeded (an outdated one raises ``SchemaOutOfDate``);
        its sessions are read-only repositories acting as the same user handle. The engine
        is cached per URL and disposed of by ``close()``. See ``docs/instances.md``.
        """
        from .using import instance_using

        return instance_using(self, url_or_name)

    def close(self) -> None:
        """Dispose of the engine's connections, and of the instances ``using()`` opened."""
        while self._using:
            _, other = self._using.popitem()
            other.close()
        self.engine.dispose()

    def __enter__(self) -> Instance:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def prepare(connection: sa.Connection, handle: str, migrate: bool) -> None:
    """What connecting does to the database: upgrade the schema (or, with ``migrate=False``,
    raise ``SchemaOutOfDate`` when it is behind), seed the built-in rows, and on SQLite the
    planner statistics. Shared by :func:`connect` and ``connect_async`` (through
    ``run_sync``)."""
    from . import migrate as migrations

    # An up-to-date database (every connect but the first): three small queries, no Alembic.
    current = migrations.stored_revision(connection)
    connection.rollback()
    if current is None and _adopt_lamindb(connection, migrate):
        current = migrations.HEAD
    if current != migrations.HEAD:
        if migrations.is_newer(current):  # written by a newer lamin_registry
            where = shown_url(connection.engine.url)
            raise SchemaOutOfDate(migrations.newer_schema_message(where, str(current)))
        if migrate:
            migrations.upgrade(connection)
            connection.commit()
        else:
            current, head = migrations.current(connection), migrations.head()
            if current != head:
                raise SchemaOutOfDate(
                    f"The database schema is at revision {current!r}, this version of "
                    f"lamin_registry needs {head!r}. Run `lamin-registry upgrade` "
                    "(or lr.migrate.upgrade(url), or connect with migrate=True)."
                )
    from .adopt import is_lamindb_database

    lamindb = is_lamindb_database(connection)  # lamindb seeded its built-in rows: add none
    seeded = lamindb or is_seeded(connection)
    connection.rollback()  # seed() commits its own transaction
    if not seeded:
        seed(connection, handle)
    if connection.dialect.name == "sqlite" and migrate:  # migrate=False writes no statistics
        seed_sqlite_statistics(connection)
        connection.commit()


def _adopt_lamindb(connection: sa.Connection, migrate: bool) -> bool:
    """A database without lamin_registry's version table that lamindb created: adopt it
    (``migrate=True``) or say how (``migrate=False``, nothing written). False otherwise."""
    from . import adopt

    names = adopt.lamindb_migrations(connection)
    connection.rollback()
    if names is None:
        return False
    where = shown_url(connection.engine.url)
    adopt.require_supported(connection, where)
    connection.rollback()
    if not migrate:
        raise SchemaOutOfDate(
            f"The database {where} was created by lamindb and is not adopted yet; "
            "lr.connect(url) adopts it (additively), or `lamin-registry adopt URL "
            "[--dry-run]`. connect(migrate=False) changed nothing."
        )
    with connection.begin():
        adopt.apply(connection)
    logger.info("adopted the lamindb database %s", where)
    return True


def connect(
    url: str | sa.URL | None = None,
    *,
    user: str | None = None,
    migrate: bool = True,
    busy_timeout: float = SQLITE_BUSY_TIMEOUT,
    rls_identity: str = "setting",
    **engine_kwargs: Any,
) -> Instance:
    """Connect to a lamin_registry database, creating or upgrading its schema.

    ``url`` defaults to ``$LAMIN_REGISTRY_URL``, else ``sqlite:///lamin_registry.db``. With
    ``migrate=False`` an outdated schema raises ``SchemaOutOfDate`` instead of upgrading, a
    missing SQLite file raises ``SchemaOutOfDate`` instead of being created, and the journal
    mode is left as it is. A database written by a newer lamin_registry raises
    ``SchemaOutOfDate`` saying to upgrade the package. ``url`` must be a URL: a plain path is
    refused with the ``sqlite:///`` URL to use. ``busy_timeout`` (SQLite): seconds to wait
    for another writer before raising ``DatabaseLocked``. ``rls_identity="role"``
    (PostgreSQL): the row-level security policies identify the user by the login role, not
    by the setting the library sends; ``user`` is then the login role (``lamin_registry.rls``).
    """
    url = url or os.environ.get(URL_ENV) or DEFAULT_URL
    handle = user or os.environ.get(USER_ENV) or "anonymous"
    if not migrate:
        require_existing_sqlite_file(url, "lr.connect(..., migrate=False) never creates one")
    engine = create_engine(url, busy_timeout=busy_timeout, wal=migrate, **engine_kwargs)
    try:
        with engine.connect() as connection:
            from . import rls

            handle = rls.connect_handle(connection, rls_identity, user) or handle
            prepare(connection, handle, migrate)
            rls.connect_identity(connection, rls_identity)
    except LaminRegistryError:
        engine.dispose()
        raise
    except sa.exc.OperationalError as error:
        engine.dispose()
        message = f"Cannot connect to {shown_url(url)}: {error.orig}"
        raise InvalidArgument(mask_passwords(message, url)) from None
    engine.dispose()  # new connections load the planner statistics
    instance = Instance(engine, handle)
    instance.rls_identity = rls_identity
    return instance
