"""Reading feature values of any number of hosts: one statement per value table.

Each statement reads through :func:`lamin_registry.visibility.restrict`, so a feature, a value
or a label the user cannot see -- a hidden space, trash, archive -- does not appear, whichever
host it annotates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from .. import visibility
from ..curation._common import in_ids
from .dtypes import Dtype, parse
from .tables import HostTables
from .values import from_json

if TYPE_CHECKING:
    from ..models.features import Feature
    from ..repository import Repository


@dataclass
class Values:
    """The stored values of some hosts: ``by_host[host id][feature id]`` lists, in link order."""

    features: dict[int, Feature] = field(default_factory=dict)
    by_host: dict[int, dict[int, list[Any]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )

    def dtype(self, feature_id: int) -> Dtype:
        return parse(self.features[feature_id]._dtype_str or "")

    def shaped(self, host: str, feature_id: int, values: list[Any]) -> Any:
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

    def as_dict(self, host: str, host_id: int) -> dict[str, Any]:
        """``get_values()``: categorical features first, then the others, each by name."""
        stored = self.by_host.get(host_id, {})
        order = sorted(
            stored, key=lambda fid: (not self.dtype(fid).is_cat, self.features[fid].name)
        )
        return {self.features[fid].name: self.shaped(host, fid, stored[fid]) for fid in order}


def _hosts(repo: Repository, column: Any, ids: Sequence[int] | sa.Select[Any]) -> Any:
    if isinstance(ids, sa.Select):
        return column.in_(ids)
    return in_ids(repo, column, ids)


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
    """
    from ..models.features import Feature, FeatureValue

    result = Values()
    statements: list[tuple[sa.Select[Any], Any]] = []
    json = tables.json_table
    host = json.c[tables.json_host_column]
    if tables.inline_json:
        stmt = sa.select(host, json.c.feature_id, json.c.value).order_by(json.c.id)
        statements.append((stmt, host))
    else:
        stmt = (
            sa.select(host, FeatureValue.feature_id, FeatureValue.value)
            .join(FeatureValue, FeatureValue.id == json.c.jsonvalue_id)
            .order_by(json.c.id)
        )
        statements.append((stmt, host))
    for link in tables.cat_links.values():
        table = link.table
        model: Any = _model(link.target)
        shown = model if objects else getattr(model, getattr(model, "_name_field", None) or "name")
        stmt = (
            sa.select(table.c[link.host_column], table.c.feature_id, shown)
            .join(model, model.id == table.c[link.value_column])
            .where(table.c.feature_id.isnot(None))
            .order_by(table.c.id)
        )
        statements.append((stmt, table.c[link.host_column]))
    wanted_features = sa.select(Feature.id)
    if feature_ids is not None:
        wanted_features = wanted_features.where(Feature.id.in_(list(feature_ids)))
    visible_features = visibility.restrict(wanted_features, repo)
    feature_ids_seen: set[int] = set()
    for stmt, host_column in statements:
        feature_column = stmt.selected_columns[1]
        stmt = visibility.restrict(stmt, repo).where(
            _hosts(repo, host_column, ids), feature_column.in_(visible_features)
        )
        rows: Any = repo._execute(stmt)
        for host_id, feature_id, value in rows:
            result.by_host[host_id][feature_id].append(value)
            feature_ids_seen.add(feature_id)
    if feature_ids_seen:
        for feature in repo._scalars(sa.select(Feature).where(Feature.id.in_(feature_ids_seen))):
            result.features[feature.id] = feature
    for per_host in result.by_host.values():
        for feature_id, values in per_host.items():
            dtype = result.dtype(feature_id)
            if not dtype.is_cat:
                per_host[feature_id] = [from_json(dtype, value) for value in values]
    return result


def _model(name: str) -> Any:
    from .. import models

    return getattr(models, name)
