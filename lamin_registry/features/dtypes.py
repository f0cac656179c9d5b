"""Feature dtypes: lamindb's serialized strings, parsed into what validation and storage need.

``int``, ``float``, ``num``, ``str``, ``bool``, ``date``, ``datetime``, ``dict``, ``path``,
``url``, ``object`` and ``list[<simple>]`` hold JSON values; ``cat[<Registry>[<bracket>].<field>
|...]`` and ``list[cat[...]]`` hold links to records of a registry. The bracket is a type's uid
(``cat[ULabel[<uid>]]``: labels of that type) and/or filters (``cat[Record[<uid>, is_type=True]]``).
"""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from ..errors import InvalidArgument, ValidationError

SIMPLE = (
    "num",
    "int",
    "float",
    "str",
    "bool",
    "datetime",
    "date",
    "dict",
    "path",
    "url",
    "object",
)
CAT_REGISTRIES = (
    "ULabel",
    "Record",
    "User",
    "Project",
    "Run",
    "Transform",
    "Reference",
    "Collection",
    "Artifact",
)
_PY_NAMES = {
    int: "int",
    float: "float",
    str: "str",
    bool: "bool",
    dict: "dict",
    dt.date: "date",
    dt.datetime: "datetime",
}
_PART = re.compile(
    r"^(?P<registry>[A-Za-z_][A-Za-z0-9_]*)(?:\[(?P<bracket>.*)\])?(?:\.(?P<field>\w+))?$"
)


@dataclass(frozen=True)
class CatTarget:
    """One registry a categorical feature links to, with its type and filters."""

    registry: str
    type_uid: str | None = None
    filters: tuple[tuple[str, str], ...] = ()
    field: str | None = None  # None: the registry's name field

    @property
    def model(self) -> Any:
        from .. import models

        return getattr(models, self.registry)

    @property
    def field_name(self) -> str:
        return self.field or getattr(self.model, "_name_field", None) or "name"


@dataclass(frozen=True)
class Dtype:
    """A parsed dtype string."""

    text: str
    is_list: bool = False
    simple: str | None = None  # the JSON kind; None for categorical dtypes
    targets: tuple[CatTarget, ...] = field(default=())

    @property
    def is_cat(self) -> bool:
        return self.simple is None


def _split_top(text: str, sep: str) -> list[str]:
    """``text`` split at ``sep`` outside brackets and quotes."""
    parts, depth, quote, start = [], 0, "", 0
    for i, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [part.strip() for part in parts]


def _invalid(text: str) -> ValidationError:
    return ValidationError(
        f"dtype is {text!r} but has to be one of {sorted(SIMPLE)}, list[<one of them>] or a "
        "categorical dtype such as 'cat[ULabel]' or 'cat[Record[<type uid>]]'!"
    )


@lru_cache(maxsize=1024)
def parse(text: str) -> Dtype:
    """The :class:`Dtype` of a serialized dtype string (``ValidationError`` if invalid)."""
    if not isinstance(text, str):
        raise _invalid(repr(text))
    inner, is_list = text, False
    if text.startswith("list[") and text.endswith("]"):
        inner, is_list = text[5:-1], True
    if inner in SIMPLE:
        return Dtype(text, is_list, inner)
    if not (inner.startswith("cat[") and inner.endswith("]")):
        raise _invalid(text)
    body = inner[4:-1].strip()
    if not body:
        raise ValidationError(f"dtype {text!r} names no registry, e.g. 'cat[ULabel]'")
    targets = []
    for part in _split_top(body, "|"):
        match = _PART.match(part)
        if match is None or match["registry"] not in CAT_REGISTRIES:
            raise ValidationError(
                f"{part!r} is an invalid dtype, has to be registry, e.g. ULabel or Record "
                f"(one of {', '.join(CAT_REGISTRIES)})"
            )
        type_uid, filters = None, []
        for item in _split_top(match["bracket"] or "", ","):
            if not item:
                continue
            key, eq, value = item.partition("=")
            if not eq:
                type_uid = item
                continue
            value = value.strip().strip("\"'")
            if not value:
                raise ValidationError(f"Empty value in filter {key.strip()}")
            filters.append((key.strip(), value))
        targets.append(CatTarget(match["registry"], type_uid, tuple(filters), match["field"]))
    if len(targets) > 1 and any(t.type_uid or t.filters for t in targets):
        raise ValidationError(f"cat_filters are incompatible with union dtypes: {text!r}")
    return Dtype(text, is_list, None, tuple(targets))


def _registry_name(model: type) -> str:
    name = model.__name__
    if name not in CAT_REGISTRIES:
        raise ValidationError(
            f"{name!r} is an invalid dtype, has to be registry, e.g. ULabel or Record"
        )
    return name


def serialize(dtype: Any, cat_filters: dict[str, Any] | None = None) -> str:
    """lamindb's dtype string for a ``dtype=`` argument (see the reference's table)."""
    from ..models.base import BaseSQLRecord

    text = _serialize(dtype)
    if not cat_filters:
        return text
    parsed = parse(text)
    if parsed.is_list:
        raise ValidationError(f"cat_filters are incompatible with nested dtypes: {text!r}")
    if not parsed.is_cat or len(parsed.targets) != 1:
        raise ValidationError(f"cat_filters are incompatible with union dtypes: {text!r}")
    (target,) = parsed.targets
    type_uid, filters = target.type_uid, []
    for key, value in cat_filters.items():
        if isinstance(value, BaseSQLRecord):
            uid = sa.inspect(value).dict.get("uid")
            if key == "type":
                if type_uid is not None and type_uid != uid:
                    raise ValidationError(
                        "Conflicting typed dtype and cat_filters type selector: dtype uses uid "
                        f"{type_uid!r}, cat_filters uses uid {uid!r}"
                    )
                type_uid = uid
                continue
            key, value = f"{key}__uid", uid
        if value is None or value == "":
            raise ValidationError(f"Empty value in filter {key}")
        text_value = str(value)
        if "," in text_value:
            text_value = f'"{text_value}"'
        filters.append(f"{key}={text_value}")
    bracket = ", ".join([*([type_uid] if type_uid else []), *filters])
    suffix = f".{target.field}" if target.field else ""
    return f"cat[{target.registry}[{bracket}]{suffix}]"


def _serialize(dtype: Any) -> str:
    from ..models.base import BaseSQLRecord

    if isinstance(dtype, str):
        parse(dtype)
        return dtype
    if isinstance(dtype, type) and dtype in _PY_NAMES:
        return _PY_NAMES[dtype]
    origin = typing.get_origin(dtype)
    if origin is list:
        (arg,) = typing.get_args(dtype) or (None,)
        inner = _serialize(arg)
        return f"list[{inner}]"
    if origin in (typing.Union, types.UnionType) or isinstance(dtype, list | tuple):
        members = typing.get_args(dtype) if origin else tuple(dtype)
        texts = [_serialize(member) for member in members]
        if any(not text.startswith("cat[") for text in texts):
            raise _invalid(" | ".join(texts))
        if any("[" in text[4:-1] for text in texts):
            raise InvalidArgument(
                "Cannot create a union dtype that includes a `Record` or `ULabel` subtype, "
                "pass the registries themselves"
            )
        return "cat[" + "|".join(text[4:-1] for text in texts) + "]"
    if isinstance(dtype, type) and issubclass(dtype, BaseSQLRecord):
        return f"cat[{_registry_name(dtype)}]"
    if isinstance(dtype, sa.orm.InstrumentedAttribute):
        model: Any = dtype.class_
        name_field = getattr(model, "_name_field", None) or "name"
        if dtype.key in (name_field, "name"):
            return f"cat[{_registry_name(model)}]"
        return f"cat[{_registry_name(model)}.{dtype.key}]"
    if isinstance(dtype, BaseSQLRecord):
        state = sa.inspect(dtype)
        if state.identity is None:
            raise InvalidArgument(
                f"Cannot serialize unsaved objects. Save {dtype!r} before using it as a dtype."
            )
        if not getattr(dtype, "is_type", False):
            raise InvalidArgument(
                f"Cannot serialize non-type {type(dtype).__name__} "
                f"{getattr(dtype, 'name', None)!r}. Only types (is_type=True) can be dtypes."
            )
        uid = sa.inspect(dtype).dict.get("uid")
        return f"cat[{_registry_name(type(dtype))}[{uid}]]"
    if dtype is None:
        raise ValidationError(
            f"Please pass dtype, one of {sorted(SIMPLE)} or a composed categorical dtype"
        )
    raise _invalid(repr(dtype))


def infer(value: Any) -> str:
    """The dtype lamindb would infer for ``value`` (error hints, ``Feature.from_dict``)."""
    from ..models.base import BaseSQLRecord

    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, dict):
        return "dict"
    if isinstance(value, dt.datetime):
        return "datetime"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, str):
        return "str"
    if isinstance(value, BaseSQLRecord):
        return f"cat[{type(value).__name__}]"
    if isinstance(value, list | tuple) and value:
        inner = {infer(item) for item in value}
        if len(inner) == 1:
            return f"list[{inner.pop()}]"
    return "?"
