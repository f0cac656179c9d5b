"""``lookup``: an auto-complete object with one attribute per (sanitised) field value."""

from __future__ import annotations

import keyword
import logging
import re
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..bulk import gc_paused
from ..errors import InvalidArgument
from ..query import prepared
from ._common import log, primary_key, resolve_field, row_conditions

if TYPE_CHECKING:
    from ..query.query import Query
    from ..repository import Repository

_NOT_IDENTIFIER = re.compile(r"[^0-9a-zA-Z_]+")


def to_key(value: str) -> str:
    """lamindb's attribute name for a value: ``"My label!"`` -> ``"my_label_"``.

    Runs of characters outside ``[0-9a-zA-Z_]`` become ``_``, the result is lowercased,
    prefixed with ``ln_`` unless it starts with a letter, and suffixed with ``_`` if it is a
    Python keyword.
    """
    key = _NOT_IDENTIFIER.sub("_", value).lower()
    if not key[:1].isalpha():
        key = f"ln_{key}"
    if keyword.iskeyword(key):
        key = f"{key}_"
    return key


def lookup(
    repo: Repository,
    model: type,
    field: str | None = None,
    *,
    return_field: str | None = None,
    keep: str | bool = "first",
    query: Query[Any] | None = None,
) -> Any:
    """A namedtuple ``Lookup``: one attribute per key, plus ``dict()`` ``{raw value: record}``.

    Rows: the query's, or the visible ones (hidden branches never), by id. Keys that several
    rows share keep the first/last row (``keep``) with a warning, or a list (``keep=False``).
    ``return_field`` stores that column instead of the record.
    """
    if keep not in ("first", "last") and keep is not False:
        raise InvalidArgument(f"keep must be 'first', 'last' or False, got {keep!r}")
    column = resolve_field(model, field, purpose="lookup")
    if return_field is not None:
        return_field = resolve_field(model, return_field, purpose="return_field")
    pk = primary_key(model)
    conditions = row_conditions(repo, model, query)
    records = prepared.load_where(repo.session, model, conditions, [pk])
    if records is None:
        records = repo._scalars(sa.select(model).where(*conditions).order_by(pk))

    by_key: dict[str, list[Any]] = {}
    by_value: dict[str, list[Any]] = {}
    for record in records:
        value = getattr(record, column)
        if not isinstance(value, str) or not value:
            continue
        item = getattr(record, return_field) if return_field else record
        by_key.setdefault(to_key(value), []).append(item)
        by_value.setdefault(value, []).append(item)

    attributes: dict[str, Any] = {}
    for key, items in by_key.items():
        if len(items) == 1:
            attributes[key] = items[0]
        elif keep is False:
            attributes[key] = items
        else:
            log(False, logging.WARNING, "%d records found for %r. Returning based on keep=%r.",
                len(items), key, keep)
            attributes[key] = items[0] if keep == "first" else items[-1]
    if "dict" in attributes:  # the value "dict" must not hide the method
        attributes["dict_"] = attributes.pop("dict")
    mapping = {value: items[0] if len(items) == 1 else items for value, items in by_value.items()}

    def as_dict() -> dict[str, Any]:
        return dict(mapping)

    values: list[Any] = [*attributes.values(), as_dict]
    with gc_paused():
        return _lookup_type([*attributes, "dict"])(values)


def _lookup_type(fields: list[str]) -> type:
    """A ``namedtuple("Lookup", fields)`` look-alike (``_fields``, ``_asdict``, attribute
    access, a tuple), built without the ``eval`` of a constructor with one argument per field
    that makes ``namedtuple`` take 0.2 s for 10,000 fields."""

    def asdict(self: tuple[Any, ...]) -> dict[str, Any]:
        return dict(zip(fields, self, strict=True))

    def represent(self: tuple[Any, ...]) -> str:
        inner = ", ".join(f"{name}={value!r}" for name, value in zip(fields, self, strict=True))
        return f"Lookup({inner})"

    namespace: dict[str, Any] = {
        name: property(itemgetter(index), doc=f"Alias for field number {index}")
        for index, name in enumerate(fields)
    }
    namespace.update(
        __slots__=(), _fields=tuple(fields), _asdict=asdict, __repr__=represent
    )
    return type("Lookup", (tuple,), namespace)
