"""Validation of feature values: keys to Features, values to JSON or to linked records.

Everything is checked before anything is written, and every problem is reported at once:
unknown feature names (with the ``Feature(...)`` to create), values of the wrong dtype
(pydantic's message; a hint to set ``coerce``), categorical values that no visible record of
the registry, type and filters has (with the ``from_values(..., create=True)`` to create them).
A Feature or a label the user cannot read is treated as absent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import ValidationError
from ..models.base import json_text_problem
from .dtypes import CatTarget, Dtype, infer, parse
from .tables import HostTables

if TYPE_CHECKING:
    from pydantic import TypeAdapter

    from ..models.features import Feature
    from ..repository import Repository


@dataclass
class Planned:
    """What one feature's value becomes: JSON to store, or linked records (in order)."""

    feature: Feature
    dtype: Dtype
    json: Any = None  # the JSON value (non-categorical)
    labels: list[tuple[str, int]] = field(default_factory=list)  # (registry, id), categorical
    is_null: bool = False


# -- keys ------------------------------------------------------------------------------------


def resolve_features(
    repo: Repository,
    keys: Iterable[Any],
    values: Mapping[Any, Any] | None = None,
    *,
    strict: bool = True,
) -> dict[Any, Feature]:
    """``{key: Feature}`` for names or Feature objects (visible features only).

    A name shared by several features picks the root-level one (no ``type``); two root-level
    ones are ambiguous. Unknown names are collected into one ``ValidationError``.
    """
    from ..models.features import Feature

    keys = list(keys)
    names = sorted({key for key in keys if isinstance(key, str)})
    ids: set[int] = set()
    for key in keys:
        if isinstance(key, Feature):
            identity = sa.inspect(key).identity
            if identity is None:
                raise ValidationError(f"Please save feature {key.name!r} before annotation.")
            ids.add(identity[0])
        elif not isinstance(key, str):
            raise ValidationError(
                f"Feature-value dictionary keys must be `str` or `Feature`, got {type(key)}"
            )
    found: list[Feature] = []
    if names or ids:
        condition = sa.or_(Feature.name.in_(names), Feature.id.in_(sorted(ids)))
        found = repo.filter(Feature, condition).all()
    by_id = {feature.id: feature for feature in found}
    by_name: dict[str, list[Feature]] = {}
    for feature in found:
        by_name.setdefault(feature.name, []).append(feature)
    result: dict[Any, Feature] = {}
    unknown: list[str] = []
    for key in keys:
        if isinstance(key, str):
            chosen = topmost(key, by_name.get(key, []), ValidationError)
            if chosen is not None:
                result[key] = chosen
            else:
                unknown.append(key)
        else:
            stored = by_id.get(sa.inspect(key).identity[0])
            if stored is None:
                raise ValidationError(f"Feature {key.name!r} does not exist or is not readable")
            result[key] = stored
    if unknown and strict:
        raise ValidationError(unknown_keys_message(values or {}, unknown))
    return result


def topmost(name: str, candidates: list[Feature], error: type[Exception]) -> Feature | None:
    """The feature a name means: the only one, else the only root-level one (no ``type``);
    ``error`` when several remain (lamindb's rule for feature names)."""
    if len(candidates) > 1:
        roots = [feature for feature in candidates if feature.type_id is None]
        if len(roots) != 1:
            raise error(
                f"Ambiguous match for Feature {name!r}: {len(candidates)} features have it and "
                f"{len(roots)} of them are root-level; use the Feature object instead"
            )
        candidates = roots
    return candidates[0] if candidates else None


def unknown_keys_message(values: Mapping[Any, Any], unknown: list[str]) -> str:
    return f"These keys could not be validated: {unknown}\n{_create_hint(values, unknown)}"


def _create_hint(values: Mapping[Any, Any], names: list[str]) -> str:
    lines = [
        f"  repo.save(lr.Feature(name={name!r}, dtype={infer(values.get(name))!r}))"
        for name in names
    ]
    return "Here is how to create a feature:\n\n" + "\n".join(lines)


# -- non-categorical values ------------------------------------------------------------------


@cache
def _adapter(kind: str, is_list: bool) -> TypeAdapter[Any]:
    from pydantic import TypeAdapter

    python: Any = {
        "int": int,
        "float": float,
        "num": int | float,
        "str": str,
        "bool": bool,
        "date": dt.date,
        "datetime": dt.datetime,
        "dict": dict[str, Any],
        "path": str | PurePath,
        "url": str,
        "object": Any,
    }[kind]
    return TypeAdapter(list[python] if is_list else python)


def _to_json(value: Any) -> Any:
    """lamindb's stored JSON: ISO strings for dates and datetimes, posix paths."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, PurePath):
        return value.as_posix()
    if isinstance(value, list):
        return [_to_json(item) for item in value]
    return value


def from_json(dtype: Dtype, value: Any) -> Any:
    """A stored JSON value read back as Python (dates and datetimes parsed)."""
    if dtype.simple not in ("date", "datetime") or value is None:
        return value
    parse_one = dt.date.fromisoformat if dtype.simple == "date" else dt.datetime.fromisoformat
    try:
        if isinstance(value, list):
            return [parse_one(item) for item in value]
        return parse_one(value)
    except (TypeError, ValueError):
        return value


def _check_simple(feature: Feature, dtype: Dtype, value: Any) -> tuple[Any, str | None]:
    """(JSON value, None) or (None, error message)."""
    from pydantic import ValidationError as PydanticError

    assert dtype.simple is not None
    if (
        dtype.simple == "datetime"
        and not dtype.is_list
        and isinstance(value, dt.date)
        and not (isinstance(value, dt.datetime))
    ):
        return None, "expected a datetime, got a date"
    strict = not feature.coerce
    elements = value if isinstance(value, list) else [value]
    if dtype.simple in ("int", "num") and any(isinstance(v, bool) for v in elements):
        return None, f"expected {dtype.text}, got a bool"
    try:
        checked = _adapter(dtype.simple, dtype.is_list).validate_python(value, strict=strict)
    except PydanticError as error:
        first = error.errors()[0]
        where = "".join(f"[{part}]" for part in first["loc"])
        return None, f"{first['msg']}{' at ' + where if where else ''}"
    if dtype.simple == "float" and not dtype.is_list:
        checked = float(checked)
    stored = _to_json(checked)
    problem = json_text_problem(stored)  # the same refusal on SQLite as on PostgreSQL
    if problem is not None:
        return None, problem
    return stored, None


# -- categorical values ----------------------------------------------------------------------


def _type_id(repo: Repository, target: CatTarget) -> int | None:
    if target.type_uid is None:
        return None
    model = target.model
    found = repo.filter(model, uid=target.type_uid).first()
    if found is None:
        raise ValidationError(
            f"No record found with uid {target.type_uid!r} (the type of a dtype "
            f"cat[{target.registry}[...]]), or it is not readable"
        )
    return int(found.id)


def _target_conditions(repo: Repository, target: CatTarget) -> dict[str, Any]:
    expressions: dict[str, Any] = {}
    type_id = _type_id(repo, target)
    if type_id is not None:
        expressions["type_id"] = type_id
    for key, value in target.filters:
        if value in ("True", "False"):
            expressions[key] = value == "True"
        else:
            expressions[key] = value
    return expressions


def _matches(repo: Repository, target: CatTarget, values: list[Any]) -> dict[Any, int]:
    """``{value: id}`` of visible records of ``target`` (its type and filters applied)."""
    if not values:
        return {}
    model = target.model
    column = getattr(model, target.field_name)
    found: dict[Any, int] = {}
    query = repo.filter(model, **_target_conditions(repo, target))
    for start in range(0, len(values), 500):
        chunk = values[start : start + 500]
        stmt = query.filter(column.in_(chunk)).statement().with_only_columns(column, model.id)
        rows: Any = repo._execute(stmt.order_by(model.id))
        for value, record_id in rows:
            found.setdefault(value, record_id)
    return found


def _record_matches(repo: Repository, target: CatTarget, records: list[Any]) -> set[int]:
    """Ids of ``records`` that are visible records of ``target`` (type and filters applied)."""
    ids = [sa.inspect(r).identity[0] for r in records if sa.inspect(r).identity is not None]
    if not ids:
        return set()
    model = target.model
    query = repo.filter(model, id__in=ids, **_target_conditions(repo, target))
    stmt = query.statement().with_only_columns(model.id)
    return {row[0] for row in repo._execute(stmt)}


# -- the whole dict --------------------------------------------------------------------------


def plan(
    repo: Repository,
    tables: HostTables,
    features: dict[Any, Feature],
    values: Mapping[Any, Any],
    action: str,
) -> list[Planned]:
    """Validate every value; ``ValidationError`` listing all problems, or the plan."""
    from ..models.base import BaseSQLRecord

    errors: list[str] = []
    unknown = [key for key in values if key not in features]
    planned: list[Planned] = []
    by_feature: dict[int, Planned] = {}
    requests: dict[int, list[tuple[Any, tuple[CatTarget, ...]]]] = {}
    for key, value in values.items():
        if key not in features:
            continue
        feature = features[key]
        dtype = parse(feature._dtype_str or "")
        if feature.id in by_feature:
            previous = by_feature[feature.id]
            if previous.json != _to_json(value) or previous.is_null != (value is None):
                raise ValidationError(f"Conflicting values for feature name {feature.name!r}.")
            continue
        item = Planned(feature, dtype)
        by_feature[feature.id] = item
        planned.append(item)
        if value is None or (dtype.is_cat and isinstance(value, list | tuple | set) and not value):
            item.is_null = True
            continue
        if not dtype.is_cat:
            item.json, problem = _check_simple(feature, dtype, value)
            if problem:
                errors.append(f"{feature.name!r} ({dtype.text})={value!r}: {problem}")
            continue
        items = list(value) if isinstance(value, list | tuple | set) else [value]
        if len(items) > 1 and not dtype.is_list and tables.host == "Record":
            errors.append(
                f"{feature.name!r} ({dtype.text})={value!r}: a Record holds one value of a "
                "to-one feature; use a list[...] dtype for several"
            )
            continue
        for target in dtype.targets:
            tables.cat_link(target.registry, feature.name)
        wanted = requests.setdefault(feature.id, [])
        for element in items:
            if isinstance(element, BaseSQLRecord):
                owners = tuple(t for t in dtype.targets if isinstance(element, t.model))
                if not owners:
                    expected = " or ".join(t.registry for t in dtype.targets)
                    errors.append(
                        f"{feature.name!r} ({dtype.text}): {element!r} is a "
                        f"{type(element).__name__}, expected {expected}"
                    )
                    continue
                wanted.append((element, owners))
            elif isinstance(element, str | int | float) and not isinstance(element, bool):
                wanted.append((element, dtype.targets))
            else:
                errors.append(f"{feature.name!r} ({dtype.text}): cannot use {element!r}")
    _resolve_labels(repo, planned, requests, errors)
    if unknown:
        errors.insert(0, unknown_keys_message(values, unknown))
    if errors:
        host = tables.host
        raise ValidationError(
            f"Failed to {action} features on {host}: "
            + "; ".join(errors)
            + "\n    → fix the values, create the missing labels, e.g. "
            "repo.save(lr.ULabel.from_values([...], create=True)), or fix the feature's dtype "
            "(or set feature.coerce = True to cast values)"
        )
    return planned


def _resolve_labels(
    repo: Repository,
    planned: list[Planned],
    requests: dict[int, list[tuple[Any, tuple[CatTarget, ...]]]],
    errors: list[str],
) -> None:
    """Fill ``labels`` of the categorical plans: one query per target registry for all values."""
    from ..models.base import BaseSQLRecord

    plain: dict[CatTarget, set[Any]] = {}
    records: dict[CatTarget, list[Any]] = {}
    for wanted in requests.values():
        for element, targets in wanted:
            for target in targets:
                if isinstance(element, BaseSQLRecord):
                    records.setdefault(target, []).append(element)
                else:
                    plain.setdefault(target, set()).add(element)
    by_value = {t: _matches(repo, t, sorted(v, key=str)) for t, v in plain.items()}
    by_record = {t: _record_matches(repo, t, r) for t, r in records.items()}
    for item in planned:
        missing: list[str] = []
        for element, targets in requests.get(item.feature.id, []):
            match: tuple[str, int] | None = None
            for target in targets:
                if isinstance(element, BaseSQLRecord):
                    identity = sa.inspect(element).identity
                    if identity is not None and identity[0] in by_record[target]:
                        match = (target.registry, identity[0])
                elif element in by_value[target]:
                    match = (target.registry, by_value[target][element])
                if match is not None:
                    break
            if match is None:
                missing.append(repr(element))
            elif match not in item.labels:
                item.labels.append(match)
        if missing:
            errors.append(
                f"{len(missing)} term{'s' if len(missing) > 1 else ''} not validated in feature "
                f"{item.feature.name!r} ({item.dtype.text}): {', '.join(missing)}"
            )
