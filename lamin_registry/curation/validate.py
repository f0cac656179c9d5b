"""``validate`` and ``inspect``: exact, case-sensitive matching of values against a field.

Both work on the unique non-empty inputs with set-based statements (see ``_common``); the
per-input answer is then a dictionary lookup in Python.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ._common import (
    IN_CHUNK,
    VALUE_CHUNK,
    blank_na,
    check_value_types,
    chunked,
    flatten,
    has_column,
    has_rows,
    in_values,
    log,
    name_field,
    query_values,
    quote_list,
    resolve_field,
    row_conditions,
    unique_values,
)
from .results import InspectResult
from .value_cache import visible_values

if TYPE_CHECKING:
    from ..query.query import Query
    from ..repository import Repository


def _prepare(
    model: type, values: Any, field: str | None, purpose: str
) -> tuple[str, list[Any], list[Any], bool]:
    """The column, the flat inputs with NA as ``""``, the flat inputs as given, and whether
    a single scalar was given."""
    column = resolve_field(model, field, purpose=purpose)
    raw, scalar = flatten(values)
    items = blank_na(raw)
    check_value_types(model, column, items)
    return column, items, raw, scalar


def validated_set(
    repo: Repository, model: type, field: str, values: Sequence[Any], conditions: Sequence[Any]
) -> set[Any]:
    """The values (of ``values``) that some visible row holds exactly in ``field``.

    String fields are answered from the exact in-process copy of the field's visible values
    when there is one (:mod:`.value_cache`), else with one statement per chunk of values.
    """
    import sqlalchemy as sa

    from ..dberrors import translated

    wanted, text = query_values(model, field, values)
    column = getattr(model, field)
    found: set[Any] = set()
    if not wanted:
        return found
    repo.session._autoflush()
    if text:
        known = visible_values(repo, model, field, conditions, len(wanted))
        if known is not None:
            return set(known.intersection(wanted))
    # Core execution on the session's connection: only the matched values come back, and
    # the ORM's result set-up would cost more than the indexed look-ups
    connection = repo.session.connection()
    for chunk in chunked(wanted, VALUE_CHUNK if text else IN_CHUNK):
        stmt = sa.select(column).where(in_values(repo, column, chunk, text=text), *conditions)
        with translated("query failed"):
            found.update(connection.execute(stmt).scalars().all())
    return found


def _log_summary(
    mute: bool, model: type, field: str, n_unique: int, validated: int, missing: list[Any]
) -> None:
    if n_unique == 0:
        return
    if validated:
        log(mute, logging.INFO, "%d unique terms (%.2f%%) are validated for %s",
            validated, 100 * validated / n_unique, field)
    if missing:
        log(mute, logging.WARNING, "%d unique terms (%.2f%%) are not validated for %s: %s",
            len(missing), 100 * len(missing) / n_unique, field, quote_list(missing))


def _warn_if_empty(
    repo: Repository, model: type, conditions: Sequence[Any], found: set[Any], mute: bool
) -> None:
    if not found and not has_rows(repo, model, conditions):
        log(mute, logging.WARNING,
            "Your %s registry is empty, consider populating it first!", model.__name__)


def validate(
    repo: Repository,
    model: type,
    values: Any,
    field: str | None = None,
    *,
    mute: bool = False,
    query: Query[Any] | None = None,
) -> Any:
    """For each value, whether a visible record holds exactly that value (case-sensitive).

    Returns a ``numpy`` bool array (a plain bool for a single string); NA counts as ``""``.
    """
    import numpy as np

    column, items, _, scalar = _prepare(model, values, field, "validate")
    conditions = row_conditions(repo, model, query)
    uniq = unique_values(items)
    found = validated_set(repo, model, column, uniq, conditions)
    _warn_if_empty(repo, model, conditions, found, mute)
    flags = np.fromiter(map(found.__contains__, items), dtype=bool, count=len(items))
    missing = [value for value in uniq if value not in found]
    _log_summary(mute, model, column, len(uniq), len(uniq) - len(missing), missing)
    return bool(flags[0]) if scalar else flags


def inspect(
    repo: Repository,
    model: type,
    values: Any,
    field: str | None = None,
    *,
    mute: bool = False,
    query: Query[Any] | None = None,
) -> InspectResult:
    """Validated and non-validated unique values, with a synonyms mapper for the rest.

    The mapper exists only for the name field of registries with a ``synonyms`` column; it
    maps non-validated values through the case-insensitive and synonym tiers of
    ``standardize`` and keeps the ones it found.
    """
    from .standardize import standard_map

    column, items, raw_inputs, _ = _prepare(model, values, field, "inspect")
    conditions = row_conditions(repo, model, query)
    uniq = unique_values(items)
    found = validated_set(repo, model, column, uniq, conditions)
    _warn_if_empty(repo, model, conditions, found, mute)
    validated = [value for value in uniq if value in found]
    non_validated = [value for value in uniq if value not in found]
    n_unique = len(validated) + len(non_validated)
    frac = 0.0 if n_unique == 0 else 100 - round(100 * len(non_validated) / n_unique, 1)
    mapper: dict[Any, Any] = {}
    if non_validated and column == name_field(model) and has_column(model, "synonyms"):
        mapped = standard_map(
            repo, model, column, non_validated, conditions, case_sensitive=False,
            keep="first", synonyms_field="synonyms", return_field=None, inexact=True,
        )
        mapper = {value: target for value, (target, _) in mapped.items() if target != value}
    _log_summary(mute, model, column, n_unique, len(validated), non_validated)
    if mapper:
        log(mute, logging.WARNING,
            "detected %d unique terms with inconsistent casing/synonyms: %s",
            len(mapper), ", ".join(str(value) for value in mapper))
        log(mute, logging.INFO, "   → standardize terms via .standardize()")
    rest = [value for value in non_validated if value not in mapper]
    if rest and non_validated:
        log(mute, logging.INFO, "   → %d terms can be added as new %s records: %s",
            len(rest), model.__name__, quote_list(rest))
    flags = list(map(found.__contains__, items))
    return InspectResult(
        validated=validated,
        non_validated=non_validated,
        frac_validated=frac,
        n_empty=len(items) - n_unique,
        n_unique=n_unique,
        synonyms_mapper=mapper,
        _inputs=raw_inputs,
        _flags=flags,
    )
