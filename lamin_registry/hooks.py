"""The one ``before_flush`` hook: stamps who created a record and in which run.

It acts only on sessions a :class:`~lamin_registry.Repository` wraps; in a plain session the
column defaults apply (``created_by_id`` 1, the instance's creator).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from .models.base import BaseSQLRecord

if TYPE_CHECKING:
    from .repository import Repository

REPOSITORY_KEY = "lamin_registry.repository"

_STAMPED: dict[type, tuple[bool, bool]] = {}


def _stamped_fields(model: type) -> tuple[bool, bool]:
    fields = _STAMPED.get(model)
    if fields is None:
        columns = sa.inspect(model).columns
        fields = _STAMPED[model] = ("created_by_id" in columns, "run_id" in columns)
    return fields


def stamp(record: Any, repo: Repository) -> None:
    """Fill ``created_by_id`` and ``run_id`` of a new record from the repository."""
    has_created_by, has_run = _stamped_fields(type(record))
    state = record.__dict__
    if has_created_by and state.get("created_by_id") is None and state.get("created_by") is None:
        record.created_by_id = repo.user_id
    if (
        has_run
        and repo.run_id is not None
        and state.get("run_id") is None
        and (state.get("run") is None)
    ):
        record.run_id = repo.run_id


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, flush_context: object, instances: object) -> None:
    repo: Repository | None = session.info.get(REPOSITORY_KEY)
    if repo is None:
        return
    for record in session.new:
        if isinstance(record, BaseSQLRecord):
            stamp(record, repo)
