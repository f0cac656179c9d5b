"""``get`` through prepared statements (issue 2): same results, errors and SQL as the query
path, and never a statement cached for another branch, user or set of grants."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event

import lamin_registry as lr
from lamin_registry.errors import DoesNotExist, InvalidArgument, MultipleResultsFound


@pytest.fixture
def inst(fresh_url: str) -> Iterator[lr.Instance]:
    """A fresh instance created by alice (admin of every space)."""
    instance = lr.connect(fresh_url, user="alice")
    yield instance
    instance.close()


def selects(repo: lr.Repository, call: Any) -> list[str]:
    """The SELECTs on ``lamindb_ulabel`` that ``call()`` sends, parameter names normalised."""
    seen: list[str] = []

    def listener(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "FROM lamindb_ulabel" in statement:
            seen.append(re.sub(r"%\(\w+\)s", "?", statement))

    engine = repo.session.get_bind()
    event.listen(engine, "before_cursor_execute", listener)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return seen


def test_get_sends_the_query_paths_sql(repo: lr.Repository) -> None:
    label = repo.save(lr.ULabel(name="same sql"))
    by_get = selects(repo, lambda: repo.get(lr.ULabel, name="same sql"))
    by_filter = selects(repo, lambda: repo.filter(lr.ULabel, name="same sql").limit(2).all())
    assert by_get == by_filter
    assert "branch_id IN" in by_get[0]  # expressions see the visible branches only
    by_uid = selects(repo, lambda: repo.get(lr.ULabel, label.uid))
    assert by_uid == selects(repo, lambda: repo.filter(lr.ULabel, uid=label.uid).all())
    assert "branch_id" not in by_uid[0].split("WHERE")[1]  # uid: every branch


def test_switch_branch_changes_what_get_sees(repo: lr.Repository) -> None:
    repo.create_branch("experiment")
    repo.switch_branch("experiment")
    draft = repo.save(lr.ULabel(name="draft"))
    assert repo.get(lr.ULabel, name="draft") is draft
    repo.switch_branch("main")
    with pytest.raises(DoesNotExist):
        repo.get(lr.ULabel, name="draft")
    assert repo.get(lr.ULabel, draft.uid) is draft  # by uid/id: every branch
    assert repo.get(lr.ULabel, draft.id) is draft
    repo.switch_branch("experiment")
    assert repo.get(lr.ULabel, name="draft") is draft
    repo.delete(draft)  # trash: hidden from expressions, found by uid
    with pytest.raises(DoesNotExist):
        repo.get(lr.ULabel, name="draft")
    assert repo.get(lr.ULabel, draft.uid) is draft


def test_users_never_share_a_visibility(inst: lr.Instance) -> None:
    with inst.session() as alice:
        lab = alice.save(lr.Space(name="lab"))
        secret = alice.save(lr.ULabel(name="secret", space=lab))
        alice.save(lr.User(handle="bob"))
    for _ in range(2):  # alternating: the statements one user cached are not the other's
        with inst.session() as alice:
            assert alice.get(lr.ULabel, name="secret").id == secret.id
            assert alice.get(lr.ULabel, secret.uid).id == secret.id
        with inst.session(user="bob") as bob:
            for by in ({"name": "secret"}, {"uid": secret.uid}, {"id": secret.id}):
                with pytest.raises(DoesNotExist):
                    bob.get(lr.ULabel, **by)
            for idlike in (secret.uid, secret.id):
                with pytest.raises(DoesNotExist):
                    bob.get(lr.ULabel, idlike)
    with inst.session() as alice:
        alice.grant("bob", lab, "admin")
    with inst.session(user="bob") as bob:
        assert bob.get(lr.ULabel, name="secret").id == secret.id
        assert bob.get(lr.ULabel, secret.uid).id == secret.id
        bob.revoke("bob", lab)  # the same repository: its grants reload, so do its reads
        with pytest.raises(DoesNotExist):
            bob.get(lr.ULabel, name="secret")
        with pytest.raises(DoesNotExist):
            bob.get(lr.ULabel, secret.uid)
        with pytest.raises(DoesNotExist):
            bob.get(lr.ULabel, secret.id)
        assert bob.get(lr.Space, name="lab").id == lab.id  # spaces themselves stay readable


def test_multiple_and_versioned_results(repo: lr.Repository) -> None:
    kind = repo.save(lr.ULabel(name="Kind", is_type=True))
    repo.save(lr.ULabel(name="twin", type=kind, description="a"))
    repo.save(lr.ULabel(name="twin", type=None, description="b"))  # type=None: untyped scope
    with pytest.raises(MultipleResultsFound, match="it returned 2"):
        repo.get(lr.ULabel, name="twin")
    assert repo.get(lr.ULabel, name="twin", description="b").description == "b"
    first = repo.save(lr.Transform(key="pipeline.py", description="v1"))
    second = repo.save(lr.Transform(revises=first, description="v2"))
    assert repo.get(lr.Transform, key="pipeline.py") is second
    assert repo.get(lr.Transform, key="pipeline.py", is_latest=False) is first
    assert repo.get(lr.Transform, uid=first.uid) is first


_SCALARS = st.one_of(
    st.text(max_size=12),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.booleans(),
    st.sampled_from(["12", "-3", "1.5", "", "a\x00b", "2024-01-01", "not a date"]),
)


def _outcome(call: Any) -> tuple[str, str]:
    try:
        record = call()
    except InvalidArgument as error:
        return "InvalidArgument", str(error)
    except DoesNotExist:
        return "none", ""
    return "found", str(record.id)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(field=st.sampled_from(["name", "id", "is_type", "created_at", "uid", "description"]),
       value=_SCALARS)
def test_get_checks_values_like_filter(repo: lr.Repository, field: str, value: Any) -> None:
    """Whatever the value, ``get(field=value)`` fails or finds exactly as ``filter`` does."""
    by_get = _outcome(lambda: repo.get(lr.ULabel, **{field: value}))
    by_filter = _outcome(lambda: repo.filter(lr.ULabel, **{field: value}).one())
    assert by_get == by_filter


def test_expressions_beyond_exact_fields_take_the_query_path(repo: lr.Repository) -> None:
    label = repo.save(lr.ULabel(name="Path", description=None))
    assert repo.get(lr.ULabel, name__startswith="Pat") is label
    assert repo.get(lr.ULabel, name="Path", description=None) is label  # IS NULL
    with pytest.raises(InvalidArgument, match="Unknown field 'nme'"):
        repo.get(lr.ULabel, nme="Path")
    with pytest.raises(InvalidArgument, match="Unknown field '_aux'"):
        repo.get(lr.ULabel, _aux=None)
    assert repo.get(lr.ULabel, name="Path", branch_id=1) is label
    assert sa.inspect(label).persistent
