"""lamindb's daily spellings that are not a repository method of their own (issue 11):
``lr.save(records, batch_size=)``, the record list that ``from_values`` returns (with
``.save()``), and what ``Query`` adds for Django users (see :mod:`lamin_registry.query.query`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from ._context import active_repository
from .errors import InvalidArgument, MultipleResultsFound

R = TypeVar("R")


def save(records: Iterable[R], batch_size: int | None = None) -> list[R]:
    """Save records through the active repository, ``batch_size`` at a time (None: one
    batch); returns the stored records (lamindb returns None: use the return value here)."""
    if batch_size is not None and (
        not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1
    ):
        raise InvalidArgument(f"batch_size must be a positive integer or None, got {batch_size!r}")
    if not isinstance(records, Iterable) or isinstance(records, str | bytes):
        raise InvalidArgument(f"lr.save() takes a list of records, got {records!r}")
    items: list[Any] = list(records)
    repo = active_repository()
    if batch_size is None:
        return list(repo.save(items))
    stored: list[Any] = []
    for start in range(0, len(items), batch_size):
        stored.extend(repo.save(items[start : start + batch_size]))
    return stored


class RecordList(list[R]):
    """A list of records with lamindb's ``SQLRecordList`` conveniences."""

    def save(self, batch_size: int | None = None) -> RecordList[R]:
        """Save every record (bulk) and return the list of stored records."""
        return RecordList(save(self, batch_size=batch_size))

    def to_list(self, field: str | None = None) -> list[Any]:
        """The records, or the values of one field."""
        if field is None:
            return list(self)
        return [getattr(record, field) for record in self]

    def one(self) -> R:
        """The only record (``MultipleResultsFound`` / ``InvalidArgument`` otherwise)."""
        if len(self) != 1:
            if len(self) > 1:
                raise MultipleResultsFound(f"Expected one record, got {len(self)}")
            raise InvalidArgument("Expected one record, got none")
        return self[0]
