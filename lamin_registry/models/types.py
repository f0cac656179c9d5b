"""Column types and helpers shared by every registry.

The helpers keep the model modules declarative: ``fk("lamindb_user.id")`` says what a column
refers to and how deletion propagates, nothing else.

Nothing here imports a SQLAlchemy dialect: defining the models must not load the PostgreSQL
dialect (about 50 ms) for a SQLite user, nor the SQLite one for a PostgreSQL user. Hence
:class:`JSONType` picks ``jsonb`` when a dialect asks for it, and :class:`PortableIndex` holds
its per-dialect options until DDL, comparison or a copy reads them.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    TextClause,
    text,
)
from sqlalchemy.exc import ArgumentError
from sqlalchemy.types import TypeDecorator, TypeEngine
from sqlalchemy.util import PopulateDict, memoized_property

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement
    from sqlalchemy.sql.base import _DialectArgDict

# SQLite only auto-increments an ``INTEGER PRIMARY KEY``; PostgreSQL gets lamindb's widths.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")
SmallIntPK = SmallInteger().with_variant(Integer(), "sqlite")


class JSONType(TypeDecorator[Any]):
    """JSON: ``JSON`` (text) on SQLite, ``jsonb`` on PostgreSQL, as in lamindb.

    What ``JSON().with_variant(JSONB(), "postgresql")`` did, without importing the PostgreSQL
    dialect to build the variant: ``JSONB`` is imported when a PostgreSQL dialect first asks.
    Expressions use the generic ``JSON`` comparator, as with the variant.
    """

    impl = JSON
    cache_ok = True
    # TypeDecorator answers these itself rather than asking the impl; keep JSON's answers:
    # a Python None is written as JSON 'null' when set explicitly (JSON's none_as_null=False),
    # and values are not hashable (no uniquing of rows by a JSON value).
    should_evaluate_none = True
    hashable = False

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return JSONB()
        return JSON()


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite keeps no zone, PostgreSQL converts to the session zone; both come back as UTC here,
    so the same record compares equal on either backend.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is None:
            return value
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        """On SQLite, parse the stored naive-UTC text straight into an aware datetime;
        elsewhere, return a value already in ``datetime.UTC`` as it is (one call a value, not
        the decorator's two).

        The generic path (parse, then ``replace(tzinfo=UTC)``) costs about 3 µs a value, most
        of it in ``replace``; loading 100,000 records reads 200,000 timestamps. Text the fast
        parse does not take (a date only, an explicit offset) goes the generic way.
        """
        generic = super().result_processor(dialect, coltype)
        if generic is None:
            return None
        if dialect.name != "sqlite":

            def process_aware(value: Any) -> datetime | None:
                if value is None or value.tzinfo is UTC:  # a UTC session (instance._use_utc)
                    return value  # type: ignore[no-any-return]
                return generic(value)

            return process_aware

        def process(value: Any) -> datetime | None:
            if value is None:
                return None
            if isinstance(value, str):
                parsed = _parse_naive_utc(value)
                if parsed is not None:
                    return parsed
            return generic(value)

        return process


@functools.lru_cache(maxsize=4096)
def _parse_naive_utc(text: str) -> datetime | None:
    """Stored naive-UTC text as an aware datetime, or None (a bare date, an offset, not a
    timestamp). Memoised: rows saved together share their stamps (a bulk save stamps once),
    so loading 10,000 of them parses one text instead of 10,000; datetimes are immutable, so
    sharing one object between records is safe."""
    try:
        parsed = datetime.fromisoformat(text + "+00:00")
    except ValueError:
        return None
    return parsed if parsed.tzinfo is UTC else None


class PortableIndex(Index):
    """An ``Index`` whose per-dialect options are applied when first read, not when declared.

    ``sa.Index(..., postgresql_where=w, sqlite_where=w)`` validates each ``<dialect>_<option>``
    keyword at construction, which imports that dialect (``DialectKWArgs._validate_dialect_kwargs``
    looks up its ``construct_arguments``): declaring lamindb's partial and trigram indexes would
    import both the PostgreSQL and the SQLite dialect whichever backend is used. Here the
    options are given as a mapping::

        PortableIndex(
            "unique_x", "a", "b", unique=True,
            dialect_options={"postgresql": {"where": w}, "sqlite": {"where": w}},
        )

    and the base ``Index`` is built without them. The first read of :attr:`dialect_options`
    (which ``dialect_kwargs``, DDL compilation, ``Table.to_metadata()`` and Alembic's
    comparison all go through) validates and fills in the options of *every* dialect given,
    so each of those sees exactly what the keyword form would have given. Ordinary queries
    never read index options, so they load no dialect; an unknown option name is reported
    on that first read rather than at declaration.
    """

    def __init__(
        self,
        name: str | None,
        *expressions: Any,
        dialect_options: Mapping[str, Mapping[str, Any]],
        **kw: Any,
    ) -> None:
        self._deferred_options = {dialect: dict(opts) for dialect, opts in dialect_options.items()}
        super().__init__(name, *expressions, **kw)

    @memoized_property
    def dialect_options(self) -> PopulateDict[str, _DialectArgDict]:
        # the checks of DialectKWArgs._validate_dialect_kwargs, on a collection that is only
        # published (memoized) once complete: a concurrent first read never sees half of it
        options: PopulateDict[str, _DialectArgDict] = PopulateDict(self._kw_reg_for_dialect_cls)
        for dialect, opts in self._deferred_options.items():
            accepted = options[dialect]  # imports the dialect
            for option, value in opts.items():
                if "*" not in accepted and option not in accepted:
                    raise ArgumentError(
                        f"Argument '{dialect}_{option}' is not accepted by dialect "
                        f"{dialect!r} on behalf of {type(self)!r}"
                    )
                accepted[option] = value
        return options


def partial_index_where(condition: str | ColumnElement[bool]) -> dict[str, dict[str, Any]]:
    """:class:`PortableIndex` options of a partial index: ``WHERE condition`` on both backends.

    A string is SQL text (``"key IS NOT NULL"``), as ``sa.text`` takes it.
    """

    def where() -> ColumnElement[bool] | TextClause:
        return text(condition) if isinstance(condition, str) else condition

    return {"postgresql": {"where": where()}, "sqlite": {"where": where()}}


def fk(target: str, *, cascade: bool = False, use_alter: bool = False) -> ForeignKey:
    """A foreign key to ``target``: ``CASCADE`` deletes with the target, else ``RESTRICT``.

    RESTRICT is lamindb's PROTECT; the repository checks protected references before a
    permanent delete so the user gets a readable message instead of a driver error.
    ``use_alter`` breaks the table cycles around ``lamindb_run`` (a run's transform and report
    are records that themselves point back to runs).
    """
    return ForeignKey(target, ondelete="CASCADE" if cascade else "RESTRICT", use_alter=use_alter)
