"""Search through the in-process copy of a registry's texts (``curation/search_memory.py``).

The copy is used from the second search on unchanged data, so most search tests never reach
it; here every test of ``test_curation_search.py`` runs again with the copy built on the
first search, and the copy is shown to follow every change of the registry.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_curation_search import *  # noqa: F403 - the same tests, through the copy

import lamin_registry as lr
from lamin_registry.curation import search_copy, search_memory, search_rank


@pytest.fixture(autouse=True)
def build_at_once(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(search_memory, "BUILD_AT_ONCE", True)
    yield


def test_copy_follows_every_change(repo: lr.Repository) -> None:
    labels = repo.save([lr.ULabel(name=f"memcopy item {i}") for i in range(50)])
    assert repo.search(lr.ULabel, "memcopy item 7")[0] == labels[7]
    labels[7].name = "memcopy renamed"
    repo.save(labels[7])
    assert repo.search(lr.ULabel, "memcopy renamed")[0] == labels[7]
    old = repo.search(lr.ULabel, "memcopy item 7")
    assert all(r.id != labels[7].id or s < 100 for r, s in zip(old, old.scores, strict=True))
    repo.delete(labels[8])  # to trash: hidden
    assert labels[8] not in list(repo.search(lr.ULabel, "memcopy item 8"))
    connection = repo.session.connection()
    connection.exec_driver_sql(
        "UPDATE lamindb_ulabel SET name = 'memcopy raw' WHERE id = ?"
        if repo.dialect == "sqlite"
        else "UPDATE lamindb_ulabel SET name = 'memcopy raw' WHERE id = %s",
        (labels[9].id,),
    )
    repo.session.expire_all()
    found = repo.search(lr.ULabel, "memcopy raw")
    assert [record.id for record in found][:1] == [labels[9].id]
    assert found.scores[0] == 100


def test_copy_after_rollback(repo: lr.Repository) -> None:
    repo.save(lr.ULabel(name="memroll kept"))
    repo.search(lr.ULabel, "memroll")
    nested = repo.session.begin_nested()
    added = repo.save(lr.ULabel(name="memroll gone"))
    assert repo.search(lr.ULabel, "memroll gone")[0].id == added.id
    nested.rollback()
    assert [r.name for r in repo.search(lr.ULabel, "memroll gone")] != ["memroll gone"]
    assert repo.search(lr.ULabel, "memroll kept").scores[0] == 100


def test_copy_search_reads_past_hidden_rows(repo: lr.Repository) -> None:
    """A large lexical tier whose best rows are all hidden: the search reads on until it has
    ``limit`` visible ones (the copy knows nothing of branches)."""
    labels = repo.save([lr.ULabel(name=f"memhide {i:03d}") for i in range(300)])
    first = [label.id for label in labels[:200]]  # the first 200 in name order: to trash
    repo.delete(repo.filter(lr.ULabel, id__in=first))
    found = repo.search(lr.ULabel, "memhide", limit=20)
    assert [record.name for record in found] == [f"memhide {i:03d}" for i in range(200, 220)]
    assert len(repo.search(lr.ULabel, "memhide", limit=None)) == 100


@pytest.mark.sqlite_only  # the copy is SQLite's
def test_stale_copy_never_returns_wrong_rows(
    repo: lr.Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A copy whose key failed to notice a change (forced here) is caught by the records it
    reads: the search then answers from SQL, with the rows' real texts and scores."""
    labels = repo.save([lr.ULabel(name=f"memstale {i}") for i in range(30)])
    assert repo.search(lr.ULabel, "memstale 7")[0] == labels[7]
    monkeypatch.setattr(search_memory, "_key", lambda connection, fts: ("frozen",))
    repo.search(lr.ULabel, "memstale 7")  # the copy, now keyed ("frozen",)
    connection = repo.session.connection()
    connection.exec_driver_sql(
        "UPDATE lamindb_ulabel SET name = 'memstale moved' WHERE id = "
        + ("?" if repo.dialect == "sqlite" else "%s"),
        (labels[7].id,),
    )
    repo.session.expire_all()
    answers: list[Any] = []
    copy_search = search_copy.search
    monkeypatch.setattr(
        search_copy, "search", lambda *args: answers.append(copy_search(*args)) or answers[-1]
    )
    through_copy = repo.search(lr.ULabel, "memstale 7")
    assert answers == [None]  # the copy noticed the record it read and gave up
    moved = repo.search(lr.ULabel, "memstale moved")
    monkeypatch.setattr(search_memory, "texts_for", lambda *args: None)
    through_sql = repo.search(lr.ULabel, "memstale 7")
    assert labels[7] not in list(through_copy)  # the copy still says "memstale 7"
    assert list(through_copy) == list(through_sql)
    assert through_copy.scores == through_sql.scores
    assert list(moved) in ([], [labels[7]])  # a stale copy may miss a row, never invent one


@settings(max_examples=200, deadline=None)
@given(
    query=st.text(alphabet="ab c1_-", min_size=1, max_size=12),
    texts=st.lists(st.text(alphabet="ab c1_-.", max_size=16), min_size=0, max_size=20),
)
def test_batched_fuzzy_similarity_is_the_scalar_one(query: str, texts: list[str]) -> None:
    assert search_rank.fuzzy_similarities(query, texts * 2) == [
        search_rank.fuzzy_similarity(query, text) for text in texts * 2
    ]


def test_a_pending_record_the_database_refuses_is_a_registry_error(repo: lr.Repository) -> None:
    """search flushes the session first: a refused pending record raises lamin_registry's
    IntegrityError, not SQLAlchemy's (also on the very first search of a connection)."""
    stored = repo.save(lr.ULabel(name="memflush a"))
    twin = lr.ULabel(name="memflush b")
    twin.uid = stored.uid
    repo.session.add(twin)
    with pytest.raises(lr.errors.IntegrityError, match="uid"):
        repo.search(lr.ULabel, "memflush")


@settings(max_examples=150, deadline=None)
@given(
    stored=st.lists(st.text(alphabet="ab c_-", min_size=1, max_size=9), min_size=1, max_size=40),
    query=st.text(alphabet="ab c_-", min_size=1, max_size=5),
    want=st.one_of(st.none(), st.integers(min_value=1, max_value=12)),
)
def test_contained_tier_from_postings_is_the_scan(
    stored: list[str], query: str, want: int | None
) -> None:
    """The contained tier read from the rarest trigram's postings equals the scan of the
    joined texts, order and cut included."""
    texts = search_memory._build((), [(i, text) for i, text in enumerate(stored)], ["name"])
    original, rare = search_memory._contained_from_postings, search_memory.RARE_CONTAINED
    try:
        search_memory.RARE_CONTAINED = 1.0
        postings = list(search_memory.lexical(texts, query, want))
        search_memory._contained_from_postings = lambda *args: None  # type: ignore[assignment]
        scanned = list(search_memory.lexical(texts, query, want))
    finally:
        search_memory._contained_from_postings = original  # type: ignore[assignment]
        search_memory.RARE_CONTAINED = rare
    assert postings == scanned


def test_a_remembered_ranking_keeps_each_searchs_own_rows(repo: lr.Repository) -> None:
    """The copy remembers the ranking of a search, never its visibility: the same string
    searched within a query, or after rows went to the trash, gets only its own rows."""
    labels = repo.save([lr.ULabel(name=f"memrank {i}") for i in range(30)])
    everything = repo.search(lr.ULabel, "memrank 1", limit=None)
    assert everything[0] == labels[1]
    again = repo.search(lr.ULabel, "memrank 1", limit=None)
    assert (list(again), again.scores) == (list(everything), everything.scores)
    odd = repo.filter(lr.ULabel, id__in=[label.id for label in labels[1::2]])
    within = odd.search("memrank 1", limit=None)
    assert list(within) == [record for record in everything if record in labels[1::2]]
    repo.delete(repo.filter(lr.ULabel, id=labels[1].id))
    assert labels[1] not in list(repo.search(lr.ULabel, "memrank 1"))
