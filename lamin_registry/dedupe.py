"""Which new records of a save are already stored: lamindb's "same name returns the stored
record" rule, set-based.

A save of many new records asks the database once per batch which of their names exist (on
SQLite one statement whose names travel as a single JSON parameter read by ``json_each``: no
500-name ``IN`` lists to compile), reading ids and key columns only; ORM objects are loaded
for the matches alone. A bulk save of new names therefore costs one index probe per name and
builds no object.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from itertools import repeat
from operator import is_not
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from . import concurrency

if TYPE_CHECKING:
    from .repository import Repository

logger = logging.getLogger("lamin_registry")

_CHUNK = 500  # ids or names per IN (...) list where a list is bound value by value
_JSON_CHUNK = 50_000  # names per statement on SQLite (one JSON parameter)

ANY_TYPE = object()
"""The type in the key of a new record whose ``type`` was not passed: lamindb matches its
name across the whole registry (features reference §4, behaviour §7.3), the lowest id
first; ``type=None`` matches untyped records only, ``type=T`` the records of ``T``."""


def stored_matches(repo: Repository, model: type, records: Sequence[Any]) -> list[Any | None]:
    """For each new record, the stored record with the same name (and type), or None.

    Looks at the visible branches only; records later in the batch with a name already seen
    earlier in it map to that earlier record. A match receives the new record's non-None
    constructor values (lamindb's rule) and the new record leaves its related objects.
    """
    from .repository import _apply_changes, _detach_from_related

    name_field = getattr(model, "_name_field", None)
    resolver = getattr(model, "_resolve_stored", None)
    if not getattr(model, "_dedupe_on_save", False) or not (name_field or resolver):
        return [None] * len(records)
    if resolver is not None:  # a registry's own rule (Transform: lamindb §6.1; blocks)
        return list(resolver(repo, records))
    assert name_field is not None
    has_type = "type_id" in sa.inspect(model).columns
    versioned = hasattr(model, "is_latest")
    # A record's key is (name, type, version); the common one -- no type passed (or no type
    # column), no version -- is the name itself: a bulk save of 1,000,000 new names then
    # holds no tuple a record, only references (see _compact)
    plain_type = ANY_TYPE if has_type else None
    keys: list[Any] | None = _plain_keys(records, name_field, has_type, versioned)
    plain = keys is not None  # every key a name: no None, no tuple
    if keys is None:
        keys = _keys(records, name_field, has_type, versioned, plain_type)
        plain = all(map(isinstance, keys, repeat(str)))
    names = set(keys) if plain else {
        key if isinstance(key, str) else key[0] for key in keys if key is not None
    }
    stored: dict[Any, Any] = {}
    if names:  # one row per name under concurrency: lock the names, then look
        concurrency.lock_names(repo.session, sa.inspect(model).local_table.name, names)
        stored = _stored_by_key(repo, model, name_field, list(names), has_type, versioned)
    distinct = plain and len(names) == len(keys)
    del names
    matches: list[Any | None] = [None] * len(records)
    if not stored and distinct:  # the common bulk case: all new, all different
        return matches
    first_in_batch: dict[Any, Any] = {}
    for index, (record, key) in enumerate(zip(records, keys, strict=True)):
        if key is None:
            continue
        match = stored.get(key)
        if match is None:
            match = first_in_batch.get(key)
            if match is None:
                first_in_batch[key] = record
        if match is not None:
            logger.info(
                "returning %s with same %s: %r", model.__name__.lower(), name_field,
                key if isinstance(key, str) else key[0],
            )
            if hasattr(record, "_on_stored_match"):  # a registry's own rule (Feature)
                record._on_stored_match(match, repo)
            _apply_changes(record, match)
            _detach_from_related(record)
            matches[index] = match
    return matches


def _plain_keys(
    records: Sequence[Any], name_field: str, has_type: bool, versioned: bool
) -> list[Any] | None:
    """The names of ``records`` when each one's key is its name alone (a name given, no type
    passed, no version, no deliberate uid, not revising): C-level passes over the records,
    about a tenth of :func:`_keys`'s per-record loop. None when any record is otherwise."""
    dicts = [record.__dict__ for record in records]
    names = list(map(dict.get, dicts, repeat(name_field)))
    if not all(map(isinstance, names, repeat(str))):
        return None
    unset = ["_revises"]  # None or absent everywhere
    if has_type:
        unset += ["type", "type_id"]
    if versioned:
        unset.append("version_tag")
    if any(any(map(is_not, map(dict.get, dicts, repeat(key)), repeat(None))) for key in unset):
        return None
    given = ["_uid_given", "_type_given"] if has_type else ["_uid_given"]
    if any(any(map(dict.get, dicts, repeat(key))) for key in given):  # False or absent
        return None
    return names


def _keys(
    records: Sequence[Any], name_field: str, has_type: bool, versioned: bool, plain_type: Any
) -> list[Any]:
    """Each record's key: its name; ``(name, type, version)`` when a type was passed or a
    version given; None when it is never matched (no name, a deliberate uid, a revision)."""
    from .repository import _type_id

    keys: list[Any] = []
    append = keys.append
    for record in records:
        state = record.__dict__
        name = state.get(name_field)
        if (
            not isinstance(name, str)
            or state.get("_revises") is not None
            or state.get("_uid_given", False)  # a deliberate uid is never deduplicated
        ):
            append(None)
            continue
        type_id = _type_id(record) if has_type else None
        if (
            has_type
            and type_id is None
            and not state.get("_type_given", False)
            and state.get("type") is None
        ):
            type_id = ANY_TYPE  # lamindb: no type passed, the whole registry
        version = state.get("version_tag") if versioned else None
        if type_id is plain_type and version is None:
            append(name)
        else:
            append((name, type_id, version))
    return keys


def _stored_by_key(
    repo: Repository,
    model: Any,
    name_field: str,
    names: list[str],
    has_type: bool,
    versioned: bool,
) -> dict[Any, Any]:
    """The first stored (lowest id) visible record for each (name, type, version) key among
    the rows named ``names``: ids and keys read set-based, objects loaded for matches only."""
    name_column = getattr(model, name_field)
    columns = [
        model.id,
        name_column,
        model.type_id if has_type else sa.null(),
        model.version_tag if versioned else sa.null(),
    ]
    conditions = list(repo._visibility(model))
    if versioned:
        conditions.append(model.is_latest.is_(True))
    first_id: dict[Any, int] = {}
    for membership in _name_membership(repo, name_column, names):
        stmt = sa.select(*columns).where(membership, *conditions)
        row: Any
        for row in repo._execute(stmt):
            row_id, name, type_id, version = row
            plain_type = ANY_TYPE if has_type else None
            for full in ((name, type_id, version), (name, ANY_TYPE, version)):
                key = name if full[1] is plain_type and version is None else full
                if key not in first_id or row_id < first_id[key]:
                    first_id[key] = row_id
    if not first_id:
        return {}
    ids = sorted(set(first_id.values()))
    by_id: dict[int, Any] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for record in repo._scalars(sa.select(model).where(model.id.in_(chunk))):
            by_id[record.id] = record
    return {key: by_id[row_id] for key, row_id in first_id.items() if row_id in by_id}


def _name_membership(repo: Repository, column: Any, names: list[str]) -> list[Any]:
    """Conditions ``column IN names``, as few statements as the dialect allows: SQLite reads
    the names from one JSON parameter, PostgreSQL from one array parameter."""
    dialect = repo.session.get_bind().dialect.name
    if dialect == "sqlite":  # 50,000 names a statement: SQLite's list of them stays in cache
        conditions = []
        for start in range(0, len(names), _JSON_CHUNK):
            chunk = json.dumps(names[start : start + _JSON_CHUNK])
            values = sa.func.json_each(sa.bindparam("names", chunk)).table_valued("value")
            conditions.append(column.in_(sa.select(values.c.value).scalar_subquery()))
        return conditions
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql  # loaded only on PostgreSQL (import cost)

        bound = sa.bindparam("names", names, type_=postgresql.ARRAY(sa.String))
        return [column == sa.any_(bound)]
    return [column.in_(names[start : start + _CHUNK]) for start in range(0, len(names), _CHUNK)]
