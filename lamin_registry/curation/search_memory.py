"""Search candidates from an in-process copy of a registry's searchable texts (SQLite).

Names that share most of their trigrams (``label 1``...``label 9999``, ``sample_00001``,
gene-like codes) defeat trigram candidate generation: a query's trigrams are in most rows, so
the FTS5 statements read most of the table (15-20 ms a query at 10,000 rows). Here the
registry's ``(id, name[, synonyms])`` are held in memory, folded and sorted, and the tiers of
:mod:`.search` are found with bisection (exact, prefix, word prefix), one C-level scan of
the joined texts (contained) and rapidfuzz's C scorers over the texts sharing the most rare
trigrams (fuzzy). :mod:`.search_copy` ranks the candidates and reads the records back with
the search's conditions, so the database keeps the last word on which rows exist and are
visible.

The copy is exact as long as its key holds: ``PRAGMA data_version`` (changes when another
connection commits), ``total_changes()`` of this connection (every row it writes, triggers
included) and the FTS5 structure record of the registry's search table (every change of the
indexed texts, and a rollback restores the earlier one).

Layout (about 0.3-0.5 KB a text at 1,000,000 texts): text number -> row id, folded text and
the row's tie-break name (the same string object when it equals the folded text); texts by
length in sorted buckets, each with its sorted word suffixes and its texts joined into one
string; trigram postings as one sorted array (CSR: gram codes, offsets, text numbers), built
with numpy.
"""

from __future__ import annotations

import bisect
import itertools
import re
import weakref
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..dberrors import translated
from ..query import prepared
from ._common import split

if TYPE_CHECKING:
    from ..repository import Repository

MAX_ROWS = 2_000_000  # registries above this stay on the SQL path (memory)
BUILD_AT_ONCE = False  # True: build on the first search of new data (tests use it)
POOL = 400  # fuzzy: texts scored by rapidfuzz, chosen by shared rare trigrams
COMMON = 0.9  # a trigram in more than this share of the texts does not choose candidates
RARE_CONTAINED = 0.02  # below this share of the texts, the contained tier reads postings
_SEPARATORS = re.compile(r"[ \-_|/(.,;:]")
_LAST = "\U0010ffff"


@dataclass(slots=True)
class _Bucket:
    """The texts of one length: sorted texts, sorted word suffixes, and the texts joined."""

    keys: list[str]
    numbers: array[int]
    words: list[str]  # suffixes after a separator, sorted
    word_numbers: array[int]
    blob: str


@dataclass(slots=True)
class Texts:
    """The folded searchable texts of one registry and the orders that answer each tier."""

    key: tuple[Any, ...]
    ids: list[Any] = field(default_factory=list)  # text number -> row id
    texts: list[str] = field(default_factory=list)  # text number -> folded text
    ties: list[str] = field(default_factory=list)  # text number -> the row's tie-break name
    multi: bool = False  # some row has several texts (synonyms)
    buckets: list[tuple[int, _Bucket]] = field(default_factory=list)  # by length, ascending
    by_length: dict[int, _Bucket] = field(default_factory=dict)
    gram_codes: Any = None  # numpy int64, sorted: the distinct trigrams (see _gram_code)
    gram_starts: Any = None  # numpy int64: gram i's text numbers are numbers[starts[i]:...]
    gram_numbers: Any = None  # numpy int32
    gram_weights: Any = None  # numpy float64: log(1 + texts / postings) of each trigram
    lengths: Any = None  # numpy int64: text number -> length
    # (query, limit) -> the ranked candidates of :mod:`.search_copy`, before visibility
    ranked: dict[tuple[str, int | None], Any] = field(default_factory=dict)


_CACHE: weakref.WeakKeyDictionary[sa.Engine, dict[tuple[str, tuple[str, ...]], Texts]] = (
    weakref.WeakKeyDictionary()
)
_PENDING: weakref.WeakKeyDictionary[sa.Engine, dict[tuple[str, tuple[str, ...]], Any]] = (
    weakref.WeakKeyDictionary()
)


def _engine(repo: Repository) -> sa.Engine:
    bind = repo.session.get_bind()
    return bind.engine if isinstance(bind, sa.Connection) else bind


def _key(connection: sa.Connection, fts: str) -> tuple[Any, ...]:
    rows = prepared._fetch(
        connection,
        "SELECT (SELECT data_version FROM pragma_data_version()), total_changes(), "
        f'(SELECT block FROM "{fts}_data" WHERE id = 10)',
        (),
    )
    return tuple(rows[0])


def texts_for(
    repo: Repository, model: type, fields: Sequence[str], fts: str
) -> Texts | None:
    """The registry's texts, read again only when the key changed; None above MAX_ROWS.

    The session is flushed first, so the key covers its pending changes.
    """
    table: Any = sa.inspect(model).local_table
    engine = _engine(repo)
    cache = _CACHE.get(engine)
    if cache is None:
        cache = _CACHE.setdefault(engine, {})
    name = (table.name, tuple(fields))
    with translated("query failed"):  # a pending record the database refuses
        repo.session._autoflush()
    connection = prepared._connection(repo.session)
    key = _key(connection, fts)
    found = cache.get(name)
    if found is not None and found.key == key:
        return found
    # Build only when two searches in a row saw the same data: a script that writes between
    # searches keeps the SQL path instead of re-reading the registry every time.
    pending = _PENDING.setdefault(engine, {})
    if not BUILD_AT_ONCE and pending.get(name) != key:
        pending[name] = key
        return None
    pk = table.primary_key.columns[0]
    count = connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
    if count > MAX_ROWS:
        return None
    cache.pop(name, None)  # the old copy's memory first
    rows = _rows(connection, sa.select(pk, *(table.c[f] for f in fields)))
    built = _build(key, rows, fields)
    del rows
    cache[name] = built
    return built


def _rows(connection: sa.Connection, stmt: sa.Select[Any]) -> Sequence[Sequence[Any]]:
    """All rows of ``stmt``: as the driver returns them when no column needs a result
    processor (a million rows: no Row objects), else through Core."""
    dialect = connection.dialect
    if any(
        column.type._cached_result_processor(dialect, None) is not None
        for column in stmt.selected_columns
    ):
        return connection.execute(stmt).all()
    return prepared.fetch_statement(connection, stmt)


def _build(key: tuple[Any, ...], rows: Sequence[Sequence[Any]], fields: Sequence[str]) -> Texts:
    result = Texts(key)
    if len(fields) == 1 and fields[0] != "synonyms":  # one text a row: list comprehensions
        kept = [row for row in rows if isinstance(row[1], str) and row[1]]
        result.ids = [row[0] for row in kept]
        result.ties = [row[1] for row in kept]  # the original: the row's tie-break name
        result.texts = [
            folded if folded != value else value  # one string object when folding changes nothing
            for value in result.ties
            for folded in (value.lower(),)
        ]
        del kept
        _build_buckets(result)
        _build_grams(result)
        return result
    ids, texts, ties = result.ids, result.texts, result.ties
    synonyms = [name == "synonyms" for name in fields]
    for row in rows:
        values = row[1:]
        tie = next((value for value in values if isinstance(value, str)), "")
        for value, listed in zip(values, synonyms, strict=True):
            if not isinstance(value, str) or not value:
                continue
            for text in split(value) if listed else (value,):
                folded = text.lower()
                if folded == text:
                    folded = text  # one string object, not two
                ids.append(row[0])
                texts.append(folded)
                ties.append(folded if tie == folded else tie)
    result.multi = len(set(ids)) < len(ids)
    _build_buckets(result)
    _build_grams(result)
    return result


def _build_buckets(result: Texts) -> None:
    """Texts by length; within a length sorted, joined with NUL (text ``i`` of a bucket of
    length ``n`` starts at ``i * (n + 1)`` of its blob), with their sorted word suffixes."""
    texts = result.texts
    lengths = list(map(len, texts))
    ordered = sorted(range(len(texts)), key=texts.__getitem__)
    ordered.sort(key=lengths.__getitem__)  # stable: each length's numbers stay sorted by text
    for length, group in itertools.groupby(ordered, key=lengths.__getitem__):
        numbers = list(group)
        keys = [texts[n] for n in numbers]
        blob = "\x00".join(keys)
        stride = length + 1
        suffixes: list[str] = []
        owners: list[int] = []
        for match in _SEPARATORS.finditer(blob):
            index, start = divmod(match.end(), stride)
            suffixes.append(keys[index][start:])
            owners.append(numbers[index])
        order = sorted(range(len(suffixes)), key=suffixes.__getitem__)
        bucket = _Bucket(
            keys=keys,
            numbers=array("i", numbers),
            words=[suffixes[i] for i in order],
            word_numbers=array("i", [owners[i] for i in order]),
            blob=blob,
        )
        result.buckets.append((length, bucket))
        result.by_length[length] = bucket


def _build_grams(result: Texts) -> None:
    """The trigram postings, vectorised: every trigram of every text as a 63-bit code (three
    21-bit code points), sorted once; repeats within a text count twice (fine for ranking)."""
    import numpy as np

    texts = result.texts
    total = len(texts)
    if total == 0:
        result.lengths = np.zeros(0, dtype=np.int64)
        result.gram_codes = np.zeros(0, dtype=np.int64)
        result.gram_starts = np.zeros(1, dtype=np.int64)
        result.gram_numbers = np.zeros(0, dtype=np.int32)
        result.gram_weights = np.zeros(0, dtype=np.float64)
        return
    points = np.frombuffer("\x00".join(texts).encode("utf-32-le"), dtype=np.uint32)
    lengths = result.lengths = np.fromiter(map(len, texts), dtype=np.int64, count=total)
    owner = np.repeat(np.arange(total, dtype=np.int32), lengths + 1)[: len(points)]
    wide = points.astype(np.int64)
    codes = (wide[:-2] << 42) | (wide[1:-1] << 21) | wide[2:]
    valid = (points[:-2] != 0) & (points[1:-1] != 0) & (points[2:] != 0)
    del wide
    codes = codes[valid]
    owner = owner[: len(valid)][valid]
    del valid, points
    order = np.argsort(codes, kind="stable")
    codes = codes[order]
    result.gram_numbers = owner[order]
    del order, owner
    if len(codes):
        boundaries = np.flatnonzero(codes[1:] != codes[:-1]) + 1
        starts = np.concatenate(([0], boundaries, [len(codes)])).astype(np.int64)
        result.gram_codes = codes[starts[:-1]].copy()
    else:
        starts = np.zeros(1, dtype=np.int64)
        result.gram_codes = codes
    result.gram_starts = starts
    result.gram_weights = np.log(1 + total / np.diff(starts))


def _gram_code(gram: str) -> int:
    return (ord(gram[0]) << 42) | (ord(gram[1]) << 21) | ord(gram[2])


def row_numbers(texts: Texts, number: int) -> range:
    """The text numbers of the row that text ``number`` belongs to (they are consecutive)."""
    if not texts.multi:
        return range(number, number + 1)
    ids = texts.ids
    id_ = ids[number]
    first = last = number
    while first > 0 and ids[first - 1] == id_:
        first -= 1
    while last + 1 < len(ids) and ids[last + 1] == id_:
        last += 1
    return range(first, last + 1)


def _prefix_range(keys: Sequence[str], query: str) -> range:
    return range(bisect.bisect_left(keys, query), bisect.bisect_left(keys, query + _LAST))


def exact(texts: Texts, query: str) -> list[int]:
    """The numbers of the texts equal to ``query``."""
    bucket = texts.by_length.get(len(query))
    if bucket is None:
        return []
    keys = bucket.keys
    start = bisect.bisect_left(keys, query)
    end = bisect.bisect_right(keys, query, start)
    return list(bucket.numbers[start:end])


def _contained(bucket: _Bucket, length: int, query: str) -> list[int]:
    found: list[int] = []
    blob, numbers, stride = bucket.blob, bucket.numbers, length + 1
    position = blob.find(query)
    while position >= 0:
        index = position // stride
        found.append(numbers[index])
        position = blob.find(query, (index + 1) * stride)
    return found


def _contained_from_postings(texts: Texts, query: str, want: int | None) -> list[int] | None:
    """The contained tier (as :func:`lexical` orders and cuts it) from the postings of the
    query's rarest trigram, when it is in fewer than ``RARE_CONTAINED`` of the texts (a text
    that contains the query contains each of its trigrams); None: scan the texts instead."""
    import numpy as np

    if len(query) < 3 or not len(texts.gram_codes):
        return None
    wanted = np.array(sorted({_gram_code(query[i : i + 3]) for i in range(len(query) - 2)}))
    codes = texts.gram_codes
    index = np.searchsorted(codes, wanted)
    if (index >= len(codes)).any() or (codes[np.minimum(index, len(codes) - 1)] != wanted).any():
        return []  # a trigram of the query is in no text
    starts, ends = texts.gram_starts[index], texts.gram_starts[index + 1]
    rarest = int(np.argmin(ends - starts))
    if ends[rarest] - starts[rarest] > RARE_CONTAINED * len(texts.texts):
        return None
    folded = texts.texts
    numbers = np.unique(texts.gram_numbers[starts[rarest] : ends[rarest]]).tolist()
    found = [number for number in numbers if query in folded[number]]
    found.sort(key=lambda number: (len(folded[number]), folded[number]))
    if want is not None and len(found) > want:  # through the length of the want-th text
        end, length = want, len(folded[found[want - 1]])
        while end < len(found) and len(folded[found[end]]) == length:
            end += 1
        del found[end:]
    return found


def lexical(texts: Texts, query: str, want: int | None) -> Iterator[list[int]]:
    """Text numbers by tier, best tier first: exact, prefix, word prefix, contained.

    Within a tier shorter texts come first (as the SQL statement orders them), texts of one
    length in sorted order; a tier stops after the length at which ``want`` texts were found
    (None: never).
    """
    yield exact(texts, query)
    contained = _contained_from_postings(texts, query, want)
    for tier in ("prefix", "word", "contained"):
        numbers: list[int] = []
        for length, bucket in texts.buckets:
            if length < len(query):
                continue
            if tier == "prefix":
                found = _prefix_range(bucket.keys, query)
                numbers.extend(bucket.numbers[found.start : found.stop])
            elif tier == "word":
                found = _prefix_range(bucket.words, query)
                numbers.extend(bucket.word_numbers[found.start : found.stop])
            else:
                if contained is not None:
                    break
                numbers.extend(_contained(bucket, length, query))
            if want is not None and len(numbers) >= want:
                break
        yield numbers if tier != "contained" or contained is None else contained


def trigram_candidates(texts: Texts, query: str, count: int) -> Any:
    """The ``count`` text numbers (a numpy array, best first) sharing the most
    (rarity-weighted) trigrams with ``query``.

    Look-alike names share their common trigrams with most of the registry; weighting each
    shared trigram by its rarity (log N/df) puts the rows with the query's rare parts first,
    and the candidates stay ``count`` however many rows share something.
    """
    import numpy as np

    total = len(texts.texts)
    grams = {_gram_code(query[i : i + 3]) for i in range(len(query) - 2)}
    codes = texts.gram_codes
    postings: list[Any] = []
    weights: list[Any] = []
    if grams and len(codes):
        wanted = np.fromiter(grams, dtype=np.int64, count=len(grams))
        index = np.searchsorted(codes, wanted)
        inside = index < len(codes)
        index, wanted = index[inside], wanted[inside]
        index = index[codes[index] == wanted]
        starts, ends = texts.gram_starts[index], texts.gram_starts[index + 1]
        rare = ends - starts <= COMMON * total  # the others add about as much to every text
        if rare.any() and not rare.all():
            index, starts, ends = index[rare], starts[rare], ends[rare]
        postings.extend(texts.gram_numbers[a:b] for a, b in zip(starts, ends, strict=True))
        weights.append(np.repeat(texts.gram_weights[index], ends - starts))
    for word in query.split():
        if len(word) < 3:
            numbers = exact(texts, word)
            if numbers:
                postings.append(np.array(numbers, dtype=np.int32))
                weights.append(np.full(len(numbers), np.log(1 + total / len(numbers))))
    if not postings:
        return np.zeros(0, dtype=np.int64)
    scores = np.bincount(
        np.concatenate(postings), weights=np.concatenate(weights), minlength=total
    )
    found = np.flatnonzero(scores)
    if len(found) > count:
        found = found[np.argpartition(-scores[found], count)[:count]]
    return found[np.argsort(-scores[found], kind="stable")]


def fuzzy(texts: Texts, query: str, count: int, cutoff: float) -> list[int]:
    """Numbers of the ``count`` texts most similar to ``query``, most similar first.

    Candidates: the texts sharing the most rare trigrams (:func:`trigram_candidates`,
    ``POOL`` of them), then rapidfuzz's C scorers over those only, the best of: whole-text
    similarity (typos, transpositions), sorted words (word order, when the query has
    several), the best partial alignment (a misspelled prefix of a longer name; texts longer
    than the query only), each with a lenient cut-off;
    :func:`.search_rank.fuzzy_similarity` applies the real one.
    """
    import numpy as np
    from rapidfuzz import fuzz, process

    pool = trigram_candidates(texts, query, max(POOL, 4 * count))
    if not len(pool):
        return []
    choices = [texts.texts[n] for n in pool.tolist()]

    def similarity(scorer: Any, among: list[str]) -> Any:
        return process.cdist(
            [query], among, scorer=scorer, score_cutoff=cutoff, dtype=np.float64
        )[0]

    scores = similarity(fuzz.ratio, choices)
    if " " in query:
        np.maximum(scores, similarity(fuzz.token_sort_ratio, choices), out=scores)
    if len(query) >= 4:
        longer = np.flatnonzero(texts.lengths[pool] > len(query))
        if len(longer):
            partial = similarity(fuzz.partial_ratio, [choices[i] for i in longer.tolist()])
            scores[longer] = np.maximum(scores[longer], partial)
    found = np.flatnonzero(scores)
    if len(found) > count:
        found = found[np.argpartition(-scores[found], count)[:count]]
    found = found[np.argsort(-scores[found], kind="stable")]
    top: list[int] = pool[found].tolist()
    return top
