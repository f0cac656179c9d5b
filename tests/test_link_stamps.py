"""Link rows SQLAlchemy writes by itself (``secondary=``) carry the acting user and run.

The unit of work inserts a relationship's link rows without the flush hook seeing them; their
``created_by_id``/``run_id`` defaults read the acting repository from the connection
(``lamin_registry/models/actor.py``). Outside a repository they are lamindb's: user 1, no run.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

import lamin_registry as lr
from lamin_registry.models.base import metadata
from tests.conftest import fresh_database


@pytest.fixture
def inst(backend: str, tmp_path) -> Iterator[lr.Instance]:  # type: ignore[no-untyped-def]
    with fresh_database(backend, tmp_path) as url:
        instance = lr.connect(url, user="alice")
        with instance.session() as alice:
            alice.save(lr.User(handle="bob"))
            space = alice.get(lr.Space, 1)
            alice.grant("bob", space, "write")
        yield instance
        instance.close()


def _links(inst: lr.Instance, table: str) -> list[tuple[int, int | None]]:
    link = metadata.tables[table]
    with inst.engine.connect() as connection:
        rows = connection.execute(
            sa.select(link.c.created_by_id, link.c.run_id).order_by(link.c.id)
        ).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def test_relationship_links_carry_the_acting_user_and_run(inst: lr.Instance) -> None:
    with inst.session(user="bob") as bob:
        bob_id = bob.user_id
        project = bob.save(lr.Project(name="p"))
        record = bob.save(lr.Record(name="r"))
        record.projects.append(project)  # the unit of work writes this link row
        bob.save(record)
        transform = bob.save(lr.Transform(key="pipeline.py"))
        with bob.track(transform) as run:
            other = bob.save(lr.Record(name="s"))
            other.projects.add(project)  # a related manager's write
            run_id = run.id
    assert bob_id != 1
    assert _links(inst, "lamindb_projectrecord") == [(bob_id, None), (bob_id, run_id)]


def test_plain_sessions_keep_lamindbs_defaults(inst: lr.Instance) -> None:
    with inst.session(user="bob") as bob:  # a repository used this pooled connection before
        bob.save(lr.Project(name="p"))
        bob.save(lr.Record(name="r"))
    with Session(inst.engine) as session:
        project = session.scalars(sa.select(lr.Project)).one()
        record = session.scalars(sa.select(lr.Record)).one()
        record.projects.append(project)
        session.commit()
    assert _links(inst, "lamindb_projectrecord") == [(1, None)]
