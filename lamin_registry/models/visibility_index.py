"""Composite ``(space_id, branch_id)`` indexes, declared on the metadata so migrations agree.

Every read of a registry filters by branch and, for users who cannot read every space, by
space; one index over both answers a restricted ``count()`` without reading the table
(migration ``0005_visibility_indexes``, which also tells SQLite's planner how unselective
they are). Declared for the built-in registries of that revision only: a table added later
gets its index in the revision that creates it.

Import this module from ``lamin_registry.models`` after the registries are defined.
"""

from __future__ import annotations

import sqlalchemy as sa

from . import artifacts, core, features, labels, tracking  # noqa: F401 - defines the tables
from .base import metadata

VISIBILITY_TABLES: tuple[str, ...] = (
    "lamindb_artifact",
    "lamindb_collection",
    "lamindb_feature",
    "lamindb_jsonvalue",
    "lamindb_project",
    "lamindb_record",
    "lamindb_reference",
    "lamindb_run",
    "lamindb_schema",
    "lamindb_storage",
    "lamindb_transform",
    "lamindb_ulabel",
)
"""The registries with a space and a branch when revision 0005 was written."""


def visibility_index_name(table: str) -> str:
    return f"ix_{table}_space_id_branch_id"


def _declare() -> list[sa.Index]:
    indexes: list[sa.Index] = []
    for name in VISIBILITY_TABLES:
        table = metadata.tables[name]
        indexes.append(
            sa.Index(visibility_index_name(name), table.c.space_id, table.c.branch_id)
        )
    return indexes


VISIBILITY_INDEXES = _declare()

__all__ = ["VISIBILITY_INDEXES", "VISIBILITY_TABLES", "visibility_index_name"]
