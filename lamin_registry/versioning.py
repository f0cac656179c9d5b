"""Version families of Transform, Artifact and Collection (lamindb reference §4, §7.4).

A family shares a uid stem; each version adds a 4-character base62 suffix (``0000`` first,
then the family's maximum plus one, trashed versions included). One version per family and
branch is ``is_latest``; saving a new version demotes the head of its branch, and moving or
deleting rows keeps the rule (:func:`after_move`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from . import access, hooks
from .errors import IntegrityError, InvalidArgument
from .uids import decode_base62, encode_base62

if TYPE_CHECKING:
    from .repository import Repository

logger = logging.getLogger("lamin_registry")
SUFFIX_LENGTH = 4
TRASH_BRANCH = -1
_STEMS_PER_QUERY = 100  # families per look-up (an OR of index-friendly prefix matches)


def _family(repo: Repository, model: Any, stem: str) -> Any:
    """Members of the family: uids that start with ``stem`` (case-sensitive)."""
    return repo._uid_prefix(model.uid, stem)


def next_uid(repo: Repository, model: Any, stem: str) -> str:
    """``stem`` plus the family's largest suffix + 1, over every branch."""
    uids = repo.session.scalars(sa.select(model.uid).where(_family(repo, model, stem))).all()
    suffixes = [decode_base62(uid[len(stem) :]) for uid in uids if len(uid) == len(stem) + 4]
    return stem + encode_base62(max(suffixes, default=-1) + 1, SUFFIX_LENGTH)


def prepare_new_versions(repo: Repository, model: Any, records: list[Any]) -> None:
    """Give records that revise another their uid and demote their family's head."""
    for record in records:
        revises = getattr(record, "_revises", None)
        if revises is None:
            continue
        if not isinstance(revises, model):
            raise InvalidArgument(f"`revises` has to be of type `{model.__name__}`")
        if sa.inspect(revises).key is None:
            raise InvalidArgument(f"Save the version {revises!r} before revising it")
        stem = revises.uid[: model._uid_stem_length]
        head = repo.session.scalars(
            sa.select(model).where(
                _family(repo, model, stem),
                model.is_latest.is_(True),
                model.branch_id == record.branch_id,
            )
        ).first()
        if head is not None and head is not revises:
            logger.warning(
                "`revises` was not the latest version, updated it to the current head: %s",
                head.uid,
            )
            revises = head
        if record.version_tag is not None and record.version_tag == revises.version_tag:
            raise InvalidArgument(
                "Please change the version tag or leave it `None`, "
                f"{record.version_tag!r} is already taken"
            )
        record.uid = next_uid(repo, model, stem)
        record.is_latest = True
        if head is not None:
            access.require_editable(repo.permissions, head, f"revising {head.uid}")
            demoted = repo.session.execute(
                sa.update(model)
                .where(model.id == head.id, model.is_latest.is_(True))
                .values(is_latest=False),
                execution_options={"synchronize_session": False, **hooks.CHECKED},
            )
            if demoted.rowcount != 1:  # type: ignore[attr-defined]
                raise IntegrityError(f"Cannot revise a non-latest record: {head!r}")
            sa.orm.attributes.set_committed_value(head, "is_latest", False)
        record._revises = None


def family_rows(repo: Repository, model: Any, condition: Any) -> list[tuple[Any, ...]]:
    """``(id, uid, branch_id, is_latest)`` of the versioned rows matching ``condition``,
    read before they move or go (empty for registries without versions)."""
    if not hasattr(model, "is_latest") or not hasattr(model, "_uid_stem_length"):
        return []
    stmt = sa.select(model.id, model.uid, model.branch_id, model.is_latest).where(condition)
    return [tuple(row) for row in repo._execute(stmt)]


def after_move(
    repo: Repository, model: Any, moved: list[tuple[Any, ...]], new_branch: int | None
) -> None:
    """Keep one ``is_latest`` per family and branch after rows left their branches for
    ``new_branch`` (None: deleted for good).

    * A branch a head left hands ``is_latest`` to its newest remaining version (by
      ``created_at``, then id), as lamindb's single-record delete does.
    * On ``new_branch`` the newest version of each family touched is the latest (lamindb's
      merge rule; restore and archive follow it too, where lamindb leaves two heads).
    * Trash is never reconciled: a head moved there stays ``is_latest`` only when no version
      took its place (the last version of a family).
    """
    stem_length = model._uid_stem_length
    left: dict[int, set[str]] = {}
    heads: list[tuple[Any, int, str]] = []
    touched: set[str] = set()
    for record_id, uid, branch_id, is_latest in moved:
        if branch_id == new_branch:
            continue
        stem = uid[:stem_length]
        touched.add(stem)
        if is_latest and branch_id != TRASH_BRANCH:
            left.setdefault(branch_id, set()).add(stem)
            heads.append((record_id, branch_id, stem))
    promoted: set[tuple[int, str]] = set()
    for branch_id, stems in left.items():
        promoted |= _reconcile(repo, model, branch_id, stems)
    if new_branch is None:
        return
    if new_branch != TRASH_BRANCH:
        _reconcile(repo, model, new_branch, touched)
        return
    _set_latest(repo, model, [i for i, b, stem in heads if (b, stem) in promoted], False)


def _reconcile(
    repo: Repository, model: Any, branch_id: int, stems: set[str]
) -> set[tuple[int, str]]:
    """The newest version of each family in ``stems`` on ``branch_id`` becomes the latest,
    the others not; returns the (branch, stem) pairs that have a latest version."""
    stem_length = model._uid_stem_length
    visible = repo._visibility(model, branches=False)  # readable spaces only
    rows: list[Any] = []
    ordered = sorted(stems)
    for start in range(0, len(ordered), _STEMS_PER_QUERY):
        chunk = ordered[start : start + _STEMS_PER_QUERY]
        family = sa.or_(*(_family(repo, model, stem) for stem in chunk))
        rows += repo._execute(
            sa.select(model.id, model.uid, model.is_latest, model.created_at).where(
                family, model.branch_id == branch_id, *visible
            )
        ).all()
    newest: dict[str, Any] = {}
    for row in rows:
        stem = row.uid[:stem_length]
        best = newest.get(stem)
        if best is None or (row.created_at, row.id) > (best.created_at, best.id):
            newest[stem] = row
    winners = {row.id for row in newest.values()}
    promote = [row for row in newest.values() if not row.is_latest]
    demote = [row.id for row in rows if row.is_latest and row.id not in winners]
    _set_latest(repo, model, demote, False)
    _set_latest(repo, model, [row.id for row in promote], True)
    for row in promote:
        logger.info("new latest %s version is: %s", model.__name__, row.uid)
    return {(branch_id, stem) for stem in newest}


def _set_latest(repo: Repository, model: Any, ids: list[Any], value: bool) -> None:
    """``is_latest = value`` for rows ``ids`` (bookkeeping of a move already checked), and
    on the session's objects of those rows."""
    for start in range(0, len(ids), 500):
        repo.session.execute(
            sa.update(model).where(model.id.in_(ids[start : start + 500])).values(is_latest=value),
            execution_options={"synchronize_session": False, **hooks.CHECKED},
        )
    for record_id in ids:
        obj = repo.session.identity_map.get(sa.orm.util.identity_key(model, record_id))
        if obj is not None:
            sa.orm.attributes.set_committed_value(obj, "is_latest", value)


def source_hash(source_code: str) -> str:
    """The hash of a transform's source code (MD5, base64url, 22 characters)."""
    import base64
    import hashlib

    digest = hashlib.md5(source_code.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")[:22]


def resolve_transforms(repo: Repository, records: list[Any]) -> list[Any | None]:
    """lamindb's Transform resolution (reference §6.1), at save time: for each new record the
    stored transform it is (returned instead of inserting), or None to insert it -- as a
    new family, or as the next version of the family of its key.

    * The same source code (by hash, any key, latest and not trashed) is that transform.
    * A key whose head has no source code yet is that head (it takes the new source code).
    * A key whose head holds other source code gets a new version of the family; a version
      tag the family already has raises ``InvalidArgument`` (a ``ValueError``): the stored
      version's source code is never overwritten.
    """
    from .concurrency import lock_names

    model = type(records[0])
    keys = sorted({r.__dict__.get("key") for r in records if r.__dict__.get("key")})
    lock_names(repo.session, model.__tablename__, keys)  # one family per key, concurrently too
    matches: list[Any | None] = []
    for record in records:
        state = record.__dict__
        source = state.get("source_code")
        if source is not None and state.get("hash") is None:
            record.hash = source_hash(source)
        if getattr(record, "_uid_given", False) or getattr(record, "_revises", None) is not None:
            matches.append(None)
            continue
        visible = [*repo._visibility(model, branches=False), model.branch_id != -1]
        if source is not None and not state.get("_skip_hash_lookup"):
            same = repo._scalars(
                sa.select(model)
                .where(model.hash == record.hash, model.is_latest.is_(True), *visible)
                .order_by(model.created_at.desc(), model.id.desc())
                .limit(1)
            )
            if same:
                if same[0].key != state.get("key"):
                    logger.warning(
                        "key %s on existing transform differs from passed key %s, keeping "
                        "original key",
                        same[0].key,
                        state.get("key"),
                    )
                matches.append(same[0])
                continue
        head = _head_by_key(repo, model, state.get("key"), visible)
        if head is None:
            matches.append(None)
            continue
        version = state.get("version_tag")
        if head.source_code is None:
            if source is not None:
                head.source_code, head.hash = source, record.hash
            logger.info("no source code was yet saved, returning existing transform with same key")
            matches.append(head)
            continue
        if (source is None or source == head.source_code) and version in (None, head.version_tag):
            matches.append(head)
            continue
        if version is not None:
            taken = repo._scalars(
                sa.select(model.id).where(
                    _family(repo, model, head.uid[: model._uid_stem_length]),
                    model.version_tag == version,
                ).limit(1)
            )
            if taken:
                raise InvalidArgument(
                    f"Please change the version tag or leave it `None`, {version!r} is already "
                    "taken"
                )
        record._revises = head  # the next version of the family: uid and demotion on save
        matches.append(None)
    return matches


def _head_by_key(repo: Repository, model: Any, key: Any, visible: list[Any]) -> Any:
    """The newest latest, non-trashed version with ``key``, preferring the current branch."""
    rows = repo._scalars(
        sa.select(model)
        .where(model.key == key, model.is_latest.is_(True), *visible)
        .order_by(
            (model.branch_id == repo.current_branch_id).desc(),
            model.created_at.desc(),
            model.id.desc(),
        )
        .limit(1)
    )
    return rows[0] if rows else None
