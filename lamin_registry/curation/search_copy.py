"""Search through the in-process copy of a registry's texts (SQLite; :mod:`.search_memory`).

The copy answers which texts match and how well: the candidates of every tier and their
scores come from it, ranked exactly as :func:`.search_rank._rank` ranks rows (score, then
the tie-break name, then id). The database then reads the records, best first, a chunk at a
time, in *one* statement that keeps only the rows the search may see (the repository's
branches and spaces, never trash, archive or templates, the query's own conditions), until
``limit`` of them are found. So a result never holds a row that is not there or not visible.

Each record read is checked against the copy (its folded texts and its tie-break name); if
one differs, the copy was stale after all and the search runs on the SQL path instead
(:func:`.search._sql_ranked`): a stale copy can cost time, never a wrong row or score.

Per call, the work is: the copy's key (one statement), the ranking in memory (the copy keeps
the last ``REMEMBERED`` rankings: a repeated search skips it; visibility is never part of
them), and one statement per chunk of records, whose SQL is compiled once per registry and
visibility (the ids travel as one JSON parameter) and whose rows become records the way
:mod:`..query.prepared` builds them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..query import prepared
from ..query.limits import clamp
from . import search_memory
from ._common import hidden_branch_ids, primary_key, row_conditions
from .search_rank import score_many

if TYPE_CHECKING:
    from ..query.query import Query
    from ..repository import Repository

FUZZY_CANDIDATES_ALL = 1_000  # with limit=None
MEMORY_FUZZY_CUTOFF = 55.0  # rapidfuzz candidates (lenient); FUZZY_CUTOFF decides
CHUNK = 5_000  # records a statement reads with limit=None
REMEMBERED = 64  # rankings a copy keeps (the same search again costs the records' statement)
_PARAMETER = "lr_ids_json"  # "lr_": filled by the caller (prepared._compiled)
_JSON_IDS: Any = sa.select(
    sa.func.json_each(sa.bindparam(_PARAMETER, type_=sa.Text)).table_valued("value").c.value
).scalar_subquery()
_MAX_STATEMENTS = 256
_STATEMENTS: dict[tuple[Any, ...], tuple[Any, Any]] = {}  # key -> (loader, compiled)

Ranked = list[tuple[float, str, Any, int]]  # (score, tie-break name, id, a text number)


class Stale(Exception):
    """A record read differs from the copy: the caller takes the SQL path."""


def search(
    repo: Repository,
    model: type,
    fields: Sequence[str],
    needle: str,
    query: Query[Any] | None,
    texts: search_memory.Texts,
    limit: int | None,
) -> tuple[list[Any], list[float]] | None:
    """The records and scores of a search through the copy, or None when a record read
    differs from the copy (the caller then searches with SQL)."""
    loader = _Loader(repo, model, query)
    want = None if limit is None else clamp(limit * 3 + 30)
    remembered = texts.ranked.get((needle, limit))
    if remembered is not None:  # the same search on the same copy: the same candidates
        ranked_items, cut, fuzzy_done, seen_ids = remembered
        ranked, seen = list(ranked_items), set(seen_ids)
    else:
        seen = set()
        ranked = _lexical(texts, needle, want, seen)
        cut = want is not None and len(ranked) >= want
        fuzzy_done = False
        if len(needle) >= 3 and (limit is None or len(ranked) < limit):
            ranked.extend(_fuzzy(texts, needle, limit, seen, len(ranked)))
            fuzzy_done = True
        ranked.sort(key=_order)
        if len(texts.ranked) >= REMEMBERED:
            texts.ranked.pop(next(iter(texts.ranked)))  # the oldest
        texts.ranked[needle, limit] = (tuple(ranked), cut, fuzzy_done, frozenset(seen))
    try:
        found = _read(texts, fields, loader, ranked, limit)
        fuzzy_left = len(needle) >= 3 and not fuzzy_done
        if limit is not None and len(found) < limit and (cut or fuzzy_left):
            # rows hidden from this search left room: the rest of the lexical tiers, then fuzzy
            more = _lexical(texts, needle, None, seen) if cut else []
            if fuzzy_left:
                more.extend(_fuzzy(texts, needle, limit, seen, len(found)))
            more.sort(key=_order)
            found += _read(texts, fields, loader, more, limit - len(found))
            found.sort(key=lambda pair: _order(pair[0]))
    except Stale:
        return None
    return [record for _, record in found], [round(item[0], 1) for item, _ in found]


def _order(item: tuple[float, str, Any, int]) -> tuple[float, str, Any]:
    return -item[0], item[1], item[2]


def _scored(
    texts: search_memory.Texts,
    needle: str,
    numbers: Sequence[int],
    seen: set[Any],
    out: Ranked,
    stop: int | None = None,
) -> None:
    """Append the rows of ``numbers`` not seen yet, with their scores (from all their texts),
    until ``out`` holds ``stop`` rows (None: all)."""
    ids, folded = texts.ids, texts.texts
    picked: list[int] = []
    rows: list[Sequence[str]] = []
    room = None if stop is None else stop - len(out)
    for number in numbers:
        if room is not None and len(picked) >= room:
            break
        id_ = ids[number]
        if id_ in seen:
            continue
        seen.add(id_)
        picked.append(number)
        if texts.multi:
            rows.append([folded[n] for n in search_memory.row_numbers(texts, number)])
        else:
            rows.append((folded[number],))
    ties = texts.ties
    for number, score in zip(picked, score_many(needle, rows), strict=True):
        if score is not None:
            out.append((score, ties[number], ids[number], number))


def _lexical(texts: search_memory.Texts, needle: str, want: int | None, seen: set[Any]) -> Ranked:
    """The exact, prefix, word and contained tiers, cut after ``want`` rows (None: all)."""
    ranked: Ranked = []
    for numbers in search_memory.lexical(texts, needle, want):
        _scored(texts, needle, numbers, seen, ranked, want)
        if want is not None and len(ranked) >= want:
            break
    return ranked


def _fuzzy(
    texts: search_memory.Texts, needle: str, limit: int | None, seen: set[Any], have: int
) -> Ranked:
    """The fuzzy tier: twice as many candidates as the ``limit - have`` rows still wanted,
    and ten more (:data:`FUZZY_CANDIDATES_ALL` with no limit)."""
    count = FUZZY_CANDIDATES_ALL if limit is None else clamp(2 * max(limit - have, 1) + 10)
    ranked: Ranked = []
    _scored(texts, needle, search_memory.fuzzy(texts, needle, count, MEMORY_FUZZY_CUTOFF),
            seen, ranked)
    return ranked


def _read(
    texts: search_memory.Texts,
    fields: Sequence[str],
    loader: _Loader,
    ranked: Ranked,
    limit: int | None,
) -> list[tuple[tuple[float, str, Any, int], Any]]:
    """The visible records of ``ranked`` with their items, in its order, until ``limit``
    are found."""
    found: list[tuple[tuple[float, str, Any, int], Any]] = []
    size = CHUNK if limit is None else max(limit, 20)
    for start in range(0, len(ranked), size):
        chunk = ranked[start : start + size]
        records = loader.load([item[2] for item in chunk])
        for item in chunk:
            record = records.get(item[2])
            if record is None:
                continue
            _check(texts, fields, record, item[1], item[3])
            found.append((item, record))
            if limit is not None and len(found) >= limit:
                return found
    return found


def _check(
    texts: search_memory.Texts, fields: Sequence[str], record: Any, tie: str, number: int
) -> None:
    """Raise :class:`Stale` unless the record's texts are the copy's."""
    if not texts.multi and len(fields) == 1 and fields[0] != "synonyms":
        value = getattr(record, fields[0])
        if value != tie or not isinstance(value, str) or value.lower() != texts.texts[number]:
            raise Stale
        return
    values = [getattr(record, name) for name in fields]
    if next((value for value in values if isinstance(value, str)), "") != tie:
        raise Stale
    expected: list[str] = []
    for value, name in zip(values, fields, strict=True):
        if isinstance(value, str) and value:
            items = [item for item in value.split("|") if item] if name == "synonyms" else [value]
            expected.extend(item.lower() for item in items)
    folded = texts.texts
    if expected != [folded[n] for n in search_memory.row_numbers(texts, number)]:
        raise Stale


class _Loader:
    """Reads records by id with the search's conditions, in one statement per chunk."""

    def __init__(self, repo: Repository, model: type, query: Query[Any] | None) -> None:
        self.repo = repo
        self.model = model
        self.query = query
        self.pk = primary_key(model)

    def load(self, ids: list[Any]) -> dict[Any, Any]:
        if not ids:
            return {}
        repo, model = self.repo, self.model
        session = repo.session
        value = json.dumps(ids)
        records: list[Any] | None = None
        if self.query is None:
            loader, compiled = _prepared(repo, model, session)
            if loader is not None and prepared._fast_load_allowed(session, loader):
                session._autoflush()
                connection = prepared._connection(session)
                bound = prepared.bound(compiled, {_PARAMETER: value})
                rows = prepared._fetch(connection, compiled.sql, bound)
                records = prepared._instances(session, loader, compiled.results, rows)
        if records is None:
            conditions = [self.pk.in_(_JSON_IDS), *row_conditions(repo, model, self.query)]
            params = {_PARAMETER: value}
            records = prepared.load_where(session, model, conditions, [], params)
            if records is None:  # the ORM path (see query/prepared.py)
                records = repo._scalars(sa.select(model).where(*conditions), params)
        identity = self.pk.key
        return {record.__dict__[identity]: record for record in records}


def _prepared(repo: Repository, model: type, session: Any) -> tuple[Any, Any]:
    """The compiled statement of the visible rows among bound ids (no query given): the same
    conditions as :func:`._common.row_conditions`, as fixed parameters."""
    visibility = repo._visibility_key(model, True)
    hidden = hidden_branch_ids(repo, model)
    dialect = prepared._connection(session).dialect
    key = (model, visibility, hidden, dialect.name)
    entry = _STATEMENTS.get(key)
    if entry is None:
        conditions: list[Any] = [primary_key(model).in_(_JSON_IDS)]
        conditions.extend(prepared.visibility_conditions(model, visibility, fixed=True))
        if hidden:
            column: Any = model.branch_id  # type: ignore[attr-defined]
            conditions.append(
                column.notin_([sa.bindparam(None, code, type_=column.type) for code in hidden])
            )
        loader = prepared._plan_loader(model, conditions, None)
        compiled = None if loader is None else prepared._compiled(loader, dialect)
        if len(_STATEMENTS) >= _MAX_STATEMENTS:
            _STATEMENTS.clear()
        entry = _STATEMENTS[key] = (loader, compiled)
    return entry
