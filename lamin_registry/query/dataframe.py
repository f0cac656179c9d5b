"""DataFrame export with lamindb's column order; pandas is imported only here.

The base columns come from one SELECT; every ``include`` path adds one more statement keyed by
the ids of the same query, so the number of statements never grows with the number of rows.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapper, RelationshipProperty, aliased
from sqlalchemy.sql.util import ClauseAdapter

from ..bulk import gc_paused
from ..errors import InvalidArgument
from .limits import check_limit, clamp
from .lookups import FIELD_ALIASES

if TYPE_CHECKING:
    import pandas as pd

    from .query import Query

logger = logging.getLogger("lamin_registry")

_MOVED_TO_END = ("version_tag", "is_latest", "is_locked", "is_type", "created_at", "updated_at")
_FK_FIRST = ("branch_id", "created_on_id", "space_id", "created_by_id", "run_id")
_DEFAULT_LIMIT = 100
_FEATURE_REGISTRIES = ("Artifact", "Record", "Run")


def base_columns(model: type, *, privates: bool = False) -> list[str]:
    """lamindb's ``to_dataframe`` columns: uid, id, fields, moved fields, then foreign keys."""
    mapper: Mapper[Any] = sa.inspect(model)
    table = mapper.local_table
    fk_columns = {col.key for col in table.columns if col.foreign_keys}
    keep_private = {"_dtype_str"} if model.__name__ == "Feature" else set()
    own_order = _declaration_order(model)
    fields: list[str] = []
    for key in own_order:
        if key in fk_columns or key in ("id", "uid", "updated_at") or key in _MOVED_TO_END:
            continue
        if key.startswith("_") and not privates and key not in keep_private:
            continue
        fields.append(key)
    moved = [key for key in _MOVED_TO_END if key in own_order and key != "updated_at"]
    fks = [key for key in _FK_FIRST if key in fk_columns]
    fks += [key for key in own_order if key in fk_columns and key not in fks]
    head = ["uid", "id"] if "uid" in own_order else ["id"]
    return [*head, *fields, *moved, *fks]


def _declaration_order(model: type) -> list[str]:
    """Column keys with the registry's own columns first, then the mixins' columns."""
    mapper: Mapper[Any] = sa.inspect(model)
    keys = [prop.key for prop in mapper.column_attrs]
    own = [key for key in vars(model) if key in keys]
    return own + [key for key in keys if key not in own]


def _resolve_path(model: type, path: str) -> tuple[list[RelationshipProperty[Any]], str]:
    """Relationships along ``path`` and the key of the final column (``created_by__handle``).

    A path that ends on a relationship (``include="parents"``) shows the related name field.
    """
    parts = path.split("__")
    relationships: list[RelationshipProperty[Any]] = []
    current = model
    for i, part in enumerate(parts):
        mapper: Mapper[Any] = sa.inspect(current)
        part = FIELD_ALIASES.get(part, part) if part not in mapper.attrs else part
        prop = mapper.attrs.get(part)
        if prop is None:
            available = ", ".join(sorted(p.key for p in mapper.attrs if not p.key.startswith("_")))
            raise InvalidArgument(
                f"Unknown field {part!r} in include path {path!r}. Available fields: {available}"
            )
        if isinstance(prop, RelationshipProperty):
            relationships.append(prop)
            current = prop.mapper.class_
            if i == len(parts) - 1:
                return relationships, getattr(current, "_name_field", None) or "id"
        else:
            if i != len(parts) - 1:
                raise InvalidArgument(f"{part!r} in include path {path!r} is not a relationship")
            return relationships, part
    raise InvalidArgument(f"Empty include path {path!r}")  # pragma: no cover


def _include_values(query: Query[Any], path: str, ids: sa.Subquery) -> tuple[dict[Any, Any], bool]:
    """``({record id: value}, False)`` for a to-one path, ``({id: set of values}, True)``
    for a to-many path: one statement, whatever the number of records.

    Every hop joins an alias of its registry (paths may return to the same table, as in
    ``parents__name``) and shows only what a direct query of that registry would show
    (visible branches, readable spaces), to-one and to-many hops alike.
    """
    model = query.model
    relationships, key = _resolve_path(model, path)
    pk = sa.inspect(model).primary_key[0]
    stmt = sa.select(pk).select_from(model).where(pk.in_(sa.select(ids.c.id)))
    source: Any = model
    many = False
    for rel in relationships:
        target = aliased(rel.mapper.class_)
        stmt = stmt.join(getattr(source, rel.key).of_type(target))
        visibility = query.repo._visibility(rel.mapper.class_)
        if visibility:
            adapter = ClauseAdapter(sa.inspect(target).selectable)
            stmt = stmt.where(*(adapter.traverse(condition) for condition in visibility))
        many = many or bool(rel.uselist)
        source = target
    rows: Sequence[Any] = query.repo._execute(stmt.add_columns(getattr(source, key))).all()
    if many:
        grouped: dict[Any, set[Any]] = defaultdict(set)
        for record_id, value in rows:
            if value is not None:
                grouped[record_id].add(value)
        return grouped, True
    return dict(rows), False


def _feature_values(
    query: Query[Any], ids: sa.Subquery, record_ids: Sequence[Any], names: Sequence[str] | None
) -> dict[str, list[Any]]:
    """``{feature name: values aligned with record_ids}`` for Artifact, Record and Run, in
    feature id order (lamindb's column order); ``names`` restricts the features (ambiguity
    is an error).

    One ``UNION ALL`` over the value tables, shaped column-wise
    (:func:`lamin_registry.features.frame.feature_columns`), with the visibility of
    features, values and labels applied.
    """
    from ..features.frame import feature_columns
    from ..features.tables import host_name, host_tables
    from ..models.features import Feature

    feature_ids: list[int] | None = None
    if names is not None:
        found = query.repo.filter(Feature, name__in=list(names)).all()
        by_name: dict[str, list[int]] = defaultdict(list)
        for feature in found:
            by_name[feature.name].append(feature.id)
        ambiguous = {name: sorted(ids) for name, ids in by_name.items() if len(ids) > 1}
        if ambiguous:
            raise InvalidArgument(
                f"Ambiguous feature names passed in `features`: {ambiguous}. Pass "
                "disambiguated feature names or avoid duplicate feature names."
            )
        missing = sorted(set(names) - set(by_name))
        if missing:
            raise InvalidArgument(f"Unknown feature names in `features`: {missing}")
        feature_ids = [ids[0] for ids in by_name.values()]
    tables = host_tables(host_name(query.model))
    return feature_columns(query.repo, tables, sa.select(ids.c.id), record_ids, feature_ids)


def include_paths(include: Any) -> list[str]:
    """``include`` (None, a path, or a list of paths) as a list; anything else is refused."""
    if include is None:
        return []
    if isinstance(include, str):
        return [include]
    if isinstance(include, list | tuple | set | frozenset):
        wrong = [path for path in include if not isinstance(path, str)]
        if not wrong:
            return list(include)
    raise InvalidArgument(
        "include must be a field path such as 'created_by__handle' or a list of them, "
        f"got {include!r}"
    )


def _feature_names(features: Any) -> list[str]:
    if isinstance(features, str):
        return [features]
    if not isinstance(features, Sequence) or not all(isinstance(f, str) for f in features):
        raise InvalidArgument(f"features= takes True or a list of feature names, got {features!r}")
    return list(features)


def query_to_dataframe(
    query: Query[Any],
    *,
    include: str | Sequence[str] | None = None,
    features: bool | Sequence[str] = False,
    limit: int | None = _DEFAULT_LIMIT,
    order_by: str | None = "-id",
) -> pd.DataFrame:
    """The records of ``query`` as a DataFrame with lamindb's columns and ``id`` as index.

    The frame is built column-wise from the rows (as ``pandas.read_sql`` does), with cyclic
    garbage collection paused while the row objects exist.
    """
    import pandas as pd

    model = query.model
    paths = include_paths(include)
    privates = "privates" in paths
    paths = [path for path in paths if path != "privates"]
    if "features" in paths:
        paths.remove("features")
        features = True
    if features and model.__name__ not in _FEATURE_REGISTRIES:
        raise InvalidArgument(
            'include="features" is only applicable for Artifact, Record, and Run, '
            f"not {model.__name__}"
        )
    check_limit(limit)
    for path in paths:
        _resolve_path(model, path)  # unknown paths fail before any query runs

    names = base_columns(model, privates=privates)
    if paths or features:
        names = names[:3]
    if not query.is_ordered and order_by:
        query = query.order_by(order_by)
    fetch = query.limit(None if limit is None else clamp(limit + 1))
    stmt = fetch.statement().with_only_columns(*(getattr(model, name) for name in names))
    with gc_paused():
        rows = query.repo._execute(stmt).all()
        if limit is not None and len(rows) > limit:
            rows = rows[:limit]
            if limit == _DEFAULT_LIMIT:
                logger.warning(
                    "truncated query result to limit=%s %s objects", limit, model.__name__
                )
        if not rows:  # the base columns, no index
            return pd.DataFrame({name: [] for name in names}, columns=names, dtype=object)
        data: dict[str, Any] = dict(zip(names, zip(*rows, strict=True), strict=True))
        del rows
        record_ids = data["id"]
        if paths or features:
            ids = (
                query.limit(limit)
                .statement()
                .with_only_columns(sa.inspect(model).primary_key[0].label("id"))
                .subquery()
            )
            for path in paths:
                values, many = _include_values(query, path, ids)
                if many:
                    data[path] = [values.get(record_id) or set() for record_id in record_ids]
                else:
                    data[path] = [values.get(record_id) for record_id in record_ids]
            if features:
                wanted = None if features is True else _feature_names(features)
                data.update(_feature_values(query, ids, record_ids, wanted))
        frame = pd.DataFrame(data)
    return frame.set_index("id")
