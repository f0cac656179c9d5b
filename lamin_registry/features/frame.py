"""Feature columns of a DataFrame: the values of many hosts read once and shaped in bulk.

``to_dataframe(features=True)`` reads the same ``UNION ALL`` as
:func:`lamin_registry.features.reading.read` (visibility applied in every branch), but
instead of a Python dict per host and feature it turns the rows into numpy columns and
places each feature's values by the frame position of their host:

* each distinct JSON text is parsed once (``pandas.factorize``); a JSON list or dict is
  parsed once per row, so no two cells share one mutable value;
* a feature with at most one value per host (every JSON feature of a Record, every to-one
  categorical feature) is one fancy-indexed assignment;
* only a multi-valued feature (``list[cat[...]]``, several values of a Run or Artifact
  feature) is sorted (host, table, link: lamindb's link order) and grouped.

Three statements, as ``read``: the registries in use, the values, the features found.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..dberrors import translated
from .reading import feature_infos, registries_in_use, value_branches
from .tables import HostTables
from .values import from_json

if TYPE_CHECKING:
    import numpy as np

    from ..repository import Repository


def feature_columns(
    repo: Repository,
    tables: HostTables,
    ids: sa.Select[Any],
    record_ids: Sequence[Any],
    feature_ids: Sequence[int] | None = None,
) -> dict[str, list[Any]]:
    """``{feature name: values aligned with record_ids}`` in feature id order.

    ``ids`` selects the hosts (the query of the frame), ``record_ids`` are the frame's ids in
    frame order. A host without a value of a feature gets ``None``; a ``list[cat[...]]``
    feature gives a list, another feature with several values a set (a list if they are
    not hashable), as :meth:`lamin_registry.features.reading.Values.column`.
    """
    import numpy as np
    import pandas as pd

    from ..models.features import Feature

    registries = registries_in_use(repo, feature_ids, repo._visibility_key(Feature))
    json_select, cat_selects = value_branches(
        repo, tables, registries, lambda c: c.in_(ids), feature_ids, label_ids=False
    )
    if tables.inline_json:  # one value per record and feature: no link order to keep
        chosen = json_select.selected_columns
        json_select = json_select.with_only_columns(chosen.host, chosen.feature_id, chosen.text)
    parts = [_rows(repo, json_select, parse=True)]
    if cat_selects:
        union: Any = cat_selects[0]
        if len(cat_selects) > 1:
            union = sa.union_all(*cat_selects)
        parts.append(_rows(repo, union, parse=False))
    src, link, host, feature, values = (
        np.concatenate([part[i] for part in parts]) for i in range(5)
    )
    del parts
    if not len(src):
        return {}
    position = pd.Index(record_ids).get_indexer(host)
    infos = feature_infos(repo, np.unique(feature).tolist())
    size = len(record_ids)
    columns: dict[str, list[Any]] = {}
    for feature_id, info in sorted(infos.items()):
        mine = (feature == feature_id) & (position >= 0)
        where = position[mine]
        found = values[mine]
        dtype = info.dtype
        if dtype.simple in ("date", "datetime"):
            found = _object_array([from_json(dtype, value) for value in found])
        list_cat = dtype.is_list and dtype.is_cat
        counts = np.bincount(where, minlength=size)
        if list_cat or (counts.size and counts.max() > 1):
            columns[info.name] = _grouped(where, src[mine], link[mine], found, size, list_cat)
        else:
            column = np.full(size, None, dtype=object)
            column[where] = found
            columns[info.name] = column.tolist()
    return columns


def _object_array(items: Sequence[Any]) -> np.ndarray[Any, Any]:
    """A 1-d object array of ``items`` (lists stay elements, never a second dimension)."""
    import numpy as np

    return np.fromiter(items, dtype=object, count=len(items))


def _rows(repo: Repository, stmt: Any, *, parse: bool) -> list[np.ndarray[Any, Any]]:
    """The columns (table, link, host, feature, value) of ``stmt``'s rows as arrays (a
    statement of (host, feature, value) gets table and link 0); ``parse``: the values are
    JSON texts, parsed.

    The rows are the driver's tuples (every column is an int or a text, nothing for
    SQLAlchemy to convert), turned into one object array and sliced into columns.
    """
    import numpy as np

    with translated("query failed"):
        result: Any = repo.session.connection().execute(stmt)
        try:
            rows = result.cursor.fetchall() if result.cursor is not None else []
        finally:
            result.close()
    if not rows:
        return [np.empty(0, dtype=np.int64)] * 4 + [np.empty(0, dtype=object)]
    table = np.array(rows, dtype=object)
    del rows
    ints = [table[:, i].astype(np.int64) for i in range(table.shape[1] - 1)]
    if len(ints) == 2:
        ints = [np.zeros(len(table), dtype=np.int64)] * 2 + ints
    texts = table[:, -1]
    return [*ints, _parsed(texts) if parse else texts]


def _parsed(texts: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """JSON texts parsed: each distinct text once; a list or dict once per row, so no two
    cells share one mutable value. SQL NULL stays None."""
    import numpy as np
    import pandas as pd

    codes, uniques = pd.factorize(texts)
    parsed = [json.loads(text) if isinstance(text, str) else text for text in uniques]
    column = _object_array([*parsed, None])[codes]  # code -1 (NULL) -> the last entry
    mutable = [i for i, value in enumerate(parsed) if isinstance(value, list | dict)]
    if mutable:
        for row in np.flatnonzero(np.isin(codes, mutable)).tolist():
            column[row] = json.loads(texts[row])
    return column


def _grouped(
    where: np.ndarray[Any, Any],
    src: np.ndarray[Any, Any],
    link: np.ndarray[Any, Any],
    found: np.ndarray[Any, Any],
    size: int,
    list_cat: bool,
) -> list[Any]:
    """A multi-valued feature: each host's values in link order, shaped."""
    import numpy as np

    order = np.lexsort((link, src, where))
    where = where[order]
    items = found[order].tolist()
    starts = np.flatnonzero(np.diff(where)) + 1
    bounds = [0, *starts.tolist(), len(items)]
    hosts = where[bounds[:-1]].tolist() if items else []
    column: list[Any] = [None] * size
    for host, start, end in zip(hosts, bounds, bounds[1:], strict=False):
        group = items[start:end]
        column[host] = group if list_cat else _shaped(group)
    return column


def _shaped(group: list[Any]) -> Any:
    if len(group) == 1:
        return group[0]
    try:
        return set(group)
    except TypeError:  # unhashable JSON (dicts, lists)
        return group
