"""Space, User, Branch, Team and Storage: the registries every other one points at."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, synonym

from .base import BaseSQLRecord, SQLRecord
from .mixins import CanCurate, TracksRun, TracksUpdates
from .types import (
    JSONType,
    PortableIndex,
    SmallIntPK,
    UTCDateTime,
    fk,
    partial_index_where,
    utcnow,
)


def _created_at() -> Mapped[dt.datetime]:
    return mapped_column(UTCDateTime, index=True, default=utcnow, server_default=sa.func.now())


def _updated_at() -> Mapped[dt.datetime]:
    return mapped_column(
        UTCDateTime, index=True, default=utcnow, onupdate=utcnow, server_default=sa.func.now()
    )


class Space(BaseSQLRecord):
    """An access boundary: every SQLRecord lives in one space; space 1 ``all`` is open to all."""

    _uid_length: ClassVar[int] = 12
    _dedupe_on_save: ClassVar[bool] = True  # saving "lab" twice returns the stored space

    id: Mapped[int] = mapped_column(SmallIntPK, primary_key=True)
    uid: Mapped[str] = mapped_column(sa.String(12), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100), index=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = _created_at()
    created_by_id: Mapped[int | None] = mapped_column(
        fk("lamindb_user.id", cascade=True), index=True
    )

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    __table_args__ = (sa.Index("unique_space_name_lower", sa.func.lower(name), unique=True),)


ANONYMOUS_HANDLE = "anonymous"
ANONYMOUS_UID = "00000000"
"""lamindb's uid of the anonymous user: lamindb looks its current user up by this uid."""


class User(CanCurate, BaseSQLRecord):
    """A person (or service) acting on the instance; ``handle`` is the name field."""

    _uid_length: ClassVar[int] = 8
    _name_field: ClassVar[str | None] = "handle"
    _init_aliases: ClassVar[dict[str, str]] = {"email": "_email"}
    _init_private_fields: ClassVar[frozenset[str]] = frozenset({"_email"})

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(sa.String(8), unique=True)
    handle: Mapped[str] = mapped_column(sa.String(30), unique=True)
    name: Mapped[str | None] = mapped_column(sa.String(150), index=True)
    # lamindb has no email column: on an adopted lamindb database it does not exist, so it
    # is loaded only when read, left out of INSERTs unless set, and (as in lamindb) not a
    # to_dataframe() column; ``email`` is its public name (adopt.py)
    _email: Mapped[str | None] = mapped_column(
        "email", sa.String(255), deferred=True, server_default=sa.null()
    )
    email: Mapped[str | None] = synonym("_email")
    created_at: Mapped[dt.datetime] = _created_at()
    updated_at: Mapped[dt.datetime] = _updated_at()

    __mapper_args__ = {"eager_defaults": False}  # INSERT ... RETURNING no email

    def _new_uid(self) -> str:
        """lamindb's well-known uid for ``anonymous`` (``00000000``), else a random one."""
        if self.__dict__.get("handle") == ANONYMOUS_HANDLE:
            return ANONYMOUS_UID
        return super()._new_uid()

    # Reverse collections declared by the registries through ``_created_by_backref``:
    # created_transforms, created_runs, created_artifacts.
    if TYPE_CHECKING:  # pragma: no cover - typing only
        created_transforms: list[Any]
        created_runs: list[Any]
        created_artifacts: list[Any]


class Branch(BaseSQLRecord):
    """A branch code: -1 trash, 0 archive, 1 main, 2 locked, 3 template, >3 named branches."""

    _uid_length: ClassVar[int] = 12

    STATUS_CODES: ClassVar[dict[str, int]] = {
        "closed": -2,
        "merged": -1,
        "standalone": 0,
        "draft": 1,
        "review": 2,
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(sa.String(12), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100), index=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    space_id: Mapped[int] = mapped_column(
        sa.SmallInteger, fk("lamindb_space.id"), index=True, default=1, server_default=sa.text("1")
    )
    created_at: Mapped[dt.datetime] = _created_at()
    created_by_id: Mapped[int] = mapped_column(fk("lamindb_user.id"), index=True, default=1)
    _status_code: Mapped[int] = mapped_column(
        "_status_code", sa.SmallInteger, index=True, default=0, server_default=sa.text("0")
    )
    _aux: Mapped[dict[str, Any] | None] = mapped_column("_aux", JSONType)

    space: Mapped[Space] = relationship(backref="branch_set")
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])

    __table_args__ = (sa.Index("unique_branch_name_lower", sa.func.lower(name), unique=True),)

    @property
    def status(self) -> str:
        """``standalone``, ``draft``, ``review``, ``merged`` or ``closed``."""
        codes = {code: name for name, code in self.STATUS_CODES.items()}
        return codes[self._status_code]

    @status.setter
    def status(self, value: str) -> None:
        if value not in self.STATUS_CODES:
            raise ValueError(
                "Invalid branch status. Expected one of: 'standalone', 'draft', 'review', "
                "'merged', 'closed'."
            )
        self._status_code = self.STATUS_CODES[value]


class Team(BaseSQLRecord):
    """A group of users that can be granted a role on a space."""

    _uid_length: ClassVar[int] = 12

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(sa.String(12), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = _created_at()
    created_by_id: Mapped[int] = mapped_column(fk("lamindb_user.id"), index=True, default=1)

    members: Mapped[list[User]] = relationship(secondary="lamindb_teamuser", backref="teams")


ROLES = ("read", "write", "admin")


class SpaceAccess(BaseSQLRecord):
    """A role (``read``, ``write``, ``admin``) of one user or one team on one space."""

    __tablename__ = "lamindb_spaceaccess"
    _name_field: ClassVar[str | None] = None

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(
        sa.SmallInteger, fk("lamindb_space.id", cascade=True), index=True
    )
    user_id: Mapped[int | None] = mapped_column(fk("lamindb_user.id", cascade=True), index=True)
    team_id: Mapped[int | None] = mapped_column(fk("lamindb_team.id", cascade=True), index=True)
    role: Mapped[str] = mapped_column(sa.String(10))
    created_at: Mapped[dt.datetime] = _created_at()
    created_by_id: Mapped[int] = mapped_column(fk("lamindb_user.id"), index=True, default=1)

    space: Mapped[Space] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    team: Mapped[Team | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("role IN ('read', 'write', 'admin')", name="role_is_known"),
        sa.CheckConstraint("(user_id IS NULL) <> (team_id IS NULL)", name="user_or_team"),
        PortableIndex(
            "unique_spaceaccess_user",
            "space_id",
            "user_id",
            unique=True,
            dialect_options=partial_index_where("user_id IS NOT NULL"),
        ),
        PortableIndex(
            "unique_spaceaccess_team",
            "space_id",
            "team_id",
            unique=True,
            dialect_options=partial_index_where("team_id IS NOT NULL"),
        ),
    )


class Storage(SQLRecord, TracksRun, TracksUpdates):
    """A storage location (``root``); file handling itself is out of scope."""

    _name_field: ClassVar[str | None] = "root"
    _soft_delete: ClassVar[bool] = False

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(sa.String(12), unique=True)
    root: Mapped[str] = mapped_column(sa.String(255), unique=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    type: Mapped[str] = mapped_column(sa.String(30), index=True)
    region: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    instance_uid: Mapped[str | None] = mapped_column(sa.String(12), index=True)
