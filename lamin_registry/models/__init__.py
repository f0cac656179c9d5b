"""Every registry of lamin_registry, importable from one place."""

from . import links as links
from . import search_index as search_index
from . import visibility_index as visibility_index
from .artifacts import Artifact, Collection
from .base import BaseSQLRecord, SQLRecord, metadata
from .core import Branch, Space, SpaceAccess, Storage, Team, User
from .features import Feature, FeatureValue, JsonValue, Schema
from .labels import Project, Record, Reference, ULabel
from .tracking import Run, Transform

__all__ = [
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
    "SQLRecord",
    "Schema",
    "Space",
    "SpaceAccess",
    "Storage",
    "Team",
    "Transform",
    "ULabel",
    "User",
    "metadata",
]
