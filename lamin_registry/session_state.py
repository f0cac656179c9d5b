"""Keeping a session usable and truthful after errors and deletes (issue 13).

* :func:`savepoint`: the repository's write entry points flush pending changes *inside* their
  savepoint (SQLAlchemy's ``begin_nested()`` flushes before emitting SAVEPOINT), so a flush
  that fails -- a refused change, a constraint -- rolls back to the savepoint only: no
  ``PendingRollbackError``, and the rest of the session still commits.
* :func:`undo`: a change the ``before_flush`` check refuses is undone on the spot (a new
  record leaves the session, an edit is expired, a delete is reverted), so leaving the block
  does not raise the same error again from ``commit()``.
* :func:`forget_deleted`: records deleted for good leave the relationship collections already
  loaded in the session.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.orm.attributes import set_committed_value


@contextmanager
def savepoint(session: Session) -> Iterator[SessionTransaction]:
    """``session.begin_nested()`` whose flush of pending changes happens inside the savepoint.

    SQLAlchemy skips its pre-SAVEPOINT flush while the session is flushing; the pending
    changes are then flushed right after the SAVEPOINT, so their failure is this savepoint's.
    """
    if session._flushing:  # called from inside a flush: the plain behaviour
        with session.begin_nested() as nested:
            yield nested
        return
    session._flushing = True  # skip the flush in begin_nested()'s snapshot
    try:
        nested = session.begin_nested()
    finally:
        session._flushing = False
    with nested:
        session.flush()
        yield nested
        session.flush()  # what the commit would flush: a failure still rolls back to here
        _hand_new_to_parent(nested)


_HAND_OVER_MIN = 1_000


def _hand_new_to_parent(nested: SessionTransaction) -> None:
    """Move the savepoint's new objects to the enclosing transaction before it is released.

    Releasing does the same with ``WeakKeyDictionary.update``, a Python-level loop of about
    4 µs an object (0.4 s after a bulk save of 100,000 records); here the savepoint's dictionary
    is handed over whole when the enclosing transaction has fewer new objects, else moved
    entry by entry.
    Only when nothing is left to flush: the release then cannot fail on the objects, and a
    rollback of the enclosing transaction still finds them in its own new objects.
    """
    new: Any = nested._new
    parent = nested._parent
    if parent is None or len(new.data) < _HAND_OVER_MIN or session_dirty(nested):
        return
    from .bulk import gc_paused

    target: Any = parent._new
    if parent._is_transaction_boundary and len(target.data) <= len(new.data):
        # The savepoint's dictionary becomes the enclosing transaction's, the few objects of
        # the enclosing one moved into it: no second dictionary and no new weak reference a
        # record (about 120 bytes each: 120 MB after a bulk save of 1,000,000). The weak
        # references' callbacks name the dictionary object, which moves with them. Only for
        # a transaction that owns its dictionary (a subtransaction shares its parent's).
        with gc_paused():
            for obj in list(target.keys()):
                new[obj] = True
        target.data.clear()
        parent._new, nested._new = new, target
        return
    remove = target._remove
    ref = weakref.ref
    source, data = new.data, target.data
    with gc_paused():  # 100,000 new weak references: no full collections in between
        while source:  # one at a time: never both dictionaries in full
            key, _ = source.popitem()
            obj = key()
            if obj is not None:
                data[ref(obj, remove)] = True


def session_dirty(transaction: SessionTransaction) -> bool:
    """Whether the transaction's session has changes a flush would write."""
    session = transaction.session
    return bool(session._new or session._deleted or session.identity_map._modified)


def undo(session: Session, record: Any) -> None:
    """Take back ``record``'s pending change: new -> out of the session, edit -> expired
    (reloaded as stored), delete -> reverted."""
    state = sa.inspect(record)
    if state.pending:
        session.expunge(record)
    elif record in session.deleted:
        session.expunge(record)
        session.add(record)
    elif state.persistent:
        session.expire(record)


_COLLECTIONS: dict[type, list[tuple[str, type]]] = {}


def _collections(model: type) -> list[tuple[str, type]]:
    """(attribute, target class) of every to-many relationship of ``model``."""
    found = _COLLECTIONS.get(model)
    if found is None:
        relationships: Any = sa.inspect(model).relationships
        found = _COLLECTIONS[model] = [
            (prop.key, prop.mapper.class_) for prop in relationships if prop.uselist
        ]
    return found


def forget_deleted(session: Session, model: type, ids: Iterable[Any]) -> None:
    """Remove the ``model`` rows ``ids``, deleted for good, from the loaded collections of the
    session's records (by identity: the deleted objects may have left the session already).

    A collection with pending changes of its own is reloaded from the database on next access
    (expired) instead; unloaded collections load without the deleted rows anyway.
    """
    wanted = set(ids)
    if not wanted:
        return

    def gone(item: Any) -> bool:
        if not isinstance(item, model):
            return False
        identity = sa.inspect(item).identity
        return identity is not None and identity[0] in wanted

    for obj in list(session.identity_map.values()):
        state = sa.inspect(obj)
        for key, target in _collections(type(obj)):
            if key not in state.dict or not issubclass(model, target):
                continue
            collection = state.dict[key]
            if collection is None or not any(gone(item) for item in collection):
                continue
            if state.attrs[key].history.has_changes():
                session.expire(obj, [key])
            else:
                set_committed_value(obj, key, [item for item in collection if not gone(item)])
