"""Trigram indexes for search, declared on the metadata so migrations and ``check`` agree.

PostgreSQL: a GIN ``gin_trgm_ops`` index per searchable column (extension ``pg_trgm``,
created by the migration ``0003_search_indexes``); ``ILIKE '%q%'``, ``%`` and ``<%`` use it.

SQLite: the same indexes exist *empty* (``WHERE 0``: no storage, no write cost) only so that
the schema is the same on both backends. Search there uses an FTS5 ``trigram`` table per
registry (``lamin_registry_search_<model>``, external content, kept in sync by triggers),
which the migration creates and which is not part of the metadata (SQLAlchemy cannot
declare virtual tables).

Import this module from ``lamin_registry.models`` after the registries are defined.
"""

from __future__ import annotations

import sqlalchemy as sa

from . import core, features, labels  # noqa: F401 - defines the tables indexed below
from .base import metadata
from .types import PortableIndex

SEARCH_COLUMNS: dict[str, tuple[str, ...]] = {
    "lamindb_feature": ("name", "synonyms"),
    "lamindb_schema": ("name",),
    "lamindb_ulabel": ("name",),
    "lamindb_record": ("name",),
    "lamindb_project": ("name",),
    "lamindb_reference": ("name",),
    "lamindb_user": ("handle",),
}
"""Registry table -> the columns with a trigram index (the name field, and synonyms)."""


def trigram_index_name(table: str, column: str) -> str:
    return f"ix_{table}_{column}_trgm"


def fts_table_name(table: str) -> str:
    """The SQLite FTS5 table that indexes ``table`` (``lamin_registry_search_<model>``)."""
    return "lamin_registry_search_" + table.removeprefix("lamindb_")


def _declare() -> list[sa.Index]:
    indexes: list[sa.Index] = []
    for table_name, columns in SEARCH_COLUMNS.items():
        table = metadata.tables[table_name]
        for column in columns:
            indexes.append(
                PortableIndex(
                    trigram_index_name(table_name, column),
                    table.c[column],
                    dialect_options={
                        "postgresql": {"using": "gin", "ops": {column: "gin_trgm_ops"}},
                        "sqlite": {"where": sa.text("0")},
                    },
                )
            )
    return indexes


TRIGRAM_INDEXES = _declare()

__all__ = ["SEARCH_COLUMNS", "TRIGRAM_INDEXES", "fts_table_name", "trigram_index_name"]
