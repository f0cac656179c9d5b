"""Adopting a database that lamindb created: in place, additively, lamindb keeps working.

A lamindb database is recognised by lamindb's rows in Django's ``django_migrations`` table.
Adoption adds only what lamin_registry needs and lamindb ignores:

* lamin_registry's version table (``lamin_registry_alembic_version``) stamped at head;
* the tables lamindb does not have (``lamindb_team``, ``lamindb_teamuser``,
  ``lamindb_spaceaccess``), created as migration ``0002_access`` creates them;
* the search indexes of ``0003_search_indexes`` (PostgreSQL: ``pg_trgm`` GIN indexes;
  SQLite: FTS5 tables kept in sync by triggers), the models' plain query indexes that
  lamindb lacks (``(space_id, branch_id)`` of ``0005``, ...) and the index on the numbers of
  Record feature values (``0008``, :mod:`lamin_registry.models.value_index`).

It never alters, renames or drops a lamindb table, column, constraint or row, seeds no row
lamindb does not know, and switches on no row-level security (``enable_rls`` is the explicit
opt-in). Supported lamindb migration levels: :data:`SUPPORTED_LEVELS`; any other level is
refused with :class:`~lamin_registry.errors.SchemaOutOfDate` before anything is written.
See ``docs/adopting-lamindb.md``.
"""

from __future__ import annotations

import re
import warnings
import weakref
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa

from .errors import SchemaOutOfDate

if TYPE_CHECKING:
    from .migrate import Target

DJANGO_MIGRATIONS = "django_migrations"

SUPPORTED_LEVELS: dict[str, str] = {
    "0193_squashed": "lamindb 2.12.x (measured with 2.12.1)",
    "0193_v2_9_part_2": "lamindb 2.12.x (measured with 2.12.1)",
}
"""lamindb's newest applied migration (app ``lamindb``) -> the lamindb releases it stands for."""

LAMINDB_OPTIONAL_COLUMNS: frozenset[tuple[str, str]] = frozenset({("lamindb_user", "email")})
"""Columns of lamin_registry's models that a lamindb database lacks (and keeps lacking)."""

OWN_TABLES = ("lamindb_team", "lamindb_teamuser", "lamindb_spaceaccess")
"""Tables of lamin_registry's models that lamindb does not have: adoption creates them."""

_NUMBER = re.compile(r"^(\d+)_")
_F = TypeVar("_F", bound=Callable[..., Any])


def _quiet(function: _F) -> _F:
    """Reflection here meets expression indexes (``lower(name)``) SQLite cannot reflect."""

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*expression-based index")
            return function(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
_KNOWN: weakref.WeakKeyDictionary[sa.Engine, bool] = weakref.WeakKeyDictionary()


def lamindb_migrations(connection: sa.Connection) -> list[str] | None:
    """lamindb's applied migration names, oldest first; None when there is no lamindb."""
    if not sa.inspect(connection).has_table(DJANGO_MIGRATIONS):
        return None
    rows = connection.execute(
        sa.text(f"SELECT name FROM {DJANGO_MIGRATIONS} WHERE app = 'lamindb' ORDER BY id")
    ).scalars().all()
    return [str(name) for name in rows] or None


def lamindb_level(names: list[str]) -> list[str]:
    """The newest migrations among ``names`` (all of the highest number: a squash and the
    migration it replaces carry the same number)."""
    numbered = [(int(m.group(1)), name) for name in names if (m := _NUMBER.match(name))]
    if not numbered:
        return sorted(names)
    top = max(number for number, _ in numbered)
    return sorted(name for number, name in numbered if number == top)


def is_lamindb_database(bind: sa.Connection | sa.Engine) -> bool:
    """Whether ``bind``'s database was created by lamindb (cached per engine)."""
    engine = bind.engine if isinstance(bind, sa.Connection) else bind
    known = _KNOWN.get(engine)
    if known is None:
        if isinstance(bind, sa.Connection):
            known = sa.inspect(bind).has_table(DJANGO_MIGRATIONS)
        else:
            with bind.connect() as connection:
                known = sa.inspect(connection).has_table(DJANGO_MIGRATIONS)
        _KNOWN[engine] = known
    return known


def require_supported(connection: sa.Connection, where: str) -> list[str]:
    """The lamindb level of the database; SchemaOutOfDate when it is not one we support."""
    names = lamindb_migrations(connection)
    if names is None:
        raise SchemaOutOfDate(f"The database {where} was not created by lamindb")
    level = lamindb_level(names)
    unknown = [name for name in level if name not in SUPPORTED_LEVELS]
    if unknown:
        supported = ", ".join(sorted(set(SUPPORTED_LEVELS.values())))
        raise SchemaOutOfDate(
            f"The lamindb database {where} is at lamindb migration {', '.join(unknown)!s}, "
            f"which this lamin_registry does not know (it adopts {supported}: migrations "
            f"{', '.join(sorted(SUPPORTED_LEVELS))}). Nothing was changed. Use the lamindb "
            "release it supports, or a lamin_registry that supports this level."
        )
    return level


@_quiet
def plan(connection: sa.Connection) -> list[str]:
    """What adopting the database would add, one line per item (nothing is written)."""
    from . import migrate

    inspector = sa.inspect(connection)
    steps: list[str] = []
    if not inspector.has_table(migrate.VERSION_TABLE):
        steps.append(f"create table {migrate.VERSION_TABLE} stamped at {migrate.HEAD}")
    steps += [
        f"create table {name} (lamin_registry's teams and space grants)"
        for name in OWN_TABLES
        if not inspector.has_table(name)
    ]
    search = _revision_module("0003_search_indexes")
    indexes = {
        index["name"]
        for table in search.SEARCH_COLUMNS
        for index in inspector.get_indexes(table)
    }
    for table, columns in search.SEARCH_COLUMNS.items():
        for column in columns:
            name = f"ix_{table}_{column}_trgm"
            if name not in indexes:
                kind = "GIN trigram index" if connection.dialect.name == "postgresql" else (
                    "index placeholder + FTS5 search table and triggers"
                )
                steps.append(f"create {kind} {name} on {table}({column})")
    for index in missing_plain_indexes(connection):
        columns = ", ".join(column.name for column in index.columns)
        steps.append(f"create index {index.name} on {index.table.name}({columns})")  # type: ignore[union-attr]
    if _lacks_number_index(connection):
        from .models.value_index import NUMBER_INDEX_NAME

        steps.append(
            f"create index {NUMBER_INDEX_NAME} on lamindb_recordjson(feature_id, "
            "the number in value, record_id)"
        )
    return steps


def _lacks_number_index(connection: sa.Connection) -> bool:
    from .models.value_index import NUMBER_INDEX_NAME

    inspector = sa.inspect(connection)
    if not inspector.has_table("lamindb_recordjson"):
        return False
    with warnings.catch_warnings():  # SQLite: "expression-based index" not reflected, named
        warnings.simplefilter("ignore")
        names = {index["name"] for index in inspector.get_indexes("lamindb_recordjson")}
    if connection.dialect.name == "sqlite":
        names |= set(
            connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index' "
                "AND tbl_name = 'lamindb_recordjson'"
            ).scalars()
        )
    return NUMBER_INDEX_NAME not in names


@_quiet
def missing_plain_indexes(connection: sa.Connection) -> list[sa.Index]:
    """The models' plain (non-unique, column) indexes that no database index covers (same
    leading columns): lamin_registry's query indexes, e.g. ``(space_id, branch_id)``."""
    from .models import metadata

    inspector = sa.inspect(connection)
    existing = set(inspector.get_table_names())
    missing: list[sa.Index] = []
    for table in metadata.sorted_tables:
        if table.name not in existing or table.name in OWN_TABLES:
            continue
        covered = [tuple(index["column_names"]) for index in inspector.get_indexes(table.name)]
        covered += [
            tuple(constraint["column_names"])
            for constraint in inspector.get_unique_constraints(table.name)
        ]
        for index in sorted(table.indexes, key=lambda index: str(index.name)):
            if index.unique or str(index.name).endswith("_trgm"):
                continue
            if any(not isinstance(expr, sa.Column) for expr in index.expressions):
                continue
            names = tuple(column.name for column in index.columns)
            if not any(found[: len(names)] == names for found in covered):
                missing.append(index)
    return missing


def adopt(target: Target, *, dry_run: bool = False) -> list[str]:
    """Adopt the lamindb database ``target`` in place; returns what was (or would be) added.

    ``dry_run=True`` writes nothing. A database adopted before returns ``[]``. Raises
    SchemaOutOfDate for a database that is not lamindb's or at an unknown lamindb level.
    """
    from . import migrate

    with migrate._connection(target, begin=not dry_run) as connection:
        where = migrate._describe_url(connection.engine.url)
        require_supported(connection, where)
        steps = plan(connection)
        if dry_run or not steps:
            return steps
        apply(connection)
        return steps


@_quiet
def apply(connection: sa.Connection) -> None:
    """Add what :func:`plan` lists, on ``connection`` inside the caller's transaction."""
    from alembic.runtime.migration import MigrationContext

    from . import migrate
    from .models import metadata

    inspector = sa.inspect(connection)
    for name in OWN_TABLES:
        if not inspector.has_table(name):
            metadata.tables[name].create(connection)
    search = _revision_module("0003_search_indexes")
    existing = {
        index["name"] for table in search.SEARCH_COLUMNS for index in inspector.get_indexes(table)
    }
    if not any(str(name).endswith("_trgm") for name in existing):
        _run_revision(connection, search)
    for index in missing_plain_indexes(connection):
        index.create(connection)
    if _lacks_number_index(connection):
        from .models.value_index import NUMBER_INDEX

        NUMBER_INDEX.create(connection)
    context = MigrationContext.configure(connection, opts={"version_table": migrate.VERSION_TABLE})
    if not context.get_current_heads():
        context.stamp(migrate._script(), migrate.HEAD)
    _KNOWN[connection.engine] = True


def _revision_module(revision: str) -> Any:
    from . import migrate

    script = migrate._script().get_revision(revision)
    if script is None:  # pragma: no cover - shipped with the package
        raise SchemaOutOfDate(f"lamin_registry's migration {revision} is missing")
    return script.module


def _run_revision(connection: sa.Connection, module: Any, function: str = "upgrade") -> None:
    """Run one revision's ``upgrade`` (or another function of it) on ``connection``."""
    from alembic.operations import Operations
    from alembic.runtime.migration import MigrationContext

    context = MigrationContext.configure(connection)
    with Operations.context(context):
        getattr(module, function)()


def enable_rls(target: Target) -> None:
    """Opt in to lamin_registry's row-level security on an adopted PostgreSQL database.

    Runs the policies of ``0002_access``, ``0004_rls`` and ``0007_blocks`` (space, link,
    governance and block tables). From then on every connection that does not say who acts
    (lamindb's own included) sees only space 1 ``all`` and writes nothing else: do it only
    when every client goes through lamin_registry or sets ``lamin_registry.user_id``.
    """
    from . import migrate
    from .rls import _require_postgresql

    with migrate._connection(target, begin=True) as connection:
        _require_postgresql(connection, "enable_rls")
        where = migrate._describe_url(connection.engine.url)
        require_supported(connection, where)
        access = _revision_module("0002_access")
        # lamindb numbers user branches from 2: only is_locked locks a row here
        unlocked_or_admin = access.UNLOCKED_OR_ADMIN.replace(" OR branch_id = 2", "")
        connection.exec_driver_sql(access.SPACE_IDS_FUNCTION)
        for table in access.SPACE_TABLES:
            connection.exec_driver_sql(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            connection.exec_driver_sql(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            for action, clause in (
                ("select", f"FOR SELECT USING ({access.READ})"),
                ("insert", f"FOR INSERT WITH CHECK ({access.WRITE})"),
                ("update", f"FOR UPDATE USING ({access.WRITE} AND {unlocked_or_admin}) "
                           f"WITH CHECK ({access.WRITE})"),
                ("delete", f"FOR DELETE USING ({access.WRITE} AND {unlocked_or_admin})"),
            ):
                connection.exec_driver_sql(
                    f"CREATE POLICY lamin_registry_{action} ON {table} {clause}"
                )
        _run_revision(connection, _revision_module("0004_rls"))
        _run_revision(connection, _revision_module("0007_blocks"), "protect_adopted")


# -- check() on an adopted database: structure, not names --------------------------------------


def _columns(item: Any) -> tuple[str, ...]:
    columns = getattr(item, "columns", None)
    if isinstance(item, sa.Index) and item.expressions:
        return tuple(str(getattr(expr, "name", expr)).lower() for expr in item.expressions)
    return tuple(str(getattr(column, "name", column)) for column in (columns or []))


def _key(op: str, item: Any) -> tuple[Any, ...] | None:
    """What a schema item is, whatever its name: table, columns, unique/target."""
    kind = op.split("_", 1)[1]
    if kind == "fk":
        table = item.parent.name
        columns = tuple(element.parent.name for element in item.elements)
        targets = tuple(tuple(element.target_fullname.split(".")[-2:]) for element in item.elements)
        return ("fk", table, columns, targets)
    table = getattr(getattr(item, "table", None), "name", None)
    if kind in ("index", "constraint"):
        unique = bool(getattr(item, "unique", False)) or isinstance(item, sa.UniqueConstraint)
        columns = _columns(item)
        return ("index", table, tuple(sorted(columns)) if unique else columns, unique)
    return None


@_quiet
def _unique_column_sets(connection: sa.Connection, tables: set[str]) -> set[tuple[Any, ...]]:
    """Unique keys the database has, unnamed inline ``UNIQUE`` included (SQLite reflects
    those without a name, and ``compare_metadata`` skips them)."""
    inspector = sa.inspect(connection)
    keys: set[tuple[Any, ...]] = set()
    for table in tables:
        for constraint in inspector.get_unique_constraints(table):
            columns = tuple(sorted(str(c) for c in constraint["column_names"]))
            keys.add(("index", table, columns, True))
        for index in inspector.get_indexes(table):
            if index.get("unique"):
                columns = tuple(sorted(str(c) for c in index["column_names"] if c))
                keys.add(("index", table, columns, True))
        if connection.dialect.name == "sqlite":  # column-level UNIQUE: sqlite_autoindex_*
            for row in connection.exec_driver_sql(f"PRAGMA index_list('{table}')").all():
                if row[2] and str(row[1]).startswith("sqlite_autoindex_"):
                    info = connection.exec_driver_sql(f"PRAGMA index_info('{row[1]}')").all()
                    columns = tuple(sorted(str(column[2]) for column in info))
                    keys.add(("index", table, columns, True))
    return keys


def structural_differences(connection: sa.Connection, diffs: list[Any]) -> list[Any]:
    """``compare_metadata`` output without what differs in name only (lamindb names its
    indexes and constraints Django's way, lamin_registry its own way), and without the
    columns lamindb lacks on purpose (:data:`LAMINDB_OPTIONAL_COLUMNS`).

    Unique keys compare as column sets. A plain index the models want is also satisfied by
    a database index whose leading columns they are; lamindb's own extra plain indexes are
    not differences. Foreign keys compare by columns and target (lamindb's database has no
    ON DELETE rules: the ORM applies them, see ``lamin_registry.cascade``).
    """
    added: dict[tuple[Any, ...], list[Any]] = {}
    removed: dict[tuple[Any, ...], list[Any]] = {}
    rest: list[Any] = []
    for diff in diffs:
        if isinstance(diff, tuple) and diff[0] in (
            "add_index", "remove_index", "add_constraint", "remove_constraint", "add_fk",
            "remove_fk",
        ):
            key = _key(diff[0], diff[1])
            if key is not None:
                (added if diff[0].startswith("add") else removed).setdefault(key, []).append(diff)
                continue
        if isinstance(diff, tuple) and diff[0] == "add_column" and (
            (diff[2], diff[3].name) in LAMINDB_OPTIONAL_COLUMNS
        ):
            continue
        rest.append(diff)
    uniques = _unique_column_sets(connection, {key[1] for key in added if key[0] == "index"})
    database_indexes = [key for key in removed if key[0] == "index"]
    for key, wanted in added.items():
        if removed.get(key):
            removed[key] = removed[key][len(wanted):]
            continue
        if key in uniques:
            continue
        if key[0] == "index" and not key[3] and any(
            other[1] == key[1] and other[2][: len(key[2])] == key[2] for other in database_indexes
        ):
            continue
        rest += wanted
    for key, extra in removed.items():
        if key[0] == "index" and not key[3]:
            continue  # lamindb's own plain indexes
        rest += extra
    return rest
