"""Deleting: to trash, or for good, with lamindb's return values (features reference §9).

* ``delete(record)`` moves it to trash (branch -1) and returns None; an unsaved record logs
  that nothing happened.
* ``delete(record, permanent=True)`` returns Django's ``(count, {label: n})``: the record and
  every row that cascades from it (link rows, values, blocks), counted per model label
  (``lamindb.ULabel``, ``lamindb.ULabel_parents``, ``lamindb.RecordJson``, ...); Transform,
  Run and Artifact return None, as lamindb does.
* ``query.delete(...)`` returns None, soft or permanent.

``is_latest`` stays right throughout (:func:`versioning.after_move`): a deleted head hands
over to the newest remaining version of its family on its branch, whether it was deleted
alone or through a query, softly or for good.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from . import branches, hooks, session_state, versioning
from .errors import IntegrityError, InvalidArgument
from .models.base import BaseSQLRecord

if TYPE_CHECKING:
    from .query.query import Query
    from .repository import Repository

logger = logging.getLogger("lamin_registry")

TRASH_BRANCH = -1
_CHUNK = 500
_NO_COUNTS = ("Transform", "Run", "Artifact")  # lamindb returns None for these
DeleteResult = tuple[int, dict[str, int]] | None


def delete(
    repo: Repository, target: BaseSQLRecord | Query[Any], permanent: bool = False
) -> DeleteResult:
    """``repo.delete``: see the module docstring."""
    from .query.query import Query

    model = target.model if isinstance(target, Query) else type(target)
    permanent = permanent or getattr(model, "_delete_is_permanent", False)  # attached blocks
    if not permanent and not getattr(model, "_soft_delete", False):
        raise InvalidArgument(
            f"Soft delete is not possible for {model.__name__}, use 'permanent=True' for "
            "permanent deletion."
        )
    if isinstance(target, Query):
        delete_query(repo, target, permanent)
        return None
    state = sa.inspect(target)
    if state.key is None:
        logger.warning("record is not yet saved, delete has no effect")
        return None
    caller, local = target, repo._own(target)
    if not permanent:
        if local.branch_id == TRASH_BRANCH:  # type: ignore[attr-defined]
            logger.warning(
                "%s is already in trash; pass permanent=True to remove it", _label(local)
            )
            return None
        branches.move_record(repo, local, TRASH_BRANCH)
        if caller is not local:
            set_committed_value(caller, "branch_id", local.branch_id)  # type: ignore[attr-defined]
        logger.info("moved record to trash: %r", local)
        return None
    return _delete_record(repo, local, state.identity[0])  # type: ignore[index]


def _delete_record(repo: Repository, record: Any, record_id: Any) -> DeleteResult:
    model = type(record)
    with repo._atomic(f"deleting {_label(record)} failed"):
        check_protected(repo, model, [record_id])
        moved = versioning.family_rows(repo, model, model.id == record_id)
        deleted = _delete_cascading(repo, model, [record_id], always=True)
        if any(deleted.values()):
            repo.session.expire(record)  # its collections: loaded again, now empty
        repo.session.delete(record)
        repo.session.flush()
        session_state.forget_deleted(repo.session, model, (record_id,))
        if moved:
            versioning.after_move(repo, model, moved, None)
    if model.__name__ in _NO_COUNTS:
        return None
    counts = {django_label(table): len(ids) for table, ids in deleted.items() if ids}
    counts[django_label(sa.inspect(model).local_table)] = 1
    return sum(counts.values()), counts


def delete_query(repo: Repository, query: Query[Any], permanent: bool) -> None:
    """A query's rows to trash (one UPDATE per chunk) or removed (one DELETE per chunk)."""
    model = query.model
    pk = sa.inspect(model).primary_key[0]
    ids = [row[0] for row in query._execute(query.statement().with_only_columns(pk))]
    if not ids:
        return
    if not permanent:
        branches.move_ids(repo, model, ids, TRASH_BRANCH)
        logger.warning("moved records to trash (branch_id = -1)")
        return
    with repo._atomic(f"deleting {len(ids)} {model.__name__} records failed"):
        branches.check_rows(repo, model, ids, f"deleting {model.__name__} records")
        check_protected(repo, model, ids)
        moved = [
            row
            for start in range(0, len(ids), _CHUNK)
            for row in versioning.family_rows(repo, model, pk.in_(ids[start : start + _CHUNK]))
        ]
        _delete_cascading(repo, model, ids)
        for start in range(0, len(ids), _CHUNK):
            repo.session.execute(
                sa.delete(model).where(pk.in_(ids[start : start + _CHUNK])),
                execution_options=hooks.CHECKED,
            )
        _expire_deleted(repo, model, ids)
        if moved:
            versioning.after_move(repo, model, moved, None)


def _delete_cascading(
    repo: Repository, model: type, ids: list[Any], *, always: bool = False
) -> dict[sa.Table, set[Any]]:
    """Delete the rows that cascade from ``model``'s rows ``ids`` (``cascade.py``) and
    forget them in the session; returns them per table.

    Needed on an adopted lamindb database (no ON DELETE rules in its DDL); ``always`` does it
    on lamin_registry's own schema too, where the database would cascade, to count the rows.
    """
    if not (always or repo.lamindb_database):
        return {}
    from .cascade import delete_cascading

    table: Any = sa.inspect(model).local_table
    deleted = delete_cascading(
        repo.session, table, ids, repo._has_table, execution_options=hooks.CHECKED
    )
    for obj in list(repo.session.identity_map.values()):
        state = sa.inspect(obj)
        gone = deleted.get(state.mapper.local_table)
        if gone and state.identity and state.identity[0] in gone:
            repo.session.expunge(obj)
    return deleted


def _expire_deleted(repo: Repository, model: type, ids: list[Any]) -> None:
    wanted = set(ids)
    for obj in list(repo.session.identity_map.values()):
        if type(obj) is model and sa.inspect(obj).identity[0] in wanted:
            repo.session.expunge(obj)
    session_state.forget_deleted(repo.session, model, ids)  # out of loaded collections


def check_protected(repo: Repository, model: type, ids: list[Any]) -> None:
    """Refuse a permanent delete that protected (RESTRICT) references would block."""
    table: Any = sa.inspect(model).local_table
    blockers: list[str] = []
    for other in table.metadata.sorted_tables:
        if not repo._has_table(other):
            continue
        for fk in other.foreign_keys:
            if fk.column.table is not table or fk.ondelete in ("CASCADE", "SET NULL"):
                continue
            column = fk.parent
            if other is table and column.name == "created_on_id":
                continue
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                stmt = (
                    sa.select(sa.literal(1))
                    .where(
                        column.in_(chunk),
                        *([other.c.id.notin_(chunk)] if other is table else []),
                    )
                    .limit(1)
                )
                if repo._execute(stmt).first() is not None:
                    blockers.append(f"'{other.name}.{column.name}'")
                    break
    if blockers:
        raise IntegrityError(
            f"Cannot delete some instances of model '{model.__name__}' because they are "
            f"referenced through protected foreign keys: {', '.join(blockers)}."
        )


# -- Django's model labels ----------------------------------------------------------------------

_MODEL_NAMES = {
    name.lower(): name
    for name in (
        "Artifact", "Block", "Branch", "Collection", "Component", "Feature", "Json", "JsonValue",
        "Project", "Record", "Reference", "Run", "Schema", "Space", "Storage", "Team",
        "Transform", "ULabel", "User",
    )
}
_LONGEST_FIRST = sorted(_MODEL_NAMES, key=len, reverse=True)
_RENAMED = {"FeatureValue": "JsonValue"}  # lamin_registry's name -> lamindb's model name


def django_label(table: sa.Table) -> str:
    """``app.Model`` as Django labels the rows of ``table``: ``lamindb.ULabel``,
    ``lamindb.ULabel_parents`` (an automatic many-to-many table), ``lamindb.RecordJson``."""
    app, _, rest = table.name.partition("_")
    for mapper in BaseSQLRecord.registry.mappers:
        if mapper.local_table is table:
            name = mapper.class_.__name__
            return f"{app}.{_RENAMED.get(name, name)}"
    head, sep, tail = rest.partition("_")
    return f"{app}.{_camel(head)}{sep}{tail}"


def _camel(text: str) -> str:
    """``recordjson`` -> ``RecordJson`` from the known model names, longest match first."""
    out, position = [], 0
    while position < len(text):
        for name in _LONGEST_FIRST:
            if text.startswith(name, position):
                out.append(_MODEL_NAMES[name])
                position += len(name)
                break
        else:
            out.append(text[position:].capitalize())
            break
    return "".join(out)


def _label(record: Any) -> str:
    uid = record.__dict__.get("uid")
    return f"{type(record).__name__} {uid}" if uid else repr(record)
