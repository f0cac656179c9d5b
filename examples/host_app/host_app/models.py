"""The host's own models, and one registry of its own built on lamin_registry.

Two kinds of tables live in the host's Alembic history:

* plain SQLAlchemy tables on the host's own ``DeclarativeBase`` (``Base.metadata``):
  ``host_app_note`` knows nothing about the registry, ``host_app_sample`` holds a foreign key
  to ``lamindb_ulabel`` and a relationship to :class:`lamin_registry.ULabel`;
* a user-defined registry, :class:`Experiment`, which subclasses ``lr.SQLRecord`` and
  therefore lives in ``lr.metadata`` next to lamin_registry's tables, yet is migrated by the
  host (lamin_registry's history owns only the ``lamindb_*`` tables).

Every table of the host is named ``host_app_*``; ``migrations/env.py`` uses that prefix to
tell its tables from lamin_registry's.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

import lamin_registry as lr
from lamin_registry.mixins import CanCurate, TracksRun, TracksUpdates

TABLE_PREFIX = "host_app_"
"""Every table of the host application, in either metadata, starts with this."""


class Base(DeclarativeBase):
    """The host's declarative base: its own MetaData, its own constraint names."""

    metadata = sa.MetaData(
        naming_convention={
            "ix": "ix_%(column_0_N_label)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class Note(Base):
    """A table of the host alone: no reference to the registry."""

    __tablename__ = "host_app_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(sa.Text)


class Sample(Base):
    """A host table pointing into the registry: each sample may carry one ULabel.

    The key targets the ``Column`` object of ``lamindb_ulabel`` rather than the string
    ``"lamindb_ulabel.id"``: the target lives in another MetaData, which a string could not
    resolve. The relationship names the class for the same reason (string names resolve
    only within one declarative registry).
    """

    __tablename__ = "host_app_sample"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    ulabel_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey(lr.ULabel.__table__.c.id, ondelete="RESTRICT"), index=True
    )
    ulabel: Mapped[lr.ULabel | None] = relationship(lr.ULabel)


class Experiment(lr.SQLRecord, CanCurate, TracksRun, TracksUpdates):
    """A registry of the host's own: the whole repository API works on it.

    It inherits ``id``, ``uid``, ``branch_id``, ``space_id``, ``is_locked``, ``_aux``
    (``SQLRecord``) and ``created_at``, ``created_by_id``, ``run_id``, ``updated_at``
    (the mixins); ``CanCurate`` enables validate/standardize and idempotent saves by name.
    """

    __tablename__ = "host_app_experiment"

    name: Mapped[str] = mapped_column(sa.String(150), index=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    synonyms: Mapped[str | None] = mapped_column(sa.Text)


__all__ = ["TABLE_PREFIX", "Base", "Experiment", "Note", "Sample"]
