"""``lookup``: an auto-complete object with one attribute per (sanitised) field value."""

from __future__ import annotations

import keyword
import logging
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from operator import attrgetter, itemgetter
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


_NOT_IDENTIFIER_OR_NUL = re.compile(r"[^0-9a-zA-Z_\x00]+")


def to_keys(values: list[str]) -> list[str]:
    """:func:`to_key` of each value, with one substitution and one ``lower`` over all of
    them joined by NUL (what remains after the substitution is ASCII, so lowercasing the
    whole is lowercasing each)."""
    if not values or any("\x00" in value for value in values):
        return [to_key(value) for value in values]
    keys = _NOT_IDENTIFIER_OR_NUL.sub("_", "\x00".join(values)).lower().split("\x00")
    iskeyword = keyword.iskeyword
    return [
        key if key[:1].isalpha() and not iskeyword(key) else to_key(value)
        for key, value in zip(keys, values, strict=True)
    ]


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

    The records are always read afresh (the prepared loader, one statement); what the
    result looks like for the field's values -- keys, collisions, the ``Lookup`` type -- is
    kept from the previous call while the registry's values, in id order, are the same
    (:func:`_layout`: a list comparison, exact whatever happened in the database).
    """
    if keep not in ("first", "last") and keep is not False:
        raise InvalidArgument(f"keep must be 'first', 'last' or False, got {keep!r}")
    column = resolve_field(model, field, purpose="lookup")
    if return_field is not None:
        return_field = resolve_field(model, return_field, purpose="return_field")
    pk = primary_key(model)
    conditions = row_conditions(repo, model, query)
    with gc_paused():  # thousands of new objects: no collections walking the live ones
        records = prepared.load_where(repo.session, model, conditions, [pk])
        if records is None:
            records = repo._scalars(sa.select(model).where(*conditions).order_by(pk))
        values = list(map(attrgetter(column), records))
        layout = _layout(model, column, keep, values)
        for key, count in layout.repeated:
            log(False, logging.WARNING,
                "%d records found for %r. Returning based on keep=%r.", count, key, keep)
        items = list(map(attrgetter(return_field), records)) if return_field else records
        mapping = dict(zip(layout.values, _pick(items, layout.value_slots), strict=True))

        def as_dict() -> dict[str, Any]:
            return dict(mapping)

        return layout.type([*_pick(items, layout.slots), as_dict])


@dataclass(slots=True, frozen=True)
class _Layout:
    """What a lookup's result looks like for one sequence of field values: the ``Lookup``
    type and, per attribute and per distinct value, the record numbers it holds (an int, or
    a tuple for ``keep=False``). Records themselves are always read afresh."""

    field_values: list[Any]
    type: type
    slots: list[int | tuple[int, ...]]
    values: list[str]
    value_slots: list[int | tuple[int, ...]]
    repeated: list[tuple[str, int]]  # keys several records share, for the warning


_LAYOUTS: OrderedDict[tuple[Any, ...], _Layout] = OrderedDict()
_LAYOUTS_KEPT = 8
_LAYOUT_MAX_ROWS = 200_000
_LAYOUTS_LOCK = threading.Lock()


def _layout(model: type, column: str, keep: str | bool, field_values: list[Any]) -> _Layout:
    """The layout of ``field_values`` (in record order), reused while the registry's values
    stay the same (a list comparison: exact whatever changed in the database)."""
    name = (model, column, keep)
    found = _LAYOUTS.get(name)
    if found is not None and found.field_values == field_values:
        return found
    by_key: dict[str, list[int]] = {}
    by_value: dict[str, list[int]] = {}
    numbers = [n for n, value in enumerate(field_values) if isinstance(value, str) and value]
    texts = [field_values[n] for n in numbers]
    for number, value, key in zip(numbers, texts, to_keys(texts), strict=True):
        by_key.setdefault(key, []).append(number)
        by_value.setdefault(value, []).append(number)
    repeated: list[tuple[str, int]] = []
    slots: dict[str, int | tuple[int, ...]] = {}
    for key, numbers in by_key.items():
        if len(numbers) == 1:
            slots[key] = numbers[0]
        elif keep is False:
            slots[key] = tuple(numbers)
        else:
            repeated.append((key, len(numbers)))
            slots[key] = numbers[0] if keep == "first" else numbers[-1]
    if "dict" in slots:  # the value "dict" must not hide the method
        slots["dict_"] = slots.pop("dict")
    layout = _Layout(
        field_values=field_values,
        type=_lookup_type([*slots, "dict"]),
        slots=list(slots.values()),
        values=list(by_value),
        value_slots=[numbers[0] if len(numbers) == 1 else tuple(numbers)
                     for numbers in by_value.values()],
        repeated=repeated,
    )
    if len(field_values) > _LAYOUT_MAX_ROWS:
        return layout  # not kept: memory
    with _LAYOUTS_LOCK:
        _LAYOUTS.pop(name, None)
        _LAYOUTS[name] = layout
        while len(_LAYOUTS) > _LAYOUTS_KEPT:
            _LAYOUTS.popitem(last=False)
    return layout


def _pick(items: list[Any], slots: list[int | tuple[int, ...]]) -> list[Any]:
    """Per slot, the item (an int) or the list of items (a tuple of ints)."""
    try:
        return [items[slot] for slot in slots]  # type: ignore[index]
    except TypeError:  # tuples among the slots: repeated values
        return [
            items[slot] if isinstance(slot, int) else [items[number] for number in slot]
            for slot in slots
        ]


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
