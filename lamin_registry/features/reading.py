"""Reading feature values of any number of hosts: one ``UNION ALL`` over the value tables.

One statement reads every value table a host registry has (the JSON values and each
categorical link table of a registry some visible feature's dtype names), then one reads
the features found. Each branch of the union reads through
:func:`lamin_registry.visibility.restrict`, so a feature, a value or a label the user cannot
see -- a hidden space, trash, archive -- does not appear, whichever host it annotates.

For a list of host ids the statement is built once per (host registry, value tables,
visibility) and reused with the ids as one bound parameter: building and restricting it costs
far more than running it on one host (``get_values()``, ``describe()``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from .. import visibility
from .dtypes import Dtype, parse
from .tables import HostTables
from .values import from_json

if TYPE_CHECKING:
    from ..repository import Repository

_MAX_STATEMENTS = 256  # distinct (host, tables, visibility, dialect) keys kept; then start over
_STATEMENTS: dict[tuple[Any, ...], Any] = {}


@dataclass(frozen=True)
class FeatureInfo:
    """What reading needs of a feature: its id, name and dtype string."""

    id: int
    name: str
    _dtype_str: str | None

    @property
    def dtype(self) -> Dtype:
        return parse(self._dtype_str or "")


@dataclass
class Values:
    """The stored values of some hosts: ``by_host[host id][feature id]`` lists, in link order."""

    features: dict[int, FeatureInfo] = field(default_factory=dict)
    by_host: dict[int, dict[int, list[Any]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )

    def dtype(self, feature_id: int) -> Dtype:
        return self.features[feature_id].dtype

    def column(self, feature_id: int) -> dict[int, Any]:
        """``{host id: shaped value}`` of one feature (``to_dataframe``)."""
        if self.dtype(feature_id).is_list and self.dtype(feature_id).is_cat:
            return {
                host_id: list(stored[feature_id])
                for host_id, stored in self.by_host.items()
                if feature_id in stored
            }
        return {
            host_id: values[0] if len(values) == 1 else self.shaped(feature_id, values)
            for host_id, stored in self.by_host.items()
            if (values := stored.get(feature_id))
        }

    def shaped(self, feature_id: int, values: list[Any]) -> Any:
        """A scalar, a list (``list[...]`` dtypes) or a set (several values of a to-one
        feature on a Run or Artifact), as lamindb's ``get_values`` shows them."""
        dtype = self.dtype(feature_id)
        if dtype.is_list and dtype.is_cat:
            return list(values)
        if len(values) == 1:
            return values[0]
        try:
            return set(values)
        except TypeError:  # unhashable JSON (dicts, lists)
            return list(values)

    def as_dict(self, host_id: int) -> dict[str, Any]:
        """``get_values()``: categorical features first, then the others, each by name."""
        stored = self.by_host.get(host_id, {})
        order = sorted(
            stored, key=lambda fid: (not self.dtype(fid).is_cat, self.features[fid].name)
        )
        return {self.features[fid].name: self.shaped(fid, stored[fid]) for fid in order}


def _model(name: str) -> Any:
    from .. import models

    return getattr(models, name)


def _cached(key: tuple[Any, ...], build: Any) -> Any:
    stmt = _STATEMENTS.get(key)
    if stmt is None:
        if len(_STATEMENTS) >= _MAX_STATEMENTS:
            _STATEMENTS.clear()
        stmt = _STATEMENTS[key] = build()
    return stmt


def registries_in_use(
    repo: Repository, feature_ids: Sequence[int] | None, visible: Any
) -> frozenset[str]:
    """The registries the dtypes of visible (chosen) categorical features name."""
    from ..models.features import Feature

    def build() -> Any:
        stmt = sa.select(Feature._dtype_str).where(Feature._dtype_str.like("%cat[%")).distinct()
        if feature_ids is not None:
            stmt = stmt.where(Feature.id.in_(list(feature_ids)))
        return _prepared(visibility.restrict(stmt, repo))  # one plan: a scan of few rows

    key = ("in use", None if feature_ids is None else tuple(feature_ids), visible, repo.dialect)
    texts = repo._scalars(_cached(key, build))
    return frozenset(target.registry for text in texts for target in parse(text).targets)


_FEATURES: Any = sa.bindparam("features", expanding=True)


def _prepared(stmt: Any) -> Any:
    """``stmt`` sent as a server-side prepared statement on PostgreSQL
    (:mod:`lamin_registry.pg_prepare`): for statements with one sensible plan whatever the
    values, where planning costs as much as running (the value union of one host plans in
    ~0.4 ms: its joins reach tables with 16 and 20 indexes)."""
    from .. import pg_prepare

    return stmt.execution_options(**{pg_prepare.PREPARE: True})


def _hosts_parameter(repo: Repository, column: Any) -> Any:
    """``column IN :hosts`` with every id in the one parameter ``hosts``."""
    if repo.dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        param = sa.bindparam("hosts", type_=postgresql.ARRAY(sa.BigInteger))
        return column == sa.any_(param)
    array = sa.func.json_each(sa.bindparam("hosts", type_=sa.Text))
    return column.in_(sa.select(array.table_valued("value").c.value).scalar_subquery())


def values_statement(
    repo: Repository,
    tables: HostTables,
    registries: frozenset[str],
    hosts: Any,
    feature_ids: Sequence[int] | None,
) -> Any:
    """The UNION ALL of the value tables: (table, link id, host, feature, label id, text,
    feature name, feature dtype string).

    ``table`` 0 is the JSON values (``text`` the JSON), ``n`` the ``n``-th categorical link
    table (``text`` the label's name field). No ORDER BY: sorting every row in SQL costs more
    than ordering the few multi-valued ones in Python (:func:`read`). The feature's name and
    dtype come with each value: on PostgreSQL a round trip costs more than repeating them.
    """
    first, cats = value_branches(
        repo, tables, registries, hosts, feature_ids, feature_info=True
    )
    return sa.union_all(first, *cats) if cats else first


def value_branches(
    repo: Repository,
    tables: HostTables,
    registries: frozenset[str],
    hosts: Any,
    feature_ids: Sequence[int] | None,
    *,
    label_ids: bool = True,
    feature_info: bool = False,
) -> tuple[Any, list[Any]]:
    """The SELECT of the JSON values and one SELECT per categorical table in use, with the
    columns of :func:`values_statement` (``label_ids=False``: without the label id column,
    for callers that want the label names only; ``feature_info=True``: with the feature's
    name and dtype string as two more columns, joined, so no statement reads them after).

    Every branch is restricted to visible values of visible features. When every feature
    is wanted, SQLite is kept from probing the ``(host, feature)`` index once per host and
    feature (the feature test is a filter on the host's rows, ``feature_id + 0``): a
    quarter fewer steps for many hosts, the same for one.
    """
    from ..models.features import Feature, FeatureValue

    wanted_features = sa.select(Feature.id)
    if feature_ids is not None:
        wanted_features = wanted_features.where(Feature.id.in_(list(feature_ids)))
    visible_features = visibility.restrict(wanted_features, repo)
    sqlite_all = feature_ids is None and repo.dialect == "sqlite"

    def feature_in(column: Any) -> Any:
        return (column + 0 if sqlite_all else column).in_(visible_features)

    def with_feature(stmt: Any, column: Any) -> Any:
        """``stmt`` restricted to visible (chosen) features, their name and dtype added."""
        if not feature_info:
            return visibility.restrict(stmt, repo).where(feature_in(column))
        stmt = stmt.add_columns(Feature.name, Feature._dtype_str).join(
            Feature, Feature.id == column
        )
        if feature_ids is not None:
            stmt = stmt.where(Feature.id.in_(list(feature_ids)))
        return visibility.restrict(stmt, repo)

    def as_text(column: Any) -> Any:  # SQLite stores JSON as text already
        return sa.type_coerce(column, sa.Text) if repo.dialect == "sqlite" else sa.cast(
            column, sa.Text
        )

    json = tables.json_table
    host = json.c[tables.json_host_column]
    columns = [
        sa.literal_column("0", sa.Integer).label("src"),
        json.c.id.label("link"),
        host.label("host"),
    ]
    label_column = [sa.cast(sa.null(), sa.BigInteger).label("label_id")] if label_ids else []
    if tables.inline_json:
        first = sa.select(
            *columns, json.c.feature_id.label("feature_id"), *label_column,
            as_text(json.c.value).label("text"),
        )
        feature_column = json.c.feature_id
    else:
        first = sa.select(
            *columns, FeatureValue.feature_id.label("feature_id"), *label_column,
            as_text(FeatureValue.value).label("text"),
        ).join(FeatureValue, FeatureValue.id == json.c.jsonvalue_id)
        feature_column = FeatureValue.feature_id
    first = with_feature(first, feature_column).where(hosts(host))
    cats = []
    for position, (target, link) in enumerate(tables.cat_links.items(), start=1):
        if target not in registries:
            continue
        table = link.table
        model: Any = _model(link.target)
        name = getattr(model, getattr(model, "_name_field", None) or "name", None)
        label = [table.c[link.value_column]] if label_ids else []
        stmt = (
            sa.select(
                sa.literal_column(str(position), sa.Integer),
                table.c.id,
                table.c[link.host_column],
                table.c.feature_id,
                *label,
                as_text(sa.null() if name is None else name),
            )
            .join(model, model.id == table.c[link.value_column])
            .where(table.c.feature_id.isnot(None))
        )
        cats.append(with_feature(stmt, table.c.feature_id).where(hosts(table.c[link.host_column])))
    return first, cats


def read(
    repo: Repository,
    tables: HostTables,
    ids: Sequence[int] | sa.Select[Any],
    feature_ids: Sequence[int] | None = None,
    *,
    objects: bool = False,
) -> Values:
    """The visible values of the hosts ``ids`` (a list or a SELECT of ids).

    ``objects=True`` yields categorical values as records instead of their name field.
    Two statements whatever the number of hosts and values: the registries in use, the
    values with their features (and one per registry of labels with ``objects=True``).
    """
    import json as jsonlib

    from ..models.features import Feature

    result = Values()
    visible = repo._visibility_key(Feature)
    registries = registries_in_use(repo, feature_ids, visible)
    params: dict[str, Any] = {}
    if isinstance(ids, sa.Select):
        query = ids
        stmt = values_statement(repo, tables, registries, lambda c: c.in_(query), feature_ids)
    else:
        if not ids:
            return result
        chosen = None if feature_ids is None else tuple(sorted(feature_ids))
        one = len(ids) == 1  # get_values(), describe(): index look-ups whatever the id
        key = ("values", tables.host, registries, chosen, visible, repo.dialect, one)

        def build() -> Any:
            stmt = values_statement(
                repo, tables, registries, lambda c: _hosts_parameter(repo, c), feature_ids
            )
            return _prepared(stmt) if one else stmt

        stmt = _cached(key, build)
        params["hosts"] = list(ids) if repo.dialect == "postgresql" else jsonlib.dumps(list(ids))
    rows: Any = repo._execute(stmt, params or None).all()
    by_host = result.by_host
    labels: dict[str, set[int]] = defaultdict(set)
    link_targets = list(tables.cat_links)
    linked: dict[tuple[int, int], list[tuple[int, int, Any]]] = defaultdict(list)
    loads = _json_loads()
    inline = tables.inline_json  # one JSON value per host and feature: nothing to order
    features = result.features
    for table, link, host_id, feature_id, label_id, text, name, dtype_str in rows:
        if feature_id not in features:
            features[feature_id] = FeatureInfo(feature_id, name, dtype_str)
        if table == 0 and inline:
            by_host[host_id][feature_id].append(loads(text))
        elif table == 0:
            linked[(host_id, feature_id)].append((0, link, loads(text)))
        else:
            linked[(host_id, feature_id)].append((table, link, label_id if objects else text))
            if objects:
                labels[link_targets[table - 1]].add(label_id)
    del rows
    found: dict[tuple[int, int], Any] = {}
    if objects:
        found = {
            (position, record.id): record
            for position, target in enumerate(link_targets, start=1)
            if labels.get(target)
            for record in repo._scalars(
                sa.select(_model(target)).where(_model(target).id.in_(sorted(labels[target])))
            )
        }
    for (host_id, feature_id), items in linked.items():
        if len(items) > 1:
            items.sort(key=lambda item: item[:2])  # link order, as lamindb's get_values
        if objects:
            by_host[host_id][feature_id] = [
                found[(table, value)] if table else value for table, _, value in items
            ]
        else:
            by_host[host_id][feature_id] = [value for _, _, value in items]
    del linked
    dated = {
        fid: dtype
        for fid in result.features
        if (dtype := result.dtype(fid)).simple in ("date", "datetime")
    }
    if dated:
        for per_host in by_host.values():
            for feature_id, values in per_host.items():
                if feature_id in dated:
                    per_host[feature_id] = [from_json(dated[feature_id], v) for v in values]
    return result


def feature_infos(repo: Repository, feature_ids: Sequence[int]) -> dict[int, FeatureInfo]:
    """``{id: FeatureInfo}`` of features whose values were read (one statement)."""
    from ..models.features import Feature

    features: Any = _cached(
        ("features",),
        lambda: sa.select(Feature.id, Feature.name, Feature._dtype_str).where(
            Feature.id.in_(_FEATURES)
        ),
    )
    found: Any = repo._execute(features, {"features": list(feature_ids)})
    return {fid: FeatureInfo(fid, name, dtype_str) for fid, name, dtype_str in found}


def _json_loads() -> Any:
    """``json.loads`` of stored JSON text; scalars are parsed once per distinct text (a
    column of 100,000 equal ages is one parse), lists and dicts every time (each row gets
    its own, mutable, value)."""
    import json

    memo: dict[Any, Any] = {}
    missing = object()

    def loads(raw: Any) -> Any:
        if not isinstance(raw, str):  # NULL, or a value the driver parsed already
            return raw
        found = memo.get(raw, missing)
        if found is missing:
            found = json.loads(raw)
            if isinstance(found, list | dict):
                return found
            memo[raw] = found
        return found

    return loads
