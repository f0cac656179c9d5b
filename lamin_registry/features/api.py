"""The feature work behind the Repository's thin methods (``repo.add_feature_values``, ...).

A *target* is one host record, a list of host records of one registry, or a ``Query`` over a
host registry: the set-based form annotates every host in one call with a fixed number of
statements.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import InvalidArgument, ValidationError
from . import store
from .reading import read
from .tables import HostTables, host_name, host_tables
from .values import plan, resolve_features

if TYPE_CHECKING:
    from ..repository import Repository

PENDING = "_pending_features"


def hosts_of(repo: Repository, target: Any) -> tuple[type, list[int]]:
    """(host registry, ids) of a record, a list of records or a Query."""
    from ..models.base import BaseSQLRecord
    from ..query.query import Query

    ids: list[int] = []
    if isinstance(target, Query):
        model = target.model
        host_name(model)
        pk = sa.inspect(model).primary_key[0]
        ids = [row[0] for row in target._execute(target.statement().with_only_columns(pk))]
        return model, ids
    records = [target] if isinstance(target, BaseSQLRecord) else target
    if isinstance(records, str | bytes) or not isinstance(records, Sequence):
        raise InvalidArgument(f"Expected a record, a list of records or a query, got {target!r}")
    if not records:
        raise InvalidArgument("Expected at least one record to annotate")
    model = type(records[0])
    host_name(model)
    for record in records:
        if type(record) is not model:
            raise InvalidArgument(
                f"Annotate records of one registry per call, got {type(record).__name__} "
                f"and {model.__name__}"
            )
        identity = sa.inspect(record).identity
        if identity is None:
            raise InvalidArgument(f"Save {record!r} before annotating it with features")
        if sa.inspect(record).session is not repo.session:
            repo._require_readable(record)
        ids.append(identity[0])
    return model, ids


def annotate(repo: Repository, target: Any, values: Mapping[Any, Any], action: str) -> None:
    """``add``/``set``/``update`` ``values`` on every host of ``target``."""
    model, ids = hosts_of(repo, target)
    store.annotate(repo, model, ids, values, action)


def remove(repo: Repository, target: Any, feature: Any = None, *, value: Any = None) -> None:
    """Remove the values of ``feature`` (name, Feature, list, dict ``{feature: value}``; None:
    every annotation), or only ``value`` of one feature."""
    model, ids = hosts_of(repo, target)
    tables = host_tables(host_name(model))
    if isinstance(feature, Mapping) and value is not None:
        raise ValueError("Pass either `value=` or per-feature values via a dictionary, not both.")
    with repo._atomic("remove_values failed"):
        store.check_hosts(repo, model, ids, f"annotating {model.__name__} records")
        if feature is None:
            store.remove(repo, tables, ids, None)
            return
        if isinstance(feature, Mapping):
            specific = dict(feature)
        else:
            keys = feature if isinstance(feature, list | tuple) else [feature]
            specific = {key: value for key in keys}
        features = resolve_features(repo, specific.keys(), specific)
        whole = [features[key].id for key, v in specific.items() if v is None]
        store.remove(repo, tables, ids, whole)
        partial = {key: v for key, v in specific.items() if v is not None}
        if partial:
            _remove_values(repo, tables, ids, features, partial)


def _remove_values(
    repo: Repository,
    tables: HostTables,
    ids: list[int],
    features: dict[Any, Any],
    values: Mapping[Any, Any],
) -> None:
    from ..models.features import FeatureValue, hash_value

    planned = plan(repo, tables, features, values, "remove")
    labels = {item.feature.id: item.labels for item in planned if item.dtype.is_cat}
    if labels:
        store.remove(repo, tables, ids, list(labels), cat_values=labels)
    for item in planned:
        if item.dtype.is_cat:
            continue
        json = tables.json_table
        host = json.c[tables.json_host_column]
        if tables.inline_json:
            condition = [json.c.feature_id == item.feature.id]
            rows: Any = repo._execute(
                sa.select(json.c.id, json.c.value).where(host.in_(ids), *condition)
            ).all()
            doomed = [row_id for row_id, stored in rows if stored == item.json]
            if doomed:
                store._run(repo, sa.delete(json).where(json.c.id.in_(doomed)))
        else:
            digest = hash_value(item.json)
            stored = sa.select(FeatureValue.id).where(
                FeatureValue.feature_id == item.feature.id, FeatureValue.hash == digest
            )
            store._run(repo, sa.delete(json).where(host.in_(ids), json.c.jsonvalue_id.in_(stored)))


def get_values(repo: Repository, record: Any, *, objects: bool = False) -> dict[str, Any]:
    """``{feature name: value}`` of one host (``{}`` if unsaved)."""
    from ..models.base import BaseSQLRecord

    if not isinstance(record, BaseSQLRecord):
        raise InvalidArgument(f"Expected a Record, Run or Artifact, got {record!r}")
    host = host_name(type(record))
    identity = sa.inspect(record).identity
    if identity is None:
        return {}
    if sa.inspect(record).session is not repo.session:
        repo._require_readable(record)
    values = read(repo, host_tables(host), [identity[0]], objects=objects).as_dict(identity[0])
    if host == "Record" and record.__dict__.get("type_id") is not None:
        from .sheets import index_name

        sheet: Any = getattr(record, "type", None)
        name = index_name(sheet.schema) if sheet is not None and sheet.schema_id else None
        stored_name = getattr(record, "name", None)
        if name is not None and stored_name is not None:
            values = {name: stored_name, **values}  # a sheet's index lives on Record.name
    return values


def joining(records: Sequence[Any], existing: Sequence[int]) -> set[int]:
    """Indexes of Records :func:`after_save` checks, read before the flush: stored Records
    whose type changes in this save (they may be joining a sheet and are checked like new
    ones: lamindb checks every ``record.type = sheet``), and Record types with a schema that
    are new or whose schema changes (the schema's index feature must be ``str``)."""
    from .sheet_values import sheet_types

    moved = sheet_types(records)
    for i in existing:
        record = records[i]
        if type(record).__name__ != "Record" or not hasattr(record, "type_id"):
            continue
        attrs = sa.inspect(record).attrs
        if attrs.type_id.history.has_changes() or attrs.type.history.has_changes():
            moved.add(i)
    return moved


def after_save(
    repo: Repository,
    records: Sequence[Any],
    stored: Sequence[Any],
    new_by_model: Mapping[type, Sequence[int]],
    moved: set[int] | None = None,
) -> None:
    """After ``repo.save``: Records joining a sheet (new ones, and stored ones whose type
    changed: ``moved``) are checked against its schema, and pending ``features={...}`` are
    set on the stored records (replace semantics, as lamindb). Runs inside the save's
    savepoint: a failure undoes the insert or the type change too."""
    from .sheet_values import check_sheet_types
    from .sheets import check_join, sheet_schemas, take_index

    moved = moved or set()
    check_sheet_types(repo, [stored[i] for i in sorted(moved)])
    new = {i for indexes in new_by_model.values() for i in indexes}
    joins = new | moved
    type_ids = [
        record.type_id
        for i, record in enumerate(stored)
        if i in joins and getattr(record, "type_id", None) is not None
    ]
    sheets = sheet_schemas(repo, type_ids)
    for i, (given, record) in enumerate(zip(records, stored, strict=True)):
        pending = given.__dict__.pop(PENDING, None)
        schema = sheets.get(getattr(record, "type_id", None) or -1)
        try:
            if schema is not None and (i in joins or pending is not None):
                values = dict(pending or {})
                if i in moved:
                    values = {**get_values(repo, record), **values}
                check_join(repo, record, record.type.name, schema, values)
                if pending is not None:
                    pending = take_index(record, schema, pending)
                    repo.session.flush()
            if pending is not None:  # checked against a sheet above
                store.annotate(repo, type(record), [record.id], pending, "set", checked=True)
        except ValidationError:
            if pending is not None:
                given.__dict__[PENDING] = pending  # the record stays as the caller built it
            raise


def feature_in_use(repo: Repository, feature_id: int) -> bool:
    """Whether any host holds a value of the feature (JSON values or label links)."""
    from ..models.features import FeatureValue

    checks: list[Any] = [sa.select(FeatureValue.id).where(FeatureValue.feature_id == feature_id)]
    for host in ("Record", "Run", "Artifact"):
        tables = host_tables(host)
        if tables.inline_json:
            json = tables.json_table
            checks.append(sa.select(json.c.id).where(json.c.feature_id == feature_id))
        for link in tables.cat_links.values():
            table = link.table
            checks.append(sa.select(table.c.id).where(table.c.feature_id == feature_id))
    stmt = sa.select(sa.or_(*(sa.exists(check) for check in checks)))
    return bool(repo._scalar(stmt))
