"""Feature, FeatureValue (lamindb's JsonValue) and Schema."""

from __future__ import annotations

import base64
import hashlib
import json
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

def normalize_dtype(dtype: object, cat_filters: dict[str, Any] | None = None) -> str:
    """lamindb's serialized dtype string: ``int`` -> ``"int"``, ULabel -> ``"cat[ULabel]"``,
    a saved type -> ``"cat[ULabel[<uid>]]"`` (see :mod:`lamin_registry.features.dtypes`)."""
    from ..features.dtypes import serialize

    return serialize(dtype, cat_filters)


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
    _init_extra: ClassVar[frozenset[str]] = frozenset({"aux", "cat_filters"})

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

    @property
    def dtype_as_str(self) -> str | None:
        """The serialized dtype, as lamindb names it (filter with ``dtype_as_str=...``)."""
        return self._dtype_str

    def with_config(self, optional: bool | None = None) -> tuple[Feature, dict[str, Any]]:
        """This feature with its configuration for a Schema: ``Schema(features=[
        age.with_config(optional=True)])`` makes it an optional member (as lamindb)."""
        return self, {} if optional is None else {"optional": optional}

    def _prepare_kwargs(self, kwargs: dict[str, Any]) -> None:
        super()._prepare_kwargs(kwargs)
        cat_filters = kwargs.pop("cat_filters", None)
        if kwargs.get("_dtype_str") is not None:
            kwargs["_dtype_str"] = normalize_dtype(kwargs["_dtype_str"], cat_filters)
        elif not kwargs.get("is_type"):
            normalize_dtype(None)  # raises the "Please pass dtype" error
        if not kwargs.get("is_type"):
            kwargs.setdefault("nullable", True)

    def _on_stored_match(self, stored: Feature, repo: Any) -> None:
        """Saving ``Feature(name=n, dtype=d)`` where ``n`` exists with another dtype: refused
        while values use the stored feature (they were validated against its dtype); else
        the stored feature takes the new dtype."""
        new = self.__dict__.get("_dtype_str")
        if new is None or new == stored._dtype_str:
            return
        from ..features.api import feature_in_use

        if feature_in_use(repo, stored.id):
            raise ValidationError(
                f"Feature {stored.name!r} exists with dtype {stored._dtype_str!r} and values "
                f"use it; it cannot become {new!r}. Remove its values first, or create a "
                "feature with another name."
            )
        stored._dtype_str = new

    # -- predicates: ``repo.filter(lr.Record, age > 40)`` --------------------------------------

    __hash__ = BaseSQLRecord.__hash__

    def _predicate(self, op: str, value: Any) -> Any:
        from ..features.lookups import FeaturePredicate

        return FeaturePredicate(self, op, value)

    def __eq__(self, other: object) -> Any:
        if isinstance(other, Feature) or not _comparable(self, other):
            return self is other
        return self._predicate("exact", other)

    def __ne__(self, other: object) -> Any:
        if isinstance(other, Feature) or not _comparable(self, other):
            return self is not other
        return self._predicate("ne", other)

    def __gt__(self, other: Any) -> Any:
        return self._predicate("gt", other)

    def __ge__(self, other: Any) -> Any:
        return self._predicate("gte", other)

    def __lt__(self, other: Any) -> Any:
        return self._predicate("lt", other)

    def __le__(self, other: Any) -> Any:
        return self._predicate("lte", other)

    def is_null(self, value: bool = True) -> Any:
        """A predicate: hosts without (True) or with (False) a value of this feature."""
        if not isinstance(value, bool):
            raise TypeError("Feature.is_null() expects a bool value.")
        return self._predicate("isnull", value)

    @classmethod
    def from_dict(
        cls,
        dictionary: dict[str, Any],
        field: Any = None,
        *,
        type: Feature | None = None,
        mute: bool = False,
    ) -> list[Feature]:
        """One unsaved Feature per key, its dtype inferred from the value (lamindb §1.8)."""
        from ..features.dtypes import infer

        if field is not None and getattr(field, "class_", None) is not Feature:
            raise ValueError("field must be a Feature FieldAttr!")
        features = []
        for name, value in dictionary.items():
            dtype = infer(value).replace("cat ? str", "str")
            if dtype == "?":
                raise ValueError(f"dtype is '?' for {name!r}: cannot infer a dtype from {value!r}")
            features.append(Feature(name=name, dtype=dtype, type=type))
        return features


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


def _comparable(feature: Feature, other: object) -> bool:
    """Whether ``feature == other`` builds a predicate: plain values, and records of the
    feature's categorical registries (other records compare as objects)."""
    if isinstance(other, BaseSQLRecord):
        from ..features.dtypes import parse

        try:
            dtype = parse(feature._dtype_str or "")
        except ValidationError:
            return False
        return any(isinstance(other, target.model) for target in dtype.targets)
    return other is not None


class Schema(SQLRecord, HasType, TracksRun, TracksUpdates, CanCurate):
    """A set of features that validates datasets."""

    _uid_length: ClassVar[int] = 16
    _init_aliases: ClassVar[dict[str, str]] = {"dtype": "_dtype_str"}
    _init_private_fields: ClassVar[frozenset[str]] = frozenset({"_dtype_str"})
    _init_extra: ClassVar[frozenset[str]] = frozenset({"aux", "index"})

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

    def _prepare_kwargs(self, kwargs: dict[str, Any]) -> None:
        """``features=[f, g.with_config(optional=True)]`` and ``index=<feature>``, stored as
        lamindb does: optional member uids in ``_aux["af"]["1"]``, the index feature's uid
        in ``_aux["af"]["3"]`` (the index is a member too)."""
        super()._prepare_kwargs(kwargs)
        features = kwargs.get("features")
        optional: list[Feature] = []
        if isinstance(features, list | tuple):
            plain: list[Feature] = []
            for item in features:
                if isinstance(item, tuple):
                    feature, options = item
                    if options.get("optional"):
                        optional.append(feature)
                    item = feature
                plain.append(item)
            kwargs["features"] = plain
        index = kwargs.pop("index", None)
        if index is not None:
            if not isinstance(index, Feature):
                raise ValidationError(f"index must be a Feature, got {index!r}")
            members = kwargs.setdefault("features", [])
            if index not in members:
                members.append(index)
        aux = dict(kwargs.get("_aux") or {})
        config: dict[str, Any] = dict(aux.get("af") or {})
        if optional:
            config["1"] = [feature.uid for feature in optional]
        if index is not None:
            config["3"] = index.uid
        if config:
            aux["af"] = config
            kwargs["_aux"] = aux

    @property
    def optionals(self) -> SchemaOptionals:
        """The optional members (lamindb's ``schema.optionals``)."""
        return SchemaOptionals(self)

    @property
    def _index_feature_uid(self) -> str | None:
        config = (self._aux or {}).get("af") or {}
        uid = config.get("3")
        return uid if isinstance(uid, str) else None

    @property
    def index(self) -> Feature | None:
        """The member whose value a sheet record stores on ``Record.name``."""
        uid = self._index_feature_uid
        if uid is None:
            return None
        return next((feature for feature in self.features if feature.uid == uid), None)


class SchemaOptionals:
    """``schema.optionals``: the uids of the optional members (``get_uids``, ``set``)."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema

    def get_uids(self) -> list[str]:
        config = (self.schema._aux or {}).get("af") or {}
        uids = config.get("1") or []
        return [uid for uid in uids if isinstance(uid, str)]

    def set(self, features: list[Feature]) -> None:
        """Make exactly ``features`` optional (save the schema afterwards)."""
        if not isinstance(features, list) or not all(isinstance(f, Feature) for f in features):
            raise TypeError("features must be a list of Feature records!")
        aux = dict(self.schema._aux or {})
        config = dict(aux.get("af") or {})
        config["1"] = [feature.uid for feature in features]
        aux["af"] = config
        self.schema._aux = aux
