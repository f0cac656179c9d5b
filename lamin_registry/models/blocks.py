"""Blocks: markdown readmes and comments, standalone (``Block``) or attached to a record.

Tables and columns are lamindb 2.12.1's (reference ``lamindb-features.md`` §8), so a lamindb
database stays readable by lamindb and is adopted as it is:

* ``Block`` (``lamindb_block``): a full SQLRecord (branch, space, lock) with a ``key``
  (``README.md`` or a registry id such as ``__lamindb_record__``), an ``anchor`` block and
  projects (``lamindb_blockproject``); versioned like Transform (by key, then by content).
* ``RecordBlock``, ``ArtifactBlock``, ``RunBlock``, ``SchemaBlock``, ``FeatureBlock``,
  ``ProjectBlock``, ``ULabelBlock``, ``SpaceBlock`` (owner NOT NULL), ``TransformBlock``
  (with ``line_number``) and ``CollectionBlock`` (owner nullable): attached to one owner
  (CASCADE), with ``branch_id``/``created_on_id`` but no space of their own -- the owner's
  space decides who reads and writes them. ``BranchBlock`` has no branch columns: its
  ``branch_id`` is the owner.

Attached blocks are of kind ``readme`` (versioned per owner) or ``comment`` (never
versioned). The rules live in :mod:`lamin_registry.blocks`; the owner's reverse collection is
lamindb's ``ablocks`` (``record.blocks`` is the same list, except on Project, where
``project.blocks`` is lamindb's many-to-many of standalone blocks).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship
from sqlalchemy.orm import backref as orm_backref

from ..errors import InvalidArgument
from ..uids import base62
from .base import BaseSQLRecord, HasBranch, SQLRecord
from .links import tracked_link
from .mixins import IsVersioned
from .types import BigIntPK, JSONType, UTCDateTime, fk, utcnow

if TYPE_CHECKING:
    from .core import User

BLOCK_KINDS = ("readme", "comment")
REGISTRY_IDS = tuple(
    f"__lamindb_{name}__"
    for name in (
        "artifact", "block", "collection", "feature", "jsonvalue", "project", "record", "run",
        "schema", "storage", "transform", "ulabel",
    )
)
BLOCK_KEYS = ("README.md",)
"""Keys of a standalone ``Block`` besides the registry ids (lamindb's ``RegistryId``)."""

BLOCK_PROJECT = tracked_link("block", "project")
"""``lamindb_blockproject``: projects that annotate a standalone block."""


class _BlockColumns(IsVersioned):
    """The columns every block table has (lamindb's ``BaseBlock``)."""

    _uid_length: ClassVar[int] = 20
    _uid_stem_length: ClassVar[int] = 16
    _name_field: ClassVar[str | None] = None
    _dedupe_on_save: ClassVar[bool] = True  # the versioning rules (blocks.resolve)
    _repr_skip: ClassVar[frozenset[str]] = frozenset({"hash"})

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    uid: Mapped[str] = mapped_column(sa.String(20), unique=True)
    content: Mapped[str] = mapped_column(sa.Text)
    hash: Mapped[str | None] = mapped_column(sa.String(22), index=True)
    kind: Mapped[str] = mapped_column(
        sa.String(22), index=True, default="readme", server_default="readme"
    )
    created_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, index=True, default=utcnow, server_default=sa.func.now()
    )
    created_by_id: Mapped[int] = mapped_column(fk("lamindb_user.id"), index=True, default=1)
    _status_code: Mapped[int] = mapped_column(
        "_status_code", sa.SmallInteger, index=True, default=0, server_default=sa.text("0")
    )

    @declared_attr
    def created_by(cls) -> Mapped[User]:
        model: Any = cls
        return relationship("User", foreign_keys=lambda: [model.created_by_id])

    def _new_uid(self) -> str:
        return base62(self._uid_stem_length) + "0000"

    @classmethod
    def _resolve_stored(cls, repo: Any, records: list[Any]) -> list[Any]:
        """Which stored block each new one is (readme versioning, ``blocks.resolve``)."""
        from ..blocks import resolve

        return resolve(repo, records)


def _keywords_only(cls: type, args: tuple[Any, ...]) -> None:
    if args:
        raise InvalidArgument(f"Please only use keyword arguments to construct a {cls.__name__}")


def _content(kwargs: dict[str, Any]) -> None:
    """``content`` defaults to ``""``; ``hash`` is the content's (None when empty)."""
    from ..versioning import source_hash

    content = kwargs.get("content")
    if content is None:
        content = kwargs["content"] = ""
    if not isinstance(content, str):
        raise InvalidArgument(f"content must be a str, got {type(content).__name__}")
    kwargs["hash"] = source_hash(content) if content else None


def _version(kwargs: dict[str, Any]) -> None:
    if "version" in kwargs:
        if "version_tag" in kwargs:
            raise InvalidArgument("Pass version or version_tag, not both")
        kwargs["version_tag"] = kwargs.pop("version")
    version = kwargs.get("version_tag")
    if version is not None and not isinstance(version, str):
        raise InvalidArgument(
            "`version` parameter must be `None` or `str`, e.g., '0.1', '1', '2', etc."
        )


class Block(_BlockColumns, SQLRecord):
    """A standalone markdown block (lamindb: experimental), e.g. a ``README.md`` page.

    ``Block(key=None, content=None, kind="readme", version=None, revises=None, anchor=None,
    branch=None, space=None)``; ``kind="readme"`` must be passed. Saving follows lamindb:
    a key whose latest block is empty is that block; the same content as a latest block is
    that block; other content under a key is the next version of the key's family.
    """

    _name_field: ClassVar[str | None] = "key"
    _space_backref: ClassVar[str | None] = "block_set"
    _init_extra: ClassVar[frozenset[str]] = frozenset({"aux", "revises", "version"})

    key: Mapped[str | None] = mapped_column(sa.String(1024), index=True)
    anchor_id: Mapped[int | None] = mapped_column(
        sa.BigInteger, fk("lamindb_block.id"), index=True
    )

    anchor: Mapped[Block | None] = relationship(
        remote_side="Block.id", foreign_keys=[anchor_id], backref="children"
    )
    projects: Mapped[list[Any]] = relationship(
        "Project", secondary="lamindb_blockproject", backref="blocks"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _keywords_only(type(self), args)
        allowed = {"key", "content", "kind", "version", "version_tag", "revises", "anchor",
                   "anchor_id", "branch", "branch_id", "space", "space_id", "uid", "aux",
                   "created_on", "created_on_id", "is_locked"}
        unknown = {key: value for key, value in kwargs.items() if key not in allowed}
        if unknown:
            raise InvalidArgument(
                "Only key, content, kind, version, revises, anchor, branch, space can be "
                f"passed, but you passed: {unknown}"
            )
        if kwargs.get("kind") != "readme":
            raise InvalidArgument("Only kind = 'readme' is supported for block.")
        key = kwargs.get("key")
        if key is not None and key not in (*REGISTRY_IDS, *BLOCK_KEYS):
            raise InvalidArgument(
                f"key must be one of RegistryId or {', '.join(BLOCK_KEYS)}: "
                f"{', '.join(REGISTRY_IDS)}"
            )
        revises = kwargs.pop("revises", None)
        if revises is not None and not isinstance(revises, Block):
            raise InvalidArgument("`revises` has to be of type `Block`")
        _version(kwargs)
        _content(kwargs)
        self._revises = revises
        super().__init__(**kwargs)


class _OnBranch(HasBranch):
    """An attached block: on a branch (lamindb's ``HasBranch``), carried by a merge."""

    _carried_by_merge: ClassVar[bool] = True  # branches.merge moves them


class AttachedBlock(_BlockColumns, BaseSQLRecord):
    """A readme or comment attached to one owner; subclasses name the owner (``_owner``).

    ``XBlock(<owner>=obj, content=..., kind="readme" | "comment", version=None,
    revises=None)``, plus ``branch``/``branch_id``/``created_on``/``created_on_id``.
    """

    __abstract__ = True

    _owner: ClassVar[str]
    """The owner relationship (``record``); its foreign key is ``<owner>_id``."""
    _owner_model: ClassVar[str]
    _owner_space: ClassVar[bool] = True
    """Whether the owner's space decides access (False for BranchBlock: branches are open)."""
    _delete_is_permanent: ClassVar[bool] = True  # lamindb: a plain Django delete
    _extra_keywords: ClassVar[tuple[str, ...]] = ()

    _aux: Mapped[dict[str, Any] | None] = mapped_column("_aux", JSONType, default=None)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        cls = type(self)
        _keywords_only(cls, args)
        owner = cls._owner
        allowed = {owner, f"{owner}_id", "content", "kind", "version", "version_tag",
                   "revises", "uid", "branch", "branch_id", "created_on", "created_on_id",
                   *cls._extra_keywords}
        unknown = {key: value for key, value in kwargs.items() if key not in allowed}
        if unknown:
            shown = sorted(allowed - {f"{owner}_id"})
            raise InvalidArgument(
                f"Only {', '.join(shown)} can be passed, but you passed: {unknown}"
            )
        if kwargs.get(owner) is None and kwargs.get(f"{owner}_id") is None:
            raise InvalidArgument(f"{owner} is required for {cls.__name__}")
        kind = kwargs.get("kind")
        if kind is None:
            raise InvalidArgument(f"kind is required for {cls.__name__}; use 'readme' or 'comment'")
        if kind not in BLOCK_KINDS:
            raise InvalidArgument(f"kind must be 'readme' or 'comment', got {kind!r}")
        revises = kwargs.pop("revises", None)
        if revises is not None:
            if kind == "comment":
                raise InvalidArgument(
                    "revises is not allowed for kind='comment'; comments are not versioned"
                )
            if not isinstance(revises, cls):
                raise InvalidArgument(f"`revises` has to be of type `{cls.__name__}`")
        _version(kwargs)
        _content(kwargs)
        self._revises = revises
        super().__init__(**kwargs)

    def _prepare_kwargs(self, kwargs: dict[str, Any]) -> None:
        if "branch" in kwargs:
            branch = kwargs.pop("branch")
            if branch is not None:
                kwargs["branch_id"] = branch.id
        if "created_on" in kwargs:
            created_on = kwargs.pop("created_on")
            if created_on is not None:
                kwargs["created_on_id"] = created_on.id
        if kwargs.get("branch_id") is not None:
            self._branch_given = True
            kwargs.setdefault("created_on_id", kwargs["branch_id"])


def _owner_key(owner: str, id_type: Any = sa.Integer, *, nullable: bool = False) -> Any:
    """The owner's foreign key: CASCADE, indexed."""
    return mapped_column(
        id_type, fk(f"lamindb_{owner}.id", cascade=True), index=True, nullable=nullable
    )


def _owner_relationship(model: str) -> Any:
    """The owner; its reverse collection is lamindb's ``ablocks`` (visible blocks only)."""
    return relationship(model, backref=orm_backref("ablocks", passive_deletes="all"))


class RecordBlock(_OnBranch, AttachedBlock):
    """A readme or comment attached to a Record."""

    _owner, _owner_model = "record", "Record"
    record_id: Mapped[int] = _owner_key("record")
    record: Mapped[Any] = _owner_relationship("Record")


class ArtifactBlock(_OnBranch, AttachedBlock):
    """A readme or comment attached to an Artifact."""

    _owner, _owner_model = "artifact", "Artifact"
    artifact_id: Mapped[int] = _owner_key("artifact")
    artifact: Mapped[Any] = _owner_relationship("Artifact")


class TransformBlock(_OnBranch, AttachedBlock):
    """A readme or comment attached to a Transform (optionally to a line of its source)."""

    _owner, _owner_model = "transform", "Transform"
    _extra_keywords: ClassVar[tuple[str, ...]] = ("line_number",)
    transform_id: Mapped[int | None] = _owner_key("transform", nullable=True)
    transform: Mapped[Any] = _owner_relationship("Transform")
    line_number: Mapped[int | None] = mapped_column(sa.Integer)


class RunBlock(_OnBranch, AttachedBlock):
    """A readme or comment attached to a Run."""

    _owner, _owner_model = "run", "Run"
    run_id: Mapped[int] = _owner_key("run", sa.BigInteger)
    run: Mapped[Any] = _owner_relationship("Run")


class CollectionBlock(_OnBranch, AttachedBlock):
    """A readme or comment attached to a Collection."""

    _owner, _owner_model = "collection", "Collection"
    collection_id: Mapped[int | None] = _owner_key("collection", nullable=True)
    collection: Mapped[Any] = _owner_relationship("Collection")


class SchemaBlock(_OnBranch, AttachedBlock):
    """A readme or comment attached to a Schema."""

    _owner, _owner_model = "schema", "Schema"
    schema_id: Mapped[int] = _owner_key("schema")
    schema: Mapped[Any] = _owner_relationship("Schema")


class FeatureBlock(_OnBranch, AttachedBlock):
    """A readme or comment attached to a Feature."""

    _owner, _owner_model = "feature", "Feature"
    feature_id: Mapped[int] = _owner_key("feature")
    feature: Mapped[Any] = _owner_relationship("Feature")


class ProjectBlock(_OnBranch, AttachedBlock):
    """A readme or comment attached to a Project."""

    _owner, _owner_model = "project", "Project"
    project_id: Mapped[int] = _owner_key("project")
    project: Mapped[Any] = _owner_relationship("Project")


class ULabelBlock(_OnBranch, AttachedBlock):
    """A readme or comment attached to a ULabel."""

    _owner, _owner_model = "ulabel", "ULabel"
    ulabel_id: Mapped[int] = _owner_key("ulabel")
    ulabel: Mapped[Any] = _owner_relationship("ULabel")


class SpaceBlock(_OnBranch, AttachedBlock):
    """A readme or comment attached to a Space (``space.blocks``); readers and writers of
    the space read and write it."""

    _owner, _owner_model = "space", "Space"
    space_id: Mapped[int] = _owner_key("space", sa.SmallInteger)
    space: Mapped[Any] = _owner_relationship("Space")


class BranchBlock(AttachedBlock):
    """A readme or comment attached to a Branch; ``branch_id`` is the owner (no branch
    columns of its own, so merging never moves it). Like branches, open to every user."""

    _owner, _owner_model = "branch", "Branch"
    _owner_space: ClassVar[bool] = False
    branch_id: Mapped[int] = _owner_key("branch")
    branch: Mapped[Any] = _owner_relationship("Branch")

    def _prepare_kwargs(self, kwargs: dict[str, Any]) -> None:
        if kwargs.get("branch") is not None:  # the owner, not a branch of the block
            kwargs["branch_id"] = kwargs.pop("branch").id


ATTACHED_BLOCKS: tuple[type[AttachedBlock], ...] = (
    RecordBlock, ArtifactBlock, TransformBlock, RunBlock, CollectionBlock, SchemaBlock,
    FeatureBlock, ProjectBlock, ULabelBlock, SpaceBlock, BranchBlock,
)
"""Every attached block registry (lamindb 2.12.1's eleven)."""

OWNER_BLOCKS: dict[str, type[AttachedBlock]] = {cls._owner_model: cls for cls in ATTACHED_BLOCKS}


def _owner_blocks(self: Any) -> list[Any]:
    """The blocks attached to this record (lamindb's ``ablocks``)."""
    return self.ablocks  # type: ignore[no-any-return]


def _notes(self: Any) -> str | None:
    """The content of the latest readme attached to this record, or None (lamindb's
    ``obj.notes``)."""
    readmes = [b for b in self.ablocks if b.kind == "readme" and b.is_latest]
    if not readmes:
        return None
    return max(readmes, key=lambda b: (b.created_at, b.id)).content  # type: ignore[no-any-return]


def _install_accessors() -> None:
    """``owner.blocks`` (= ``ablocks``; Project keeps lamindb's many-to-many of Blocks) and
    ``owner.notes`` (not on Space, as in lamindb)."""
    from . import artifacts, core, features, labels, tracking

    modules = (artifacts, core, features, labels, tracking)
    for name in OWNER_BLOCKS:
        owner = next(getattr(m, name) for m in modules if hasattr(m, name))
        if name != "Project":
            owner.blocks = property(_owner_blocks, doc=_owner_blocks.__doc__)
        if name != "Space":
            owner.notes = property(_notes, doc=_notes.__doc__)


_install_accessors()
