"""Writing feature values: set-based for any number of hosts, all-or-nothing.

Every call validates first (:mod:`.values`), checks that the acting user may edit every
host, then removes and inserts rows with a fixed number of statements, whatever the number of
hosts or values (host ids travel as one bound array). It runs inside a savepoint: a failure
leaves no row, no link and no half-annotated host behind.
"""

from __future__ import annotations

import json
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
    registries = _registries_named(repo, features)
    for target, link in tables.cat_links.items():
        if target not in registries:
            continue
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


def _registries_named(repo: Repository, feature_ids: Sequence[int] | None) -> set[str]:
    """The registries the dtypes of these features (None: of every feature, visible or not)
    name: only their link tables can hold the features' categorical values."""
    from ..models.features import Feature
    from .dtypes import parse

    stmt = sa.select(Feature._dtype_str).where(Feature._dtype_str.like("%cat[%")).distinct()
    if feature_ids is not None:
        stmt = stmt.where(Feature.id.in_(list(feature_ids)))
    return {target.registry for text in repo._scalars(stmt) for target in parse(text).targets}


def _hosts_table(repo: Repository, ids: Sequence[int]) -> Any:
    """The host ids as a one-column table (``value``), bound as one parameter."""
    if repo.dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        param = sa.bindparam(None, list(ids), type_=postgresql.ARRAY(sa.BigInteger))
        return sa.func.unnest(param).table_valued("value").render_derived().alias("hosts")
    array = sa.bindparam(None, json.dumps(list(ids)), type_=sa.Text)
    return sa.func.json_each(array).table_valued("value").alias("hosts")


def _rows_table(
    repo: Repository, rows: list[tuple[Any, ...]], kinds: Sequence[str]
) -> tuple[Any, list[Any]]:
    """(FROM element, columns) of a constant table (``kinds``: ``int`` or ``json`` text),
    bound as one parameter per dialect: ``json_each`` of an array of arrays on SQLite,
    ``unnest`` of one array per column on PostgreSQL."""
    if repo.dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        arrays = [
            sa.bindparam(
                None,
                [row[i] for row in rows],
                type_=postgresql.ARRAY(sa.BigInteger if kind == "int" else sa.Text),
            )
            for i, kind in enumerate(kinds)
        ]
        names = [f"c{i}" for i in range(len(kinds))]
        table = sa.func.unnest(*arrays).table_valued(*names).render_derived().alias("items")
        return table, [table.c[name] for name in names]
    array = sa.bindparam(None, json.dumps([list(row) for row in rows]), type_=sa.Text)
    table = sa.func.json_each(array).table_valued("value").alias("items")
    return table, [sa.func.json_extract(table.c.value, f"$[{i}]") for i in range(len(kinds))]


def _insert_cross(
    repo: Repository,
    table: Any,
    host_column: str,
    ids: Sequence[int],
    columns: Sequence[str],
    rows: list[tuple[Any, ...]],
    kinds: Sequence[str],
    *,
    skip_existing: bool,
) -> None:
    """``INSERT INTO table (host, *columns) SELECT host, *row`` for every host id and row,
    in one statement with two bound parameters (no Python row per host): a link that
    exists already is kept when ``skip_existing``."""
    if not ids or not rows:
        return
    hosts = _hosts_table(repo, ids)
    items, values = _typed_rows(repo, table, columns, rows, kinds)
    stamps = _stamps(repo, table)
    selected = [hosts.c.value, *values, *(sa.literal(v) for v in stamps.values())]
    stmt = sa.select(*selected).select_from(hosts.join(items, sa.true()))
    if skip_existing:
        keys = [table.c[host_column] == hosts.c.value]
        keys += [table.c[name] == value for name, value in zip(columns, values, strict=True)]
        stmt = stmt.where(~sa.exists().where(*keys))
    names = [host_column, *columns, *stamps]
    _run(repo, sa.insert(table).from_select(names, stmt))


def insert(
    repo: Repository,
    tables: HostTables,
    ids: Sequence[int],
    planned: list[Planned],
    *,
    fresh: bool = False,
) -> None:
    """Insert the planned values for every host; links that exist already are kept.

    ``fresh``: the hosts hold no value of the planned features (just removed): no check.
    """
    present = [item for item in planned if not item.is_null]
    json_items = [item for item in present if not item.dtype.is_cat]
    if json_items:
        if tables.inline_json:
            rows = [(item.feature.id, json.dumps(item.json)) for item in json_items]
            _insert_cross(
                repo,
                tables.json_table,
                "record_id",
                ids,
                ["feature_id", "value"],
                rows,
                ["int", "json"],
                skip_existing=False,
            )
        else:
            _insert_json_values(repo, tables, ids, json_items, fresh)
    by_target: dict[str, list[tuple[int, int]]] = {}
    for item in present:
        for registry, value_id in item.labels:
            by_target.setdefault(registry, []).append((item.feature.id, value_id))
    for target, pairs in by_target.items():
        link = tables.cat_link(target, "")
        _insert_cross(
            repo,
            link.table,
            link.host_column,
            ids,
            ["feature_id", link.value_column],
            list(dict.fromkeys(pairs)),
            ["int", "int"],
            skip_existing=not fresh,
        )


def _insert_json_values(
    repo: Repository,
    tables: HostTables,
    ids: Sequence[int],
    items: list[Planned],
    fresh: bool,
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
    targets = sorted(set(value_ids.values()))
    _insert_cross(
        repo,
        tables.json_table,
        tables.json_host_column,
        ids,
        ["jsonvalue_id"],
        [(value_id,) for value_id in targets],
        ["int"],
        skip_existing=not fresh,
    )


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
    *,
    checked: bool = False,
) -> None:
    """``add``, ``set`` or ``update`` ``values`` on the hosts ``ids`` of ``model``.

    Records inside a sheet are checked against its schema first
    (:func:`lamin_registry.features.sheet_values.check_annotation`) unless ``checked``
    (a save that just checked them joining it)."""
    from .sheet_values import check_annotation
    from .tables import host_name, host_tables

    tables = host_tables(host_name(model))
    if not isinstance(values, Mapping):
        raise ValidationError(f"{action}_values() takes a dict of feature values, got {values!r}")
    features = resolve_features(repo, values.keys(), values, strict=False)
    planned = plan(repo, tables, features, values, action)
    if tables.host == "Record" and not checked and ids:
        names_kept = check_annotation(repo, ids, features, values, action)
        planned = [item for item in planned if item.feature.id not in names_kept]
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
            planned = _merge_inline_lists(repo, tables, ids, planned)
        insert(repo, tables, ids, planned, fresh=action != "add")


def _merge_inline_lists(
    repo: Repository, tables: HostTables, ids: Sequence[int], planned: list[Planned]
) -> list[Planned]:
    """``add_values`` of non-categorical list features on Records: each host's stored list
    grows by the new elements it lacks (one read, one delete, one insert for all hosts).
    Returns the plans left for :func:`insert`."""
    items = [item for item in planned if not item.dtype.is_cat and not item.is_null]
    if not items:
        return planned
    json_table = tables.json_table
    feature_ids = [item.feature.id for item in items]
    found: Any = repo._execute(
        sa.select(json_table.c.record_id, json_table.c.feature_id, json_table.c.value).where(
            in_ids(repo, json_table.c.record_id, ids), json_table.c.feature_id.in_(feature_ids)
        )
    )
    stored = {(host_id, feature_id): value for host_id, feature_id, value in found}
    rows = []
    for host_id in ids:
        for item in items:
            old = stored.get((host_id, item.feature.id)) or []
            merged = [*old, *(v for v in item.json if v not in old)]
            rows.append((host_id, item.feature.id, json.dumps(merged)))
    remove(repo, tables, ids, feature_ids)
    columns = ["record_id", "feature_id", "value"]
    _insert_rows(repo, json_table, columns, rows, ["int", "int", "json"])
    return [item for item in planned if item not in items]



def _typed_rows(
    repo: Repository,
    table: Any,
    columns: Sequence[str],
    rows: list[tuple[Any, ...]],
    kinds: Sequence[str],
) -> tuple[Any, list[Any]]:
    """:func:`_rows_table`, its JSON columns cast to ``table``'s types on PostgreSQL."""
    items, values = _rows_table(repo, rows, kinds)
    if repo.dialect == "postgresql":
        values = [
            sa.cast(value, table.c[name].type) if kind == "json" else value
            for value, name, kind in zip(values, columns, kinds, strict=True)
        ]
    return items, values

def _insert_rows(
    repo: Repository,
    table: Any,
    columns: Sequence[str],
    rows: list[tuple[Any, ...]],
    kinds: Sequence[str],
) -> None:
    """``INSERT INTO table (*columns) SELECT`` from ``rows`` bound as one parameter."""
    if not rows:
        return
    items, values = _typed_rows(repo, table, columns, rows, kinds)
    stamps = _stamps(repo, table)
    stmt = sa.select(*values, *(sa.literal(v) for v in stamps.values())).select_from(items)
    _run(repo, sa.insert(table).from_select([*columns, *stamps], stmt))
