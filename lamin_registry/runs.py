"""Errored runs outlive the transaction they errored in.

``with inst.session() as repo: with repo.track(t): raise X`` rolls the session back, and with
it the ``Run`` row that ``track`` wrote. A user looking for the failed run afterwards would
find nothing, so ``track`` keeps a snapshot of every run whose block raised, and
``Instance.session()`` writes those runs again, in a transaction of their own, after the
rollback: status ``errored``, ``finished_at`` and the exception in ``_aux`` survive; every
other record saved in the block is discarded as usual.

The transform is written again too when it was created in the rolled-back transaction (same
uid), and the rows point at the acting user's current id (the user may have been registered
by the rolled-back session). A host application that owns its session decides for itself:
``Repository.errored_runs`` lists the snapshots, and :func:`write_errored_runs` writes them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

if TYPE_CHECKING:
    from .models.tracking import Run
    from .repository import Repository

logger = logging.getLogger("lamin_registry")

__all__ = ["ErroredRun", "write_errored_runs"]


def _columns(record: Any) -> dict[str, Any]:
    """``{column name: value}`` of a mapped record's own table, read without loading."""
    state = sa.inspect(record)
    values: dict[str, Any] = {}
    for prop in state.mapper.column_attrs:
        if prop.key in state.dict:
            values[prop.columns[0].name] = state.dict[prop.key]
    return values


@dataclass(frozen=True)
class ErroredRun:
    """Column values of an errored run and of its transform, taken when the block raised."""

    run: dict[str, Any]
    transform: dict[str, Any]

    @classmethod
    def of(cls, run: Run) -> ErroredRun:
        return cls(run=_columns(run), transform=_columns(run.transform))


def write_errored_runs(repo: Repository, runs: list[ErroredRun]) -> None:
    """Insert ``runs`` (and transforms that no longer exist) through ``repo``'s session.

    Rows that already exist (same uid) are left alone, so calling this twice is harmless.
    """
    from .models.tracking import Transform

    connection = repo.session.connection()
    tables = Transform.metadata.tables
    transforms, run_table = tables["lamindb_transform"], tables["lamindb_run"]
    for errored in runs:
        transform_uid = errored.transform.get("uid")
        transform_id = connection.scalar(
            sa.select(transforms.c.id).where(transforms.c.uid == transform_uid)
        )
        if transform_id is None:
            values = {k: v for k, v in errored.transform.items() if k != "id"}
            values.update(created_by_id=repo.user_id, run_id=None)
            transform_id = connection.scalar(
                sa.insert(transforms).values(values).returning(transforms.c.id)
            )
        exists = connection.scalar(
            sa.select(run_table.c.id).where(run_table.c.uid == errored.run.get("uid"))
        )
        if exists is not None:
            continue
        values = {k: v for k, v in errored.run.items() if k != "id"}
        values.update(
            transform_id=transform_id, created_by_id=repo.user_id, initiated_by_run_id=None
        )
        connection.execute(sa.insert(run_table).values(values))
        logger.info("kept errored run %s of transform %s", values.get("uid"), transform_uid)
