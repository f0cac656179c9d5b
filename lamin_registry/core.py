"""The seed documentation's spelling of a user-defined registry::

    from sqlalchemy.orm import Mapped
    from lamin_registry import fields
    from lamin_registry.core import Record

    class Experiment(Record):            # defined in package ``myapp``: table ``myapp_experiment``
        name: Mapped[str] = fields.CharField(db_index=True)

``Record`` here is :class:`lamin_registry.SQLRecord` itself (branches, spaces, lock, ``_aux``;
an ``id`` and a 12-character ``uid`` unless the class declares its own), not lamindb's
``Record`` registry, which stays ``lr.Record``. The table name defaults to
``<top-level package of the defining module>_<lowercased class name>``; set
``__tablename__`` to choose another (never a ``lamindb_`` one: those belong to
lamin_registry's own migration history).
"""

from __future__ import annotations

from .models.base import BaseSQLRecord, SQLRecord
from .models.mixins import CanCurate, HasParents, HasType, IsVersioned, TracksRun, TracksUpdates

Record = SQLRecord
"""Alias of :class:`lamin_registry.SQLRecord`: subclass it for a registry of your own."""

__all__ = [
    "BaseSQLRecord",
    "CanCurate",
    "HasParents",
    "HasType",
    "IsVersioned",
    "Record",
    "SQLRecord",
    "TracksRun",
    "TracksUpdates",
]
