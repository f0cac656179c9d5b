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
    from rapidfuzz.distance import OSA

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


def _score_row(
    query: str, row: Sequence[Any], fields: Sequence[str], case_sensitive: bool
) -> float | None:
    """The row's score (unrounded), or None when nothing in it relates to the query."""
    from rapidfuzz import fuzz

    best: float | None = None
    for text in _targets(row, fields):
        folded = text if case_sensitive else text.lower()
        tier = _tier(query, folded)
        if tier == EXACT:
            return 100.0
        if tier is not None:
            score = _BANDS[tier] + min(9.9, fuzz.ratio(query, folded) / 10)
        else:
            similarity, rank = fuzzy_similarity(query, folded)
            if similarity < FUZZY_CUTOFF:
                continue
            score = min(69.9, 0.7 * rank)
        if best is None or score > best:
            best = score
    return best


def _rank(
    query: str,
    rows: Sequence[Sequence[Any]],
    fields: Sequence[str],
    case_sensitive: bool,
) -> list[tuple[float, Any, Any]]:
    """``(score, tie-break name, id)`` for each related row, best first."""
    ranked: list[tuple[float, Any, Any]] = []
    seen: set[Any] = set()
    for row in rows:
        if row[0] in seen:
            continue
        seen.add(row[0])
        score = _score_row(query, row, fields, case_sensitive)
        if score is not None:
            name = next((value for value in row[1:] if isinstance(value, str)), "")
            ranked.append((score, name, row[0]))
    ranked.sort(key=lambda item: (-item[0], item[1], item[2]))
    return ranked
