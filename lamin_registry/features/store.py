"""Writing feature values: set-based for any number of hosts, all-or-nothing.

Every call validates first (:mod:`.values`), checks that the acting user may edit every
host, then removes and inserts rows with a fixed number of statements, whatever the number of
hosts or values (host ids travel as one bound array). It runs inside a savepoint: a failure
leaves no row, no link and no half-annotated host behind.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from .. import access, hooks
from ..curation._common import in_ids
from ..errors import NoWriteAccess, ValidationError
from .tables import HostTables
from .values import Planned, plan, resolve_features

if TYPE_CHECKING:
    from ..repository import Repository

ACTIONS = ("add", "set", "update")


def check_hosts(repo: Repository, model: type, ids: Sequence[int], what: str) -> None:
    """Write access to every host's space; archived hosts take no edit; locked ones: admins."""
    if not ids:
        return
    locked: Any = model.is_locked.is_(True)  # type: ignore[attr-defined]
    if repo.locked_branch_id is not None:  # none on an adopted lamindb database
        locked = sa.or_(model.branch_id == repo.locked_branch_id, locked)  # type: ignore[attr-defined]
    archived = model.branch_id == access.ARCHIVE_BRANCH  # type: ignore[attr-defined]
    stmt = (
        sa.select(model.space_id, locked, archived)  # type: ignore[attr-defined]
        .where(in_ids(repo, model.id, ids))  # type: ignore[attr-defined]
        .distinct()
    )
    rows = [tuple(row) for row in repo._execute(stmt)]
    if any(row[2] for row in rows):
        raise NoWriteAccess(f"{what}: archived records are read-only; restore them first.")
    access.check_rows(repo.permissions, rows, what)


def _run(repo: Repository, stmt: Any, rows: list[dict[str, Any]] | None = None) -> Any:
    options = hooks.CHECKED
    if rows is None:
        return repo.session.execute(stmt, execution_options=options)
    if rows:
        return repo.session.execute(stmt, rows, execution_options=options)
    return None


def _stamps(repo: Repository, table: Any) -> dict[str, Any]:
    stamps: dict[str, Any] = {}
    if "created_by_id" in table.c:
        stamps["created_by_id"] = repo.user_id
    if "run_id" in table.c and repo.run_id is not None:
        stamps["run_id"] = repo.run_id
    return stamps


def remove(
    repo: Repository,
    tables: HostTables,
    ids: Sequence[int],
    feature_ids: Iterable[int] | None,
    *,
    cat_values: Mapping[int, Sequence[tuple[str, int]]] | None = None,
) -> None:
    """Delete the hosts' values of ``feature_ids`` (None: every feature annotation).

    ``cat_values``: only these (registry, id) links of a categorical feature.
    """
    from ..models.features import FeatureValue

    features = None if feature_ids is None else sorted(set(feature_ids))
    if features is not None and not features:
        return
    json = tables.json_table
    host = json.c[tables.json_host_column]
    if tables.inline_json:
        condition = [in_ids(repo, host, ids)]
        if features is not None:
            condition.append(json.c.feature_id.in_(features))
        _run(repo, sa.delete(json).where(*condition))
    else:
        values = sa.select(FeatureValue.id)
        if features is not None:
            values = values.where(FeatureValue.feature_id.in_(features))
        _run(repo, sa.delete(json).where(in_ids(repo, host, ids), json.c.jsonvalue_id.in_(values)))
    for target, link in tables.cat_links.items():
        table = link.table
        condition = [in_ids(repo, table.c[link.host_column], ids)]
        condition.append(
            table.c.feature_id.isnot(None) if features is None else table.c.feature_id.in_(features)
        )
        if cat_values is not None:
            pairs = [
                (fid, vid)
                for fid, items in cat_values.items()
                for reg, vid in items
                if reg == target
            ]
            if not pairs:
                continue
            condition.append(sa.tuple_(table.c.feature_id, table.c[link.value_column]).in_(pairs))
        _run(repo, sa.delete(table).where(*condition))


def insert(
    repo: Repository, tables: HostTables, ids: Sequence[int], planned: list[Planned]
) -> None:
    """Insert the planned values for every host; links that exist already are kept."""
    present = [item for item in planned if not item.is_null]
    json_items = [item for item in present if not item.dtype.is_cat]
    if json_items:
        if tables.inline_json:
            _insert_inline(repo, tables, ids, json_items)
        else:
            _insert_json_values(repo, tables, ids, json_items)
    by_target: dict[str, list[tuple[int, int]]] = {}
    for item in present:
        for registry, value_id in item.labels:
            by_target.setdefault(registry, []).append((item.feature.id, value_id))
    for target, pairs in by_target.items():
        link = tables.cat_link(target, "")
        table = link.table
        host_column, value_column = table.c[link.host_column], table.c[link.value_column]
        existing = {
            tuple(row)
            for row in repo._execute(
                sa.select(host_column, table.c.feature_id, value_column).where(
                    in_ids(repo, host_column, ids),
                    table.c.feature_id.in_(sorted({f for f, _ in pairs})),
                )
            )
        }
        stamps = _stamps(repo, table)
        rows = [
            {link.host_column: host_id, "feature_id": fid, link.value_column: vid, **stamps}
            for host_id in ids
            for fid, vid in pairs
            if (host_id, fid, vid) not in existing
        ]
        _run(repo, sa.insert(table), rows)


def _insert_inline(
    repo: Repository, tables: HostTables, ids: Sequence[int], items: list[Planned]
) -> None:
    json = tables.json_table
    rows = [
        {"record_id": host_id, "feature_id": item.feature.id, "value": item.json}
        for host_id in ids
        for item in items
    ]
    _run(repo, sa.insert(json), rows)


def _insert_json_values(
    repo: Repository, tables: HostTables, ids: Sequence[int], items: list[Planned]
) -> None:
    """Run/Artifact: get-or-create the shared JsonValue rows, then link them."""
    from ..models.features import FeatureValue, hash_value

    wanted = {(item.feature.id, hash_value(item.json)): item.json for item in items}
    value_ids = _stored_values(repo, wanted)
    missing = [key for key in wanted if key not in value_ids]
    if missing:
        hidden = sa.select(FeatureValue.id).where(
            sa.tuple_(FeatureValue.feature_id, FeatureValue.hash).in_(missing)
        )
        if repo._execute(hidden.limit(1)).first() is not None:
            raise ValidationError(
                "Some of these values are stored in a space you cannot read; ask an admin of "
                "that space for access."
            )
        rows = [
            {
                "feature_id": fid,
                "hash": digest,
                "value": wanted[(fid, digest)],
                "created_by_id": repo.user_id,
                "run_id": repo.run_id,
            }
            for fid, digest in missing
        ]
        _run(repo, sa.insert(FeatureValue), rows)
        value_ids.update(_stored_values(repo, {key: wanted[key] for key in missing}))
    link = tables.json_table
    host_column = link.c[tables.json_host_column]
    targets = sorted(set(value_ids.values()))
    existing = {
        tuple(row)
        for row in repo._execute(
            sa.select(host_column, link.c.jsonvalue_id).where(
                in_ids(repo, host_column, ids), link.c.jsonvalue_id.in_(targets)
            )
        )
    }
    stamps = _stamps(repo, link)
    rows = [
        {tables.json_host_column: host_id, "jsonvalue_id": value_id, **stamps}
        for host_id in ids
        for value_id in targets
        if (host_id, value_id) not in existing
    ]
    _run(repo, sa.insert(link), rows)


def _stored_values(
    repo: Repository, wanted: Mapping[tuple[int, str], Any]
) -> dict[tuple[int, str], int]:
    """``{(feature id, hash): JsonValue id}`` of the visible stored values."""
    from ..models.features import FeatureValue

    if not wanted:
        return {}
    stmt = sa.select(FeatureValue.feature_id, FeatureValue.hash, FeatureValue.id).where(
        sa.tuple_(FeatureValue.feature_id, FeatureValue.hash).in_(list(wanted)),
        *repo._visibility(FeatureValue, branches=False),
    )
    rows: Any = repo._execute(stmt)
    return {(row[0], row[1]): row[2] for row in rows}


def annotate(
    repo: Repository,
    model: type,
    ids: Sequence[int],
    values: Mapping[Any, Any],
    action: str,
) -> None:
    """``add``, ``set`` or ``update`` ``values`` on the hosts ``ids`` of ``model``."""
    from .tables import host_name, host_tables

    tables = host_tables(host_name(model))
    if not isinstance(values, Mapping):
        raise ValidationError(f"{action}_values() takes a dict of feature values, got {values!r}")
    features = resolve_features(repo, values.keys(), values, strict=False)
    planned = plan(repo, tables, features, values, action)
    if action == "add" and tables.host == "Record":
        to_one = [
            item.feature.name for item in planned if not item.dtype.is_list and not item.is_null
        ]
        if to_one:
            raise ValidationError(
                f"Cannot use add_values() for to-one features on a Record: {to_one}. Use "
                "set_values() to replace all feature annotations."
            )
    with repo._atomic(f"{action}_values failed"):
        check_hosts(repo, model, ids, f"annotating {model.__name__} records")
        if action == "set":
            remove(repo, tables, ids, None)
        elif action == "update":
            remove(repo, tables, ids, [item.feature.id for item in planned])
        elif tables.inline_json:  # add on a Record: a list[...] JSON value grows
            _merge_inline_lists(repo, tables, ids, planned)
        insert(repo, tables, ids, planned)


def _merge_inline_lists(
    repo: Repository, tables: HostTables, ids: Sequence[int], planned: list[Planned]
) -> None:
    """``add_values`` of a non-categorical list feature on Records that have one: append."""
    items = [item for item in planned if not item.dtype.is_cat and not item.is_null]
    if not items:
        return
    if len(ids) != 1:  # one shared new value per host: remove, then insert the union below
        remove(repo, tables, ids, [item.feature.id for item in items])
        return
    json = tables.json_table
    stored: dict[int, Any] = dict(
        repo._execute(  # type: ignore[arg-type]
            sa.select(json.c.feature_id, json.c.value).where(
                json.c.record_id == ids[0], json.c.feature_id.in_([i.feature.id for i in items])
            )
        ).all()
    )
    for item in items:
        if item.feature.id in stored:
            old = stored[item.feature.id] or []
            item.json = [*old, *(v for v in item.json if v not in old)]
    remove(repo, tables, ids, list(stored))
