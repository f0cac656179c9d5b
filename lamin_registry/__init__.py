"""lamin_registry: lamindb's registry layer on SQLAlchemy 2.x and Alembic.

>>> import lamin_registry as lr
>>> inst = lr.connect("sqlite:///registry.db", user="alice")
>>> with inst.session() as repo:
...     label = repo.save(lr.ULabel(name="T cell"))

``import lamin_registry`` loads only the error classes. Every other name is imported the
first time it is used (PEP 562): the registries (SQLAlchemy builds their tables and mappers
then), the connection layer, migrations (Alembic), curation (pandas, rapidfuzz) and async
support. A program that only needs ``lr.errors`` or ``lamin-registry --help`` never pays for
the models; one that connects pays for them once, at the first ``lr.connect`` or
``lr.ULabel``. ``from lamin_registry import ULabel`` works as with any other module.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from . import errors

if TYPE_CHECKING:
    from . import hooks, migrate, mixins
    from .aio import AsyncInstance, AsyncRepository, connect_async
    from .conveniences import save
    from .curation.results import InspectResult, SearchResult
    from .instance import Instance, connect
    from .models import (
        Artifact,
        ArtifactBlock,
        BaseSQLRecord,
        Block,
        Branch,
        BranchBlock,
        Collection,
        CollectionBlock,
        Feature,
        FeatureBlock,
        FeatureValue,
        JsonValue,
        Project,
        ProjectBlock,
        Record,
        RecordBlock,
        Reference,
        Run,
        RunBlock,
        Schema,
        SchemaBlock,
        Space,
        SpaceBlock,
        SQLRecord,
        Storage,
        Team,
        Transform,
        TransformBlock,
        ULabel,
        ULabelBlock,
        User,
        metadata,
    )
    from .query import Q, Query
    from .repository import Repository

__version__ = "0.1.0"

_MODELS = (
    "Artifact",
    "BaseSQLRecord",
    "Branch",
    "Collection",
    "Feature",
    "FeatureValue",
    "JsonValue",
    "Project",
    "Record",
    "Reference",
    "Run",
    "Schema",
    "Space",
    "SQLRecord",
    "Storage",
    "Team",
    "Transform",
    "ULabel",
    "User",
    "metadata",
)
"""The names ``lamin_registry.models`` provides (the CLI lists the registries among them)."""

_BLOCKS = (
    "ArtifactBlock",
    "Block",
    "BranchBlock",
    "CollectionBlock",
    "FeatureBlock",
    "ProjectBlock",
    "RecordBlock",
    "RunBlock",
    "SchemaBlock",
    "SpaceBlock",
    "TransformBlock",
    "ULabelBlock",
)
"""Block registries (``lamin_registry.models.blocks``, lamindb-features.md §8)."""

# public name -> (module, attribute); attribute None: the module itself
_LAZY: dict[str, tuple[str, str | None]] = {
    **{name: ("lamin_registry.models", name) for name in (*_MODELS, *_BLOCKS)},
    "connect": ("lamin_registry.instance", "connect"),
    "Instance": ("lamin_registry.instance", "Instance"),
    "Repository": ("lamin_registry.repository", "Repository"),
    "Q": ("lamin_registry.query", "Q"),
    "Query": ("lamin_registry.query", "Query"),
    "hooks": ("lamin_registry.hooks", None),
    "migrate": ("lamin_registry.migrate", None),
    "mixins": ("lamin_registry.mixins", None),
    "SearchResult": ("lamin_registry.curation.results", "SearchResult"),
    "InspectResult": ("lamin_registry.curation.results", "InspectResult"),
    "connect_async": ("lamin_registry.aio", "connect_async"),
    "AsyncInstance": ("lamin_registry.aio", "AsyncInstance"),
    "AsyncRepository": ("lamin_registry.aio", "AsyncRepository"),
    "save": ("lamin_registry.conveniences", "save"),
}


def __getattr__(name: str) -> Any:
    """Import ``name``'s module on first use and keep the value as a module attribute.

    A subpackage or submodule (``lr.models``, ``lr.fields``) is imported like ``import``
    would; any other unknown name is an ``AttributeError``.
    """
    if name.startswith("_"):  # dunder probes of tools (copy, doctest, ...) are no submodules
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module_name, attribute = _LAZY.get(name, (f"{__name__}.{name}", None))
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if name in _LAZY or error.name != module_name:
            raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "Artifact",
    "ArtifactBlock",
    "AsyncInstance",
    "AsyncRepository",
    "BaseSQLRecord",
    "Block",
    "Branch",
    "BranchBlock",
    "Collection",
    "CollectionBlock",
    "Feature",
    "FeatureBlock",
    "FeatureValue",
    "InspectResult",
    "Instance",
    "JsonValue",
    "Project",
    "ProjectBlock",
    "Q",
    "Query",
    "Record",
    "RecordBlock",
    "Reference",
    "Repository",
    "Run",
    "RunBlock",
    "SQLRecord",
    "Schema",
    "SchemaBlock",
    "SearchResult",
    "Space",
    "SpaceBlock",
    "Storage",
    "Team",
    "Transform",
    "TransformBlock",
    "ULabel",
    "ULabelBlock",
    "User",
    "connect",
    "connect_async",
    "errors",
    "hooks",
    "metadata",
    "migrate",
    "mixins",
    "save",
]
