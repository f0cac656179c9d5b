"""``get`` without the ORM's execution machinery (``query/prepared.load``) behaves as a load.

The same object as the identity map holds, pending changes flushed first, expired objects
refreshed, new objects persistent and clean, listeners of the connection called, and the
ORM path taken whenever something could notice the difference.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

import lamin_registry as lr
from lamin_registry.query import prepared


def name() -> str:
    return f"fastget-{uuid.uuid4().hex[:8]}"


def test_identity_map_and_state(repo: lr.Repository) -> None:
    saved = repo.save(lr.ULabel(name=name()))
    assert repo.get(lr.ULabel, saved.uid) is saved
    assert repo.get(lr.ULabel, name=saved.name) is saved
    repo.session.expunge(saved)
    loaded = repo.get(lr.ULabel, saved.uid)
    assert loaded is not saved and loaded.id == saved.id and loaded.name == saved.name
    state = sa.inspect(loaded)
    assert state.persistent and not state.modified and not state.expired_attributes
    assert loaded.created_at == saved.created_at and loaded.created_at.tzinfo is not None
    assert repo.get(lr.ULabel, id=loaded.id) is loaded  # the identity map again
    loaded.description = "changed"  # attribute history works on a fast-loaded object
    assert repo.session.dirty and sa.inspect(loaded).attrs.description.history.added
    repo.save(loaded)
    repo.session.expire_all()
    assert repo.get(lr.ULabel, saved.uid).description == "changed"  # expired: refreshed


def test_pending_changes_are_flushed_first(repo: lr.Repository) -> None:
    label = repo.save(lr.ULabel(name=name()))
    label.name = renamed = name()
    assert repo.get(lr.ULabel, name=renamed) is label  # autoflush, as session.scalars does
    repo.session.add(added := lr.ULabel(name=name()))
    assert repo.get(lr.ULabel, name=added.name) is added


def test_relationships_and_prefix(repo: lr.Repository) -> None:
    parent = repo.save(lr.ULabel(name=name(), is_type=True))
    child = repo.save(lr.ULabel(name=name(), type=parent))
    repo.session.expunge_all()
    loaded = repo.get(lr.ULabel, child.uid[:6]) if len(child.uid) > 6 else None
    loaded = loaded or repo.get(lr.ULabel, child.uid)
    assert loaded.type.id == parent.id  # lazy loading works on fast-loaded objects
    assert loaded in repo.get(lr.ULabel, parent.uid).ulabels


def test_cursor_listeners_see_the_statement(repo: lr.Repository) -> None:
    saved = repo.save(lr.ULabel(name=name()))
    seen: list[str] = []

    def listener(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    connection = repo.session.connection()
    event.listen(connection, "before_cursor_execute", listener)
    try:
        repo.session.expunge(saved)
        repo.get(lr.ULabel, saved.uid)
    finally:
        event.remove(connection, "before_cursor_execute", listener)
    assert any("lamindb_ulabel" in statement for statement in seen)


def test_foreign_orm_listener_takes_the_orm_path(repo: lr.Repository, monkeypatch: Any) -> None:
    saved = repo.save(lr.ULabel(name=name()))
    calls: list[Any] = []

    def host_listener(state: Any) -> None:
        calls.append(state)

    event.listen(repo.session, "do_orm_execute", host_listener)
    try:
        repo.session.expunge(saved)
        assert repo.get(lr.ULabel, saved.uid).id == saved.id
    finally:
        event.remove(repo.session, "do_orm_execute", host_listener)
    assert calls  # the host's listener saw the get
    stmt = prepared.select_by(lr.ULabel, ("uid",), (None, None))
    with repo.session.no_autoflush:
        event.listen(repo.session, "do_orm_execute", host_listener)
        try:
            assert prepared.load(repo.session, stmt, {"lr_uid": saved.uid}) is None
        finally:
            event.remove(repo.session, "do_orm_execute", host_listener)
