"""The host's engine and sessions: plain SQLAlchemy, nothing borrowed from lamin_registry."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str | sa.URL, **kwargs: Any) -> sa.Engine:
    """An engine for ``url``; on SQLite with foreign keys enforced, as on PostgreSQL.

    SQLite checks foreign keys only when asked to, per connection. Without it a permanent
    delete of a ULabel that a Sample still points to would leave a dangling reference.
    """
    engine = sa.create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _foreign_keys_on(dbapi_connection: Any, connection_record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.close()

    return engine


def make_sessions(engine: sa.Engine) -> sessionmaker[Session]:
    """The host's session factory; the host decides when to commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


__all__ = ["make_engine", "make_sessions"]
