"""Every registry of lamin_registry, importable from one place."""

from . import links as links
from . import search_index as search_index
from . import value_index as value_index
from . import visibility_index as visibility_index
from .artifacts import Artifact, Collection
from .base import BaseSQLRecord, SQLRecord, metadata
from .blocks import (
    ArtifactBlock,
    Block,
    BranchBlock,
    CollectionBlock,
    FeatureBlock,
    ProjectBlock,
    RecordBlock,
    RunBlock,
    SchemaBlock,
    SpaceBlock,
    TransformBlock,
    ULabelBlock,
)
from .core import Branch, Space, SpaceAccess, Storage, Team, User
from .features import Feature, FeatureValue, JsonValue, Schema
from .labels import Project, Record, Reference, ULabel
from .tracking import Run, Transform

__all__ = [
    "Artifact",
    "ArtifactBlock",
    "BaseSQLRecord",
    "Block",
    "Branch",
    "BranchBlock",
    "Collection",
    "CollectionBlock",
    "Feature",
    "FeatureBlock",
    "FeatureValue",
    "JsonValue",
    "Project",
    "ProjectBlock",
    "Record",
    "RecordBlock",
    "Reference",
    "Run",
    "RunBlock",
    "SQLRecord",
    "Schema",
    "SchemaBlock",
    "Space",
    "SpaceAccess",
    "SpaceBlock",
    "Storage",
    "Team",
    "Transform",
    "TransformBlock",
    "ULabel",
    "ULabelBlock",
    "User",
    "metadata",
]
