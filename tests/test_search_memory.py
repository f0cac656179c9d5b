"""Search through the in-process copy of a registry's texts (``curation/search_memory.py``).

The copy is used from the second search on unchanged data, so most search tests never reach
it; here every test of ``test_curation_search.py`` runs again with the copy built on the
first search, and the copy is shown to follow every change of the registry.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from test_curation_search import *  # noqa: F403 - the same tests, through the copy

import lamin_registry as lr
from lamin_registry.curation import search_memory


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
