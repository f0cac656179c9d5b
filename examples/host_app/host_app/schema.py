"""What belongs to host_app's Alembic history, shared by ``migrations/env.py`` and its tests.

host_app's tables sit in two MetaData objects: its own (``Base.metadata``) and, for its
user-defined registries, lamin_registry's (``lr.metadata``, which also holds the
``lamindb_*`` tables that lamin_registry's own history migrates). The name decides: every
table of host_app is called ``host_app_*``, and nothing else is ever compared, created or
dropped by host_app's history.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

import lamin_registry as lr

from .models import TABLE_PREFIX, Base

VERSION_TABLE = "alembic_version"
"""host_app's version table: Alembic's default (lamin_registry keeps its own)."""

TARGET_METADATA: list[sa.MetaData] = [Base.metadata, lr.metadata]
"""Autogenerate compares both: the host's own tables and its registries in ``lr.metadata``."""


def is_host_table(name: str | None) -> bool:
    """Whether ``name`` belongs to host_app's history (and not to lamin_registry's)."""
    return name is not None and name.startswith(TABLE_PREFIX)


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Reflect only host_app's tables, so lamin_registry's are never reported as removed."""
    return is_host_table(name) if type_ == "table" else True


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Compare only host_app's tables; ``lamindb_*`` belong to lamin_registry's history."""
    return is_host_table(name) if type_ == "table" else True


def configure_options(connection: sa.Connection) -> dict[str, Any]:
    """The ``context.configure`` options of host_app's history (also used by its tests)."""
    return {
        "target_metadata": TARGET_METADATA,
        "version_table": VERSION_TABLE,
        "include_name": include_name,
        "include_object": include_object,
        "compare_type": True,
        # reflected defaults differ by backend (`now()` vs `CURRENT_TIMESTAMP`): noise
        "compare_server_default": False,
        # frozen, portable scripts for lamin_registry's column types and defaults
        "render_item": lr.migrate.render_item,
        "render_as_batch": connection.dialect.name == "sqlite",
    }


__all__ = [
    "TARGET_METADATA",
    "VERSION_TABLE",
    "configure_options",
    "include_name",
    "include_object",
    "is_host_table",
]
