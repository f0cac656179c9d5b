"""Artifact and Collection: datasets and groups of them (storage handling is out of scope)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..features.accessor import HasFeatures
from .mixins import TracksRun, TracksUpdates
from .tracking import VersionedRecord
from .types import JSONType, PortableIndex, fk, partial_index_where

if TYPE_CHECKING:
    from .core import Storage, User
    from .features import FeatureValue, Schema
    from .labels import Project, Record, Reference, ULabel
    from .tracking import Run


class Artifact(HasFeatures, VersionedRecord, TracksRun, TracksUpdates):
    """A dataset or file, described by its key, hash and annotations."""

    _uid_length: ClassVar[int] = 20
    _uid_stem_length: ClassVar[int] = 16
    _created_by_backref: ClassVar[str | None] = "created_artifacts"
    _run_backref: ClassVar[str | None] = "output_artifacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(sa.String(20), unique=True)
    key: Mapped[str | None] = mapped_column(sa.String(1024), index=True)
    _real_key: Mapped[str | None] = mapped_column("_real_key", sa.String(1024), index=True)
    description: Mapped[str | None] = mapped_column(sa.Text, index=True)
    storage_id: Mapped[int] = mapped_column(fk("lamindb_storage.id"), index=True)
    suffix: Mapped[str] = mapped_column(sa.String(30), default="")
    kind: Mapped[str | None] = mapped_column(sa.String(20), index=True)
    otype: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    size: Mapped[int | None] = mapped_column(sa.BigInteger, index=True)
    hash: Mapped[str | None] = mapped_column(sa.String(22), index=True)
    _hash_type: Mapped[str | None] = mapped_column("_hash_type", sa.String(30), index=True)
    n_files: Mapped[int | None] = mapped_column(sa.BigInteger, index=True)
    n_observations: Mapped[int | None] = mapped_column(sa.BigInteger, index=True)
    extra_data: Mapped[Any | None] = mapped_column(JSONType)
    _key_is_virtual: Mapped[bool] = mapped_column("_key_is_virtual", default=False)
    _overwrite_versions: Mapped[bool] = mapped_column("_overwrite_versions", default=False)
    schema_id: Mapped[int | None] = mapped_column(fk("lamindb_schema.id"), index=True)

    storage: Mapped[Storage] = relationship(backref="artifacts")
    schema: Mapped[Schema | None] = relationship(backref="validated_artifacts")
    ulabels: Mapped[list[ULabel]] = relationship(
        secondary="lamindb_artifactulabel", back_populates="artifacts"
    )
    records: Mapped[list[Record]] = relationship(
        secondary="lamindb_artifactrecord", back_populates="artifacts"
    )
    projects: Mapped[list[Project]] = relationship(
        secondary="lamindb_artifactproject", back_populates="artifacts"
    )
    references: Mapped[list[Reference]] = relationship(
        secondary="lamindb_artifactreference", back_populates="artifacts"
    )
    users: Mapped[list[User]] = relationship(
        secondary="lamindb_artifactuser",
        primaryjoin="Artifact.id == lamindb_artifactuser.c.artifact_id",
        secondaryjoin="User.id == lamindb_artifactuser.c.user_id",
        backref="artifacts",
    )
    json_values: Mapped[list[FeatureValue]] = relationship(
        secondary="lamindb_artifactjsonvalue", back_populates="artifacts"
    )
    runs: Mapped[list[Run]] = relationship(
        secondary="lamindb_artifactrun", back_populates="artifacts"
    )
    input_of_runs: Mapped[list[Run]] = relationship(
        secondary="lamindb_artifact_input_of_runs", back_populates="input_artifacts"
    )
    collections: Mapped[list[Collection]] = relationship(
        secondary="lamindb_collectionartifact", back_populates="artifacts"
    )

    __table_args__ = (
        PortableIndex(
            "unique_artifact_storage_key_hash_not_null",
            "storage_id",
            "key",
            "hash",
            unique=True,
            dialect_options=partial_index_where("key IS NOT NULL"),
        ),
        PortableIndex(
            "unique_artifact_storage_hash_null_key",
            "storage_id",
            "hash",
            unique=True,
            dialect_options=partial_index_where("key IS NULL"),
        ),
    )


class Collection(VersionedRecord, TracksRun, TracksUpdates):
    """A versioned group of artifacts."""

    _uid_length: ClassVar[int] = 20
    _uid_stem_length: ClassVar[int] = 16
    _run_backref: ClassVar[str | None] = "output_collections"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(sa.String(20), unique=True)
    key: Mapped[str] = mapped_column(sa.String(255), index=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    hash: Mapped[str | None] = mapped_column(sa.String(22), index=True)
    reference: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    reference_type: Mapped[str | None] = mapped_column(sa.String(25), index=True)
    schema_id: Mapped[int | None] = mapped_column(fk("lamindb_schema.id"), index=True)
    meta_artifact_id: Mapped[int | None] = mapped_column(fk("lamindb_artifact.id"), unique=True)

    schema: Mapped[Schema | None] = relationship(backref="validated_collections")
    meta_artifact: Mapped[Artifact | None] = relationship(foreign_keys=[meta_artifact_id])
    artifacts: Mapped[list[Artifact]] = relationship(
        secondary="lamindb_collectionartifact", back_populates="collections"
    )
    ulabels: Mapped[list[ULabel]] = relationship(
        secondary="lamindb_collectionulabel", back_populates="collections"
    )
    records: Mapped[list[Record]] = relationship(
        secondary="lamindb_collectionrecord", back_populates="collections"
    )
    references: Mapped[list[Reference]] = relationship(
        secondary="lamindb_collectionreference", back_populates="collections"
    )
    projects: Mapped[list[Project]] = relationship(
        secondary="lamindb_collectionproject", back_populates="collections"
    )
    input_of_runs: Mapped[list[Run]] = relationship(
        secondary="lamindb_collection_input_of_runs", back_populates="input_collections"
    )

    __table_args__ = (
        sa.UniqueConstraint("key", "hash", name="unique_collection_key_hash_not_null"),
    )
