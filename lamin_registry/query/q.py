"""``lr.Q``: Django-style expressions combined with ``|``, ``&`` and ``~``."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..errors import InvalidArgument
from .lookups import Condition, FeatureLookup, mentions_branch, negate, resolve_all


class Q:
    """A tree of lookups: ``Q(name="a") | Q(name__startswith="b")``, ``~Q(is_type=True)``.

    Keyword arguments inside one ``Q`` are AND-ed (lookups through the same many-to-many
    relationship must hold for the same related record). An empty ``Q()`` adds no condition,
    so ``q = Q(); q |= Q(name="a")`` is just ``Q(name="a")``. A negated ``Q`` matches every
    record for which the inner condition is not true, NULLs included (Django semantics).
    Resolution against a model happens only when the query runs, so the same ``Q`` can filter
    several registries.
    """

    __slots__ = ("children", "connector", "negated")

    def __init__(self, *args: Q, **kwargs: Any) -> None:
        for arg in args:
            if not isinstance(arg, Q):
                raise InvalidArgument(f"Q() takes Q objects and keyword lookups, got {arg!r}")
        self.children: list[Q | tuple[str, Any]] = [*args, *sorted(kwargs.items())]
        self.connector = "AND"
        self.negated = False

    def __bool__(self) -> bool:
        """False for an empty ``Q()`` (which filters nothing)."""
        return bool(self.children)

    def _copy(self) -> Q:
        copied = Q()
        copied.children = list(self.children)
        copied.connector = self.connector
        copied.negated = self.negated
        return copied

    def _combine(self, other: object, connector: str) -> Q:
        if not isinstance(other, Q):
            return NotImplemented  # type: ignore[no-any-return]
        if not other:
            return self._copy()
        if not self:
            return other._copy()
        combined = Q()
        combined.connector = connector
        combined.children = [self, other]
        return combined

    def __or__(self, other: Q) -> Q:
        return self._combine(other, "OR")

    def __and__(self, other: Q) -> Q:
        return self._combine(other, "AND")

    def __invert__(self) -> Q:
        negated = Q(self)
        negated.negated = True
        return negated

    def __repr__(self) -> str:
        inner = f" {self.connector} ".join(
            repr(child) if isinstance(child, Q) else f"{child[0]}={child[1]!r}"
            for child in self.children
        )
        return f"{'NOT ' if self.negated else ''}({inner})"

    def keys(self) -> list[str]:
        """Every lookup key in the tree, at any depth."""
        keys: list[str] = []
        for child in self.children:
            keys.extend(child.keys() if isinstance(child, Q) else [child[0]])
        return keys

    def mentions_branch(self) -> bool:
        """True if any lookup in the tree names ``branch``/``branch_id``."""
        return any(mentions_branch(key) for key in self.keys())

    def resolve_or_none(
        self, model: type, dialect: str, features: FeatureLookup | None = None
    ) -> Condition | None:
        """This tree as a SQLAlchemy condition on ``model``; None when it is empty."""
        parts: list[Condition] = []
        items = [child for child in self.children if not isinstance(child, Q)]
        for child in self.children:
            if isinstance(child, Q):
                condition = child.resolve_or_none(model, dialect, features)
                if condition is not None:
                    parts.append(condition)
        if items:
            if self.connector == "AND":
                parts.extend(resolve_all(model, items, dialect, features))
            else:  # only a combined Q has this connector, and it holds Q children only
                parts.extend(resolve_all(model, [item], dialect, features)[0] for item in items)
        if not parts:
            return None
        combined = parts[0] if len(parts) == 1 else (
            sa.and_(*parts) if self.connector == "AND" else sa.or_(*parts)
        )
        return negate(combined) if self.negated else combined

    def resolve(
        self, model: type, dialect: str, features: FeatureLookup | None = None
    ) -> Condition:
        """This tree as a SQLAlchemy condition on ``model`` (``true`` when empty)."""
        condition = self.resolve_or_none(model, dialect, features)
        return sa.true() if condition is None else condition
