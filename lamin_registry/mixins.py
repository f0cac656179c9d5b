"""The mixins registries are built from (public home of ``lamin_registry.models.mixins``)."""

from .models.base import BaseSQLRecord, SQLRecord
from .models.mixins import CanCurate, HasParents, HasType, IsVersioned, TracksRun, TracksUpdates

__all__ = [
    "BaseSQLRecord",
    "CanCurate",
    "HasParents",
    "HasType",
    "IsVersioned",
    "SQLRecord",
    "TracksRun",
    "TracksUpdates",
]
