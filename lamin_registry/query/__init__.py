"""Query building: lookups, ``Q``, ``Query`` and DataFrame export."""

from .q import Q
from .query import Query

__all__ = ["Q", "Query"]
