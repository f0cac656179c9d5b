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


class _MembersQuery:
    """``type.query_<model>s(depth=None)``: the records below a type (``query_ulabels`` on a
    ULabel, ``query_records`` on a Record, ...); other spellings do not exist on a class."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type) -> Any:
        if self.name != f"query_{owner.__name__.lower()}s" or obj is None:
            raise AttributeError(self.name)

        def query(depth: int | None = None) -> Any:
            from ..features.accessor import repository_of
            from ..hierarchy import query_members

            return query_members(repository_of(obj), obj, depth)

        query.__doc__ = _MembersQuery.__doc__
        return query


def _repo(record: Any) -> Any:
    from ..features.accessor import repository_of

    return repository_of(record)


class HasTypeQueries:
    """``query_types()`` and ``query_<model>s()`` of the registries with types."""

    query_records = _MembersQuery()
    query_ulabels = _MembersQuery()
    query_features = _MembersQuery()
    query_schemas = _MembersQuery()
    query_projects = _MembersQuery()
    query_references = _MembersQuery()

    def query_types(self) -> list[Any]:
        """The types above this record, nearest first (a hidden type ends the chain)."""
        from ..hierarchy import query_types

        return query_types(_repo(self), self)


class HasType(HasTypeQueries):
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

    def query_parents(self) -> Any:
        """Every visible ancestor (one recursive statement; cycles end), as a Query."""
        from ..hierarchy import query_parents

        return query_parents(_repo(self), self)

    def query_children(self) -> Any:
        """Every visible descendant (one recursive statement; cycles end), as a Query."""
        from ..hierarchy import query_children

        return query_children(_repo(self), self)

    def view_parents(
        self,
        field: str | None = None,
        with_children: bool = False,
        distance: int = 5,
        return_str: bool = False,
    ) -> str | None:
        """Print a text tree of the ancestors (and with ``with_children`` descendants)."""
        from ..hierarchy import view_parents

        text = view_parents(_repo(self), self, field, with_children, distance)
        if return_str:
            return text
        print(text)
        return None

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


def _check_type_assignment(target: Any, value: Any, oldvalue: Any, initiator: Any) -> None:
    """``type=`` must be a record with ``is_type=True`` (lamindb's ``ValueError``)."""
    if value is None:
        return
    is_type = value.__dict__.get("is_type")
    if is_type is None:  # expired (after a rollback) or not loaded: ask the record
        try:
            is_type = bool(value.is_type)
        except sa.exc.SQLAlchemyError:  # detached and expired: the database decides
            return
    if not is_type:
        from ..errors import InvalidArgument

        model = type(target).__name__.lower()
        raise InvalidArgument(
            f"You can only assign a {model} with `is_type=True` as `type` to another {model}, "
            f"but this doesn't have it: {value!r}"
        )


@sa.event.listens_for(HasType, "mapper_configured", propagate=True)
def _add_type_check(mapper: Any, cls: type) -> None:
    if "type" in mapper.relationships:
        sa.event.listen(mapper.class_manager["type"], "set", _check_type_assignment)
