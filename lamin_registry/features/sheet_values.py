"""A sheet's schema after joining (lamindb §3.1, §3.2): the values a member record is given
later, and the index feature of the sheet type itself.

* ``set_values``/``update_values``/``add_values`` on records inside a sheet are checked like
  joining it (:func:`lamin_registry.features.sheets.check_join`): the record's features after
  the call must include every required member and no feature outside the schema; a failure
  raises ``ValidationError`` and writes nothing. The index feature's value lives on
  ``Record.name``: passing it is accepted when it equals the record's name (what
  ``get_values()`` shows) and refused otherwise.
* A Record type with a schema whose index feature is not ``str`` is refused when saved (new,
  or its schema changes): the index value is stored on ``Record.name``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import InvalidArgument, ValidationError
from .sheets import _label, check_members, members, sheet_schemas

if TYPE_CHECKING:
    from ..models.features import Feature, Schema
    from ..repository import Repository


def sheet_types(records: Sequence[Any]) -> set[int]:
    """Indexes of the Record types with a schema that are new or change ``schema`` or
    ``is_type`` in this save (read before the flush, which clears the changes)."""
    found = set()
    for i, record in enumerate(records):
        if type(record).__name__ != "Record" or not record.__dict__.get("is_type"):
            continue
        if record.__dict__.get("schema") is None and record.__dict__.get("schema_id") is None:
            continue
        state = sa.inspect(record)
        if state.key is None or any(
            state.attrs[key].history.has_changes() for key in ("schema", "schema_id", "is_type")
        ):
            found.add(i)
    return found


def check_sheet_types(repo: Repository, records: Sequence[Any]) -> None:
    """Refuse sheet types whose schema's index feature is not ``str`` (lamindb's
    ``ValueError``). Runs inside the save's savepoint: a failure undoes the save."""
    from ..models.features import Schema

    for record in records:
        schema_id = record.__dict__.get("schema_id")
        if not record.__dict__.get("is_type") or schema_id is None:
            continue
        schema = repo.session.get(Schema, schema_id)
        index = schema.index if schema is not None else None
        if index is not None and index._dtype_str != "str":
            raise ValidationError(
                f"schema index feature {index.name!r} must have dtype str because it is "
                f"stored on Record.name, not {index._dtype_str!r} (sheet {record.name!r})"
            )


def check_annotation(
    repo: Repository,
    ids: Sequence[int],
    features: Mapping[Any, Feature],
    values: Mapping[Any, Any],
    action: str,
) -> set[int]:
    """Check ``action`` (``add``/``set``/``update``) of ``values`` on the Records ``ids``
    against the schemas of the sheets they belong to; return the ids of index features
    whose values are the records' names (not to be stored as values).

    Statements: one for the hosts' types, one for their sheets, then per sheet its members
    and (``add``/``update``) the stored values of its records: none per record.
    """
    from ..curation._common import in_ids
    from ..models.labels import Record
    from .reading import read
    from .tables import host_tables

    found_rows: Any = repo._execute(
        sa.select(Record.id, Record.type_id, Record.name, Record.uid, Record.is_type).where(
            in_ids(repo, Record.id, list(ids)), Record.type_id.isnot(None)
        )
    ).all()
    rows = [row[:4] for row in found_rows if not row[4]]  # a type in a sheet: never checked
    sheets = sheet_schemas(repo, [type_id for _, type_id, _, _ in rows]) if rows else {}
    hosts = [row for row in rows if row[1] in sheets]
    if not hosts:
        return set()
    named = {features[key].name: value for key, value in values.items() if key in features}
    stored: dict[int, set[str]] = {}
    if action != "set":
        found = read(repo, host_tables("Record"), [row[0] for row in hosts])
        stored = {
            host_id: {found.features[fid].name for fid in per_host}
            for host_id, per_host in found.by_host.items()
        }
    skipped: set[int] = set()
    schema_members: dict[int, list[Feature]] = {}
    for host_id, type_id, name, uid in hosts:
        schema = sheets[type_id]
        if schema.id not in schema_members:
            schema_members[schema.id] = members(repo, schema.id)
        sheet = repo.session.get(Record, type_id)
        sheet_name = sheet.name if sheet is not None else str(type_id)
        label = _label(_Named(name, uid))
        index = _check_host(
            schema, schema_members[schema.id], named, stored.get(host_id, set()), name,
            action, f"{label} (type={sheet_name!r})",
        )
        if index is not None:
            skipped.add(index.id)
    if skipped and len(hosts) != len(ids):
        raise InvalidArgument(
            "The index feature of a sheet is stored on Record.name: annotate the sheet's "
            "records apart from other records when passing it"
        )
    return skipped


class _Named:
    """What ``sheets._label`` reads of a record."""

    def __init__(self, name: str | None, uid: str) -> None:
        self.__dict__.update(name=name, uid=uid)


def _check_host(
    schema: Schema,
    features: list[Feature],
    named: Mapping[str, Any],
    stored: set[str],
    name: str | None,
    action: str,
    label: str,
) -> Feature | None:
    """Raise unless the record's features after ``action`` fit ``schema``; the index
    feature if ``named`` passes it (its value being the record's name)."""
    index_uid = schema._index_feature_uid
    index = next((f for f in features if f.uid == index_uid), None)
    given = {key for key, value in named.items() if value is not None}
    result = given if action == "set" else stored | given
    if action == "update":
        result -= {key for key, value in named.items() if value is None}
    passed_index = None
    if index is not None:
        if index.name in named:
            value = named[index.name]
            if value is not None and value != name:
                raise ValidationError(
                    f"Failed to {action} features on {label}: the index feature "
                    f"{index.name!r} is stored on Record.name ({name!r}), got {value!r}; "
                    "set the record's name instead"
                )
            passed_index = index
        result.discard(index.name)
        if name:
            result.add(index.name)
    check_members(
        schema, features, result, f"Failed to {action} features on {label}",
        " (COLUMN_NOT_IN_DATAFRAME)",
    )
    return passed_index
