"""``lr.Q``: Django-style expressions combined with ``|``, ``&`` and ``~``."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..errors import InvalidArgument
from .lookups import Condition, mentions_branch, resolve


class Q:
    """A tree of lookups: ``Q(name="a") | Q(name__startswith="b")``, ``~Q(is_type=True)``.

    Keyword arguments inside one ``Q`` are AND-ed. Resolution against a model happens only when
    the query runs, so the same ``Q`` can filter several registries.
    """

    __slots__ = ("children", "connector", "negated")

    def __init__(self, *args: Q, **kwargs: Any) -> None:
        for arg in args:
            if not isinstance(arg, Q):
                raise InvalidArgument(f"Q() takes Q objects and keyword lookups, got {arg!r}")
        self.children: list[Q | tuple[str, Any]] = [*args, *sorted(kwargs.items())]
        self.connector = "AND"
        self.negated = False

    def _combine(self, other: object, connector: str) -> Q:
        if not isinstance(other, Q):
            return NotImplemented  # type: ignore[return-value]
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

    def resolve(self, model: type, dialect: str) -> Condition:
        """This tree as a SQLAlchemy condition on ``model``."""
        parts = [
            child.resolve(model, dialect) if isinstance(child, Q) else resolve(model, *child, dialect)
            for child in self.children
        ]
        if not parts:
            condition: Condition = sa.true()
        elif self.connector == "AND":
            condition = sa.and_(*parts)
        else:
            condition = sa.or_(*parts)
        return sa.not_(condition) if self.negated else condition
