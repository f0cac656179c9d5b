"""Feature, FeatureValue (lamindb's JsonValue) and Schema."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..errors import ValidationError
from .base import BaseSQLRecord, SQLRecord
from .mixins import CanCurate, HasType, TracksRun, TracksUpdates
from .types import JSONType, fk

if TYPE_CHECKING:
    from .artifacts import Artifact
    from .labels import Project
    from .tracking import Run

SIMPLE_DTYPES = frozenset(
    {
        "num",
        "int",
        "float",
        "str",
        "bool",
        "date",
        "datetime",
        "dict",
        "path",
        "url",
        "object",
        "cat",
    }
)
_COMPOSED_DTYPE = re.compile(r"^(cat|list)\[.+\]$")


def normalize_dtype(dtype: object) -> str:
    """lamindb's serialized dtype string: ``int`` -> ``"int"``, ULabel -> ``"cat[ULabel]"``."""
    if isinstance(dtype, type):
        if issubclass(dtype, BaseSQLRecord):
            return f"cat[{dtype.__name__}]"
        if dtype.__name__ in SIMPLE_DTYPES:
            return dtype.__name__
    if isinstance(dtype, str) and (dtype in SIMPLE_DTYPES or _COMPOSED_DTYPE.match(dtype)):
        return dtype
    raise ValidationError(
        f"Please pass dtype, one of {sorted(SIMPLE_DTYPES)} or a composed categorical dtype "
        f"such as 'cat[ULabel]', got {dtype!r}"
    )


def hash_value(value: Any) -> str:
    """lamindb's FeatureValue hash: MD5 of ``str(value)`` (sorted JSON for dicts), 22 chars.

    >>> hash_value(37.5)
    'x1psgBGwpW2nUHWL8e3jag'
    """
    text = json.dumps(value, sort_keys=True) if isinstance(value, dict) else str(value)
    digest = hashlib.md5(text.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")[:22]


def hash_lookup(hash_column: Any, digest: str) -> Any:
    """The condition that finds a stored value of hash ``digest``: its hash, or no hash at
    all (lamindb's ``JsonValue(feature=..., value=...).save()`` leaves ``hash`` NULL); keep
    only the rows :func:`has_hash` accepts."""
    return sa.or_(hash_column == digest, hash_column.is_(None))


def has_hash(stored_hash: str | None, stored_value: Any, digest: str) -> bool:
    """Whether a row found by :func:`hash_lookup` holds the value of hash ``digest``."""
    if stored_hash is not None:
        return stored_hash == digest
    return hash_value(stored_value) == digest


class Feature(SQLRecord, HasType, TracksRun, TracksUpdates, CanCurate):
    """A measured dimension with a dtype (``str``, ``float``, ``cat[ULabel]``, ...)."""

    _uid_length: ClassVar[int] = 12
    _init_aliases: ClassVar[dict[str, str]] = {"dtype": "_dtype_str"}
    _init_private_fields: ClassVar[frozenset[str]] = frozenset({"_dtype_str"})

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(sa.String(12), unique=True)
    name: Mapped[str] = mapped_column(sa.String(150), index=True)
    _dtype_str: Mapped[str | None] = mapped_column("_dtype_str", sa.String(255), index=True)
    _ounit_str: Mapped[str | None] = mapped_column("_ounit_str", sa.String(255), index=True)
    unit: Mapped[str | None] = mapped_column(sa.String(30), index=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    array_rank: Mapped[int] = mapped_column(sa.SmallInteger, index=True, default=0)
    array_size: Mapped[int] = mapped_column(index=True, default=0)
    array_shape: Mapped[Any | None] = mapped_column(JSONType)
    synonyms: Mapped[str | None] = mapped_column(sa.Text)
    default_value: Mapped[Any | None] = mapped_column(JSONType)
    nullable: Mapped[bool | None] = mapped_column()
    coerce: Mapped[bool | None] = mapped_column()

    values: Mapped[list[FeatureValue]] = relationship(
        back_populates="feature", passive_deletes=True
    )
    schemas: Mapped[list[Schema]] = relationship(
        secondary="lamindb_schemafeature", back_populates="features"
    )
    projects: Mapped[list[Project]] = relationship(
        secondary="lamindb_featureproject", back_populates="features"
    )

    __table_args__ = (
        sa.CheckConstraint(
            "is_type OR _dtype_str IS NOT NULL",
            name=sa.schema.conv("feature_dtype_str_not_null_when_is_type_false"),
        ),
    )

    @property
    def dtype(self) -> str | None:
        """The serialized dtype (``_dtype_str``)."""
        return self._dtype_str

    def _prepare_kwargs(self, kwargs: dict[str, Any]) -> None:
        super()._prepare_kwargs(kwargs)
        if kwargs.get("_dtype_str") is not None:
            kwargs["_dtype_str"] = normalize_dtype(kwargs["_dtype_str"])
        elif not kwargs.get("is_type"):
            normalize_dtype(None)  # raises the "Please pass dtype" error
        if not kwargs.get("is_type"):
            kwargs.setdefault("nullable", True)


class FeatureValue(SQLRecord, TracksRun):
    """A JSON value of a feature, unique per (feature, hash); lamindb's ``JsonValue``."""

    __tablename__ = "lamindb_jsonvalue"

    _uid_length: ClassVar[int] = 0
    _name_field: ClassVar[str | None] = "value"
    _dedupe_on_save: ClassVar[bool] = False

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True
    )
    feature_id: Mapped[int | None] = mapped_column(
        fk("lamindb_feature.id", cascade=True), index=True
    )
    value: Mapped[Any] = mapped_column(JSONType)
    hash: Mapped[str | None] = mapped_column(sa.String(22), index=True)

    feature: Mapped[Feature | None] = relationship(back_populates="values")
    artifacts: Mapped[list[Artifact]] = relationship(
        secondary="lamindb_artifactjsonvalue", back_populates="json_values"
    )
    runs: Mapped[list[Run]] = relationship(
        secondary="lamindb_runjsonvalue", back_populates="json_values"
    )

    __table_args__ = (
        sa.UniqueConstraint(
            "feature_id", "hash", name="lamindb_jsonvalue_feature_id_hash_21a74ed4_uniq"
        ),
    )

    def _after_init(self, kwargs: dict[str, Any]) -> None:
        if kwargs.get("hash") is None:
            self.hash = hash_value(self.value)

    @classmethod
    def get_or_create(cls, feature: Feature | None, value: Any) -> tuple[FeatureValue, bool]:
        """``(value_record, existed)`` through the active repository."""
        from .._context import active_repository

        return active_repository().get_or_create_feature_value(feature, value)


JsonValue = FeatureValue


class Schema(SQLRecord, HasType, TracksRun, TracksUpdates, CanCurate):
    """A set of features that validates datasets."""

    _uid_length: ClassVar[int] = 16
    _init_aliases: ClassVar[dict[str, str]] = {"dtype": "_dtype_str"}
    _init_private_fields: ClassVar[frozenset[str]] = frozenset({"_dtype_str"})

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(sa.String(16), unique=True)
    name: Mapped[str | None] = mapped_column(sa.String(150), index=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    n_members: Mapped[int | None] = mapped_column()
    coerce: Mapped[bool | None] = mapped_column()
    flexible: Mapped[bool | None] = mapped_column()
    itype: Mapped[str | None] = mapped_column(sa.String(120), index=True)
    otype: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    suffix: Mapped[str | None] = mapped_column(sa.String(30), index=True)
    _dtype_str: Mapped[str | None] = mapped_column("_dtype_str", sa.String(64))
    hash: Mapped[str | None] = mapped_column(sa.String(22), index=True)
    minimal_set: Mapped[bool] = mapped_column(index=True, default=True)
    ordered_set: Mapped[bool] = mapped_column(index=True, default=False)
    maximal_set: Mapped[bool] = mapped_column(index=True, default=False)

    features: Mapped[list[Feature]] = relationship(
        secondary="lamindb_schemafeature", back_populates="schemas"
    )
    projects: Mapped[list[Project]] = relationship(
        secondary="lamindb_schemaproject", back_populates="schemas"
    )
    components: Mapped[list[Schema]] = relationship(
        secondary="lamindb_schemacomponent",
        primaryjoin="Schema.id == lamindb_schemacomponent.c.composite_id",
        secondaryjoin="Schema.id == lamindb_schemacomponent.c.component_id",
        backref="composites",
    )
