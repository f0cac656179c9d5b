"""Two user-defined registries, spelled the two documented ways.

Importing this module adds ``myapp_study`` and ``myapp_protocol`` to ``lr.metadata`` for the
whole test process; lamin_registry's own history and ``lr.migrate.check`` ignore them (they
belong to the user's history), and ``tests/test_migrations.py`` hides them explicitly.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

import lamin_registry as lr
from lamin_registry import fields
from lamin_registry.core import Record
from lamin_registry.mixins import CanCurate, HasType, TracksRun, TracksUpdates


class Study(lr.SQLRecord, HasType, TracksRun, TracksUpdates, CanCurate):
    """The SQLAlchemy spelling: ``lr.SQLRecord`` plus mixins, an explicit table name."""

    __tablename__ = "myapp_study"

    name: Mapped[str] = mapped_column(sa.String(150), index=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    synonyms: Mapped[str | None] = mapped_column(sa.Text)


class Protocol(Record, TracksRun):
    """The seed documentation's spelling: ``core.Record`` and ``fields``; default table name."""

    name: Mapped[str] = fields.CharField(db_index=True)
    n_steps: Mapped[int] = fields.IntegerField(default=0)
    study_id: Mapped[int | None] = fields.ForeignKey(Study, on_delete=fields.SET_NULL)
    study: Mapped[Study | None] = relationship()


TABLES = [Study.__table__, Protocol.__table__]
"""The tables a test database needs for these registries (in dependency order)."""
