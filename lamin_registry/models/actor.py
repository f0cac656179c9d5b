"""Who writes a link row that SQLAlchemy inserts by itself (``secondary=`` collections).

A record's ``created_by_id`` and ``run_id`` are stamped by the flush hook
(:mod:`lamin_registry.hooks`), but the rows of a link table written through a relationship
(``record.ulabels.append(label)``, a related manager's ``add``) never pass through it: the
unit of work inserts them itself. Their tracking columns therefore take a Python default that
reads the acting repository from the connection: the session hook that opens a repository's
transaction records it in ``Connection.info`` (see ``hooks._after_begin``). With no acting
repository -- a host application's plain session, a raw Core insert -- the defaults are
lamindb's: user 1 and no run.
"""

from __future__ import annotations

import weakref
from typing import Any

ACTOR_KEY = "lamin_registry.actor"


def act_as(connection: Any, repository: object | None) -> None:
    """Record (or, with ``None``, forget) the repository acting on ``connection``."""
    if repository is None:
        connection.info.pop(ACTOR_KEY, None)
    else:
        connection.info[ACTOR_KEY] = weakref.ref(repository)


def _actor(context: Any) -> Any:
    reference = context.connection.info.get(ACTOR_KEY)
    repository = reference() if reference is not None else None
    if repository is None or not repository.session.in_transaction():
        return None  # the repository's transaction ended: this connection serves someone else
    return repository


def current_user_id(context: Any) -> int:
    """Default of a link row's ``created_by_id``: the acting repository's user, else 1."""
    repository = _actor(context)
    return repository.user_id if repository is not None else 1


def current_run_id(context: Any) -> int | None:
    """Default of a link row's ``run_id``: the acting repository's run, if one is tracked."""
    repository = _actor(context)
    return repository.run_id if repository is not None else None
