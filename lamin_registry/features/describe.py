"""``describe()``: lamindb's text tree of a record -- general fields, then its features.

```
Record: r1
├── uid: t1qxDE7sdpRJlNXJ  type: Sample
│   is_type: False         schema:
│   branch: main           space: all
│   created_at: 2026-12-07 00:48:08 UTC
│   created_by: alice
└── Features
    └── lab                 ULabel                   L1
        age                 int                      41
```
Plain text (no ANSI codes), so it reads the same in a terminal, a log and a notebook
(``_repr_html_`` wraps it in ``<pre>``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import InvalidArgument
from .dtypes import Dtype, parse
from .reading import read
from .tables import HOSTS, host_tables

if TYPE_CHECKING:
    from ..repository import Repository

_FIELDS = (
    "uid",
    "key",
    "version",
    "run",
    "transform",
    "type",
    "is_type",
    "schema",
    "dtype",
    "status",
    "reference",
    "branch",
    "space",
    "created_at",
    "created_by",
)


def _title(record: Any) -> str:
    state = record.__dict__
    name = state.get("name") or state.get("key") or state.get("handle")
    if name:
        return str(name)
    uid = state.get("uid")
    return str(uid)[:7] if uid else repr(record)


def _shown(record: Any, name: str) -> str | None:
    """The text of field ``name`` (None when the registry has no such field)."""
    mapper: Any = sa.inspect(type(record))
    if name == "dtype" and "_dtype_str" in mapper.attrs:
        return str(record._dtype_str or "")
    if name == "status" and "_status_code" in mapper.attrs:
        return str(getattr(record, "status", ""))
    if name not in mapper.attrs:
        return None
    value = getattr(record, name)
    if value is None:
        return ""
    if name == "created_at":
        return str(value.strftime("%Y-%m-%d %H:%M:%S UTC"))
    if name in mapper.relationships:
        return _title(value)
    return str(value)


def _field_lines(record: Any) -> list[str]:
    pairs = [f"{name}: {text}" for name in _FIELDS if (text := _shown(record, name)) is not None]
    width = max((len(pair) for pair in pairs[0::2]), default=0) + 2
    lines = []
    for i in range(0, len(pairs), 2):
        left = pairs[i]
        right = pairs[i + 1] if i + 1 < len(pairs) else ""
        lines.append(f"{left.ljust(width)}{right}".rstrip())
    return lines


def _feature_lines(repo: Repository | None, record: Any) -> list[str]:
    host = type(record).__name__
    identity = sa.inspect(record).identity
    if repo is None or host not in HOSTS or identity is None:
        return []
    values = read(repo, host_tables(host), [identity[0]])
    stored = values.by_host.get(identity[0], {})
    order = sorted(
        stored, key=lambda fid: (not values.dtype(fid).is_cat, values.features[fid].name)
    )
    dtypes = [parse(values.features[fid]._dtype_str or "") for fid in order]
    names = type_names(repo, dtypes)
    lines = []
    for feature_id, dtype in zip(order, dtypes, strict=True):
        feature = values.features[feature_id]
        shown = values.shaped(feature_id, stored[feature_id])
        if isinstance(shown, set):
            shown = ", ".join(sorted(map(str, shown)))
        label = _dtype_label(display_dtype(repo, dtype, names))
        lines.append(f"{feature.name:<30}{label:<35}{shown}".rstrip())
    return lines


def type_names(repo: Repository, dtypes: list[Dtype]) -> dict[tuple[str, str], str]:
    """``{(registry, type uid): name}`` of the visible types the dtypes name: one statement
    per registry, however many features."""
    wanted: dict[str, set[str]] = {}
    for dtype in dtypes:
        for target in dtype.targets:
            if target.type_uid is not None:
                wanted.setdefault(target.registry, set()).add(target.type_uid)
    names: dict[tuple[str, str], str] = {}
    for dtype in dtypes:
        for target in dtype.targets:
            uids = wanted.pop(target.registry, None)
            if uids:
                found = repo.filter(target.model, uid__in=sorted(uids)).values_list("uid", "name")
                names.update({(target.registry, uid): str(name) for uid, name in found})
    return names


def display_dtype(
    repo: Repository, dtype: Dtype, names: dict[tuple[str, str], str] | None = None
) -> str:
    """The dtype with type names instead of uids: ``cat[Record[Species]]``."""
    if names is None:
        names = type_names(repo, [dtype])
    text = dtype.text
    for target in dtype.targets:
        name = names.get((target.registry, target.type_uid or ""))
        if target.type_uid is not None and name is not None:
            text = text.replace(target.type_uid, name)
    return text


def _dtype_label(text: str) -> str:
    """``cat[ULabel]`` -> ``ULabel``; ``list[cat[ULabel]]`` -> ``list[ULabel]``."""
    if text.startswith("cat[") and text.endswith("]"):
        return text[4:-1]
    if text.startswith("list[cat[") and text.endswith("]]"):
        return f"list[{text[9:-2]}]"
    return text


def describe(
    repo: Repository | None, record: Any, *, fields: bool = True, include: str | None = None
) -> str:
    """The describe tree of ``record`` (``fields=False``: header and features only);
    ``include="comments"`` appends its readme (``Notes:``) and comments, oldest first."""
    if include not in (None, "comments"):
        raise InvalidArgument(f"describe(include=...) takes None or 'comments', got {include!r}")
    header = f"{type(record).__name__}: {_title(record)}"
    features = _feature_lines(repo, record)
    sections: list[tuple[str, list[str]]] = []
    if fields:
        sections.append(("", _field_lines(record)))
    if features:
        sections.append(("Features", features))
    lines = [header]
    for index, (title, body) in enumerate(sections):
        last = index == len(sections) - 1
        branch, rail = ("└── ", "    ") if last else ("├── ", "│   ")
        if title:
            lines.append(f"{branch}{title}")
            for j, line in enumerate(body):
                lines.append(f"{rail}{'└── ' if j == 0 else '    '}{line}")
        else:
            for j, line in enumerate(body):
                lines.append(f"{branch if j == 0 else rail}{line}")
    if include == "comments" and repo is not None:
        lines.extend(_note_lines(repo, record))
    return "\n".join(lines)


def _note_lines(repo: Repository, record: Any) -> list[str]:
    """lamindb's ``Notes:`` and ``comment by <handle> at <time>:`` sections."""
    from .. import blocks
    from ..models.blocks import OWNER_BLOCKS

    if type(record).__name__ not in OWNER_BLOCKS:
        return []
    lines: list[str] = []
    readme = blocks.notes(repo, record) if sa.inspect(record).key is not None else None
    if readme:
        lines += ["Notes:", *(f"  {line}" for line in readme.splitlines())]
    for handle, at, content in blocks.comments(repo, record):
        when = at.strftime("%Y-%m-%d %H:%M:%S") if at is not None else "?"
        lines.append(f"comment by {handle} at {when}:")
        lines.extend(f"  {line}" for line in content.splitlines())
    return lines


def describe_record(record: Any, include: str | None = None) -> str:
    """:func:`describe` through the record's repository (fields only outside a session)."""
    from .._context import current_repository
    from ..hooks import REPOSITORY_KEY

    session = sa.inspect(record).session
    repo = session.info.get(REPOSITORY_KEY) if session is not None else None
    repo = repo or current_repository()
    return describe(repo, record, fields=True, include=include)
