"""Programmatic Alembic: bring a database to this version's schema, or check that it is there.

The migration scripts ship inside the package (``lamin_registry/_alembic`` in a wheel, the
repository's top-level ``alembic/`` in a checkout), so a host application needs no ini file::

    from lamin_registry import migrate

    migrate.upgrade("postgresql+psycopg://user:pw@localhost/db")
    migrate.current(engine)          # "0001_baseline", or None for an empty database
    migrate.check(engine)            # None, or raises SchemaOutOfDate listing the differences

lamin_registry keeps its own version table (``lamin_registry_alembic_version``) and only ever
looks at tables of its own :data:`lamin_registry.models.metadata`, so a host application's
tables and its own Alembic history can live in the same database untouched.

``target`` is a database URL, an :class:`~sqlalchemy.engine.Engine` or a
:class:`~sqlalchemy.engine.Connection`:

* URL or Engine: the work runs in one ``engine.begin()`` block, committed when it succeeds;
  an upgrade is all-or-nothing (transactional DDL on PostgreSQL and SQLite alike).
* Connection: the work runs on that connection, MLflow style. If the caller has a
  transaction open (explicitly, or autobegun by an earlier statement) nothing is committed:
  the caller commits or rolls back. Otherwise one transaction is begun on the connection and
  committed when the migration succeeded. The connection is never closed.

Alembic is imported inside the functions: ``import lamin_registry`` must stay cheap.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine

from .errors import InvalidArgument, LaminRegistryError, SchemaOutOfDate

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

Target: TypeAlias = str | URL | Engine | Connection
"""A database URL (``str`` or :class:`~sqlalchemy.engine.URL`), an Engine or a Connection."""

VERSION_TABLE = "lamin_registry_alembic_version"
"""lamin_registry's own Alembic version table (a host's ``alembic_version`` stays its own)."""

HEAD = "0008_feature_value_indexes"
"""The newest revision shipped (``tests/test_migrations.py`` checks it against the scripts).

It lets :func:`lamin_registry.connect` see that a database is up to date with plain SQL,
without importing Alembic; a new revision must update it.
"""

UPGRADE_HINT = "run `lamin-registry upgrade` (or `alembic upgrade head` from lamin_registry)"

__all__ = [
    "HEAD",
    "NAME_CHECKED_INDEXES",
    "VERSION_TABLE",
    "Target",
    "begin_sqlite_transaction",
    "check",
    "compare_type",
    "current",
    "downgrade",
    "head",
    "include_name",
    "include_object",
    "is_newer",
    "newer_schema_message",
    "render_item",
    "script_location",
    "stored_revision",
    "upgrade",
]


# -- what belongs to lamin_registry ------------------------------------------------------------


def _is_own_table(name: str | None, schema: str | None = None) -> bool:
    """Whether ``name`` is one of lamin_registry's own tables (``lamindb_*`` of its metadata).

    User-defined registries share the metadata but not the history: their tables
    (``myapp_experiment``) belong to the host application's Alembic history, so neither this
    history nor :func:`check` looks at them.
    """
    from .models import metadata

    if name is None or not name.startswith("lamindb_"):
        return False
    key = name if schema is None else f"{schema}.{name}"
    return key in metadata.tables


def include_name(name: str | None, type_: str, parent_names: Mapping[Any, str | None]) -> bool:
    """Alembic ``include_name`` hook: reflect only lamin_registry's tables.

    Filtering before reflection keeps autogenerate and :func:`check` fast in a database that
    a host application shares, and never reports the host's tables as "removed".
    """
    if type_ == "table":
        return _is_own_table(name, parent_names.get("schema_name"))
    return True


def include_object(
    obj: sa.schema.SchemaItem,
    name: str | None,
    type_: str,
    reflected: bool,
    compare_to: sa.schema.SchemaItem | None,
) -> bool:
    """Alembic ``include_object`` hook: compare only tables of lamin_registry's metadata.

    Host tables, the version table and SQLite's internal ``sqlite_*`` tables are ignored;
    columns, indexes and constraints of our own tables are compared, except the expression
    indexes of :data:`NAME_CHECKED_INDEXES` (:func:`check` looks them up by name).
    """
    if type_ == "table":
        schema = obj.schema if isinstance(obj, sa.Table) else None
        return _is_own_table(name, schema)
    return not (type_ == "index" and name in NAME_CHECKED_INDEXES)


NAME_CHECKED_INDEXES = frozenset({"ix_lamindb_recordjson_feature_id_number_record_id"})
"""Expression indexes that Alembic cannot compare: PostgreSQL prints a ``CASE`` back with line
breaks and ``ELSE NULL::numeric``, which never equals the declared text. :func:`check` only
makes sure they exist (as it does for every expression index on SQLite, which cannot
reflect them)."""


def compare_type(
    context: Any,
    inspected_column: Any,
    metadata_column: Any,
    inspected_type: Any,
    metadata_type: Any,
) -> bool | None:
    """Alembic ``compare_type`` hook: JSON columns are ``TEXT`` (with lamindb's
    ``JSON_VALID`` check) on SQLite since ``0006_lamindb_columns``, as in lamindb's own
    databases; the models' ``JSONType`` matches that. Anything else: Alembic's comparison."""
    from .models.types import JSONType

    if (
        context.dialect.name == "sqlite"
        and isinstance(metadata_type, JSONType)
        and isinstance(inspected_type, sa.Text | sa.JSON)
    ):
        return False
    return None


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Alembic ``render_item`` hook: autogenerated scripts that are frozen and portable.

    * lamin_registry's TypeDecorators become plain SQLAlchemy (``UTCDateTime`` is written
      ``sa.DateTime(timezone=True)``, not an import of the live models);
    * ``jsonb`` is written ``postgresql.JSONB(astext_type=sa.Text())`` whatever the dialect
      (Alembic's generic rendering leaves an undefined ``Text()`` when run on SQLite), and
      ``JSONType`` (JSON, jsonb on PostgreSQL) keeps that variant:
      ``sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')``;
    * the server defaults of the mixins stay expressions (``sa.false()``, ``sa.func.now()``)
      instead of one dialect's compiled text (SQLite's ``'0'`` is no boolean on PostgreSQL).

    lamin_registry's own ``env.py`` uses it; a host whose user-defined registries carry
    lamin_registry's columns passes it to its own ``context.configure(render_item=...)``.
    """
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.sql import elements, functions

    from .models.types import JSONType

    if type_ == "type" and isinstance(obj, JSONType):
        # what Alembic wrote for the former JSON().with_variant(JSONB(), "postgresql")
        if autogen_context.imports is not None:
            autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return "sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')"
    if type_ == "type" and isinstance(obj, sa.types.TypeDecorator):
        impl = obj.impl_instance
        if isinstance(impl, sa.DateTime):
            return f"sa.DateTime(timezone={impl.timezone!r})"
        return f"sa.{impl!r}"
    if type_ == "type" and isinstance(obj, postgresql.JSONB):
        if autogen_context.imports is not None:
            autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return "postgresql.JSONB(astext_type=sa.Text())"
    if type_ == "server_default" and isinstance(obj, sa.DefaultClause):
        arg = obj.arg
        if isinstance(arg, elements.False_ | elements.True_):
            return "sa.true()" if isinstance(arg, elements.True_) else "sa.false()"
        if isinstance(arg, functions.now):
            return "sa.func.now()"
    if type_ == "foreign_key" and isinstance(obj, sa.ForeignKeyConstraint) and obj.use_alter:
        table = obj.table
        if not _is_own_table(table.name, table.schema):
            return _render_inline_foreign_key(obj)
    return False


def _render_inline_foreign_key(constraint: sa.ForeignKeyConstraint) -> str:
    """``constraint`` as a plain ``sa.ForeignKeyConstraint(...)`` of ``op.create_table``.

    ``TracksRun.run_id`` is ``use_alter`` (it closes table cycles inside lamin_registry's
    own schema), and PostgreSQL leaves a ``use_alter`` key out of ``CREATE TABLE`` with
    nothing adding it later. A user-defined registry is created after lamin_registry's
    tables, so there is no cycle to break: its key goes inline.
    """
    from sqlalchemy.sql.elements import conv

    name = constraint.name
    opts = [f"name=op.f({str(name)!r})" if isinstance(name, conv) else f"name={name!r}"]
    for option in ("onupdate", "ondelete", "initially", "deferrable", "match"):
        value = getattr(constraint, option)
        if value:
            opts.append(f"{option}={value!r}")
    columns = ", ".join(repr(element.parent.name) for element in constraint.elements)
    targets = ", ".join(repr(element.target_fullname) for element in constraint.elements)
    return f"sa.ForeignKeyConstraint([{columns}], [{targets}], {', '.join(opts)})"


# -- alembic configuration ---------------------------------------------------------------------


def script_location() -> Path:
    """The directory holding ``env.py`` and ``versions/``.

    A wheel ships the top-level ``alembic/`` as ``lamin_registry/_alembic`` (hatch
    force-include); a source checkout has it next to the package.
    """
    package_dir = Path(__file__).resolve().parent
    for candidate in (package_dir / "_alembic", package_dir.parent / "alembic"):
        if (candidate / "env.py").is_file():
            return candidate
    raise LaminRegistryError(
        f"lamin_registry's migration scripts are missing: neither {package_dir / '_alembic'} "
        f"nor {package_dir.parent / 'alembic'} holds an env.py (broken installation?)"
    )


def _config(connection: Connection | None = None) -> Config:
    """An Alembic Config built in code (no ini file, so env.py leaves logging alone)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(script_location()).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _script() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config())


# -- connections ---------------------------------------------------------------------------


def _describe_url(url: URL) -> str:
    return url.render_as_string(hide_password=True)


@contextlib.contextmanager
def _connection(target: Target, *, begin: bool) -> Iterator[Connection]:
    """A connection to ``target``; for a URL or Engine inside ``begin()`` if ``begin``.

    A caller's Connection is neither rolled back nor closed here; it is committed only when
    ``begin`` asks for it, the connection is SQLite's and no transaction is open (otherwise
    ``env.py`` begins and commits itself, or the caller does). On SQLite, foreign keys are
    suspended for the migration: see :func:`_sqlite_foreign_keys_suspended`.
    """
    if isinstance(target, Connection):
        if begin and not target.in_transaction():
            with _sqlite_foreign_keys_suspended(target) as suspended:
                if suspended:
                    with _transaction(target, check_foreign_keys=True):
                        yield target
                    return
        yield target
        return
    if isinstance(target, Engine):
        engine, owned = target, False
    elif isinstance(target, str | URL):
        from .diagnostics import mask_passwords, missing_driver, require_url, shown_url

        require_url(target)
        try:
            engine = sa.create_engine(target, poolclass=sa.pool.NullPool)
        except ImportError as exc:
            raise missing_driver(target, exc) from None
        except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ValueError) as exc:
            message = f"Not a usable database URL: {shown_url(target)!r} ({exc})"
            raise InvalidArgument(mask_passwords(message, target)) from None
        if engine.dialect.name == "sqlite":
            from .diagnostics import translate_sqlite_errors

            translate_sqlite_errors(engine)  # a full disk, a file that is no database
        owned = True
    else:
        raise InvalidArgument(
            "target must be a database URL, a SQLAlchemy Engine or a Connection, "
            f"got {type(target).__name__}"
        )
    try:
        try:
            connection = engine.connect()
        except sa.exc.DBAPIError as exc:
            raise LaminRegistryError(
                f"Cannot connect to the database {_describe_url(engine.url)}: "
                f"{exc.orig if exc.orig is not None else exc}".rstrip()
            ) from exc
        with connection:
            if begin:
                with (
                    _sqlite_foreign_keys_suspended(connection) as suspended,
                    _transaction(connection, check_foreign_keys=suspended),
                ):
                    yield connection
            else:
                yield connection
    finally:
        if owned:
            engine.dispose()


@contextlib.contextmanager
def _transaction(connection: Connection, *, check_foreign_keys: bool) -> Iterator[None]:
    """The migration's transaction: begun, made real on SQLite, and committed only if no row
    was left pointing nowhere (checked when foreign-key enforcement was suspended for it)."""
    with connection.begin():
        begin_sqlite_transaction(connection)
        yield
        if check_foreign_keys:
            _raise_on_dangling_foreign_keys(connection)


@contextlib.contextmanager
def _sqlite_foreign_keys_suspended(connection: Connection) -> Iterator[bool]:
    """Turn SQLite's foreign-key enforcement off for a migration; yields whether it did.

    With enforcement on (as ``lr.connect``'s engines have it), ``DROP TABLE`` deletes the
    rows first and applies ON DELETE actions: a batch (copy-and-move) migration would cascade
    into the child tables and lose their rows, and a downgrade cannot drop tables whose rows
    refer to each other (run <-> artifact). SQLite's own procedure for schema changes is
    enforcement off, change, ``PRAGMA foreign_key_check``, commit, enforcement on; the pragma
    is ignored inside a transaction, so this must run before BEGIN (elsewhere it does nothing).
    """
    if connection.dialect.name != "sqlite" or connection.dialect.driver != "pysqlite":
        yield False
        return
    dbapi_connection = connection.connection.dbapi_connection
    if dbapi_connection is None or getattr(dbapi_connection, "in_transaction", True):
        yield False
        return
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys")
        row = cursor.fetchone()
        if not row or row[0] != 1:
            yield False
            return
        cursor.execute("PRAGMA foreign_keys = OFF")
        try:
            yield True
        finally:
            cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _raise_on_dangling_foreign_keys(connection: Connection) -> None:
    """Refuse to commit a SQLite migration that left rows pointing nowhere: registry rows,
    and a host's rows that refer to registry tables (PostgreSQL refuses those drops too)."""
    dangling = [
        row for row in connection.exec_driver_sql("PRAGMA foreign_key_check").all()
        if str(row[0]).startswith("lamindb_") or str(row[2]).startswith("lamindb_")
    ]
    if dangling:
        shown = ", ".join(
            f"{table} row {rowid} -> {parent}" for table, rowid, parent, _fk in dangling[:5]
        )
        raise LaminRegistryError(
            f"The migration was rolled back: it would leave {len(dangling)} row(s) whose "
            f"foreign keys point nowhere ({shown})"
        )


def begin_sqlite_transaction(connection: Connection) -> None:
    """Open a real transaction on a pysqlite connection that SQLAlchemy believes is in one.

    pysqlite (without the BEGIN-on-begin recipe) opens transactions only before DML, so each
    CREATE/DROP of a migration would commit, and fsync, on its own: slow, and a failure would
    leave half a schema. An explicit BEGIN makes the whole migration one SQLite transaction
    (SQLite's DDL is transactional). Does nothing on other backends or when already inside one.
    """
    if connection.dialect.name != "sqlite" or connection.dialect.driver != "pysqlite":
        return
    dbapi_connection = connection.connection.dbapi_connection
    if not getattr(dbapi_connection, "in_transaction", True):
        connection.exec_driver_sql("BEGIN")


def _run_command(command: Callable[[Config, str], None], target: Target, revision: str) -> None:
    """Run an ``alembic.command`` on ``target``, turning a bad revision into InvalidArgument."""
    from alembic.script.revision import RevisionError
    from alembic.util.exc import CommandError

    if not isinstance(revision, str) or not revision:
        raise InvalidArgument(f"revision must be a non-empty string, got {revision!r}")
    with _connection(target, begin=True) as connection, _keep_host_alembic_context():
        was_in_transaction = connection.in_transaction()
        stored = stored_revision(connection)
        if not was_in_transaction and connection.in_transaction():
            connection.rollback()  # leave the caller's connection as it was handed over
        if is_newer(stored):
            where = _describe_url(connection.engine.url)
            raise SchemaOutOfDate(newer_schema_message(where, str(stored)))
        try:
            command(_config(connection), revision)
        except sa.exc.DBAPIError as exc:
            raise LaminRegistryError(
                f"Migrating {_describe_url(connection.engine.url)} to {revision!r} failed: "
                f"{exc.orig}"
            ) from exc
        except (CommandError, RevisionError) as exc:
            raise InvalidArgument(
                f"Unknown or unreachable revision {revision!r}: {exc}. "
                f"Known revisions: {', '.join(_known_revisions())}; also 'head', 'base', "
                "relative steps like '-1'."
            ) from exc


@contextlib.contextmanager
def _keep_host_alembic_context() -> Iterator[None]:
    """Let a host's ``env.py`` call :func:`upgrade` from inside its own Alembic run.

    Alembic publishes the running environment through module-level proxies
    (``alembic.context``, ``alembic.op``); our nested run installs its own and removes them
    on exit, which would leave the host's ``context.configure`` undefined. The host's
    proxies are put back afterwards.
    """
    from alembic import context, op

    saved = [getattr(module, "_proxy", None) for module in (context, op)]
    try:
        yield
    finally:
        for proxy in saved:
            if proxy is not None:
                proxy._install_proxy()


def _known_revisions() -> list[str]:
    script = _script()
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


# -- public API ------------------------------------------------------------------------------


def upgrade(target: Target, revision: str = "head") -> None:
    """Migrate the database ``target`` up to ``revision`` (default: the newest).

    An empty database gets every lamin_registry table; tables of a host application are left
    alone. Seeding the built-in rows is :func:`lamin_registry.connect`'s job, not this one's.
    Transactions: see the module docstring.

    Raises:
        InvalidArgument: ``revision`` is unknown, or ``target`` is not a URL/Engine/Connection.
        LaminRegistryError: the database cannot be reached or refuses a step.
    """
    from alembic import command

    _run_command(command.upgrade, target, revision)


def downgrade(target: Target, revision: str) -> None:
    """Migrate the database ``target`` down to ``revision`` (``"base"`` drops every table).

    Only lamin_registry's tables are touched. On PostgreSQL a host table holding a foreign
    key to a registry table blocks the drop (the database refuses; drop the host's key first).

    Raises:
        InvalidArgument: ``revision`` is unknown, or ``target`` is not a URL/Engine/Connection.
        LaminRegistryError: the database cannot be reached or refuses a step.
    """
    from alembic import command

    _run_command(command.downgrade, target, revision)


def _current_heads(connection: Connection) -> tuple[str, ...]:
    from alembic.runtime.migration import MigrationContext

    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_heads()


def stored_revision(connection: Connection) -> str | None:
    """The revision in the version table, read with plain SQL (no Alembic); None without one.

    ``None`` also when the table holds several rows (never written by lamin_registry), so
    the caller takes Alembic's path, which reports that properly.
    """
    if not sa.inspect(connection).has_table(VERSION_TABLE):
        return None
    table = sa.table(VERSION_TABLE, sa.column("version_num", sa.String()))
    revisions = connection.execute(sa.select(table.c.version_num)).scalars().all()
    return revisions[0] if len(revisions) == 1 else None


def current(target: Target) -> str | None:
    """The revision id the database ``target`` is at, or None when it has no lamin_registry schema.

    Raises:
        LaminRegistryError: the database cannot be reached.
    """
    with _connection(target, begin=False) as connection:
        heads = _current_heads(connection)
    if len(heads) > 1:  # pragma: no cover - the history is linear
        raise LaminRegistryError(f"The database has several lamin_registry revisions: {heads}")
    return heads[0] if heads else None


def head() -> str:
    """The newest revision id shipped with this version of lamin_registry."""
    from alembic.util.exc import CommandError

    try:
        revision = _script().get_current_head()
    except CommandError as exc:  # pragma: no cover - the history is linear
        raise LaminRegistryError(f"lamin_registry's migration history is broken: {exc}") from exc
    if revision is None:  # pragma: no cover - the baseline always exists
        raise LaminRegistryError("lamin_registry ships no migration scripts")
    return revision


def check(target: Target) -> None:
    """Return None when the database ``target`` matches the models; else raise SchemaOutOfDate.

    First the revision: an empty database or one behind :func:`head` raises with the
    command that fixes it. Then the schema itself: tables, columns, types, indexes, unique
    and foreign-key constraints of lamin_registry's metadata are compared with the database
    (``alembic.autogenerate.compare_metadata``, host tables ignored); any difference is
    listed in the message. Nothing is written.

    Raises:
        SchemaOutOfDate: the database is behind, ahead of this version, or differs.
        LaminRegistryError: the database cannot be reached.
    """
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from .models import metadata

    newest = head()
    with _connection(target, begin=False) as connection:
        where = _describe_url(connection.engine.url)
        context = MigrationContext.configure(
            connection,
            opts={
                "version_table": VERSION_TABLE,
                "compare_type": compare_type,
                "compare_server_default": False,
                "include_name": include_name,
                "include_object": include_object,
                "target_metadata": metadata,
            },
        )
        heads = context.get_current_heads()
        if heads != (newest,):
            raise SchemaOutOfDate(_revision_problem(where, heads, newest))
        with warnings.catch_warnings():
            # SQLite cannot reflect expression indexes; _missing_expression_indexes covers them.
            warnings.filterwarnings("ignore", message=".*expression-based index")
            diffs = compare_metadata(context, metadata)
        from .adopt import is_lamindb_database, structural_differences

        if is_lamindb_database(connection):  # adopted: structure, not names (adopt.py)
            diffs = structural_differences(connection, diffs)
        problems = [_describe_diff(diff) for diff in diffs]
        problems += _missing_expression_indexes(connection, metadata)
    if problems:
        lines = "\n".join(f"  - {problem}" for problem in problems)
        raise SchemaOutOfDate(
            f"The database {where} is at revision {newest!r} but its schema differs from the "
            f"lamin_registry models:\n{lines}\n"
            "Write a migration (`alembic revision --autogenerate`) or fix the database by hand."
        )


def is_newer(revision: str | None) -> bool:
    """Whether ``revision`` (a database's) is one this lamin_registry does not ship: a newer
    release wrote it. Cheap for the shipped ones; loads the scripts only otherwise."""
    if revision is None or revision == HEAD:
        return False
    return revision not in _known_revisions()


def newer_schema_message(where: str, revision: str) -> str:
    """The one message for a database written by a newer lamin_registry (library and CLI)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        installed = f"lamin_registry {version('lamin_registry')}"
    except PackageNotFoundError:  # pragma: no cover - run from a bare checkout
        installed = "this lamin_registry"
    return (
        f"The database {where} is at revision {revision!r}, which is newer than "
        f"{installed} (its newest revision is {HEAD!r}): upgrade the lamin_registry package "
        "(`pip install -U lamin_registry`). The database was not changed."
    )


def _revision_problem(where: str, heads: tuple[str, ...], newest: str) -> str:
    """Why a database at ``heads`` is not at ``newest``, and what to do about it."""
    unknown = [revision for revision in heads if revision not in _known_revisions()]
    if unknown:
        return newer_schema_message(where, ", ".join(unknown))
    at = f"is at revision {heads[0]!r}" if heads else "has no lamin_registry schema yet"
    return (
        f"The database {where} {at}, but this version of lamin_registry needs revision "
        f"{newest!r}: {UPGRADE_HINT}, or call lamin_registry.migrate.upgrade()."
    )


# -- readable differences -------------------------------------------------------------------


def _missing_expression_indexes(connection: Connection, metadata: sa.MetaData) -> list[str]:
    """Expression indexes that autogenerate does not compare, missing from the database.

    SQLite cannot reflect any expression index (``lower(name)``); on PostgreSQL the
    :data:`NAME_CHECKED_INDEXES` are left out of the comparison. Check by name that they exist.
    """
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        sql = "SELECT name FROM sqlite_master WHERE type = 'index'"
    else:
        sql = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
    existing = set(connection.exec_driver_sql(sql).scalars())
    return [
        f"{'unique ' if index.unique else ''}index {index.name} on {table.name} "
        "is missing from the database"
        for table in metadata.sorted_tables
        if _is_own_table(table.name, table.schema)
        for index in sorted(table.indexes, key=lambda index: str(index.name))
        if (
            any(not isinstance(expr, sa.Column) for expr in index.expressions)
            if sqlite
            else index.name in NAME_CHECKED_INDEXES
        )
        and index.name not in existing
    ]


def _table_of(item: Any) -> str:
    table = getattr(item, "table", None)
    if table is None and isinstance(item, sa.ForeignKeyConstraint):
        table = item.parent
    return getattr(table, "name", "?")


def _describe_diff(diff: Any) -> str:
    """One line per ``compare_metadata`` entry (a tuple, or a list of ``modify_*`` tuples)."""
    if isinstance(diff, list):
        return "; ".join(_describe_diff(item) for item in diff)
    op = diff[0]
    where_db = "is missing from the database"
    where_models = "is in the database but not in the models"
    if op in ("add_table", "remove_table"):
        return f"table {diff[1].name} " + (where_db if op == "add_table" else where_models)
    if op in ("add_column", "remove_column"):
        _, _schema, table, column = diff
        where = where_db if op == "add_column" else where_models
        return f"column {table}.{column.name} {where}"
    if op in ("add_index", "remove_index", "add_constraint", "remove_constraint",
              "add_fk", "remove_fk"):
        item = diff[1]
        kind = {"index": "index", "fk": "foreign key"}.get(op.split("_", 1)[1], "constraint")
        if isinstance(item, sa.Index) and item.unique:
            kind = "unique index"
        columns = ", ".join(str(getattr(c, "name", c)) for c in getattr(item, "columns", []))
        where = where_db if op.startswith("add") else where_models
        return f"{kind} {item.name} on {_table_of(item)}({columns}) {where}"
    if op.startswith("modify_"):
        _, _schema, table, column, _info, old, new = diff
        what = op.removeprefix("modify_").replace("_", " ")
        return f"column {table}.{column}: {what} is {old!r} in the database, {new!r} in the models"
    return repr(diff)
