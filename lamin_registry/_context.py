"""The active repository: what record-level sugar (``ULabel.filter(...)``) delegates to."""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING

from .errors import NoActiveSession

if TYPE_CHECKING:
    from .repository import Repository

_active: ContextVar[Repository | None] = ContextVar(
    "lamin_registry_active_repository", default=None
)


def active_repository() -> Repository:
    """The repository of the innermost ``with inst.session():`` / ``with repo:`` block."""
    repo = _active.get()
    if repo is None:
        raise NoActiveSession(
            "No active repository. Open one with `with inst.session() as repo:` "
            "(inst = lamin_registry.connect(...)), or wrap your own session in "
            "`with lamin_registry.Repository(session):`; or call the repository directly, "
            "e.g. repo.filter(ULabel, ...)."
        )
    return repo


def current_repository() -> Repository | None:
    """The active repository, or None outside any session block."""
    return _active.get()
