"""host_app end to end: migrate both histories, then use the registry inside host transactions.

Run:  python examples/host_app/demo.py  [database URL]
Without an argument it uses a fresh SQLite file in a temporary directory.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from host_app.db import make_engine, make_sessions
from host_app.models import Experiment, Sample

import lamin_registry as lr

HERE = Path(__file__).resolve().parent


def migrate(engine: sa.Engine) -> None:
    """``alembic upgrade head`` of host_app: lamin_registry first, then host_app's tables."""
    with engine.connect() as connection:
        config = Config(str(HERE / "alembic.ini"), attributes={"connection": connection})
        command.upgrade(config, "head")
    with engine.connect() as connection:
        host = MigrationContext.configure(connection).get_current_revision()
    print(f"lamin_registry at {lr.migrate.current(engine)}, host_app at {host}")


def main(url: str) -> None:
    engine = make_engine(url)
    migrate(engine)
    lr.connect(url, user="alice").close()  # seeds the built-in rows; alice administers

    sessions = make_sessions(engine)
    with sessions() as session:  # the host's transaction
        repo = lr.Repository(session, user="bob")  # registers bob; never commits
        label = repo.save(lr.ULabel(name="T cell"))
        session.add(Sample(name="sample 1", ulabel=label))
        repo.save(Experiment(name="Heart atlas", synonyms="HA|cardiac atlas"))
        session.rollback()  # the host changes its mind: nothing of it stays
    with sessions() as session:
        print(f"after rollback: {session.scalar(sa.select(sa.func.count(Sample.id)))} samples")

    with sessions() as session:
        repo = lr.Repository(session, user="bob")
        with repo:  # the active repository: lamindb-style sugar works too
            label = lr.ULabel(name="T cell").save()
            Experiment(name="Heart atlas", synonyms="HA|cardiac atlas").save()
        session.add(Sample(name="sample 1", ulabel=label))
        session.commit()  # the host decides

    with sessions() as session:
        sample = session.scalars(sa.select(Sample)).one()
        assert sample.ulabel is not None
        creator = sample.ulabel.created_by.handle
        print(f"{sample.name!r} is labelled {sample.ulabel.name!r}, saved by {creator}")
        repo = lr.Repository(session, user="bob")
        print("standardized:", repo.standardize(Experiment, ["HA", "cardiac atlas"], mute=True))
        hits = repo.search(Experiment, "heart")
        print("search 'heart':", [(e.name, s) for e, s in zip(hits, hits.scores, strict=True)])
    engine.dispose()


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(sys.argv[1])
    else:
        with tempfile.TemporaryDirectory() as directory:
            main(f"sqlite:///{Path(directory) / 'host_app.db'}")
