"""Scores of search results: the tiers and the fuzzy similarity (see :mod:`.search`).

Split from :mod:`.search` (which generates candidates) so that both candidate sources, the
database statements and the in-process copy (:mod:`.search_memory`), rank with one code.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ._common import split

FUZZY_CUTOFF = 80.0  # fuzzy_similarity below this is "unrelated"
BATCH = 8  # from this many texts, fuzzy similarities are computed in batches
EXACT, PREFIX, WORD, CONTAINED, FUZZY = range(5)
_BANDS = {PREFIX: 90.0, WORD: 80.0, CONTAINED: 70.0}


def _is_list_field(name: str) -> bool:
    return name == "synonyms"


def _tier(query: str, text: str) -> int | None:
    """The lexical tier of ``text`` for ``query`` (both already case-folded if wanted)."""
    if text == query:
        return EXACT
    if text.startswith(query):
        return PREFIX
    start = text.find(query)
    if start < 0:
        return None
    while start > 0:
        if not text[start - 1].isalnum():
            return WORD
        start = text.find(query, start + 1)
    return CONTAINED


def _targets(row: Sequence[Any], fields: Sequence[str]) -> list[str]:
    texts: list[str] = []
    for value, name in zip(row[1:], fields, strict=True):
        if not isinstance(value, str):
            continue
        if _is_list_field(name):
            texts.extend(split(value))
        else:
            texts.append(value)
    return texts


_WORDS = re.compile(r"[^\W_]+")  # the words of a text: letters and digits
_SCORERS: tuple[Any, Any] | None = None  # rapidfuzz's fuzz and OSA, imported on first use


def _scorers() -> tuple[Any, Any]:
    global _SCORERS
    if _SCORERS is None:
        from rapidfuzz import fuzz
        from rapidfuzz.distance import OSA

        _SCORERS = (fuzz, OSA)
    return _SCORERS


def fuzzy_similarity(query: str, text: str) -> tuple[float, float]:
    """How close ``text`` is to ``query`` (0-100), allowing typos, transpositions, word order.

    Returns ``(similarity, rank)``: the similarity decides the cut-off, the rank orders
    (matches of a part of the text rank a point lower than whole-text ones). Compared, with
    the optimal string alignment distance (a transposition is one edit, so one edit in five
    characters or two in ten still reach the cut-off): the whole strings; their words
    sorted; and each run of words of the text about as long as the query, also cut to the
    query's length (a misspelled prefix, ``lable`` for ``Label1``). The query is split at
    white space only, so its punctuation stays literal (``a%b`` is not ``a_b``).
    """
    _, OSA = _SCORERS or _scorers()
    similarity = 100 * OSA.normalized_similarity(query, text)
    rank = similarity
    query_words, text_words = query.split(), _WORDS.findall(text)
    if len(query_words) > 1:
        ordered = 100 * OSA.normalized_similarity(
            " ".join(sorted(query_words)), " ".join(sorted(text.split()))
        )
        similarity = rank = max(similarity, ordered)
    if not query_words or not text_words:
        return similarity, rank
    needle = " ".join(query_words)
    count = len(query_words)
    for size in range(max(1, count - 1), min(len(text_words), count + 1) + 1):
        for start in range(len(text_words) - size + 1):
            part = " ".join(text_words[start : start + size])
            score = 100 * OSA.normalized_similarity(needle, part)
            if len(part) > len(needle):
                score = max(score, 100 * OSA.normalized_similarity(needle, part[: len(needle)]))
            if score > similarity:
                similarity = score
            rank = max(rank, score - 1)
    return similarity, rank


def fuzzy_similarities(query: str, texts: Sequence[str]) -> list[tuple[float, float]]:
    """:func:`fuzzy_similarity` of each of ``texts``, the same numbers, computed with one
    rapidfuzz ``cdist`` call per kind of comparison instead of several calls per text."""
    if len(texts) < BATCH:
        return [fuzzy_similarity(query, text) for text in texts]
    _, OSA = _SCORERS or _scorers()
    import numpy as np
    from rapidfuzz import process

    def hundredfold(needle: str, choices: list[str]) -> list[float]:
        found = process.cdist(
            [needle], choices, scorer=OSA.normalized_similarity, dtype=np.float64
        )[0].tolist()
        return [100 * value for value in found]

    similarity = hundredfold(query, list(texts))
    query_words = query.split()
    if len(query_words) > 1:
        ordered = hundredfold(
            " ".join(sorted(query_words)), [" ".join(sorted(text.split())) for text in texts]
        )
        similarity = [max(whole, other) for whole, other in zip(similarity, ordered, strict=True)]
    rank = list(similarity)
    if not query_words:
        return list(zip(similarity, rank, strict=True))
    needle = " ".join(query_words)
    count, width = len(query_words), len(needle)
    parts: list[str] = []
    owners: list[int] = []
    cuts: list[str] = []
    cut_parts: list[int] = []
    find_words = _WORDS.findall
    for owner, text in enumerate(texts):
        words = find_words(text)
        for size in range(max(1, count - 1), min(len(words), count + 1) + 1):
            for start in range(len(words) - size + 1):
                part = " ".join(words[start : start + size])
                if len(part) > width:
                    cuts.append(part[:width])
                    cut_parts.append(len(parts))
                parts.append(part)
                owners.append(owner)
    if not parts:
        return list(zip(similarity, rank, strict=True))
    scores = hundredfold(needle, parts)
    if cuts:
        for index, score in zip(cut_parts, hundredfold(needle, cuts), strict=True):
            scores[index] = max(scores[index], score)
    for owner, score in zip(owners, scores, strict=True):
        if score > similarity[owner]:
            similarity[owner] = score
        rank[owner] = max(rank[owner], score - 1)
    return list(zip(similarity, rank, strict=True))


def score_many(query: str, rows: Sequence[Sequence[str]]) -> list[float | None]:
    """The score (unrounded) of each row from its texts (already case-folded if wanted), None
    when nothing in them relates to the query; the fuzzy comparisons of all rows at once
    (:func:`fuzzy_similarities`)."""
    fuzz, _ = _SCORERS or _scorers()
    ratio = fuzz.ratio
    best: list[float | None] = []
    fuzzy_texts: list[str] = []
    fuzzy_rows: list[int] = []
    for number, texts in enumerate(rows):
        found: float | None = None
        for text in texts:
            tier = _tier(query, text)
            if tier == EXACT:
                found = 100.0
                break
            if tier is None:
                fuzzy_texts.append(text)
                fuzzy_rows.append(number)
                continue
            score = _BANDS[tier] + min(9.9, ratio(query, text) / 10)
            if found is None or score > found:
                found = score
        best.append(found)
    if fuzzy_texts:
        similarities = fuzzy_similarities(query, fuzzy_texts)
        for number, (similarity, rank) in zip(fuzzy_rows, similarities, strict=True):
            if similarity < FUZZY_CUTOFF:
                continue
            score = min(69.9, 0.7 * rank)
            current = best[number]
            if current is None or score > current:
                best[number] = score
    return best


def tie_name(row: Sequence[Any]) -> str:
    """The name that breaks ties between equal scores: the row's first text value."""
    return next((value for value in row[1:] if isinstance(value, str)), "")


def _rank(
    query: str,
    rows: Sequence[Sequence[Any]],
    fields: Sequence[str],
    case_sensitive: bool,
) -> list[tuple[float, Any, Any]]:
    """``(score, tie-break name, id)`` for each related row, best first."""
    unique: list[Sequence[Any]] = []
    seen: set[Any] = set()
    for row in rows:
        if row[0] not in seen:
            seen.add(row[0])
            unique.append(row)
    texts = [_targets(row, fields) for row in unique]
    if not case_sensitive:
        texts = [[text.lower() for text in row] for row in texts]
    ranked: list[tuple[float, Any, Any]] = [
        (score, tie_name(row), row[0])
        for row, score in zip(unique, score_many(query, texts), strict=True)
        if score is not None
    ]
    ranked.sort(key=lambda item: (-item[0], item[1], item[2]))
    return ranked
