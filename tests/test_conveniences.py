"""Django/lamindb spellings of daily work (issue 11): pk, lr.save(batch_size=), from_values
lists with .save(), Query.get/distinct/values_list/last, Run(transform), created_on,
Transform predecessors/successors."""

from __future__ import annotations

import pytest

import lamin_registry as lr
from lamin_registry.errors import DoesNotExist, FieldValidationError, InvalidArgument


def test_pk_and_created_on(repo: lr.Repository) -> None:
    label = repo.save(lr.ULabel(name="x"))
    assert label.pk == label.id
    assert label.created_on.name == "main"
    assert lr.ULabel(name="new").pk is None


def test_lr_save_in_batches(repo: lr.Repository) -> None:
    stored = lr.save([lr.ULabel(name=f"b{i}") for i in range(5)], batch_size=2)
    assert [s.name for s in stored] == [f"b{i}" for i in range(5)]
    assert all(s.id for s in stored)
    with pytest.raises(InvalidArgument):
        lr.save([lr.ULabel(name="c")], batch_size=0)


def test_from_values_list_saves(repo: lr.Repository) -> None:
    records = repo.from_values(lr.ULabel, ["u1", "u2"], create=True, mute=True)
    saved = records.save()  # type: ignore[attr-defined]
    assert [r.name for r in saved] == ["u1", "u2"] and all(r.id for r in saved)
    again = repo.from_values(lr.ULabel, ["u1"], mute=True)
    assert again.one().name == "u1"  # type: ignore[attr-defined]
    assert again.to_list("name") == ["u1"]  # type: ignore[attr-defined]


def test_query_get_distinct_values_list(repo: lr.Repository) -> None:
    a = repo.save(lr.ULabel(name="qa", description="d"))
    b = repo.save(lr.ULabel(name="qb", description="d"))
    query = repo.filter(lr.ULabel, name__startswith="q")
    assert query.get(name="qa") is a
    assert query.get(b.id) is b
    assert query.get(b.uid) is b
    with pytest.raises(DoesNotExist):
        repo.filter(lr.ULabel, name="qa").get(b.id)
    assert query.distinct().count() == 2
    assert sorted(query.values_list("name", flat=True)) == ["qa", "qb"]
    assert sorted(query.values_list("name", "description")) == [("qa", "d"), ("qb", "d")]
    assert query.last() is b and query.order_by("-name").last() is a
    with pytest.raises(InvalidArgument):
        query.values_list("name", "id", flat=True)


def test_run_positional_and_lineage(repo: lr.Repository) -> None:
    first = repo.save(lr.Transform(key="first.py"))
    second = repo.save(lr.Transform(key="second.py"))
    run = repo.save(lr.Run(second))
    assert run.transform is second
    with pytest.raises(FieldValidationError, match="Only one non-keyword"):
        lr.Run(first, second)
    second.predecessors.append(first)
    repo.session.flush()
    repo.session.expire_all()
    assert [t.key for t in repo.get(lr.Transform, first.id).successors] == ["second.py"]
