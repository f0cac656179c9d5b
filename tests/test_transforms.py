"""Transform resolution at save (issue 11, lamindb reference §6.1): a stored version's source
code is never overwritten; a new source becomes the next version of the key's family."""

from __future__ import annotations

import pytest

import lamin_registry as lr
from lamin_registry.errors import InvalidArgument


def latest(repo: lr.Repository, key: str) -> list[lr.Transform]:
    return repo.filter(lr.Transform, key=key, is_latest=True).all()


def test_a_taken_version_with_new_source_raises(repo: lr.Repository) -> None:
    first = repo.save(lr.Transform(key="run.py", version="1.0", source_code="print(1)"))
    with pytest.raises(ValueError, match=r"'1\.0' is already taken"):
        repo.save(lr.Transform(key="run.py", version="1.0", source_code="print(2)"))
    repo.refresh(first)
    assert first.source_code == "print(1)"  # not overwritten
    assert latest(repo, "run.py") == [first]


def test_new_source_without_version_is_the_next_version(repo: lr.Repository) -> None:
    first = repo.save(lr.Transform(key="step.py", source_code="a = 1"))
    second = repo.save(lr.Transform(key="step.py", source_code="a = 2"))
    assert second is not first
    assert second.uid[:12] == first.uid[:12] and second.uid.endswith("0001")
    assert latest(repo, "step.py") == [second]
    assert repo.get(lr.Transform, first.id).source_code == "a = 1"
    third = repo.save(lr.Transform(key="step.py", version="2", source_code="a = 3"))
    assert third.uid.endswith("0002") and latest(repo, "step.py") == [third]


def test_same_source_or_no_source_returns_the_stored_transform(repo: lr.Repository) -> None:
    first = repo.save(lr.Transform(key="same.py", source_code="x"))
    assert repo.save(lr.Transform(key="same.py", source_code="x")) is first
    assert repo.save(lr.Transform(key="same.py")) is first
    assert repo.save(lr.Transform(key="other-key.py", source_code="x")) is first  # by hash
    fresh = repo.save(lr.Transform(key="other-key.py", source_code="x", skip_hash_lookup=True))
    assert fresh is not first


def test_a_head_without_source_takes_the_source(repo: lr.Repository) -> None:
    empty = repo.save(lr.Transform(key="empty.py"))
    filled = repo.save(lr.Transform(key="empty.py", source_code="y = 1"))
    assert filled is empty and empty.source_code == "y = 1" and empty.hash is not None
    assert latest(repo, "empty.py") == [empty]


def test_version_errors_are_value_errors(repo: lr.Repository) -> None:
    repo.save(lr.Transform(key="v.py", version="1", source_code="1"))
    with pytest.raises(InvalidArgument):
        repo.save(lr.Transform(key="v.py", version="1", source_code="2"))
