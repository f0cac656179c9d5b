"""lamin_registry: lamindb's registry layer on SQLAlchemy 2.x and Alembic.

>>> import lamin_registry as lr
>>> inst = lr.connect("sqlite:///registry.db", user="alice")
>>> with inst.session() as repo:
...     label = repo.save(lr.ULabel(name="T cell"))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import errors, hooks, mixins
from .instance import Instance, connect
from .models import (
    Artifact,
    BaseSQLRecord,
    Branch,
    Collection,
    Feature,
    FeatureValue,
    JsonValue,
    Project,
    Record,
    Reference,
    Run,
    Schema,
    Space,
    SQLRecord,
    Storage,
    Team,
    Transform,
    ULabel,
    User,
    metadata,
)
from .query import Q, Query
from .repository import Repository

if TYPE_CHECKING:
    from . import migrate
    from .aio import AsyncInstance, AsyncRepository, connect_async
    from .curation.results import InspectResult, SearchResult

__version__ = "0.1.0"

_LAZY = {
    "migrate": ("lamin_registry.migrate", None),
    "SearchResult": ("lamin_registry.curation.results", "SearchResult"),
    "InspectResult": ("lamin_registry.curation.results", "InspectResult"),
    "connect_async": ("lamin_registry.aio", "connect_async"),
    "AsyncInstance": ("lamin_registry.aio", "AsyncInstance"),
    "AsyncRepository": ("lamin_registry.aio", "AsyncRepository"),
}


def __getattr__(name: str) -> Any:
    """Import heavy parts (alembic, pandas, rapidfuzz) only when first used."""
    if name in _LAZY:
        import importlib

        module_name, attribute = _LAZY[name]
        module = importlib.import_module(module_name)
        value = module if attribute is None else getattr(module, attribute)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'lamin_registry' has no attribute {name!r}")


__all__ = [
    "Artifact",
    "AsyncInstance",
    "AsyncRepository",
    "BaseSQLRecord",
    "Branch",
    "Collection",
    "Feature",
    "FeatureValue",
    "InspectResult",
    "Instance",
    "JsonValue",
    "Project",
    "Q",
    "Query",
    "Record",
    "Reference",
    "Repository",
    "Run",
    "SQLRecord",
    "Schema",
    "SearchResult",
    "Space",
    "Storage",
    "Team",
    "Transform",
    "ULabel",
    "User",
    "connect",
    "connect_async",
    "errors",
    "hooks",
    "metadata",
    "migrate",
    "mixins",
]
