"""Transform and Run: what was executed, and each execution of it."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..errors import FieldValidationError
from ..features.accessor import HasFeatures
from ..uids import base62, decode_base62, encode_base62
from .base import SQLRecord
from .mixins import IsVersioned, TracksRun, TracksUpdates
from .types import JSONType, UTCDateTime, fk, utcnow

if TYPE_CHECKING:
    from .artifacts import Artifact, Collection
    from .core import User
    from .features import FeatureValue
    from .labels import Project, Record, Reference, ULabel

TRANSFORM_KINDS = ("function", "notebook", "pipeline", "script")
RUN_STATUS_CODES: dict[str, int] = {
    "scheduled": -3,
    "restarted": -2,
    "started": -1,
    "completed": 0,
    "errored": 1,
    "aborted": 2,
}


def check_key(key: object) -> None:
    """A key has no backslash and no ``.``/``..`` path segments (as in lamindb)."""
    if not isinstance(key, str):
        return
    if "\\" in key:
        raise FieldValidationError(f"key {key!r} must not contain a backslash; use '/'")
    if any(part in (".", "..") for part in re.split("/", key)):
        raise FieldValidationError(f"key {key!r} must not contain '.' or '..' path segments")


class VersionedRecord(IsVersioned, SQLRecord):
    """A registry whose uid is a stem plus a 4-character version suffix."""

    __abstract__ = True

    _name_field: ClassVar[str | None] = "key"
    _init_aliases: ClassVar[dict[str, str]] = {"version": "version_tag"}
    _init_extra: ClassVar[frozenset[str]] = frozenset({"aux", "revises"})

    def _new_uid(self) -> str:
        revises: Any = self._revises
        if revises is None:
            return base62(self._uid_stem_length) + "0000"
        # provisional: the save recomputes the suffix from the whole family
        uid: str = revises.uid
        stem, suffix = uid[: self._uid_stem_length], uid[self._uid_stem_length :]
        return stem + encode_base62(decode_base62(suffix) + 1, 4)

    def _prepare_kwargs(self, kwargs: dict[str, Any]) -> None:
        super()._prepare_kwargs(kwargs)
        revises: Any = kwargs.pop("revises", None)
        if revises is not None:
            own_class: Any = type(self)
            if not isinstance(revises, own_class):
                raise FieldValidationError(f"`revises` has to be of type `{type(self).__name__}`")
            if kwargs.get("key") is None:
                kwargs["key"] = revises.key
            if kwargs.get("description") is None and revises.description is not None:
                kwargs["description"] = revises.description
        self._revises = revises
        check_key(kwargs.get("key"))
        version = kwargs.get("version_tag")
        if version is not None and not isinstance(version, str):
            raise FieldValidationError(
                "`version` parameter must be `None` or `str`, e.g., '0.1', '1', '2', etc."
            )


class Transform(VersionedRecord, TracksRun, TracksUpdates):
    """A piece of code or a pipeline whose runs produce records."""

    _uid_length: ClassVar[int] = 16
    _uid_stem_length: ClassVar[int] = 12
    _created_by_backref: ClassVar[str | None] = "created_transforms"
    _run_backref: ClassVar[str | None] = "output_transforms"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(sa.String(16), unique=True)
    key: Mapped[str] = mapped_column(sa.String(1024), index=True)
    description: Mapped[str | None] = mapped_column(sa.Text, index=True)
    kind: Mapped[str] = mapped_column(sa.String(20), index=True, default="pipeline")
    source_code: Mapped[str | None] = mapped_column(sa.Text)
    hash: Mapped[str | None] = mapped_column(sa.String(22), index=True)
    reference: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    reference_type: Mapped[str | None] = mapped_column(sa.String(25), index=True)
    environment_id: Mapped[int | None] = mapped_column(
        fk("lamindb_artifact.id", cascade=True, use_alter=True), index=True
    )
    plan_id: Mapped[int | None] = mapped_column(
        fk("lamindb_artifact.id", cascade=True, use_alter=True), index=True
    )

    runs: Mapped[list[Run]] = relationship(
        back_populates="transform",
        foreign_keys="Run.transform_id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    records: Mapped[list[Record]] = relationship(
        secondary="lamindb_transformrecord", back_populates="transforms"
    )
    ulabels: Mapped[list[ULabel]] = relationship(
        secondary="lamindb_transformulabel", back_populates="transforms"
    )
    references: Mapped[list[Reference]] = relationship(
        secondary="lamindb_transformreference", back_populates="transforms"
    )
    projects: Mapped[list[Project]] = relationship(
        secondary="lamindb_transformproject", back_populates="transforms"
    )
    predecessors: Mapped[list[Transform]] = relationship(
        secondary="lamindb_transformtransform",
        primaryjoin="Transform.id == lamindb_transformtransform.c.successor_id",
        secondaryjoin="Transform.id == lamindb_transformtransform.c.predecessor_id",
        backref="successors",
    )

    __table_args__ = (sa.UniqueConstraint("key", "hash"),)

    _init_extra: ClassVar[frozenset[str]] = frozenset({"aux", "revises", "skip_hash_lookup"})

    @classmethod
    def _resolve_stored(cls, repo: Any, records: list[Any]) -> list[Any]:
        """Which stored transform each new one is (see ``versioning.resolve_transforms``)."""
        from ..versioning import resolve_transforms

        return resolve_transforms(repo, records)

    def _prepare_kwargs(self, kwargs: dict[str, Any]) -> None:
        skip = kwargs.pop("skip_hash_lookup", False)
        super()._prepare_kwargs(kwargs)
        if skip:
            self.__dict__["_skip_hash_lookup"] = True

    def _after_init(self, kwargs: dict[str, Any]) -> None:
        kind = kwargs.get("kind")
        if kind is not None and kind not in TRANSFORM_KINDS:
            raise FieldValidationError(
                f"\n  kind: {kind} is not a valid value\n"
                f"    → Valid values are: {', '.join(TRANSFORM_KINDS)}\n  "
            )


class Run(HasFeatures, SQLRecord, TracksUpdates):
    """One execution of a transform; records saved inside it carry its ``run_id``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """``Run(transform)`` or ``Run(transform=transform, ...)``, as in lamindb."""
        if len(args) > 1:
            raise FieldValidationError("Only one non-keyword arg allowed: transform")
        if args:
            if "transform" in kwargs:
                raise FieldValidationError("Pass transform once, positionally or as keyword")
            kwargs["transform"] = args[0]
        super().__init__(**kwargs)

    _uid_length: ClassVar[int] = 16
    _name_field: ClassVar[str | None] = "started_at"
    STATUS_CODES: ClassVar[dict[str, int]] = RUN_STATUS_CODES
    _dedupe_on_save: ClassVar[bool] = False

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True
    )
    uid: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str | None] = mapped_column(sa.String(150), index=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    transform_id: Mapped[int] = mapped_column(fk("lamindb_transform.id", cascade=True), index=True)
    entrypoint: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, index=True, default=utcnow, server_default=sa.func.now()
    )
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    report_id: Mapped[int | None] = mapped_column(
        fk("lamindb_artifact.id", use_alter=True), index=True
    )
    environment_id: Mapped[int | None] = mapped_column(
        fk("lamindb_artifact.id", use_alter=True), index=True
    )
    plan_id: Mapped[int | None] = mapped_column(
        fk("lamindb_artifact.id", use_alter=True), index=True
    )
    params: Mapped[Any | None] = mapped_column(JSONType)
    extra_data: Mapped[Any | None] = mapped_column(JSONType)
    reference: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    reference_type: Mapped[str | None] = mapped_column(sa.String(25), index=True)
    cli_args: Mapped[str | None] = mapped_column(sa.String(1024))
    created_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, index=True, default=utcnow, server_default=sa.func.now()
    )
    created_by_id: Mapped[int] = mapped_column(
        fk("lamindb_user.id", cascade=True), index=True, default=1
    )
    initiated_by_run_id: Mapped[int | None] = mapped_column(
        sa.BigInteger, fk("lamindb_run.id", cascade=True), index=True
    )
    _is_consecutive: Mapped[bool | None] = mapped_column("_is_consecutive")
    _status_code: Mapped[int] = mapped_column(
        "_status_code", sa.SmallInteger, index=True, default=-3, server_default=sa.text("-3")
    )

    transform: Mapped[Transform] = relationship(back_populates="runs", foreign_keys=[transform_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id], backref="created_runs")
    initiated_by_run: Mapped[Run | None] = relationship(
        remote_side=[id], foreign_keys=[initiated_by_run_id], backref="initiated_runs"
    )
    report: Mapped[Artifact | None] = relationship(foreign_keys=[report_id])
    json_values: Mapped[list[FeatureValue]] = relationship(
        secondary="lamindb_runjsonvalue", back_populates="runs"
    )
    ulabels: Mapped[list[ULabel]] = relationship(
        secondary="lamindb_runulabel", back_populates="runs"
    )
    artifacts: Mapped[list[Artifact]] = relationship(
        secondary="lamindb_artifactrun", back_populates="runs"
    )
    records: Mapped[list[Record]] = relationship(
        secondary="lamindb_runrecord", back_populates="runs"
    )
    projects: Mapped[list[Project]] = relationship(
        secondary="lamindb_runproject", back_populates="runs"
    )
    input_artifacts: Mapped[list[Artifact]] = relationship(
        secondary="lamindb_artifact_input_of_runs", back_populates="input_of_runs"
    )
    input_collections: Mapped[list[Collection]] = relationship(
        secondary="lamindb_collection_input_of_runs", back_populates="input_of_runs"
    )
    input_records: Mapped[list[Record]] = relationship(
        secondary="lamindb_record_input_of_runs", back_populates="input_of_runs"
    )

    @property
    def status(self) -> str:
        """``scheduled``, ``restarted``, ``started``, ``completed``, ``errored`` or ``aborted``."""
        codes = {code: name for name, code in RUN_STATUS_CODES.items()}
        return codes[self._status_code]

    @status.setter
    def status(self, value: str) -> None:
        if value not in RUN_STATUS_CODES:
            raise FieldValidationError(
                f"Invalid Run status {value!r}. Expected one of: "
                + ", ".join(repr(name) for name in RUN_STATUS_CODES)
                + "."
            )
        self._status_code = RUN_STATUS_CODES[value]
