"""``lr.Query``: a lazy, chainable query over one registry, bound to a repository."""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import ColumnElement

from ..errors import DoesNotExist, InvalidArgument, MultipleResultsFound
from .lookups import Condition, mentions_branch, resolve
from .q import Q

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from ..curation.results import InspectResult, SearchResult
    from ..repository import Repository

T = TypeVar("T")


def _names_branch(expression: ColumnElement[Any]) -> bool:
    """True if a raw SQLAlchemy condition refers to a ``branch_id`` column."""
    return any(
        isinstance(element, sa.Column) and element.key == "branch_id"
        for element in visitors.iterate(expression)
    )


def build_conditions(
    model: type, conditions: Sequence[Any], expressions: dict[str, Any], dialect: str
) -> tuple[list[Condition], bool]:
    """Resolve positional conditions and keyword lookups; report whether any names a branch.

    ``branch=None``/``branch_id=None`` is dropped and counts as naming the branch, which turns
    default branch filtering off (every branch, trash included).
    """
    resolved: list[Condition] = []
    names_branch = False
    for condition in conditions:
        if isinstance(condition, Q):
            names_branch |= condition.mentions_branch()
            resolved.append(condition.resolve(model, dialect))
        elif isinstance(condition, ColumnElement):
            names_branch |= _names_branch(condition)
            resolved.append(condition)
        elif isinstance(condition, str | bytes | int | float | bool) or condition is None:
            raise InvalidArgument(
                f"Positional filter arguments must be lr.Q objects or SQLAlchemy expressions, "
                f"got {condition!r}; use keywords for lookups, e.g. name={condition!r}"
            )
        else:
            raise InvalidArgument(f"Cannot filter by {condition!r}")
    for key, value in expressions.items():
        if mentions_branch(key):
            names_branch = True
            if value is None and key in ("branch", "branch_id"):
                continue
        resolved.append(resolve(model, key, value, dialect))
    return resolved, names_branch


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
    ) -> None:
        self.repo = repo
        self.model = model
        self._conditions = list(conditions)
        self._branch_filtered = branch_filtered
        self._order = list(order)
        self._limit = limit

    # -- building -------------------------------------------------------------------------

    def _clone(self, **changes: Any) -> Query[T]:
        query: Query[T] = Query(
            self.repo,
            self.model,
            changes.get("conditions", self._conditions),
            branch_filtered=changes.get("branch_filtered", self._branch_filtered),
            order=changes.get("order", self._order),
            limit=changes.get("limit", self._limit),
        )
        return query

    def filter(self, *conditions: Any, **expressions: Any) -> Query[T]:
        """Add conditions (AND); ``lr.Q``, SQLAlchemy expressions or Django-style lookups."""
        resolved, names_branch = build_conditions(
            self.model, conditions, expressions, self.repo.dialect
        )
        return self._clone(
            conditions=[*self._conditions, *resolved],
            branch_filtered=self._branch_filtered and not names_branch,
        )

    def exclude(self, *conditions: Any, **expressions: Any) -> Query[T]:
        """Drop the records that match all given conditions."""
        resolved, names_branch = build_conditions(
            self.model, conditions, expressions, self.repo.dialect
        )
        if not resolved:
            return self._clone(branch_filtered=self._branch_filtered and not names_branch)
        return self._clone(
            conditions=[*self._conditions, sa.not_(sa.and_(*resolved))],
            branch_filtered=self._branch_filtered and not names_branch,
        )

    def order_by(self, *fields: str | ColumnElement[Any]) -> Query[T]:
        """Order by field names (``"-name"`` for descending) or SQLAlchemy expressions."""
        order: list[Any] = []
        for item in fields:
            if isinstance(item, str):
                descending = item.startswith("-")
                name = item.lstrip("-")
                column = self._column(name)
                order.append(column.desc() if descending else column.asc())
            elif isinstance(item, ColumnElement):
                order.append(item)
            else:
                raise InvalidArgument(f"order_by takes field names, got {item!r}")
        return self._clone(order=order)

    def limit(self, n: int | None) -> Query[T]:
        """At most ``n`` records (None: no limit)."""
        if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 0):
            raise InvalidArgument(f"limit must be a non-negative integer or None, got {n!r}")
        return self._clone(limit=n)

    def _column(self, name: str) -> Any:
        mapper = sa.inspect(self.model)
        prop = mapper.column_attrs.get(name)
        if prop is None:
            available = ", ".join(sorted(p.key for p in mapper.column_attrs))
            raise InvalidArgument(f"Unknown field {name!r}. Available fields: {available}")
        return getattr(self.model, name)

    @property
    def _pk(self) -> Any:
        return sa.inspect(self.model).primary_key[0]

    @property
    def is_ordered(self) -> bool:
        """True once ``order_by`` was called."""
        return bool(self._order)

    def where_clause(self) -> list[Condition]:
        """The conditions with the repository's visibility rules applied."""
        visibility = self.repo._visibility(self.model, branches=self._branch_filtered)
        return [*self._conditions, *visibility]

    def statement(self) -> sa.Select[tuple[T]]:
        """The SELECT this query runs (visibility included)."""
        stmt = sa.select(self.model).where(*self.where_clause())
        if self._order:
            stmt = stmt.order_by(*self._order)
        if self._limit is not None:
            stmt = stmt.limit(self._limit)
        return stmt

    # -- running --------------------------------------------------------------------------

    def all(self) -> list[T]:
        """Every matching record."""
        return self.repo._scalars(self.statement())

    def __iter__(self) -> Iterator[T]:
        return iter(self.all())

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: int) -> T:
        records = self.all()
        return records[index]

    def __repr__(self) -> str:
        return f"<Query {self.model.__name__}: {self.statement()}>"

    def count(self) -> int:
        """The number of matching records (one ``COUNT`` query)."""
        inner = self.statement().with_only_columns(self._pk).subquery()
        return int(self.repo._scalar(sa.select(sa.func.count()).select_from(inner)))

    def exists(self) -> bool:
        """True if at least one record matches."""
        stmt = sa.select(sa.exists(self.statement().with_only_columns(self._pk)))
        return bool(self.repo._scalar(stmt))

    def first(self) -> T | None:
        """The first record (by id if unordered), or None."""
        query = self if self._order else self.order_by("id")
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

    def to_list(self, field: str | None = None) -> list[Any]:
        """The records, or the values of one field."""
        if field is None:
            return self.all()
        column = self._column(field)
        stmt = self.statement().with_only_columns(column)
        return list(self.repo._scalars(stmt))

    def to_dataframe(
        self,
        include: str | Sequence[str] | None = None,
        features: bool = False,
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
        return self.repo.search(self.model, string, query=self, **kwargs)

    def lookup(self, field: str | None = None, **kwargs: Any) -> Any:
        """Auto-complete object over this query's records."""
        return self.repo.lookup(self.model, field, query=self, **kwargs)

    def validate(self, values: Any, field: str | None = None, **kwargs: Any) -> np.ndarray[Any, Any]:
        """Validate values against this query's records."""
        return self.repo.validate(self.model, values, field, query=self, **kwargs)

    def inspect(self, values: Any, field: str | None = None, **kwargs: Any) -> InspectResult:
        """Inspect values against this query's records."""
        return self.repo.inspect(self.model, values, field, query=self, **kwargs)

    def standardize(self, values: Any, field: str | None = None, **kwargs: Any) -> Any:
        """Standardize values against this query's records."""
        return self.repo.standardize(self.model, values, field, query=self, **kwargs)

    # -- lifecycle ------------------------------------------------------------------------

    def delete(self, permanent: bool = False) -> None:
        """Move every matching record to trash, or remove them with ``permanent=True``."""
        self.repo.delete(self, permanent=permanent)

    def restore(self) -> None:
        """Move every matching record back to main."""
        self.repo.restore(self)
