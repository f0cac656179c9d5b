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
from typing import TYPE_CHECKING, Any, TypeAlias

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

UPGRADE_HINT = "run `lamin-registry upgrade` (or `alembic upgrade head` from lamin_registry)"

__all__ = [
    "VERSION_TABLE",
    "Target",
    "begin_sqlite_transaction",
    "check",
    "current",
    "downgrade",
    "head",
    "include_name",
    "include_object",
    "script_location",
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
    columns, indexes and constraints of our own tables are always compared.
    """
    if type_ == "table":
        schema = obj.schema if isinstance(obj, sa.Table) else None
        return _is_own_table(name, schema)
    return True


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

    A caller's Connection is yielded as is: neither committed, rolled back nor closed here.
    """
    if isinstance(target, Connection):
        yield target
        return
    if isinstance(target, Engine):
        engine, owned = target, False
    elif isinstance(target, str | URL):
        try:
            engine = sa.create_engine(target, poolclass=sa.pool.NullPool)
        except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ValueError) as exc:
            raise InvalidArgument(f"Not a usable database URL: {target!r} ({exc})") from exc
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
                with connection.begin():
                    begin_sqlite_transaction(connection)
                    yield connection
            else:
                yield connection
    finally:
        if owned:
            engine.dispose()


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
    with _connection(target, begin=True) as connection:
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
                "compare_type": True,
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
        problems = [_describe_diff(diff) for diff in diffs]
        problems += _missing_expression_indexes(connection, metadata)
    if problems:
        lines = "\n".join(f"  - {problem}" for problem in problems)
        raise SchemaOutOfDate(
            f"The database {where} is at revision {newest!r} but its schema differs from the "
            f"lamin_registry models:\n{lines}\n"
            "Write a migration (`alembic revision --autogenerate`) or fix the database by hand."
        )


def _revision_problem(where: str, heads: tuple[str, ...], newest: str) -> str:
    """Why a database at ``heads`` is not at ``newest``, and what to do about it."""
    unknown = [revision for revision in heads if revision not in _known_revisions()]
    if unknown:
        return (
            f"The database {where} is at revision {', '.join(map(repr, unknown))}, which this "
            f"version of lamin_registry does not know (its newest is {newest!r}): upgrade the "
            "lamin_registry package."
        )
    at = f"is at revision {heads[0]!r}" if heads else "has no lamin_registry schema yet"
    return (
        f"The database {where} {at}, but this version of lamin_registry needs revision "
        f"{newest!r}: {UPGRADE_HINT}, or call lamin_registry.migrate.upgrade()."
    )


# -- readable differences -------------------------------------------------------------------


def _missing_expression_indexes(connection: Connection, metadata: sa.MetaData) -> list[str]:
    """Expression indexes (``lower(name)``) missing on SQLite, which cannot reflect them.

    Autogenerate skips them there, so at least check by name that they exist.
    """
    if connection.dialect.name != "sqlite":
        return []
    existing = set(
        connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'").scalars()
    )
    return [
        f"{'unique ' if index.unique else ''}index {index.name} on {table.name} "
        "is missing from the database"
        for table in metadata.sorted_tables
        if _is_own_table(table.name, table.schema)
        for index in sorted(table.indexes, key=lambda index: str(index.name))
        if any(not isinstance(expr, sa.Column) for expr in index.expressions)
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
