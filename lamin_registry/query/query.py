"""``lr.Query``: a lazy, chainable query over one registry, bound to a repository."""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import ColumnProperty
from sqlalchemy.sql import operators, visitors
from sqlalchemy.sql.elements import ColumnElement

from ..errors import DoesNotExist, InvalidArgument, MultipleResultsFound
from ..features.lookups import FeaturePredicate
from .limits import check_limit
from .lookups import (
    BRANCH_KEYS,
    ID_KEYS,
    Condition,
    field_property,
    mentions_branch,
    negate,
    resolve_all,
)
from .q import Q

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from ..curation.results import InspectResult, SearchResult
    from ..repository import Repository

T = TypeVar("T")


def _names_branch(model: type, expression: ColumnElement[Any]) -> bool:
    """True if a raw SQLAlchemy condition refers to the query's own ``branch_id`` column.

    Columns inside subqueries do not count: a subquery naming *its* table's branch turns
    off branch filtering for that table only (see :mod:`lamin_registry.visibility`).
    """
    table: Any = sa.inspect(model).local_table
    stack: list[Any] = [expression]
    while stack:
        element = stack.pop()
        if isinstance(element, sa.Select):
            continue
        if isinstance(element, sa.Column) and element.key == "branch_id" and (
            element.table is table
        ):
            return True
        stack.extend(element.get_children())
    return False


def _uses_regex(expression: ColumnElement[Any]) -> bool:
    return any(
        getattr(element, "operator", None) in _REGEX_OPERATORS
        for element in visitors.iterate(expression)
    )


_REGEX_OPERATORS = (operators.regexp_match_op, operators.not_regexp_match_op)


class _Built:
    """Resolved conditions plus what the query needs to know about them."""

    __slots__ = ("all_branches", "conditions", "fragile")

    def __init__(self) -> None:
        self.conditions: list[Condition] = []
        self.all_branches = False  # the expressions turn default branch filtering off
        self.fragile = False  # the database may reject it (raw SQL, regex syntax)


def _build(
    model: type,
    conditions: Sequence[Any],
    expressions: dict[str, Any],
    dialect: str,
    *,
    id_keys_show_all: bool,
    repo: Repository | None = None,
) -> _Built:
    features = _feature_lookup(repo, model)
    built = _Built()
    for condition in conditions:
        if isinstance(condition, FeaturePredicate):
            if features is None:
                raise InvalidArgument(
                    "Feature predicates are only supported for Artifact, Run, and Record, "
                    f"not {model.__name__}."
                )
            built.conditions.append(condition.condition(features))
        elif isinstance(condition, Q):
            built.all_branches |= condition.mentions_branch()
            resolved = condition.resolve_or_none(model, dialect, features)
            if resolved is not None:
                built.conditions.append(resolved)
                built.fragile |= _uses_regex(resolved)
        elif isinstance(condition, ColumnElement):
            built.all_branches |= _names_branch(model, condition)
            built.conditions.append(condition)
            built.fragile = True
        elif isinstance(condition, str | bytes | int | float | bool) or condition is None:
            raise InvalidArgument(
                f"Positional filter arguments must be lr.Q objects or SQLAlchemy expressions, "
                f"got {condition!r}; use keywords for lookups, e.g. name={condition!r}"
            )
        else:
            raise InvalidArgument(f"Cannot filter by {condition!r}")
    items: list[tuple[str, Any]] = []
    for key, value in expressions.items():
        if mentions_branch(key):
            built.all_branches = True
            if value is None and key in BRANCH_KEYS:
                continue  # branch=None: every branch
        elif id_keys_show_all and key in ID_KEYS:
            built.all_branches = True
        items.append((key, value))
    resolved_items = resolve_all(model, items, dialect, features)
    built.conditions.extend(resolved_items)
    if features is not None:
        built.conditions = features.combine(built.conditions)
    built.fragile |= any(_uses_regex(condition) for condition in resolved_items)
    return built


def _feature_lookup(repo: Repository | None, model: type) -> Any:
    """The feature resolver of a host registry's queries (None elsewhere, or without repo)."""
    if repo is None or model.__name__ not in ("Record", "Run", "Artifact"):
        return None
    from ..features.lookups import FeatureResolver
    from ..features.tables import host_name

    try:
        host_name(model)
    except InvalidArgument:
        return None
    return FeatureResolver(repo, model)


def build_conditions(
    model: type,
    conditions: Sequence[Any],
    expressions: dict[str, Any],
    dialect: str,
    repo: Repository | None = None,
) -> tuple[list[Condition], bool]:
    """Resolve positional conditions and keyword lookups; report whether they show all branches.

    Default branch filtering is off when an expression names ``branch``/``branch_id`` (at any
    depth of a ``Q``, or a raw SQLAlchemy condition on ``branch_id``) or, as in lamindb, when a
    keyword is exactly ``id``, ``uid``, ``hash``, ``id__in``, ``uid__in`` or ``hash__in``.
    ``branch=None``/``branch_id=None`` is dropped: every branch, trash included.
    """
    built = _build(model, conditions, expressions, dialect, id_keys_show_all=True, repo=repo)
    return built.conditions, built.all_branches


class Query(Generic[T]):
    """A lazy query: nothing runs until you iterate, count or convert it.

    Every chaining method returns a new ``Query``; the original is unchanged.
    """

    def __init__(
        self,
        repo: Repository,
        model: type[T],
        conditions: Sequence[Condition] = (),
        *,
        branch_filtered: bool = True,
        order: Sequence[Any] = (),
        limit: int | None = None,
        fragile: bool = False,
    ) -> None:
        self.repo = repo
        self.model = model
        self._conditions = list(conditions)
        self._branch_filtered = branch_filtered
        self._order = list(order)
        self._limit = limit
        # True when the database itself may reject the statement (raw SQLAlchemy conditions,
        # regular expressions): it then runs inside a savepoint on PostgreSQL, so an error
        # does not abort the caller's transaction.
        self._fragile = fragile
        # the conditions restricted for a visibility (see _visible_conditions); derived
        # queries with the same conditions (order_by, limit, ...) share it
        self._restricted: dict[Any, list[Any]] = {}

    # -- building -------------------------------------------------------------------------

    def _clone(self, **changes: Any) -> Query[T]:
        query: Query[T] = Query(
            self.repo,
            self.model,
            changes.get("conditions", self._conditions),
            branch_filtered=changes.get("branch_filtered", self._branch_filtered),
            order=changes.get("order", self._order),
            limit=changes.get("limit", self._limit),
            fragile=changes.get("fragile", self._fragile),
        )
        if "conditions" not in changes:
            query._restricted = self._restricted
        return query

    def _built(
        self, conditions: Sequence[Any], expressions: dict[str, Any], *, id_keys_show_all: bool
    ) -> _Built:
        return _build(
            self.model,
            conditions,
            expressions,
            self.repo.dialect,
            id_keys_show_all=id_keys_show_all,
            repo=self.repo,
        )

    def filter(self, *conditions: Any, **expressions: Any) -> Query[T]:
        """Add conditions (AND); ``lr.Q``, SQLAlchemy expressions or Django-style lookups."""
        built = self._built(conditions, expressions, id_keys_show_all=True)
        return self._clone(
            conditions=[*self._conditions, *built.conditions],
            branch_filtered=self._branch_filtered and not built.all_branches,
            fragile=self._fragile or built.fragile,
        )

    def exclude(self, *conditions: Any, **expressions: Any) -> Query[T]:
        """Drop the records that match all given conditions.

        As in Django, a record is kept when the condition is not *true* for it, so
        ``exclude(description="x")`` keeps records whose description is NULL.
        """
        built = self._built(conditions, expressions, id_keys_show_all=False)
        branch_filtered = self._branch_filtered and not built.all_branches
        if not built.conditions:
            return self._clone(branch_filtered=branch_filtered)
        matched = (
            built.conditions[0] if len(built.conditions) == 1 else sa.and_(*built.conditions)
        )
        return self._clone(
            conditions=[*self._conditions, negate(matched)],
            branch_filtered=branch_filtered,
            fragile=self._fragile or built.fragile,
        )

    def order_by(self, *fields: str | ColumnElement[Any]) -> Query[T]:
        """Order by field names (``"-name"`` for descending) or SQLAlchemy expressions.

        Replaces any earlier ordering; ``order_by()`` with no fields removes it.
        """
        order: list[Any] = []
        fragile = self._fragile
        for item in fields:
            if isinstance(item, str):
                descending = item.startswith("-")
                column = self._column(item[1:] if descending else item)
                order.append(column.desc() if descending else column.asc())
            elif isinstance(item, ColumnElement):
                order.append(item)
                fragile = True
            else:
                raise InvalidArgument(f"order_by takes field names, got {item!r}")
        return self._clone(order=order, fragile=fragile)

    def limit(self, n: int | None) -> Query[T]:
        """At most ``n`` records (None: no limit)."""
        return self._clone(limit=check_limit(n))

    def _column(self, name: str) -> Any:
        """The column attribute for a field name (``version`` and ``status`` aliases too)."""
        if not isinstance(name, str):
            raise InvalidArgument(f"Field names are strings, got {name!r}")
        key, prop = field_property(self.model, name)
        if not isinstance(prop, ColumnProperty):
            raise InvalidArgument(
                f"{name!r} of {self.model.__name__} is a relationship, not a field; "
                f"use {name}_id or a field of it"
            )
        return getattr(self.model, key)

    @property
    def _pk(self) -> Any:
        return sa.inspect(self.model).primary_key[0]

    @property
    def is_ordered(self) -> bool:
        """True once ``order_by`` was called."""
        return bool(self._order)

    def where_clause(self) -> list[Condition]:
        """The conditions with the repository's visibility rules applied, to the query's
        own rows and to every row its conditions read through a subquery."""
        visibility = self.repo._visibility(self.model, branches=self._branch_filtered)
        return [*self._visible_conditions(), *visibility]

    def _visible_conditions(self) -> list[Any]:
        """``_related_visible(self._conditions)``, kept per visibility (visible branches,
        readable spaces) for this query and the queries derived from it without new
        conditions: ``q.count()`` then ``q.order_by(...).limit(100)`` restrict the
        subqueries of the filter once (restricting compiles each subquery: ~0.4 ms apiece)."""
        repo = self.repo
        readable = repo.permissions.readable()
        key = (tuple(repo.visible_branch_ids), None if readable is None else tuple(readable))
        restricted = self._restricted.get(key)
        if restricted is None:
            if len(self._restricted) > 8:
                self._restricted.clear()
            restricted = self._restricted[key] = self._related_visible(self._conditions)
        return list(restricted)

    def _related_visible(self, elements: Sequence[Any]) -> list[Any]:
        """``elements`` with visibility applied inside their subqueries (relationship
        paths, raw SQLAlchemy subqueries): see :mod:`lamin_registry.visibility`."""
        from .. import visibility

        outer = [sa.inspect(self.model).local_table]
        return [
            visibility.restrict(element, self.repo, outer)
            if visibility.has_subquery(element)
            else element
            for element in elements
        ]

    def statement(self) -> sa.Select[Any]:
        """The SELECT this query runs (visibility included)."""
        stmt = sa.select(self.model).where(*self.where_clause())
        if self._order:
            stmt = stmt.order_by(*self._related_visible(self._order))
        if self._limit is not None:
            stmt = stmt.limit(self._limit)
        return stmt

    # -- running --------------------------------------------------------------------------

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """A savepoint around statements PostgreSQL may reject (see ``_fragile``)."""
        if not self._fragile:
            yield
        elif self.repo.dialect == "postgresql":
            with self.repo.session.begin_nested():
                yield
        else:
            try:
                yield
            except sa.exc.OperationalError as error:
                # SQLite reports SQL mistakes (no such column/function, syntax) this way;
                # locking and I/O problems stay what they are
                message = str(error.orig)
                if any(word in message for word in ("locked", "busy", "disk", "I/O")):
                    raise
                raise InvalidArgument(f"query failed: {message}") from error

    def _scalars(self, stmt: sa.Select[Any]) -> list[Any]:
        with self._guard():
            return self.repo._scalars(stmt)

    def _scalar(self, stmt: sa.Select[Any]) -> Any:
        with self._guard():
            return self.repo._scalar(stmt)

    def _execute(self, stmt: sa.Select[Any]) -> list[sa.Row[Any]]:
        """Rows of a statement built from this query (``statement().with_only_columns``)."""
        with self._guard():
            return list(self.repo._execute(stmt).all())

    def all(self) -> list[T]:
        """Every matching record."""
        return self._scalars(self.statement())

    def __iter__(self) -> Iterator[T]:
        return iter(self.all())

    def __len__(self) -> int:
        return self.count()

    def __bool__(self) -> bool:
        return self.exists()

    def __getitem__(self, index: int) -> T:
        records = self.all()
        return records[index]

    def __repr__(self) -> str:
        return f"<Query {self.model.__name__}: {self.statement()}>"

    def count(self) -> int:
        """The number of matching records (one ``COUNT`` query)."""
        inner = self.statement().with_only_columns(self._pk).subquery()
        return int(self._scalar(sa.select(sa.func.count()).select_from(inner)))

    def exists(self) -> bool:
        """True if at least one record matches."""
        stmt = sa.select(sa.exists(self.statement().with_only_columns(self._pk)))
        return bool(self._scalar(stmt))

    def first(self) -> T | None:
        """The first record (by id if unordered), or None."""
        query = self if self._order else self._clone(order=[self._pk.asc()])
        records = query.limit(1).all()
        return records[0] if records else None

    def one(self) -> T:
        """Exactly one record; DoesNotExist / MultipleResultsFound otherwise."""
        records = self.limit(2).all()
        if not records:
            raise DoesNotExist(f"{self.model.__name__} matching query does not exist.")
        if len(records) > 1:
            raise MultipleResultsFound(f"More than one {self.model.__name__} matches {self!r}")
        return records[0]

    def one_or_none(self) -> T | None:
        """One record, None for none; MultipleResultsFound for several."""
        records = self.limit(2).all()
        if len(records) > 1:
            raise MultipleResultsFound(f"More than one {self.model.__name__} matches {self!r}")
        return records[0] if records else None

    def get(self, idlike: int | str | None = None, **expressions: Any) -> T:
        """One record of this query by id, uid (prefix) or expressions (Django's
        ``QuerySet.get``): DoesNotExist / MultipleResultsFound otherwise."""
        if idlike is None:
            if not expressions:
                return self.one()
            return self.filter(**expressions).one()
        if expressions:
            raise InvalidArgument("Pass either an id/uid or expressions to get(), not both")
        found: Any = self.repo.get(self._registry, idlike)
        pk = sa.inspect(self.model).primary_key[0]
        if not self._execute(self.statement().with_only_columns(pk).where(pk == found.id)):
            raise DoesNotExist(f"{self.model.__name__} matching query does not exist.")
        return found  # type: ignore[no-any-return]

    def distinct(self, *fields: str) -> Query[T]:
        """This query: its rows are distinct already (a query never joins other tables;
        relationship and feature lookups are EXISTS subqueries). Kept for Django code."""
        if fields:
            raise InvalidArgument("distinct(fields) is not supported; use values_list()")
        return self

    def values_list(self, *fields: str, flat: bool = False) -> list[Any]:
        """Tuples of field values (``flat=True`` with one field: the values)."""
        if flat and len(fields) != 1:
            raise InvalidArgument("values_list(flat=True) takes exactly one field")
        columns = [self._column(name) for name in fields] or [self._pk]
        rows = self._execute(self.statement().with_only_columns(*columns))
        return [row[0] for row in rows] if flat else [tuple(row) for row in rows]

    def last(self) -> T | None:
        """The last record (by id if unordered), or None."""
        if self._order:
            records = self.all()
            return records[-1] if records else None
        query = self._clone(order=[self._pk.desc()])
        found = query.limit(1).all()
        return found[0] if found else None

    def to_list(self, field: str | None = None) -> list[Any]:
        """The records, or the values of one field."""
        if field is None:
            return self.all()
        column = self._column(field)
        stmt = self.statement().with_only_columns(column)
        return self._scalars(stmt)

    def to_dataframe(
        self,
        include: str | Sequence[str] | None = None,
        features: bool | Sequence[str] = False,
        limit: int | None = 100,
        order_by: str | None = "-id",
    ) -> pd.DataFrame:
        """A DataFrame of the records (index ``id``); see ``repo.to_dataframe``."""
        from .dataframe import query_to_dataframe

        return query_to_dataframe(
            self, include=include, features=features, limit=limit, order_by=order_by
        )

    def df(self, *args: Any, **kwargs: Any) -> pd.DataFrame:
        """Deprecated alias of :meth:`to_dataframe`."""
        warnings.warn(
            "df() is deprecated, use to_dataframe()", DeprecationWarning, stacklevel=2
        )
        return self.to_dataframe(*args, **kwargs)

    # -- curation on this query -------------------------------------------------------------

    def search(self, string: str, **kwargs: Any) -> SearchResult[T]:
        """Search within this query's records."""
        return self.repo.search(self._registry, string, query=self, **kwargs)

    def lookup(self, field: str | None = None, **kwargs: Any) -> Any:
        """Auto-complete object over this query's records."""
        return self.repo.lookup(self._registry, field, query=self, **kwargs)

    def validate(
        self, values: Any, field: str | None = None, **kwargs: Any
    ) -> np.ndarray[Any, Any]:
        """Validate values against this query's records."""
        return self.repo.validate(self._registry, values, field, query=self, **kwargs)

    def inspect(self, values: Any, field: str | None = None, **kwargs: Any) -> InspectResult:
        """Inspect values against this query's records."""
        return self.repo.inspect(self._registry, values, field, query=self, **kwargs)

    def standardize(self, values: Any, field: str | None = None, **kwargs: Any) -> Any:
        """Standardize values against this query's records."""
        return self.repo.standardize(self._registry, values, field, query=self, **kwargs)

    @property
    def _registry(self) -> Any:
        """The model, typed loosely for the repository's curation methods."""
        return self.model

    # -- lifecycle ------------------------------------------------------------------------

    def delete(self, permanent: bool = False) -> None:
        """Move every matching record to trash, or remove them with ``permanent=True``."""
        self.repo.delete(self, permanent=permanent)

    def restore(self) -> None:
        """Move every matching record back to main."""
        self.repo.restore(self)
