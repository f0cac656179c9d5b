"""``standardize`` and ``from_values``: map values to a registry's standard names.

The three tiers of lamindb, each one statement per chunk of unique values:

1. an exact, case-sensitive match of the field keeps the value;
2. unless ``case_sensitive``, a case-insensitive match of the field (the lowest id wins);
3. the synonyms: ``|``-separated items, minus each row's own field value; ``keep`` picks the
   row (``"first"``/``"last"`` by id, ``False``: every name, as a list when there are several).
   Case-insensitive unless ``case_sensitive``.

A value matched by an earlier tier never reaches a later one, so a field match always beats
another row's synonym.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa

from ..bulk import gc_paused
from ..conveniences import RecordList
from ..errors import InvalidArgument
from ._common import (
    IN_CHUNK,
    VALUE_CHUNK,
    check_value_types,
    chunked,
    flatten,
    fold,
    has_column,
    in_values,
    is_na,
    log,
    name_field,
    primary_key,
    query_values,
    quote_list,
    resolve_field,
    row_conditions,
    rows_matching,
    split_synonyms,
    unique_values,
)

if TYPE_CHECKING:
    from ..query.query import Query
    from ..repository import Repository

R = TypeVar("R")

EXACT, CASE, SYNONYM = 1, 2, 3


def _check_keep(keep: Any) -> None:
    if keep not in ("first", "last") and keep is not False:
        raise InvalidArgument(f"keep must be 'first', 'last' or False, got {keep!r}")


def _pick(targets: list[Any], keep: str | bool) -> Any:
    """One of the targets (ordered by row id) per ``keep``; ``False``: all distinct ones."""
    if keep == "first":
        return targets[0]
    if keep == "last":
        return targets[-1]
    distinct = list(dict.fromkeys(targets))
    return distinct[0] if len(distinct) == 1 else distinct


def standard_map(
    repo: Repository,
    model: type,
    field: str,
    values: Sequence[str],
    conditions: Sequence[Any],
    *,
    case_sensitive: bool,
    keep: str | bool,
    synonyms_field: str,
    return_field: str | None,
    inexact: bool = False,
) -> dict[Any, tuple[Any, int]]:
    """``{value: (standardized value, tier)}`` for every unique value some tier matched.

    ``inexact``: the caller has just found (with the same ``conditions``) that no value
    matches exactly (``inspect``, ``from_values``), so the exact tier's statement is skipped.
    """
    column = getattr(model, field)
    out = getattr(model, return_field) if return_field else column
    result: dict[Any, tuple[Any, int]] = {}
    wanted, text = query_values(model, field, values)
    # 1. exact
    if not inexact:
        for row in rows_matching(repo, model, column, wanted, conditions, [column, out],
                                 text=text):
            result.setdefault(row[1], (row[2], EXACT))
    rest = [value for value in wanted if value not in result]
    # 2. case-insensitive
    if rest and not case_sensitive:
        folded = list(dict.fromkeys(value.lower() for value in rest))
        by_fold: dict[str, Any] = {}
        for row in rows_matching(repo, model, fold(repo, column), folded, conditions,
                                 [column, out]):
            by_fold.setdefault(row[1].lower(), row[2])
        for value in rest:
            target = by_fold.get(value.lower())
            if target is not None:
                result[value] = (target, CASE)
        rest = [value for value in rest if value not in result]
    # 3. synonyms
    if rest and has_column(model, synonyms_field):
        by_synonym = _synonym_targets(
            repo, model, field, synonyms_field, rest, conditions, out, case_sensitive
        )
        for value in rest:
            targets = by_synonym.get(value if case_sensitive else value.lower())
            if targets:
                result[value] = (_pick(targets, keep), SYNONYM)
    return result


def _synonym_targets(
    repo: Repository,
    model: type,
    field: str,
    synonyms_field: str,
    values: Sequence[str],
    conditions: Sequence[Any],
    out: Any,
    case_sensitive: bool,
) -> dict[str, list[Any]]:
    """``{synonym key: [target per matching row, by id]}`` in one scan per chunk."""
    pk = primary_key(model)
    column = getattr(model, field)
    synonyms = getattr(model, synonyms_field)
    items = split_synonyms(repo, synonyms)
    item = items.c.value
    key_expr = item if case_sensitive else fold(repo, item)
    keys = list(dict.fromkeys(values if case_sensitive else (v.lower() for v in values)))
    rows: list[Any] = []
    for start in range(0, len(keys), 200_000):
        chunk = keys[start : start + 200_000]
        stmt = sa.select(pk, column, out, item).where(
            synonyms.isnot(None), item != column, in_values(repo, key_expr, chunk), *conditions
        )
        rows.extend(repo._execute(stmt).all())
    rows.sort(key=lambda row: row[0])
    found: dict[str, list[Any]] = {}
    for row in rows:
        key = row[3] if case_sensitive else row[3].lower()
        found.setdefault(key, []).append(row[2])
    return found


def standardize(
    repo: Repository,
    model: type,
    values: Any,
    field: str | None = None,
    *,
    return_field: str | None = None,
    return_mapper: bool = False,
    case_sensitive: bool = False,
    keep: str | bool = "first",
    synonyms_field: str = "synonyms",
    mute: bool = False,
    query: Query[Any] | None = None,
) -> Any:
    """Values mapped to their standard names; see the module docstring for the tiers.

    Registries without ``synonyms_field``, and fields other than the name field, return the
    input unchanged (as lamindb does). ``return_mapper=True`` returns ``{value: standard}``
    for the values that changed only.
    """
    _check_keep(keep)
    column = resolve_field(model, field, purpose="standardize")
    if return_field is not None:
        return_field = resolve_field(model, return_field, purpose="return_field")
    items, scalar = flatten(values)
    check_value_types(model, column, items)
    acts = column == name_field(model) and has_column(model, synonyms_field)
    if not acts:
        if return_mapper:
            return {}
        return items[0] if scalar else list(items)
    conditions = row_conditions(repo, model, query)
    uniq = [value for value in unique_values(items) if isinstance(value, str)]
    mapped = standard_map(
        repo, model, column, uniq, conditions, case_sensitive=case_sensitive, keep=keep,
        synonyms_field=synonyms_field, return_field=return_field,
    )
    if return_mapper:
        return {value: target for value, (target, _) in mapped.items() if target != value}
    # per input only dictionary look-ups, in C when every input is a str (1,000,000 inputs:
    # a Python-level test per input would cost more than the statements)
    targets = {value: target for value, (target, _) in mapped.items()}
    changed_values = {value for value, (_, tier) in mapped.items() if tier != EXACT}
    if set(map(type, items)) <= {str}:
        output = list(map(targets.get, items, items))
        changed = sum(map(changed_values.__contains__, items))
    else:  # NA and numbers pass through unchanged (the mapped values are all str)
        output = [targets.get(value, value) if isinstance(value, str) else value
                  for value in items]
        changed = sum(1 for value in items if isinstance(value, str) and value in changed_values)
    if items:
        log(mute, logging.INFO, "standardized %d/%d terms", changed, len(items))
    return output[0] if scalar else output


_UNSET = object()


def _loaded(key: str) -> Callable[[Any], Any]:
    """A reader of attribute ``key`` of loaded records.

    A load puts the column values in the instance's ``__dict__``; reading them there costs
    about a third of going through the instrumented attribute, which shows for 100,000
    records read two or three times each. An attribute missing there (deferred, expired)
    goes through the attribute.
    """

    def read(record: Any) -> Any:
        value = record.__dict__.get(key, _UNSET)
        return getattr(record, key) if value is _UNSET else value

    return read


def from_values(
    repo: Repository,
    model: type[R],
    values: Any,
    field: str | None = None,
    *,
    create: bool = False,
    mute: bool = False,
) -> list[R]:
    """The visible records for ``values``; with ``create``, new unsaved ones for the rest.

    ``create=False``: unique values, mapped through synonyms, one ``IN`` query per chunk;
    the records come back in database (id) order and unmatched values are logged.
    ``create=True``: one record per input (duplicates included): the stored record with that
    exact value, else a new unsaved one (save them with ``repo.save(records)``).

    The cyclic garbage collector is paused meanwhile: loading 100,000 records allocates
    millions of tracked objects, and the full collections that triggers walk all of them for
    nothing (none is garbage yet); that was about a third of the time.
    """
    with gc_paused():
        return _from_values(repo, model, values, field, create=create, mute=mute)


def _from_values(
    repo: Repository,
    model: type[R],
    values: Any,
    field: str | None,
    *,
    create: bool,
    mute: bool,
) -> list[R]:
    column_name = resolve_field(model, field, purpose="from_values")
    items, _ = flatten(values)
    check_value_types(model, column_name, items)
    conditions = row_conditions(repo, model, None)
    column = getattr(model, column_name)
    uniq = unique_values(items)
    record_id = _loaded(sa.inspect(model).get_property_by_column(primary_key(model)).key)
    record_value = _loaded(column_name)

    def load(wanted: Sequence[Any]) -> list[R]:
        query_list, text = query_values(model, column_name, wanted)
        records: list[R] = []
        for chunk in chunked(query_list, VALUE_CHUNK if text else IN_CHUNK):
            stmt = sa.select(model).where(
                in_values(repo, column, chunk, text=text), *conditions
            )
            records.extend(repo._scalars(stmt))
        records.sort(key=record_id)
        return records

    if create:
        stored: dict[Any, R] = {}
        for record in load(uniq):
            stored.setdefault(record_value(record), record)
        result: list[R] = []
        created = 0
        for value in items:
            if is_na(value) or value == "":
                continue
            found = stored.get(value)
            if found is None:
                found = model(**{column_name: value})
                created += 1
            result.append(found)
        log(mute, logging.INFO, "loaded %d %s records, created %d new (unsaved) ones",
            len(result) - created, model.__name__, created)
        return RecordList(result)

    records = load(uniq)
    found_values = set(map(record_value, records))
    rest = [value for value in uniq if value not in found_values]
    mapper: dict[Any, Any] = {}
    if rest and column_name == name_field(model) and has_column(model, "synonyms"):
        strings = [value for value in rest if isinstance(value, str)]
        mapper = {
            value: target
            for value, (target, _) in standard_map(
                repo, model, column_name, strings, conditions, case_sensitive=False,
                keep="first", synonyms_field="synonyms", return_field=None, inexact=True,
            ).items()
        }
        targets = [t for t in dict.fromkeys(mapper.values()) if t not in found_values]
        more = load(targets)  # none of them is in records: their values were not found
        if more:
            records.extend(more)
            records.sort(key=record_id)  # two sorted runs: one merge
            found_values.update(map(record_value, more))
    missing = [value for value in rest if mapper.get(value, value) not in found_values]
    if missing:
        log(mute, logging.WARNING, "did not create %s records for %d non-validated %ss: %s",
            model.__name__, len(missing), column_name, quote_list(missing))
    return RecordList(records)
