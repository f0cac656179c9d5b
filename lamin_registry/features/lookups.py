"""Querying hosts by feature values: ``filter(Record, temperature__gt=37, cell_type="T cell")``.

Each feature lookup is one ``EXISTS`` subquery on the host's value table (and, for
categorical features, the linked registry), never a join: a host appears once however many of
its values match (lamindb's INNER JOIN repeats it). The subqueries read features, values and
labels through :mod:`lamin_registry.visibility` like every other subquery of a query.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import InvalidArgument
from ..query.lookups import LOOKUPS, STRING_LOOKUPS, Condition, negate, resolve_all
from .dtypes import Dtype, parse
from .tables import HostTables, host_name, host_tables
from .values import topmost

if TYPE_CHECKING:
    from ..models.features import Feature
    from ..repository import Repository

_NUMERIC = ("int", "float", "num")
_ORDERING = ("gt", "gte", "lt", "lte")


@dataclass(frozen=True)
class FeaturePredicate:
    """``age > 40``: a positional filter condition built from a Feature."""

    feature: Feature
    op: str
    value: Any

    def __bool__(self) -> bool:
        raise TypeError(
            "Feature predicates cannot be used as booleans. Pass them into `.filter(...)`."
        )

    def condition(self, resolver: FeatureResolver) -> Condition:
        if self.op == "ne":
            return negate(resolver.condition(self.feature, "exact", self.value))
        return resolver.condition(self.feature, self.op, self.value)


class FeatureResolver:
    """Feature lookups of one query over a host registry (Record, Run, Artifact)."""

    def __init__(self, repo: Repository, model: type) -> None:
        self.repo = repo
        self.model = model
        self.tables: HostTables = host_tables(host_name(model))
        self._by_name: dict[str, Feature] = {}

    # -- names -------------------------------------------------------------------------------

    def feature(self, name: str) -> Feature:
        """The visible feature called ``name`` (InvalidArgument if none, or ambiguous)."""
        from ..models.features import Feature

        found = self._by_name.get(name)
        if found is not None:
            return found
        chosen = topmost(name, self.repo.filter(Feature, name=name).all(), InvalidArgument)
        if chosen is None:
            mapper: Any = sa.inspect(self.model)
            fields = sorted(key for key in mapper.attrs.keys() if not key.startswith("_"))  # noqa: SIM118
            raise InvalidArgument(
                f"You can query either by available fields: {', '.join(fields)}\n"
                f"Or fix invalid feature names: {name!r}"
            )
        self._by_name[name] = chosen
        return chosen

    def __call__(self, parts: list[str], lookup: str, value: Any) -> Condition:
        """The condition of a keyword ``<feature>[__<lookup>]=value``."""
        if len(parts) > 1:
            raise InvalidArgument(
                f"Unsupported lookup {'__'.join(parts[1:])!r} on feature {parts[0]!r}; "
                f"lookups: {', '.join(LOOKUPS)}"
            )
        return self.condition(self.feature(parts[0]), lookup, value)

    # -- conditions --------------------------------------------------------------------------

    def condition(self, feature: Feature, lookup: str, value: Any) -> Condition:
        dtype = parse(feature._dtype_str or "")
        if lookup == "isnull":
            if not isinstance(value, bool):
                raise InvalidArgument(f"{feature.name}__isnull expects True or False")
            has_value = self._exists(feature, dtype, None)
            return ~has_value if value else has_value
        if dtype.is_cat:
            return self._exists(feature, dtype, (lookup, value))
        return self._exists(feature, dtype, (lookup, value))

    def _exists(self, feature: Feature, dtype: Dtype, test: tuple[str, Any] | None) -> Condition:
        from ..models.features import FeatureValue

        host_id = self.model.id  # type: ignore[attr-defined]
        tables = self.tables
        if not dtype.is_cat:
            json_table = tables.json_table
            if tables.inline_json:
                stmt = sa.select(sa.literal(1)).where(
                    json_table.c.record_id == host_id, json_table.c.feature_id == feature.id
                )
                column = json_table.c.value
            else:
                stmt = (
                    sa.select(sa.literal(1))
                    .select_from(json_table)
                    .join(FeatureValue, FeatureValue.id == json_table.c.jsonvalue_id)
                    .where(
                        json_table.c[tables.json_host_column] == host_id,
                        FeatureValue.feature_id == feature.id,
                    )
                )
                column = FeatureValue.__table__.c.value
            if test is not None:
                stmt = stmt.where(self._json_test(feature, dtype, column, *test))
            return sa.exists(stmt)
        branches = []
        for target in dtype.targets:
            link = tables.cat_link(target.registry, feature.name)
            table, model = link.table, target.model
            # the labels as their own, uncorrelated SELECT: the host registry may be the
            # label's registry too (Record values of a Record), and visibility applies to it
            labels = sa.select(model.id).correlate(None)
            if test is not None:
                labels = labels.where(self._label_test(feature, target, *test))
            stmt = sa.select(sa.literal(1)).where(
                table.c[link.host_column] == host_id,
                table.c.feature_id == feature.id,
                table.c[link.value_column].in_(labels),
            )
            branches.append(sa.exists(stmt))
        return branches[0] if len(branches) == 1 else sa.or_(*branches)

    def _label_test(self, feature: Feature, target: Any, lookup: str, value: Any) -> Condition:
        from ..models.base import BaseSQLRecord

        model = target.model
        values = value if lookup == "in" else [value]
        if lookup in ("exact", "in") and any(isinstance(v, BaseSQLRecord) for v in values):
            ids = []
            for item in values:
                identity = sa.inspect(item).identity if isinstance(item, BaseSQLRecord) else None
                if identity is None or not isinstance(item, model):
                    raise InvalidArgument(
                        f"{feature.name}: {item!r} is not a saved {target.registry}"
                    )
                ids.append(identity[0])
            return model.id.in_(ids)  # type: ignore[no-any-return]
        key = target.field_name if lookup == "exact" else f"{target.field_name}__{lookup}"
        (condition,) = resolve_all(model, [(key, value)], self.repo.dialect)
        return condition

    def _json_test(
        self, feature: Feature, dtype: Dtype, column: Any, lookup: str, value: Any
    ) -> Condition:
        kind = dtype.simple or "str"
        if lookup == "in":
            if isinstance(value, str | bytes | dict) or not hasattr(value, "__iter__"):
                raise InvalidArgument(f"{feature.name}__in expects a list of values")
            tests = [self._json_test(feature, dtype, column, "exact", v) for v in value]
            return sa.or_(*tests) if tests else sa.false()
        if value is None:
            raise InvalidArgument(f"{feature.name}: use {feature.name}__isnull=True for None")
        if lookup == "exact" and (dtype.is_list or kind in ("dict", "object")):
            return self._json_equal(column, value)
        if lookup in STRING_LOOKUPS and kind in _NUMERIC:
            raise InvalidArgument(f"{feature.name} holds numbers; {lookup!r} applies to text")
        scalar = self._scalar(column, kind, value, feature)
        if lookup == "exact" and kind in _NUMERIC:
            return scalar == float(value)  # type: ignore[no-any-return]
        if lookup == "exact" and kind == "bool":
            return self._bool(column, value)
        comparable = _comparable_value(kind, value, feature)
        if lookup not in LOOKUPS:
            raise InvalidArgument(f"Unknown lookup {lookup!r}; lookups: {', '.join(LOOKUPS)}")
        text_kind = "float" if kind in _NUMERIC else "str"
        return LOOKUPS[lookup](scalar, comparable, self.repo.dialect, text_kind)

    def _scalar(self, column: Any, kind: str, value: Any, feature: Feature) -> Any:
        """The JSON value as a SQL scalar: REAL for numbers, text otherwise."""
        if self.repo.dialect == "postgresql":
            text: Any = sa.type_coerce(column.op("#>>")(sa.literal_column("'{}'")), sa.Text)
        else:
            text = sa.func.json_extract(column, "$")
        if kind in _NUMERIC:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidArgument(
                    f"{feature.name} holds numbers ({kind}); compare it with a number, "
                    f"got {value!r}"
                )
            return sa.cast(text, sa.Float)
        return sa.type_coerce(text, sa.Text)

    def _bool(self, column: Any, value: Any) -> Condition:
        if not isinstance(value, bool):
            raise InvalidArgument(f"a bool feature compares with True or False, got {value!r}")
        if self.repo.dialect == "postgresql":
            text = sa.type_coerce(column.op("#>>")(sa.literal_column("'{}'")), sa.Text)
            return text == ("true" if value else "false")
        return sa.func.json_extract(column, "$") == int(value)

    def _json_equal(self, column: Any, value: Any) -> Condition:
        text = json.dumps(value)
        if self.repo.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return sa.cast(column, JSONB) == sa.cast(sa.literal(text), JSONB)
        return sa.func.json(column) == sa.func.json(sa.literal(text))


def _comparable_value(kind: str, value: Any, feature: Feature) -> Any:
    if kind in _NUMERIC:
        return float(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if not isinstance(value, str):
        raise InvalidArgument(
            f"{feature.name} holds {kind} values; compare it with a string, got {value!r}"
        )
    return value
