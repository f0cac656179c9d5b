"""PostgreSQL search candidates that stay cheap on millions of look-alike names.

A GIN ``pg_trgm`` index answers ``ILIKE '%q%'`` or ``%`` by reading the posting list of
*every* trigram of the query. On names that share most of their trigrams (``label 17``,
``sample_00017``, ``AB17``) the lists of ``lab``, ``abe``, ``bel`` hold a third of the table:
at 10,000,000 rows a search read millions of index entries for a handful of matches, and the
fuzzy tier (``%``) fell back to a scan of the table.

So on a large table the index is asked only for the query's **rare** trigrams, and the full
condition is applied to the rows it returns as a plain filter:

* **contains** (the lexical tiers): rows holding the (up to) three rarest trigrams of the
  query, then ``strpos(lower(name), query) > 0``;
* **fuzzy**: rows holding two of the query's six rarest trigrams (one edit destroys at most
  three adjacent trigrams, so a typo leaves pairs intact unless the word is short), ranked by
  pg_trgm's ``similarity`` in SQL, the best ``count`` kept; with one rare
  trigram (or when pairs found nothing), the rows holding one. No ``%`` operator, so no
  per-transaction threshold settings.
  When that finds no row at all on a table below :data:`PLAIN_FUZZY_BELOW` rows,
  the plain ``%`` statement runs as well (short words lose all their trigrams to one edit).

Rarity comes from a sample of the column (:data:`SAMPLE_ROWS` rows, ``TABLESAMPLE``), kept
per engine for :data:`STATS_TTL` seconds. The sample only chooses which trigrams drive the
index: a stale or unlucky sample can make a search slower or (fuzzy tier) miss a candidate,
never return a row that does not match. Tables below :data:`LARGE_TABLE` rows (planner
estimate) keep the plain statements, where reading the whole index is cheap.

Trigrams here are pg_trgm's: lower-cased, inside runs of letters and digits (``_`` and
punctuation separate words), three characters, none of the padded word-boundary ones.
"""

from __future__ import annotations

import itertools
import re
import time
import weakref
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

if TYPE_CHECKING:
    from ..repository import Repository

LARGE_TABLE = 50_000
PLAIN_FUZZY_BELOW = 1_000_000  # rows below which too few rare candidates also ask ``%``
SAMPLE_ROWS = 20_000
STATS_TTL = 600.0
RARE = 0.02  # share of sampled rows above which a trigram is not worth an index read
CONTAINS_GRAMS = 3
FUZZY_GRAMS = 6
_WORD = re.compile(r"[^\W_]+")

_STATS: weakref.WeakKeyDictionary[sa.Engine, dict[tuple[str, str], _Stats]] = (
    weakref.WeakKeyDictionary()
)


@dataclass(slots=True)
class _Stats:
    """Trigram document frequencies of a sample of one column (None: a small table)."""

    frequency: Counter[str] | None
    sampled: int
    taken: float
    rows: float = 0.0  # the planner's estimate when sampled


def trigrams(text: str) -> list[str]:
    """The interior trigrams of ``text`` as pg_trgm extracts them, in order, once each."""
    grams: dict[str, None] = {}
    for word in _WORD.findall(text.lower()):
        for i in range(len(word) - 2):
            grams[word[i : i + 3]] = None
    return list(grams)


def _engine(repo: Repository) -> sa.Engine:
    bind = repo.session.get_bind()
    return bind.engine if isinstance(bind, sa.Connection) else bind


def _stats(repo: Repository, table: sa.Table, column: str) -> _Stats:
    cache = _STATS.setdefault(_engine(repo), {})
    key = (table.name, column)
    found = cache.get(key)
    now = time.monotonic()
    if found is not None and now - found.taken < STATS_TTL:
        return found
    rows = repo.session.execute(
        sa.text("SELECT reltuples FROM pg_class WHERE oid = to_regclass(:t)"), {"t": table.name}
    ).scalar()
    if rows is None or rows < LARGE_TABLE:
        found = _Stats(None, 0, now)
    else:
        percent = 100.0 if rows <= SAMPLE_ROWS else 100.0 * SAMPLE_ROWS / float(rows)
        sampled_table = sa.tablesample(table, sa.func.system(percent), seed=sa.literal(14))
        sample = sa.select(sampled_table.c[column])
        frequency: Counter[str] = Counter()
        sampled = 0
        for (text,) in repo.session.execute(sample):
            sampled += 1
            if text:
                frequency.update(trigrams(text))
        found = _Stats(frequency if sampled else None, sampled, now, float(rows))
    cache[key] = found
    return found


def _rare(stats: _Stats, grams: Sequence[str], count: int) -> list[str]:
    """Up to ``count`` of ``grams``, rarest first, leaving out the frequent ones."""
    assert stats.frequency is not None
    frequency = stats.frequency
    limit = RARE * stats.sampled
    rare = sorted((g for g in grams if frequency[g] <= limit), key=lambda g: frequency[g])
    return rare[:count]


def _has(column: Any, gram: str) -> Any:
    """``column`` contains ``gram`` (alphanumeric: nothing to escape). ``LIKE`` for a gram
    without letters: the same rows, and its recheck of each row the index returns costs a
    third of ``ILIKE``'s (measured at 10M rows: 26 against 72 ms for 14,000 rows)."""
    if gram.upper() == gram:
        return column.like(f"%{gram}%")
    return column.ilike(f"%{gram}%")


def large(repo: Repository, model: type, fields: Sequence[str]) -> bool:
    """True when ``fields`` of ``model`` are searched with the rare-trigram statements."""
    table: sa.Table = sa.inspect(model).local_table
    return all(_stats(repo, table, name).frequency is not None for name in fields)


def contains_filter(
    repo: Repository, model: type, fields: Sequence[str], query: str, case_sensitive: bool
) -> list[Any] | None:
    """Conditions for "some field contains ``query``" that read the index only for rare
    trigrams; None: use the plain ``ILIKE`` (a small table, or no rare trigram)."""
    grams = trigrams(query)
    if not grams or not large(repo, model, fields):
        return None
    table: sa.Table = sa.inspect(model).local_table
    needle = query if case_sensitive else query.lower()
    index_parts = []
    for name in fields:
        rare = _rare(_stats(repo, table, name), grams, CONTAINS_GRAMS)
        if not rare:
            return None
        column = getattr(model, name)
        index_parts.append(sa.and_(*(_has(column, gram) for gram in rare)))
    texts = [getattr(model, name) for name in fields]
    if not case_sensitive:
        texts = [sa.func.lower(column) for column in texts]
    return [
        sa.or_(*index_parts),
        sa.or_(*(sa.func.strpos(text, needle) > 0 for text in texts)),
    ]


def plain_fuzzy_too(repo: Repository, model: type, fields: Sequence[str], found: int) -> bool:
    """After ``found`` rare-trigram candidates: ask the plain ``%`` statement too (only when
    there are none: on look-alike names it reads most of the index)?

    A word of three or four characters loses all its trigrams to one edit (``label 132`` for
    ``label 123``), so the rare trigrams find nothing of it. Below :data:`PLAIN_FUZZY_BELOW`
    rows the plain statement is affordable, above it such a query stays with fewer fuzzy
    candidates (the lexical tiers have filled most results of a look-alike query anyway).
    """
    if found:
        return False
    table: sa.Table = sa.inspect(model).local_table
    return all(_stats(repo, table, name).rows < PLAIN_FUZZY_BELOW for name in fields)


def fuzzy_statement(
    repo: Repository,
    model: type,
    fields: Sequence[str],
    query: str,
    conditions: Sequence[Any],
    pk: Any,
    count: int,
    singles: bool = False,
) -> sa.Select[Any] | None:
    """The ``count`` rows most similar to ``query`` among those sharing two of its rare
    trigrams (``singles``: one of them, the second try when pairs found nothing: an edit in
    the middle of a five-letter word leaves it one trigram); None: use the plain ``%``
    statement (a small table, or no rare trigram)."""
    grams = trigrams(query)
    if not grams or not large(repo, model, fields):
        return None
    table: sa.Table = sa.inspect(model).local_table
    lowered = query.lower()
    columns = [getattr(model, name) for name in fields]
    parts: list[Any] = []
    for name, column in zip(fields, columns, strict=True):
        rare = _rare(_stats(repo, table, name), grams, FUZZY_GRAMS)
        if not rare:
            return None
        if len(rare) == 1 or singles:
            parts.extend(_has(column, gram) for gram in rare)
            continue
        parts.extend(
            sa.and_(_has(column, a), _has(column, b)) for a, b in itertools.combinations(rare, 2)
        )
    # similarity only (word_similarity too cost 40 ms more on 14,000 candidates at 10M
    # rows): it only chooses the candidates, rapidfuzz ranks them
    closeness = sa.func.greatest(*(
        sa.func.coalesce(sa.func.similarity(column, lowered), 0) for column in columns
    ))
    return (
        sa.select(pk, *columns)
        .where(sa.or_(*parts), *conditions)
        .order_by(closeness.desc(), pk)
        .limit(count)
    )
