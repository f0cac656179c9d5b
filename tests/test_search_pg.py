"""PostgreSQL search on large tables: the index is read for the query's rare trigrams only
(:mod:`lamin_registry.curation.search_pg`).

The tables here are small; the tests declare every table large (``LARGE_TABLE``) so that the
rare-trigram statements run, and compare them with the plain ``ILIKE`` / ``%`` statements.
"""

from __future__ import annotations

import random
import string
import weakref
from collections.abc import Iterator

import pytest

import lamin_registry as lr
from lamin_registry.curation import search_pg

pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.postgres_only,  # pg_trgm statements (the trigram test takes no backend)
]


def lookalikes(count: int) -> list[str]:
    rng = random.Random(3)
    third = count // 3
    codes = {
        "".join(rng.choices(string.ascii_uppercase, k=2)) + str(rng.randrange(10, 10**4))
        for _ in range(2 * third)
    }
    return (
        [f"label {i}" for i in range(third)]
        + [f"sample_{i:05d}" for i in range(third)]
        + sorted(codes)[:third]
    )


@pytest.fixture
def labels(repo: lr.Repository) -> list[lr.ULabel]:
    return repo.save([lr.ULabel(name=name) for name in lookalikes(600)])


@pytest.fixture
def large(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every table counts as large; trigram statistics are sampled afresh."""
    monkeypatch.setattr(search_pg, "LARGE_TABLE", -(10**9))
    monkeypatch.setattr(search_pg, "_STATS", weakref.WeakKeyDictionary())
    yield


def results(repo: lr.Repository, query: str) -> list[tuple[str, float]]:
    found = repo.search(lr.ULabel, query)
    return list(zip([record.name for record in found], found.scores, strict=True))


def both(repo: lr.Repository, monkeypatch: pytest.MonkeyPatch, query: str) -> tuple[
    list[tuple[str, float]], list[tuple[str, float]]
]:
    """(plain statements, rare-trigram statements)."""
    monkeypatch.setattr(search_pg, "LARGE_TABLE", 10**12)
    monkeypatch.setattr(search_pg, "_STATS", weakref.WeakKeyDictionary())
    plain = results(repo, query)
    monkeypatch.setattr(search_pg, "LARGE_TABLE", -(10**9))
    monkeypatch.setattr(search_pg, "_STATS", weakref.WeakKeyDictionary())
    return plain, results(repo, query)


def test_trigrams_are_pg_trgm_interior_ones() -> None:
    assert search_pg.trigrams("Sample_00123 ab") == ["sam", "amp", "mpl", "ple", "001", "012",
                                                      "123"]
    assert search_pg.trigrams("a-b c") == []


def test_contains_uses_rare_trigrams_only(
    repo: lr.Repository, labels: list[lr.ULabel], large: None
) -> None:
    conditions = search_pg.contains_filter(repo, lr.ULabel, ["name"], "label 123", False)
    assert conditions is not None
    index_part = str(conditions[0].compile(compile_kwargs={"literal_binds": True}))
    assert "%123%" in index_part and "%lab%" not in index_part  # 'lab': a third of the rows
    # only frequent trigrams: the plain ILIKE statement
    assert search_pg.contains_filter(repo, lr.ULabel, ["name"], "label", False) is None


@pytest.mark.parametrize(
    "query", ["label 123", "label 12", "sample_00042", "sample_0004", "label 199", "LABEL 7"]
)
def test_lexical_tiers_are_the_plain_ones(
    repo: lr.Repository, labels: list[lr.ULabel], monkeypatch: pytest.MonkeyPatch, query: str
) -> None:
    plain, rare = both(repo, monkeypatch, query)
    lexical = [(name, score) for name, score in plain if score >= 70]
    assert [(name, score) for name, score in rare if score >= 70] == lexical
    assert lexical and lexical[0][1] >= 90


@pytest.mark.parametrize("source", ["sample_1234567", "ENSG00000139618", "label 1234567"])
def test_typos_find_their_source_by_rare_trigrams(
    repo: lr.Repository, labels: list[lr.ULabel], monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    repo.save([lr.ULabel(name=name) for name in ("sample_1234567", "ENSG00000139618",
                                                  "label 1234567")])
    typo = source[:-2] + source[-1] + source[-2]  # the last two characters swapped
    monkeypatch.setattr(search_pg, "PLAIN_FUZZY_BELOW", -(10**9))  # the rare trigrams alone
    plain, rare = both(repo, monkeypatch, typo)
    assert source in [name for name, _ in rare]
    assert source in [name for name, _ in plain]


def test_short_words_fall_back_to_similarity_on_smaller_tables(
    repo: lr.Repository, labels: list[lr.ULabel], monkeypatch: pytest.MonkeyPatch
) -> None:
    plain, rare = both(repo, monkeypatch, "label 1x3")  # '1x3' shares no trigram with '123'
    assert "label 123" in [name for name, _ in plain]
    assert "label 123" in [name for name, _ in rare]
    monkeypatch.setattr(search_pg, "PLAIN_FUZZY_BELOW", -(10**9))
    monkeypatch.setattr(search_pg, "_STATS", weakref.WeakKeyDictionary())
    assert "label 123" not in [name for name, _ in results(repo, "label 1x3")]


def test_hidden_rows_stay_hidden(
    repo: lr.Repository, labels: list[lr.ULabel], large: None
) -> None:
    gone = next(label for label in labels if label.name == "sample_00077")
    repo.delete(gone)  # to the trash
    assert "sample_00077" not in [name for name, _ in results(repo, "sample_00077")]
    assert "sample_00077" not in [name for name, _ in results(repo, "sample_00770")]
    assert "sample_00078" in [name for name, _ in results(repo, "sample_00078")]
