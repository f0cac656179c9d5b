"""Hierarchies (issue 11): query_parents/children, view_parents, query_types,
type.query_<model>s -- one recursive statement each, visibility applied, cycles end."""

from __future__ import annotations

import pytest

import lamin_registry as lr
from lamin_registry.errors import InvalidArgument


def names(query: object) -> set[str]:
    return {record.name for record in query}  # type: ignore[attr-defined]


@pytest.fixture
def chain(repo: lr.Repository) -> list[lr.ULabel]:
    labels = [repo.save(lr.ULabel(name=n)) for n in "abcd"]
    for child, parent in zip(labels[1:], labels[:-1], strict=True):
        child.parents.append(parent)
    repo.session.flush()
    return labels


def test_parents_and_children(repo: lr.Repository, chain: list[lr.ULabel]) -> None:
    a, b, _, d = chain
    assert names(d.query_parents()) == {"a", "b", "c"}
    assert names(a.query_children()) == {"b", "c", "d"}
    assert names(b.query_children()) == {"c", "d"}
    assert isinstance(d.query_parents(), lr.Query)
    repo.delete(b)  # a trashed intermediate cuts the chain
    assert names(d.query_parents()) == {"c"}


def test_cycles_end(repo: lr.Repository, chain: list[lr.ULabel]) -> None:
    a, _, _, d = chain
    a.parents.append(d)
    repo.session.flush()
    assert names(a.query_parents()) == {"b", "c", "d"}  # not the start, and no hang
    assert names(a.query_children()) == {"b", "c", "d"}


def test_hidden_space_cuts_the_chain(inst_alice: lr.Instance) -> None:
    with inst_alice.session() as alice:
        lab = alice.save(lr.Space(name="lab"))
        top = alice.save(lr.ULabel(name="top"))
        middle = alice.save(lr.ULabel(name="middle", space=lab))
        leaf = alice.save(lr.ULabel(name="leaf"))
        middle.parents.append(top)
        leaf.parents.append(middle)
    with inst_alice.session(user="bob") as bob:
        mine = bob.get(lr.ULabel, name="leaf")
        assert names(mine.query_parents()) == set()
        assert "middle" not in mine.view_parents(return_str=True)  # type: ignore[operator]
    with inst_alice.session() as alice:
        assert names(alice.get(lr.ULabel, name="leaf").query_parents()) == {"middle", "top"}


@pytest.fixture
def inst_alice(fresh_url: str) -> object:
    instance = lr.connect(fresh_url, user="alice")
    yield instance
    instance.close()


def test_view_parents(repo: lr.Repository, chain: list[lr.ULabel]) -> None:
    _, b, c, _ = chain
    text = c.view_parents(return_str=True, distance=1)
    assert text is not None
    assert text.splitlines()[1:] == ["↑ b"]
    full = b.view_parents(return_str=True, with_children=True)
    assert full is not None and full.splitlines()[1:] == ["↑ a", "↓ c", "    ↓ d"]
    with pytest.raises(InvalidArgument):
        c.view_parents(distance=0)
    with pytest.raises(NotImplementedError):
        lr.hierarchy.view_parents(repo, repo.save(lr.Storage(root="/x", type="local")))


def test_types(repo: lr.Repository) -> None:
    t1 = repo.save(lr.Record(name="T1", is_type=True))
    t2 = repo.save(lr.Record(name="T2", is_type=True, type=t1))
    t3 = repo.save(lr.Record(name="T3", is_type=True, type=t2))
    x = repo.save(lr.Record(name="x", type=t3))
    assert [t.name for t in x.query_types()] == ["T3", "T2", "T1"]
    assert names(t1.query_records()) == {"T2", "T3", "x"}
    assert names(t1.query_records(depth=1)) == {"T2"}
    assert names(t1.query_records(depth=2)) == {"T2", "T3"}
    repo.delete(t2)
    assert [t.name for t in x.query_types()] == ["T3"]
    assert names(t1.query_records()) == set()
    assert not hasattr(t1, "query_ulabels")
    with pytest.raises(ValueError, match="is_type=True"):
        lr.Record(name="y", type=x)
    with pytest.raises(ValueError, match="is_type=True"):
        x.type = repo.save(lr.Record(name="plain"))
