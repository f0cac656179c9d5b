"""Search candidates from an in-process copy of a registry's searchable texts (SQLite).

Names that share most of their trigrams (``label 1``...``label 9999``, ``sample_00001``,
gene-like codes) defeat trigram candidate generation: a query's trigrams are in most rows, so
the FTS5 statements read most of the table (15-20 ms a query at 10,000 rows). Here the
registry's ``(id, name[, synonyms])`` are held in memory, folded and sorted, and the tiers of
:mod:`.search` are found with bisection (exact, prefix, word prefix), one C-level scan of
the joined texts (contained) and rapidfuzz's C scorers (fuzzy). The database then keeps the
last word: the candidates are read back with the search's conditions (branches, spaces, the
query's filters) and ranked from the rows it returns, so a stale copy can only miss a
candidate, never return a row that is not there or not visible.

The copy is exact as long as its key holds: ``PRAGMA data_version`` (changes when another
connection commits), ``total_changes()`` of this connection (every row it writes, triggers
included) and the FTS5 structure record of the registry's search table (every change of the
indexed texts, and a rollback restores the earlier one).
"""

from __future__ import annotations

import bisect
import re
import weakref
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ._common import split

if TYPE_CHECKING:
    from ..repository import Repository

MAX_ROWS = 2_000_000  # registries above this stay on the SQL path (memory)
BUILD_AT_ONCE = False  # True: build on the first search of new data (tests use it)
POOL = 400  # fuzzy: texts scored by rapidfuzz, chosen by shared rare trigrams
_SEPARATORS = re.compile(r"[ \-_|/(.,;:]")
_LAST = "\U0010ffff"


@dataclass(slots=True)
class _Bucket:
    """The texts of one length: sorted texts, sorted word suffixes, and the texts joined."""

    keys: list[str] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)
    words: list[str] = field(default_factory=list)  # suffixes after a separator, sorted
    word_numbers: list[int] = field(default_factory=list)
    blob: str = ""
    starts: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Texts:
    """The folded searchable texts of one registry and the orders that answer each tier."""

    key: tuple[Any, ...]
    ids: list[Any] = field(default_factory=list)  # text number -> row id
    texts: list[str] = field(default_factory=list)  # text number -> folded text
    exact: dict[str, list[int]] = field(default_factory=dict)
    buckets: list[tuple[int, _Bucket]] = field(default_factory=list)  # by length, ascending
    grams: dict[str, Any] = field(default_factory=dict)  # trigram -> numpy array of numbers


_CACHE: weakref.WeakKeyDictionary[sa.Engine, dict[tuple[str, tuple[str, ...]], Texts]] = (
    weakref.WeakKeyDictionary()
)


_PENDING: weakref.WeakKeyDictionary[sa.Engine, dict[tuple[str, tuple[str, ...]], Any]] = (
    weakref.WeakKeyDictionary()
)


def _engine(repo: Repository) -> sa.Engine:
    bind = repo.session.get_bind()
    return bind.engine if isinstance(bind, sa.Connection) else bind


def _key(repo: Repository, fts: str) -> tuple[Any, ...]:
    row = repo.session.connection().exec_driver_sql(
        "SELECT (SELECT data_version FROM pragma_data_version()), total_changes(), "
        f'(SELECT block FROM "{fts}_data" WHERE id = 10)'
    ).one()
    return tuple(row)


def texts_for(
    repo: Repository, model: type, fields: Sequence[str], fts: str
) -> Texts | None:
    """The registry's texts, read again only when the key changed; None above MAX_ROWS."""
    table: Any = sa.inspect(model).local_table
    cache = _CACHE.setdefault(_engine(repo), {})
    name = (table.name, tuple(fields))
    key = _key(repo, fts)
    found = cache.get(name)
    if found is not None and found.key == key:
        return found
    # Build only when two searches in a row saw the same data: a script that writes between
    # searches keeps the SQL path instead of re-reading the registry every time.
    pending = _PENDING.setdefault(_engine(repo), {})
    if not BUILD_AT_ONCE and pending.get(name) != key:
        pending[name] = key
        return None
    pk = table.primary_key.columns[0]
    connection = repo.session.connection()
    count = connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
    if count > MAX_ROWS:
        return None
    rows = connection.execute(sa.select(pk, *(table.c[f] for f in fields))).all()
    built = _build(key, rows, fields)
    cache[name] = built
    return built


def _build(key: tuple[Any, ...], rows: Sequence[Sequence[Any]], fields: Sequence[str]) -> Texts:
    import numpy as np

    result = Texts(key)
    ids, texts, exact = result.ids, result.texts, result.exact
    for row in rows:
        for value, name in zip(row[1:], fields, strict=True):
            if not isinstance(value, str) or not value:
                continue
            for text in split(value) if name == "synonyms" else (value,):
                folded = text.lower()
                exact.setdefault(folded, []).append(len(texts))
                ids.append(row[0])
                texts.append(folded)
    by_length: dict[int, list[int]] = defaultdict(list)
    postings: dict[str, list[int]] = defaultdict(list)
    for number, text in enumerate(texts):
        by_length[len(text)].append(number)
        for i in range(len(text) - 2):
            postings[text[i : i + 3]].append(number)  # repeats count twice: fine for ranking
    result.grams = {gram: np.array(numbers, dtype=np.int32) for gram, numbers in postings.items()}
    for length in sorted(by_length):
        numbers = sorted(by_length[length], key=texts.__getitem__)
        bucket = _Bucket(keys=[texts[n] for n in numbers], numbers=numbers)
        words = sorted(
            (text[match.end():], number)
            for number in numbers
            for text in (texts[number],)
            for match in _SEPARATORS.finditer(text)
        )
        bucket.words = [word for word, _ in words]
        bucket.word_numbers = [number for _, number in words]
        bucket.blob = "\x00".join(bucket.keys)
        position = 0
        for text in bucket.keys:
            bucket.starts.append(position)
            position += len(text) + 1
        result.buckets.append((length, bucket))
    return result


def _prefix_range(keys: list[str], query: str) -> range:
    return range(bisect.bisect_left(keys, query), bisect.bisect_left(keys, query + _LAST))


def _contained(bucket: _Bucket, query: str) -> list[int]:
    found: list[int] = []
    blob, starts, keys = bucket.blob, bucket.starts, bucket.keys
    position = blob.find(query)
    while position >= 0:
        index = bisect.bisect_right(starts, position) - 1
        found.append(bucket.numbers[index])
        position = blob.find(query, starts[index] + len(keys[index]) + 1)
    return found


def lexical(texts: Texts, query: str, want: int | None) -> Iterator[list[Any]]:
    """Row ids by tier, best tier first: exact, prefix, word prefix, contained.

    Within a tier shorter texts come first (as the SQL statement orders them); a tier stops
    after the length at which ``want`` ids were found (None: never).
    """
    ids = texts.ids
    yield [ids[n] for n in texts.exact.get(query, ())]
    for tier in ("prefix", "word", "contained"):
        numbers: list[int] = []
        for length, bucket in texts.buckets:
            if length < len(query):
                continue
            if tier == "prefix":
                numbers.extend(bucket.numbers[i] for i in _prefix_range(bucket.keys, query))
            elif tier == "word":
                numbers.extend(bucket.word_numbers[i] for i in _prefix_range(bucket.words, query))
            else:
                numbers.extend(_contained(bucket, query))
            if want is not None and len(numbers) >= want:
                break
        yield [ids[n] for n in numbers]


def trigram_candidates(texts: Texts, query: str, count: int) -> list[int]:
    """The ``count`` text numbers sharing the most (rarity-weighted) trigrams with ``query``.

    Look-alike names share their common trigrams with most of the registry; weighting each
    shared trigram by its rarity (log N/df) puts the rows with the query's rare parts first,
    and the candidates stay ``count`` however many rows share something.
    """
    import numpy as np

    grams = [texts.grams[g] for g in {query[i : i + 3] for i in range(len(query) - 2)}
             if g in texts.grams]
    for word in query.split():
        if len(word) < 3 and word in texts.exact:
            grams.append(np.array(texts.exact[word], dtype=np.int32))
    if not grams:
        return []
    total = len(texts.texts)
    weights = np.concatenate([
        np.full(len(posting), np.log(1 + total / len(posting))) for posting in grams
    ])
    scores = np.bincount(np.concatenate(grams), weights=weights, minlength=total)
    top = np.argpartition(-scores, count)[:count] if count < total else np.arange(total)
    top = top[scores[top] > 0]
    return [int(n) for n in top[np.argsort(-scores[top], kind="stable")]]


def fuzzy(texts: Texts, query: str, count: int, cutoff: float) -> list[Any]:
    """Ids of the ``count`` texts most similar to ``query``.

    Candidates: the texts sharing the most rare trigrams (:func:`trigram_candidates`,
    ``POOL`` of them), then rapidfuzz's C scorers over those only: whole-text similarity
    (typos, transpositions), sorted words (word order), the best partial alignment (a
    misspelled prefix of a longer name), each with a lenient cut-off;
    :func:`.search.fuzzy_similarity` applies the real one to what the database returns.
    """
    from rapidfuzz import fuzz, process

    pool = trigram_candidates(texts, query, max(POOL, 4 * count))
    if not pool:
        return []
    choices = [texts.texts[n] for n in pool]
    scorers: list[Any] = [fuzz.ratio]
    if " " in query:
        scorers.append(fuzz.token_sort_ratio)
    if len(query) >= 4:
        scorers.append(fuzz.partial_ratio)
    best: dict[int, float] = {}
    for scorer in scorers:
        for _, score, index in process.extract(
            query, choices, scorer=scorer, limit=count, score_cutoff=cutoff
        ):
            number = pool[index]
            if score > best.get(number, -1.0):
                best[number] = score
    ranked = sorted(best, key=lambda n: -best[n])[:count]
    return [texts.ids[n] for n in ranked]
