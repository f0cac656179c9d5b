"""Mixins that give a registry lamindb's column groups.

Each mixin carries typed columns; ``declared_attr`` appears only where a mixin needs the class
(self-references, relationships, per-class link tables).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship
from sqlalchemy.orm import backref as orm_backref

from .types import UTCDateTime, fk, utcnow


class TracksRun:
    """``created_at``, ``created_by_id`` and ``run_id``: who made the record, in which run."""

    _created_by_backref: ClassVar[str | None] = None
    _run_backref: ClassVar[str | None] = None

    created_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, index=True, default=utcnow, server_default=sa.func.now()
    )
    created_by_id: Mapped[int] = mapped_column(fk("lamindb_user.id"), index=True, default=1)
    run_id: Mapped[int | None] = mapped_column(
        sa.BigInteger, fk("lamindb_run.id", use_alter=True), index=True
    )

    @declared_attr
    def created_by(cls) -> Mapped[Any]:
        model: Any = cls
        return relationship(
            "User", foreign_keys=lambda: [model.created_by_id], backref=cls._created_by_backref
        )

    @declared_attr
    def run(cls) -> Mapped[Any]:
        model: Any = cls
        return relationship("Run", foreign_keys=lambda: [model.run_id], backref=cls._run_backref)


class TracksUpdates:
    """``updated_at``, refreshed on every update (lamindb leaves it at creation time)."""

    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, index=True, default=utcnow, onupdate=utcnow, server_default=sa.func.now()
    )


class HasType:
    """``is_type`` and ``type_id``: records organised under type records of the same registry.

    The reverse collection is the lowercased plural of the class (``ULabel.ulabels``).
    """

    is_type: Mapped[bool] = mapped_column(index=True, default=False, server_default=sa.false())

    @declared_attr
    def type_id(cls) -> Mapped[int | None]:
        model: Any = cls
        return mapped_column(fk(f"{model.__tablename__}.id"), index=True)

    @declared_attr
    def type(cls) -> Mapped[Any]:
        model: Any = cls
        return relationship(
            lambda: model,
            remote_side=lambda: [model.id],
            foreign_keys=lambda: [model.type_id],
            backref=orm_backref(f"{model.__name__.lower()}s"),
        )


class HasParents:
    """``parents`` and ``children`` through ``<table>_parents`` (lamindb's self many-to-many)."""

    @declared_attr
    def parents(cls) -> Mapped[list[Any]]:
        table_name: str = cls.__tablename__  # type: ignore[attr-defined]
        model = table_name.split("_", 1)[1]
        link = sa.Table(
            f"{table_name}_parents",
            cls.metadata,  # type: ignore[attr-defined]
            sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
            sa.Column(
                f"from_{model}_id",
                sa.Integer,
                fk(f"{table_name}.id", cascade=True),
                nullable=False,
                index=True,
            ),
            sa.Column(
                f"to_{model}_id",
                sa.Integer,
                fk(f"{table_name}.id", cascade=True),
                nullable=False,
                index=True,
            ),
            sa.UniqueConstraint(f"from_{model}_id", f"to_{model}_id"),
        )
        registry: Any = cls
        return relationship(
            lambda: registry,
            secondary=link,
            primaryjoin=lambda: registry.id == link.c[f"from_{model}_id"],
            secondaryjoin=lambda: registry.id == link.c[f"to_{model}_id"],
            backref="children",
        )


class IsVersioned:
    """``version_tag`` and ``is_latest``: version families sharing a uid stem."""

    _uid_stem_length: ClassVar[int] = 12

    version_tag: Mapped[str | None] = mapped_column(sa.String(30), index=True)
    is_latest: Mapped[bool] = mapped_column(index=True, default=True)

    @property
    def stem_uid(self) -> str:
        """The uid without its 4-character version suffix."""
        uid: str = getattr(self, "uid")  # noqa: B009 - the registry declares uid
        return uid[: self._uid_stem_length]

    @property
    def versions(self) -> Any:
        """Every version of this record's family (visible branches), newest first."""
        from .._context import active_repository

        model: Any = type(self)
        return (
            active_repository()
            .filter(model, uid__startswith=self.stem_uid)
            .order_by("-created_at", "-id")
        )

    @property
    def version(self) -> str:
        """The version tag, or the uid's 4-character suffix when untagged."""
        uid: str = getattr(self, "uid")  # noqa: B009 - the registry declares uid
        return self.version_tag or uid[self._uid_stem_length :]


class CanCurate:
    """Marks a registry for curation (validate, inspect, standardize, from_values)."""

    _dedupe_on_save: ClassVar[bool] = True


__all__ = ["CanCurate", "HasParents", "HasType", "IsVersioned", "TracksRun", "TracksUpdates"]
