"""ULabel, Record, Project and Reference: the labelling registries."""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..errors import FieldValidationError
from ..features.accessor import HasFeatures
from ..features.sheets import SheetAwareToDataFrame
from .base import SQLRecord
from .mixins import CanCurate, HasParents, HasType, TracksRun, TracksUpdates
from .types import JSONType, fk

if TYPE_CHECKING:
    from .artifacts import Artifact, Collection
    from .features import Feature, Schema
    from .tracking import Run, Transform

logger = logging.getLogger("lamin_registry")

_URL = re.compile(r"^(https?|ftp)://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_DOI = re.compile(r"^(https://doi\.org/|https://dx\.doi\.org/|doi:|DOI:)?10\.\d+/\S+$")


class ULabel(SQLRecord, HasType, HasParents, TracksRun, TracksUpdates, CanCurate):
    """A universal label: a name, optionally typed and arranged in a hierarchy."""

    _uid_length: ClassVar[int] = 8

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(sa.String(8), unique=True)
    name: Mapped[str] = mapped_column(sa.String(150), index=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    reference: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    reference_type: Mapped[str | None] = mapped_column(sa.String(25), index=True)

    artifacts: Mapped[list[Artifact]] = relationship(
        secondary="lamindb_artifactulabel", back_populates="ulabels"
    )
    transforms: Mapped[list[Transform]] = relationship(
        secondary="lamindb_transformulabel", back_populates="ulabels"
    )
    runs: Mapped[list[Run]] = relationship(secondary="lamindb_runulabel", back_populates="ulabels")
    collections: Mapped[list[Collection]] = relationship(
        secondary="lamindb_collectionulabel", back_populates="ulabels"
    )
    projects: Mapped[list[Project]] = relationship(
        secondary="lamindb_ulabelproject", back_populates="ulabels"
    )
    linked_in_records: Mapped[list[Record]] = relationship(
        secondary="lamindb_recordulabel",
        primaryjoin="ULabel.id == lamindb_recordulabel.c.value_id",
        secondaryjoin="Record.id == lamindb_recordulabel.c.record_id",
        viewonly=True,
    )


class Record(HasFeatures, SQLRecord, HasType, HasParents, TracksRun, TracksUpdates, CanCurate):
    """A typed record with features; a type with a schema is a sheet."""

    _uid_length: ClassVar[int] = 16
    _run_backref: ClassVar[str | None] = "output_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(sa.String(16), unique=True)
    name: Mapped[str | None] = mapped_column(sa.String(150), index=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    reference: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    reference_type: Mapped[str | None] = mapped_column(sa.String(25), index=True)
    extra_data: Mapped[Any | None] = mapped_column(JSONType)
    schema_id: Mapped[int | None] = mapped_column(fk("lamindb_schema.id", cascade=True), index=True)

    schema: Mapped[Schema | None] = relationship(backref="records")
    artifacts: Mapped[list[Artifact]] = relationship(
        secondary="lamindb_artifactrecord", back_populates="records"
    )
    runs: Mapped[list[Run]] = relationship(secondary="lamindb_runrecord", back_populates="records")
    transforms: Mapped[list[Transform]] = relationship(
        secondary="lamindb_transformrecord", back_populates="records"
    )
    collections: Mapped[list[Collection]] = relationship(
        secondary="lamindb_collectionrecord", back_populates="records"
    )
    projects: Mapped[list[Project]] = relationship(
        secondary="lamindb_projectrecord", back_populates="records"
    )
    references: Mapped[list[Reference]] = relationship(
        secondary="lamindb_referencerecord", back_populates="records"
    )
    input_of_runs: Mapped[list[Run]] = relationship(
        secondary="lamindb_record_input_of_runs", back_populates="input_records"
    )
    linked_ulabels: Mapped[list[ULabel]] = relationship(
        secondary="lamindb_recordulabel",
        primaryjoin="Record.id == lamindb_recordulabel.c.record_id",
        secondaryjoin="ULabel.id == lamindb_recordulabel.c.value_id",
        viewonly=True,
    )
    linked_records: Mapped[list[Record]] = relationship(
        secondary="lamindb_recordrecord",
        primaryjoin="Record.id == lamindb_recordrecord.c.record_id",
        secondaryjoin="Record.id == lamindb_recordrecord.c.value_id",
        viewonly=True,
    )
    linked_in_records: Mapped[list[Record]] = relationship(
        secondary="lamindb_recordrecord",
        primaryjoin="Record.id == lamindb_recordrecord.c.value_id",
        secondaryjoin="Record.id == lamindb_recordrecord.c.record_id",
        viewonly=True,
    )

    to_dataframe = SheetAwareToDataFrame()

    def _prepare_kwargs(self, kwargs: dict[str, Any]) -> None:
        super()._prepare_kwargs(kwargs)
        if kwargs.get("schema") is not None and not kwargs.get("is_type"):
            logger.info("passing schema, treating as type")
            kwargs["is_type"] = True


def _check_url(model: str, url: object) -> None:
    if url is not None and not (isinstance(url, str) and _URL.match(url)):
        raise FieldValidationError(f"\n  url: {url} is not valid\n    → Enter a valid URL.\n  ")


class Project(SQLRecord, HasType, HasParents, TracksRun, TracksUpdates, CanCurate):
    """A project that groups records of every registry."""

    _uid_length: ClassVar[int] = 12

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(sa.String(12), unique=True)
    name: Mapped[str] = mapped_column(sa.String(255), index=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    abbr: Mapped[str | None] = mapped_column(sa.String(32), index=True)
    url: Mapped[str | None] = mapped_column(sa.String(255))
    start_date: Mapped[dt.date | None] = mapped_column(sa.Date)
    end_date: Mapped[dt.date | None] = mapped_column(sa.Date)
    _status_code: Mapped[int] = mapped_column(
        "_status_code", sa.SmallInteger, index=True, default=0, server_default=sa.text("0")
    )

    artifacts: Mapped[list[Artifact]] = relationship(
        secondary="lamindb_artifactproject", back_populates="projects"
    )
    transforms: Mapped[list[Transform]] = relationship(
        secondary="lamindb_transformproject", back_populates="projects"
    )
    runs: Mapped[list[Run]] = relationship(
        secondary="lamindb_runproject", back_populates="projects"
    )
    ulabels: Mapped[list[ULabel]] = relationship(
        secondary="lamindb_ulabelproject", back_populates="projects"
    )
    features: Mapped[list[Feature]] = relationship(
        secondary="lamindb_featureproject", back_populates="projects"
    )
    schemas: Mapped[list[Schema]] = relationship(
        secondary="lamindb_schemaproject", back_populates="projects"
    )
    collections: Mapped[list[Collection]] = relationship(
        secondary="lamindb_collectionproject", back_populates="projects"
    )
    records: Mapped[list[Record]] = relationship(
        secondary="lamindb_projectrecord", back_populates="projects"
    )
    references: Mapped[list[Reference]] = relationship(
        secondary="lamindb_project_references", back_populates="projects"
    )
    predecessors: Mapped[list[Project]] = relationship(
        secondary="lamindb_project_predecessors",
        primaryjoin="Project.id == lamindb_project_predecessors.c.from_project_id",
        secondaryjoin="Project.id == lamindb_project_predecessors.c.to_project_id",
        backref="successors",
    )

    def _after_init(self, kwargs: dict[str, Any]) -> None:
        _check_url("Project", kwargs.get("url"))


class Reference(SQLRecord, HasType, TracksRun, TracksUpdates, CanCurate):
    """A publication, URL or DOI that records cite."""

    _uid_length: ClassVar[int] = 12

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(sa.String(12), unique=True)
    name: Mapped[str] = mapped_column(sa.String(255), index=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    abbr: Mapped[str | None] = mapped_column(sa.String(32), index=True)
    url: Mapped[str | None] = mapped_column(sa.String(200), index=True)
    pubmed_id: Mapped[int | None] = mapped_column(sa.BigInteger, index=True)
    doi: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    text: Mapped[str | None] = mapped_column(sa.Text)
    date: Mapped[dt.date | None] = mapped_column(sa.Date)

    artifacts: Mapped[list[Artifact]] = relationship(
        secondary="lamindb_artifactreference", back_populates="references"
    )
    transforms: Mapped[list[Transform]] = relationship(
        secondary="lamindb_transformreference", back_populates="references"
    )
    collections: Mapped[list[Collection]] = relationship(
        secondary="lamindb_collectionreference", back_populates="references"
    )
    records: Mapped[list[Record]] = relationship(
        secondary="lamindb_referencerecord", back_populates="references"
    )
    projects: Mapped[list[Project]] = relationship(
        secondary="lamindb_project_references", back_populates="references"
    )

    def _after_init(self, kwargs: dict[str, Any]) -> None:
        _check_url("Reference", kwargs.get("url"))
        doi = kwargs.get("doi")
        if doi is not None and not (isinstance(doi, str) and _DOI.match(doi)):
            raise FieldValidationError(
                f"\n  doi: {doi} is not valid\n    → Must be a DOI (e.g., 10.1000/xyz123 or "
                "https://doi.org/10.1000/xyz123)\n  "
            )
