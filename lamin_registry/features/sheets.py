"""Sheets: a Record type with a Schema (lamindb §3).

A record joining a sheet (``Record(type=sheet, features={...})``) must carry every member
feature of the sheet's schema (when ``schema.minimal_set``), only member features (unless
``schema.maximal_set`` is false, lamindb's default, which tolerates extras at construction but
not in ``set_values``), each valid for its dtype. ``sheet_dataframe`` exports a sheet with
lamindb's column layout; ``import_dataframe`` validates a DataFrame and writes it into a sheet
all-or-nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import InvalidArgument, ValidationError

if TYPE_CHECKING:
    import pandas as pd

    from ..models.features import Feature, Schema
    from ..repository import Repository

UID_COLUMN = "__lamindb_record_uid__"
NAME_COLUMN = "__lamindb_record_name__"
ID_COLUMN = "__lamindb_record_id__"


def members(repo: Repository, schema_id: int) -> list[Feature]:
    """The schema's features in link order (the sheet's column order)."""
    from ..models.base import metadata
    from ..models.features import Feature

    link = metadata.tables["lamindb_schemafeature"]
    stmt = (
        sa.select(Feature)
        .join(link, link.c.feature_id == Feature.id)
        .where(link.c.schema_id == schema_id)
        .order_by(link.c.id)
    )
    return list(repo._scalars(stmt))


def sheet_schemas(repo: Repository, type_ids: Sequence[int]) -> dict[int, Schema]:
    """``{type id: Schema}`` for the types among ``type_ids`` that are sheets."""
    from ..models.features import Schema
    from ..models.labels import Record

    if not type_ids:
        return {}
    rows: Any = repo._execute(
        sa.select(Record.id, Record.schema_id).where(
            Record.id.in_(sorted(set(type_ids))), Record.schema_id.isnot(None)
        )
    ).all()
    if not rows:
        return {}
    schemas = {s.id: s for s in repo._scalars(sa.select(Schema).where(
        Schema.id.in_([schema_id for _, schema_id in rows])
    ))}
    return {type_id: schemas[schema_id] for type_id, schema_id in rows}


def check_join(
    repo: Repository, record: Any, sheet_name: str, schema: Schema, values: Mapping[Any, Any]
) -> None:
    """A record joining a sheet carries its required features and only its members.

    Required: the non-optional members when ``schema.minimal_set`` (lamindb's default), and
    always the index feature, whose value is the record's name. A type record joining is
    never checked (lamindb's rule).
    """
    if getattr(record, "is_type", False):
        return
    features = members(repo, schema.id)
    names = [feature.name for feature in features]
    if len(set(names)) != len(names):
        shared = sorted({name for name in names if names.count(name) > 1})
        raise ValidationError(
            f"Cannot set type to {sheet_name!r} on {_label(record)}: features "
            f"{', '.join(map(repr, shared))} share a name"
        )
    index_uid = schema._index_feature_uid
    given = {key if isinstance(key, str) else key.name for key in values}
    if index_uid is not None and record.__dict__.get("name"):
        given.update(f.name for f in features if f.uid == index_uid)
    check_members(
        schema, features, given, f"Cannot set type to {sheet_name!r} on {_label(record)}"
    )


def check_members(
    schema: Schema, features: Sequence[Feature], given: set[str], context: str, suffix: str = ""
) -> None:
    """Raise unless the feature names ``given`` (what a record of the sheet will carry, its
    name standing for the index feature) hold every required member and no other feature.

    Required: the index feature, and the non-optional members when ``schema.minimal_set``.
    ``context`` begins the missing-features message, ``suffix`` ends it.
    """
    index_uid = schema._index_feature_uid
    optional = set(schema.optionals.get_uids())
    required = [
        feature.name
        for feature in features
        if feature.uid == index_uid or (schema.minimal_set and feature.uid not in optional)
    ]
    missing = [name for name in required if name not in given]
    if missing:
        raise ValidationError(
            f"{context}: missing required features {', '.join(map(repr, missing))}{suffix}"
        )
    extra = sorted(given - {feature.name for feature in features})
    if extra:
        raise ValidationError(f"These feature keys are not in the provided schema: {extra}")


def index_name(schema: Schema | None) -> str | None:
    """The name of the schema's index feature (its values live on ``Record.name``)."""
    if schema is None or schema._index_feature_uid is None:
        return None
    index = schema.index
    return None if index is None else index.name


def take_index(record: Any, schema: Schema, values: dict[Any, Any]) -> dict[Any, Any]:
    """``values`` without the index feature's value, which becomes the record's name."""
    name = index_name(schema)
    if name is None:
        return values
    rest = {}
    for key, value in values.items():
        if (key if isinstance(key, str) else getattr(key, "name", None)) == name:
            if value is not None:
                if not isinstance(value, str):
                    raise ValidationError(
                        f"The index feature {name!r} of a sheet is stored on Record.name: "
                        f"expected a str, got {value!r}"
                    )
                record.name = value
        else:
            rest[key] = value
    return rest


def _label(record: Any) -> str:
    name = record.__dict__.get("name")
    return f"Record {name!r}" if name else f"Record uid={record.__dict__.get('uid')}"


def sheet_dataframe(repo: Repository, sheet: Any) -> pd.DataFrame:
    """The sheet's records: its members in schema order, then the record uid and name;
    index ``__lamindb_record_id__``; rows by id."""
    import pandas as pd

    from ..models.labels import Record
    from .reading import read
    from .tables import host_tables

    if not getattr(sheet, "is_type", False):
        raise TypeError(
            "to_dataframe() can only be called on the class or on record type instance."
        )
    query = repo.filter(Record, type_id=sheet.id).order_by("id")
    rows = query.statement().with_only_columns(Record.id, Record.uid, Record.name)
    records: Any = repo._execute(rows).all()
    ids = [row[0] for row in records]
    schema_id = sheet.schema_id
    columns = members(repo, schema_id) if schema_id is not None else []
    values = read(repo, host_tables("Record"), ids) if ids else None
    names = [feature.name for feature in columns]
    if values is not None and not columns:  # a page: the features found, sorted
        found = {fid for per in values.by_host.values() for fid in per}
        names = sorted(values.features[fid].name for fid in found)
    data: dict[str, list[Any]] = {name: [] for name in names}
    for record_id, _, _ in records:
        shown = values.as_dict(record_id) if values is not None else {}
        for name in names:
            data[name].append(shown.get(name))
    index = index_name(sheet.schema) if schema_id is not None else None
    if index is not None:  # the index is that feature (Record.name); no metadata columns
        data.pop(index, None)
        frame = pd.DataFrame(data, index=pd.Index([row[2] for row in records], name=index))
        return frame
    data[UID_COLUMN] = [row[1] for row in records]
    data[NAME_COLUMN] = [row[2] for row in records]
    frame = pd.DataFrame(data, index=pd.Index(ids, name=ID_COLUMN))
    return frame


def import_dataframe(repo: Repository, sheet: Any, frame: pd.DataFrame) -> list[Any]:
    """Validate every row of ``frame`` against ``sheet`` and save them all, or none.

    Columns are member feature names (and optionally ``__lamindb_record_name__`` or
    ``name`` for the record name); NaN cells count as missing values.
    """
    import pandas as pd


    if not isinstance(frame, pd.DataFrame):
        raise InvalidArgument(f"from_dataframe() takes a pandas DataFrame, got {frame!r}")
    if not getattr(sheet, "is_type", False) or sheet.schema_id is None:
        raise InvalidArgument(f"{sheet!r} is not a sheet (a Record type with a schema)")
    name_column = next((c for c in (NAME_COLUMN, "name") if c in frame.columns), None)
    records: list[Any] = []
    problems: list[str] = []
    with repo.session.no_autoflush:  # new records sit in sheet.records until saved
        _build_rows(repo, sheet, frame, name_column, records, problems)
    if problems:
        raise ValidationError(f"Cannot import into sheet {sheet.name!r}: " + "; ".join(problems))
    with repo._atomic(f"importing into sheet {sheet.name!r} failed"):
        return repo.save(records)


def _build_rows(
    repo: Repository,
    sheet: Any,
    frame: pd.DataFrame,
    name_column: str | None,
    records: list[Any],
    problems: list[str],
) -> None:
    from ..models.labels import Record

    for position, (_, row) in enumerate(frame.iterrows()):
        values = {
            column: _cell(value)
            for column, value in row.items()
            if column not in (name_column, UID_COLUMN, ID_COLUMN)
        }
        values = {key: value for key, value in values.items() if value is not None}
        name = _cell(row[name_column]) if name_column else None
        record = Record(name=name, type=sheet, features=values)
        try:
            check_join(repo, record, sheet.name, sheet.schema, values)
        except ValidationError as error:
            problems.append(f"row {position}: {error}")
        records.append(record)


def _cell(value: Any) -> Any:
    import pandas as pd

    if isinstance(value, list | dict):
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        return value
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


class SheetAwareToDataFrame:
    """``Record.to_dataframe(...)`` on the class (every record), ``sheet.to_dataframe()`` on
    a type (the sheet export); a data record raises ``TypeError``, as in lamindb."""

    def __get__(self, obj: Any, owner: type) -> Any:
        if obj is None:
            from .._context import active_repository

            def for_class(**kwargs: Any) -> pd.DataFrame:
                return active_repository().to_dataframe(owner, **kwargs)

            return for_class

        def for_sheet() -> pd.DataFrame:
            from .accessor import repository_of

            return sheet_dataframe(repository_of(obj), obj)

        return for_sheet
