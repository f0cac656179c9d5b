"""Branches: create, switch, merge, and moving records between branches (restore, archive).

lamindb reference (features §7): ``merge(source, target=current)`` rewrites ``branch_id``
on every table that carries one, reconciles ``is_latest`` per version family on the
target, marks the source ``merged`` and does not switch the current branch. Here the current
branch belongs to a repository (session), and every move checks write access to the spaces
of the rows it moves (:func:`check_rows`), as the other bulk writes do.

A mapped class outside the :class:`SQLRecord` tree whose table has a ``branch_id`` column
that is its row's branch (the attached blocks of lamindb) joins the merge by setting
``_carried_by_merge = True``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from . import access, hooks, versioning
from .dberrors import translated
from .errors import BranchAlreadyExists, DoesNotExist, InvalidArgument
from .models.base import BaseSQLRecord, SQLRecord
from .models.core import Branch

if TYPE_CHECKING:
    from .query.query import Query
    from .repository import Repository

logger = logging.getLogger("lamin_registry")

TRASH_BRANCH = -1
ARCHIVE_BRANCH = 0
MAIN_BRANCH = 1
_CHUNK = 500


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


# -- finding, creating, switching -------------------------------------------------------------


def _by_name(repo: Repository, name: str) -> Branch | None:
    branch: Branch | None = repo.session.scalar(
        sa.select(Branch).where(sa.func.lower(Branch.name) == name.lower())
    )
    return branch


def find(repo: Repository, branch: Branch | str | int, missing: str | None = None) -> Branch:
    """The Branch given as a saved object, an id, a name (case-insensitive) or a uid.

    A miss raises ``DoesNotExist`` with lamindb's ``Branch '<x>' not found.``, or ``missing``.
    """
    if isinstance(branch, Branch):
        if sa.inspect(branch).identity is None:
            raise DoesNotExist("Branch must be saved.")
        return branch
    found: Branch | None
    if isinstance(branch, int) and not isinstance(branch, bool):
        found = repo.session.get(Branch, branch)
    elif isinstance(branch, str):
        found = _by_name(repo, branch)
        if found is None:
            found = repo.session.scalar(sa.select(Branch).where(Branch.uid == branch))
    else:
        raise InvalidArgument(f"Expected a Branch, its id, name or uid, got {branch!r}")
    if found is None:
        raise DoesNotExist(missing or f"Branch {str(branch)!r} not found.")
    return found


def create(repo: Repository, name: str, description: str | None = None) -> Branch:
    """A new named branch (id > 3), status ``standalone``; a taken name (case-insensitive)
    raises ``BranchAlreadyExists``."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidArgument(f"A branch name must be a non-empty string, got {name!r}")
    taken = f"Branch {name!r} already exists."
    if _by_name(repo, name) is not None:
        raise BranchAlreadyExists(taken)
    branch = Branch(name=name, description=description)
    try:
        with repo._atomic(f"creating branch {name!r} failed"):
            repo.session.add(branch)
            repo.session.flush()
    except Exception:
        if _by_name(repo, name) is not None:  # a concurrent session took the name meanwhile
            raise BranchAlreadyExists(taken) from None
        raise
    logger.info("created branch: %s", name)
    return branch


def _builtin(repo: Repository) -> set[int]:
    """Built-in branches no merge or switch may name: trash, archive, locked, template."""
    ids = {TRASH_BRANCH, ARCHIVE_BRANCH}
    ids.update(i for i in (repo.locked_branch_id, repo.template_branch_id) if i is not None)
    return ids


def switch(repo: Repository, branch: Branch | str | int, create_it: bool = False) -> Branch:
    """Make ``branch`` the repository's current branch (``create_it``: create it first)."""
    if create_it:
        if isinstance(branch, Branch) or not isinstance(branch, str):
            raise InvalidArgument("switch_branch(..., create=True) takes the new branch's name")
        if _by_name(repo, branch) is not None:
            raise BranchAlreadyExists(
                f"Branch {branch!r} already exists. Omit create=True to switch to it."
            )
        target = repo.create_branch(branch)  # the method: read-only repositories refuse it
    else:
        target = find(
            repo,
            branch,
            f"Branch {str(branch)!r} does not exist. To create and switch, run: "
            f"repo.switch_branch({branch!r}, create=True)",
        )
    if target.id in _builtin(repo):
        raise InvalidArgument(
            f"Cannot switch to the built-in branch {target.name!r}; use 'main' or a named branch"
        )
    if target.status in ("merged", "closed"):
        raise InvalidArgument(f"Branch {target.name!r} is {target.status}")
    repo.current_branch_id = target.id
    logger.info("switched to %s", target.name)
    return target


# -- merging ----------------------------------------------------------------------------------


def carried_models(repo: Repository) -> list[Any]:
    """Every mapped class whose rows live on a branch, with a table in this database."""
    models = []
    for mapper in BaseSQLRecord.registry.mappers:
        model = mapper.class_
        if not (issubclass(model, SQLRecord) or getattr(model, "_carried_by_merge", False)):
            continue
        table = mapper.local_table
        if table is None or "branch_id" not in table.c or not repo._has_table(table):
            continue
        models.append(model)
    return models


def merge(
    repo: Repository, source: Branch | str | int, target: Branch | str | int | None = None
) -> Branch:
    """Move every record of ``source`` to ``target`` (default: the current branch), reconcile
    ``is_latest`` there, mark ``source`` merged; the current branch stays what it was."""
    src = find(repo, source)
    dst = find(repo, repo.current_branch_id if target is None else target)
    if src.id == dst.id:
        logger.info("source and target branch are identical, nothing to merge")
        return src
    builtin = _builtin(repo)
    if src.id in builtin or src.id == MAIN_BRANCH:
        raise InvalidArgument(
            f"Only named branches can be merged, not {src.name!r} (move records with "
            "repo.restore(), repo.archive() or repo.delete())"
        )
    if dst.id in builtin:
        raise InvalidArgument(
            f"Cannot merge into the built-in branch {dst.name!r}; merge into 'main' or a "
            "named branch"
        )
    what = f"merging branch {src.name!r} into {dst.name!r}"
    with repo._atomic(f"{what} failed"):
        for model in carried_models(repo):
            _merge_table(repo, model, src.id, dst.id, what)
        src.status = "merged"
        repo.session.flush()
    logger.info("merged branch '%s' into '%s'", src.name, dst.name)
    return src


def _merge_table(repo: Repository, model: Any, source: int, target: int, what: str) -> None:
    """One table's rows from ``source`` to ``target``: one access check over the distinct
    (space, locked) pairs, one UPDATE, then ``is_latest`` on the target."""
    on_source = model.branch_id == source
    if issubclass(model, SQLRecord) and not repo.permissions.admin_everywhere:
        locked: Any = model.is_locked.is_(True)
        stmt = sa.select(model.space_id, locked, sa.false()).where(on_source).distinct()
        access.check_rows(repo.permissions, [tuple(r) for r in repo._execute(stmt)], what)
    elif getattr(model, "_owner", None) is not None:  # blocks: their owner's space decides
        from .blocks import check_move

        check_move(repo, model, on_source, what)
    moved = versioning.family_rows(repo, model, on_source)
    result = repo.session.execute(
        sa.update(model).where(on_source).values(branch_id=target),
        execution_options={"synchronize_session": False, **hooks.CHECKED},
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return
    _sync_branch(repo, model, source, target)
    if moved:
        versioning.after_move(repo, model, moved, target)


def _sync_branch(repo: Repository, model: Any, source: int, target: int) -> None:
    """Objects of the session that were on ``source`` now show ``target``."""
    for obj in list(repo.session.identity_map.values()):
        if isinstance(obj, model) and obj.__dict__.get("branch_id") == source:
            set_committed_value(obj, "branch_id", target)


# -- moving records: restore, archive, trash ----------------------------------------------------


def check_rows(repo: Repository, model: type, ids: list[Any], what: str) -> None:
    """Bulk moves and deletes: write access to every row's space, admin for locked rows;
    governance rows (users, spaces, teams, access rows) as :mod:`.access` rules."""
    if repo.permissions.admin_everywhere:
        return
    if not issubclass(model, SQLRecord):
        pk_column: Any = sa.inspect(model).primary_key[0]
        for chunk in _chunks(ids):
            for record in repo._scalars(sa.select(model).where(pk_column.in_(chunk))):
                access.check_delete(repo.permissions, record)
        return
    pk: Any = sa.inspect(model).primary_key[0]
    registry: Any = model
    locked: Any = registry.is_locked.is_(True)
    if repo.locked_branch_id is not None:
        locked = sa.or_(registry.branch_id == repo.locked_branch_id, locked)
    archived = registry.branch_id == access.ARCHIVE_BRANCH
    for chunk in _chunks(ids):
        stmt = sa.select(registry.space_id, locked, archived).where(pk.in_(chunk)).distinct()
        access.check_rows(repo.permissions, [tuple(row) for row in repo._execute(stmt)], what)


def move_ids(repo: Repository, model: type, ids: list[Any], branch_id: int) -> None:
    """Move rows by primary key (access checked), keeping ``is_latest`` right."""
    if not ids:
        return
    pk: Any = sa.inspect(model).primary_key[0]
    with repo._atomic(f"moving {model.__name__} records failed"):
        check_rows(repo, model, ids, f"moving {model.__name__} records")
        moved = [
            row
            for chunk in _chunks(ids)
            for row in versioning.family_rows(repo, model, pk.in_(chunk))
        ]
        for chunk in _chunks(ids):
            repo.session.execute(
                sa.update(model).where(pk.in_(chunk)).values(branch_id=branch_id),
                execution_options={"synchronize_session": "fetch", **hooks.CHECKED},
            )
        if moved:
            versioning.after_move(repo, model, moved, branch_id)


def move_record(repo: Repository, record: Any, branch_id: int) -> None:
    """Move one record (through the flush, so the per-record checks apply), keeping
    ``is_latest`` right."""
    model = type(record)
    with repo._atomic("moving records failed"):
        identity = sa.inspect(record).identity
        moved = versioning.family_rows(repo, model, model.id == identity[0]) if identity else []
        record.branch_id = branch_id
        repo.session.flush()
        if moved:
            versioning.after_move(repo, model, moved, branch_id)


def move_target(repo: Repository, target: BaseSQLRecord | Query[Any], branch_id: int) -> None:
    """``restore`` (main) and ``archive`` (branch 0) of a record or of a query's rows."""
    from .query.query import Query

    model = target.model if isinstance(target, Query) else type(target)
    if not issubclass(model, SQLRecord):
        raise InvalidArgument(f"{model.__name__} has no branches")
    if isinstance(target, Query):
        pk = sa.inspect(model).primary_key[0]
        query = target if not target._branch_filtered else target._clone(branch_filtered=False)
        if target._branch_filtered and branch_id == MAIN_BRANCH:
            query = target  # restoring a default query restores what it shows: nothing moves
        with translated("query failed"):
            ids = [row[0] for row in query._execute(query.statement().with_only_columns(pk))]
        move_ids(repo, model, ids, branch_id)
        return
    if sa.inspect(target).key is None:
        uid = target.__dict__.get("uid")
        raise InvalidArgument(f"{type(target).__name__} {uid} is not saved yet")
    local = repo._own(target)
    move_record(repo, local, branch_id)
    if local is not target:
        set_committed_value(target, "branch_id", local.__dict__.get("branch_id"))
