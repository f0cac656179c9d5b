"""Blocks: what saving one means (lamindb's versioning rules), merges, reading notes.

The models are in ``models/blocks.py``; lamindb 2.12.1's rules are in the reference
(``lamindb-features.md`` §8). lamindb applies them in the constructor; SQLAlchemy
constructors cannot return another object, so here they apply when the block is saved
(``repo.save`` returns the stored block, as for every registry with idempotent saves):

* **attached readme** (``RecordBlock(record=r, kind="readme", content=...)``): versioned per
  owner. The owner's latest readme (visible branches, the current one first) is the head:
  an empty head *is* the block (it takes the new content -- lamindb returns it and drops the
  content, which loses it; we keep it), the same content is the head, other content is the
  next version (uid stem + next suffix, the head is demoted on save).
* **attached comment**: a new row every time (``...0000``, ``is_latest``), never versioned.
* **Block** (``key`` = ``README.md`` or a registry id): like Transform -- the key's latest
  non-trashed block is the head (empty: it takes the content); then any latest, non-trashed
  block with the same content is the block; else a new version of the key's family.

Access: an attached block is read and written through its owner (``access.space_condition``,
``access._check_block``); a Block is a SQLRecord like any other. Merging moves attached
blocks (``_carried_by_merge``, checked by :func:`check_move`) and Blocks with every record
(``branches.merge``), keeping one latest version per family on the target.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from . import access
from .errors import InvalidArgument
from .models.blocks import OWNER_BLOCKS, AttachedBlock, Block, BranchBlock

if TYPE_CHECKING:
    from .repository import Repository

logger = logging.getLogger("lamin_registry")

TRASH_BRANCH = -1


def resolve(repo: Repository, records: list[Any]) -> list[Any | None]:
    """For each new block, the stored block it is (returned instead of inserting), or None
    to insert it (a new family, or with ``_revises`` set: the next version of one)."""
    from .repository import _detach_from_related

    matches: list[Any | None] = []
    readmes: set[tuple[type, Any]] = set()
    for record in records:
        if isinstance(record, Block):
            match = _resolve_block(repo, record)
        else:
            owner = _owner(repo, record)
            match = _resolve_attached(repo, record, owner)
            if match is None and record.kind == "readme":
                family = (type(record), _identity(owner))
                if family in readmes:
                    raise InvalidArgument(
                        f"Two readmes of one {type(record)._owner} in one save: save them one "
                        "at a time (the second becomes the next version of the first)"
                    )
                readmes.add(family)
        if match is not None:
            _detach_from_related(record)
        matches.append(match)
    return matches


def _identity(record: Any) -> Any:
    identity = sa.inspect(record).identity
    return identity[0] if identity else None


def _owner(repo: Repository, record: AttachedBlock) -> Any:
    """The block's owner, read with the repository's visibility (DoesNotExist otherwise),
    kept on the block for the access check (``access.block_owner``)."""
    cls = type(record)
    name = cls._owner
    owner = record.__dict__.get(name)
    if owner is not None:
        if sa.inspect(owner).key is None:
            raise InvalidArgument(f"Save the {name} {owner!r} before attaching blocks to it")
        return owner
    owner_id = record.__dict__.get(f"{name}_id")
    model: Any = sa.inspect(cls).relationships[name].mapper.class_
    owner = repo.get(model, owner_id)
    record.__dict__["_owner_record"] = owner
    return owner


def _latest(repo: Repository, model: Any, *conditions: Any) -> Any:
    """The newest latest row of ``model`` matching ``conditions``, the current branch first."""
    order = [model.created_at.desc(), model.id.desc()]
    if model is not BranchBlock:
        order.insert(0, (model.branch_id == repo.current_branch_id).desc())
    rows = repo._scalars(
        sa.select(model)
        .where(*conditions, model.is_latest.is_(True))
        .order_by(*order)
        .limit(1)
    )
    return rows[0] if rows else None


def _take_content(head: Any, record: Any, what: str) -> Any:
    if record.content:
        head.content, head.hash = record.content, record.hash
    logger.info("no content was yet saved, returning existing block with same %s", what)
    return head


def _resolve_attached(repo: Repository, record: AttachedBlock, owner: Any) -> Any | None:
    if record.kind == "comment" or getattr(record, "_uid_given", False):
        return None
    if getattr(record, "_revises", None) is not None:
        return None  # an explicit revision: the next version of that family
    model: Any = type(record)
    name = model._owner
    visible = repo._visibility(model, branches=model is not BranchBlock)
    head = _latest(
        repo, model, getattr(model, f"{name}_id") == _identity(owner), model.kind == "readme",
        *visible,
    )
    if head is None:
        return None
    if not head.content:
        return _take_content(head, record, f"{name} and kind")
    if record.hash == head.hash:
        logger.info("returning existing %s with same hash: %s", model.__name__, head.uid)
        return head
    record._revises = head
    return None


def _resolve_block(repo: Repository, record: Block) -> Any | None:
    if getattr(record, "_uid_given", False) or record._revises is not None:
        return None
    visible = [*repo._visibility(Block, branches=False), Block.branch_id != TRASH_BRANCH]
    revises = None
    if record.key is not None:
        head = _latest(repo, Block, Block.key == record.key, *visible)
        if head is not None:
            if not head.content:
                return _take_content(head, record, "key")
            revises = head
    if record.hash is not None:
        same = _latest(repo, Block, Block.hash == record.hash, *visible)
        if same is not None:
            if record.key is not None and same.key != record.key:
                logger.warning(
                    "key %s on existing block differs from passed key %s, keeping original key",
                    same.key, record.key,
                )
            return same
    record._revises = revises
    return None


# -- merging ---------------------------------------------------------------------------------


def check_move(repo: Repository, model: Any, condition: Any, what: str) -> None:
    """Before ``branches.merge`` moves the attached blocks matching ``condition``: each is a
    write to its owner's annotations (``access.require_editable``: the owner readable and
    editable). Attached blocks are ``_carried_by_merge`` (every table but
    ``lamindb_branchblock``); ``versioning.after_move`` keeps one latest readme per owner."""
    if repo.permissions.admin_everywhere:
        return
    with repo.session.no_autoflush:
        for block in repo._scalars(sa.select(model).where(condition)):
            access.require_editable(repo.permissions, block, what)


# -- the repository's entry points -----------------------------------------------------------


def block_model(owner: Any) -> type[AttachedBlock]:
    """The attached block registry of ``owner``'s registry (``Record`` -> ``RecordBlock``)."""
    model = OWNER_BLOCKS.get(type(owner).__name__)
    if model is None or not isinstance(owner, sa.inspect(model).relationships[model._owner]
                                       .mapper.class_):
        raise InvalidArgument(
            f"Blocks attach to {', '.join(sorted(OWNER_BLOCKS))} records, not to {owner!r}"
        )
    return model


def add_block(
    repo: Repository,
    owner: Any,
    content: str,
    kind: str = "readme",
    version: str | None = None,
) -> AttachedBlock:
    """Attach a readme (versioned) or a comment to ``owner``; returns the stored block."""
    model = block_model(owner)
    block = model(**{model._owner: owner}, content=content, kind=kind, version=version)
    return repo.save(block)


def notes(repo: Repository, owner: Any) -> str | None:
    """The content of ``owner``'s latest readme (visible to this repository), or None."""
    model: Any = block_model(owner)
    owner = repo._own(owner) if sa.inspect(owner).key is not None else owner
    head = _latest(repo, model, *_owned_by(repo, model, owner), model.kind == "readme")
    return None if head is None else str(head.content)


def comments(repo: Repository, owner: Any) -> list[tuple[str, Any, str]]:
    """``owner``'s comments visible to this repository, oldest first, as
    ``(author handle, created_at, content)``."""
    from .models.core import User

    model: Any = block_model(owner)
    if sa.inspect(owner).key is None:
        return []
    owner = repo._own(owner)
    stmt: sa.Select[Any] = (
        sa.select(User.handle, model.created_at, model.content)
        .join(User, User.id == model.created_by_id)
        .where(*_owned_by(repo, model, owner), model.kind == "comment")
        .order_by(model.created_at, model.id)
    )
    rows: list[Any] = list(repo._execute(stmt))
    return [(str(handle), at, str(content)) for handle, at, content in rows]


def _owned_by(repo: Repository, model: Any, owner: Any) -> list[Any]:
    """``model``'s blocks of ``owner`` that this repository may see."""
    return [
        getattr(model, f"{model._owner}_id") == _identity(owner),
        *repo._visibility(model, branches=model is not BranchBlock),
    ]
