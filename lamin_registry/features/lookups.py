"""Querying hosts by feature values: ``filter(Record, temperature__gt=37, cell_type="T cell")``.

Each feature lookup is one ``EXISTS`` subquery on the host's value table (and, for
categorical features, the linked registry), never a join: a host appears once however many of
its values match (lamindb's INNER JOIN repeats it). The subqueries read features, values and
labels through :mod:`lamin_registry.visibility` like every other subquery of a query.

Numbers are compared as :class:`~lamin_registry.models.value_index.json_number`, the
expression of the Record value index, so a numeric predicate on a Record feature is a range
scan of that index. PostgreSQL turns ``EXISTS`` into a semi-join and picks the side to drive
from with its statistics. SQLite never does: it probes ``EXISTS`` once per candidate host.
That is right when the hosts' own conditions are selective, and slow when the feature
predicate is (``age > 89`` among 100,000 records: 100,000 probes for 1,000 answers). On
SQLite a numeric Record predicate that matches fewer than :data:`IN_LIMIT` value rows
(counted with a capped index-only scan when the condition is built, about a millisecond) is
written ``record.id IN (SELECT record_id ...)`` instead: SQLite reads the ids from the
index once and looks the records up by primary key, in id order (no sort for a page by id).
Either shape gives the same rows; only the cost differs.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import InvalidArgument
from ..models.value_index import json_number, number_literal
from ..query.lookups import LOOKUPS, STRING_LOOKUPS, Condition, negate, resolve_all
from .dtypes import Dtype, parse
from .tables import HostTables, host_name, host_tables
from .values import topmost

if TYPE_CHECKING:
    from ..models.features import Feature
    from ..repository import Repository

_NUMERIC = ("int", "float", "num")
_ORDERING = ("gt", "gte", "lt", "lte")
IN_LIMIT = 20_000
"""SQLite: a numeric Record predicate matching fewer value rows than this is an ``IN``."""


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
        # the IN conditions built here, by id(): (condition, its alias, its SELECT)
        self._nestable: dict[int, tuple[Condition, Any, Any]] = {}

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
                if test is not None and self._few_numbers(feature, dtype, test):
                    rows = json_table.alias()  # its own name: IN subqueries nest (combine)
                    ids = sa.select(rows.c.record_id).where(
                        self._record_values(rows, feature, dtype, test)
                    )
                    condition: Condition = host_id.in_(ids)
                    self._nestable[id(condition)] = (condition, rows, ids)
                    return condition
                values = self._record_values(json_table, feature, dtype, test)
                return sa.exists(
                    sa.select(sa.literal(1)).where(json_table.c.record_id == host_id, values)
                )
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

    def _record_values(
        self, rows: Any, feature: Feature, dtype: Dtype, test: tuple[str, Any] | None
    ) -> Condition:
        """The ``lamindb_recordjson`` rows (``rows``: the table or an alias) that match."""
        values = rows.c.feature_id == feature.id
        if test is None:
            return values  # type: ignore[no-any-return]
        return sa.and_(values, self._json_test(feature, dtype, rows.c.value, *test))

    def _few_numbers(self, feature: Feature, dtype: Dtype, test: tuple[str, Any]) -> bool:
        """SQLite: whether a numeric Record predicate matches fewer than IN_LIMIT value rows.

        A count of the index range, stopped at IN_LIMIT entries: at most about a millisecond.
        """
        if self.repo.dialect != "sqlite" or (dtype.simple or "str") not in _NUMERIC:
            return False
        if dtype.is_list or test[0] not in (*_ORDERING, "exact", "in"):
            return False
        table = self.tables.json_table
        values = self._record_values(table, feature, dtype, test)
        capped = sa.select(sa.literal(1)).where(values).limit(IN_LIMIT).subquery()
        return int(self.repo._scalar(sa.select(sa.func.count()).select_from(capped))) < IN_LIMIT

    def combine(self, conditions: list[Condition]) -> list[Condition]:
        """AND-ed ``record.id IN (...)`` conditions of this resolver as one nested ``IN``.

        ``id IN (A) AND id IN (B)`` makes SQLite look every id of A up in the record table;
        ``id IN (SELECT ... A ... AND record_id IN (B))`` intersects the two index ranges
        first and looks up only the records in both (half the time when A and B each match
        10,000 of 100,000 records). Other conditions are returned unchanged, in order.
        """
        # the entries hold their conditions: an id found there is that very object
        nestable = [self._nestable[id(c)] for c in conditions if id(c) in self._nestable]
        if len(nestable) < 2:
            return conditions
        inner: Any = None
        for _, rows, ids in reversed(nestable):
            # ``record_id + 0``: no index for the membership test, so SQLite reads each
            # predicate's own range of the number index (at most IN_LIMIT entries) instead of
            # probing (record_id, feature_id) and the table once per id of the inner list
            inner = ids if inner is None else ids.where((rows.c.record_id + 0).in_(inner))
        merged = self.model.id.in_(inner)  # type: ignore[attr-defined]
        combined: list[Condition] = []
        for condition in conditions:
            if id(condition) not in self._nestable:
                combined.append(condition)
            elif condition is nestable[0][0]:
                combined.append(merged)
        return combined

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
            return scalar == number_literal(value, self.repo.dialect)  # type: ignore[no-any-return]
        if lookup == "exact" and kind == "bool":
            return self._bool(column, value)
        comparable = _comparable_value(kind, value, feature)
        if kind in _NUMERIC and lookup in _ORDERING:
            comparable = number_literal(value, self.repo.dialect)
        if lookup not in LOOKUPS:
            raise InvalidArgument(f"Unknown lookup {lookup!r}; lookups: {', '.join(LOOKUPS)}")
        text_kind = "float" if kind in _NUMERIC else "str"
        return LOOKUPS[lookup](scalar, comparable, self.repo.dialect, text_kind)

    def _scalar(self, column: Any, kind: str, value: Any, feature: Feature) -> Any:
        """The JSON value as a SQL scalar: the indexed number, or text."""
        if kind in _NUMERIC:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidArgument(
                    f"{feature.name} holds numbers ({kind}); compare it with a number, "
                    f"got {value!r}"
                )
            return json_number(column)
        if self.repo.dialect == "postgresql":
            text: Any = sa.type_coerce(column.op("#>>")(sa.literal_column("'{}'")), sa.Text)
        else:
            text = sa.func.json_extract(column, "$")
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
