"""SQLite timestamp text -> aware UTC datetime (models/types.py::UTCDateTime), memoised;
PostgreSQL sessions of the library's engines in UTC (instance.py::_use_utc)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite

import lamin_registry as lr
from lamin_registry.models.types import UTCDateTime

PROCESS = UTCDateTime().result_processor(sqlite.dialect(), None)
STORED = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2999, 12, 31))


@given(STORED)
def test_stored_text_reads_as_the_same_instant_in_utc(value: datetime) -> None:
    text = value.isoformat(sep=" ", timespec="microseconds")  # SQLite's stored form
    first, again = PROCESS(text), PROCESS(text)
    assert first == again == value.replace(tzinfo=UTC)
    assert first.tzinfo is UTC


@given(STORED, STORED)
def test_shared_parses_never_mix_values(a: datetime, b: datetime) -> None:
    texts = [a.isoformat(sep=" ", timespec="microseconds"), b.isoformat(sep=" ")] * 3
    assert [PROCESS(t) for t in texts] == [a.replace(tzinfo=UTC), b.replace(tzinfo=UTC)] * 3


def test_none_and_a_bare_date() -> None:
    assert PROCESS(None) is None
    assert PROCESS("2024-02-29 00:00:00") == datetime(2024, 2, 29, tzinfo=UTC)


# -- PostgreSQL: the library's connections run in UTC ---------------------------------------------


def _zone_and_stamp(inst: lr.Instance) -> tuple[str, datetime, datetime]:
    """(session TimeZone, a saved label's created_at as saved, as read back fresh)."""
    with inst.session() as repo:
        label = repo.save(lr.ULabel(name="stamped"))
        saved, uid = label.created_at, label.uid
    with inst.session() as repo:
        zone = repo.session.connection().exec_driver_sql("SHOW TimeZone").scalar_one()
        again = repo.get(lr.ULabel, uid).created_at
    return str(zone), saved, again


@pytest.mark.postgres_only
@pytest.mark.parametrize(
    ("host", "options", "zone"),
    [
        (False, None, "UTC"),
        (False, "-c TimeZone=Pacific/Chatham", "UTC"),  # +12:45 asked: the library's is UTC
        (True, "-c TimeZone=Asia/Kolkata", "Asia/Kolkata"),  # a host's engine keeps its zone
    ],
)
def test_postgresql_session_zone_and_stamps(
    fresh_url: str, host: bool, options: str | None, zone: str
) -> None:
    """The library's engines switch every new connection to UTC; an engine it did not
    configure keeps its zone. Either way a timestamp reads back as the same instant, in
    ``datetime.UTC``."""
    lr.connect(fresh_url, user="alice").close()  # migrated and seeded
    url = sa.make_url(fresh_url)
    if options is not None:
        url = url.update_query_dict({"options": options})
    engine = sa.create_engine(url) if host else None
    inst = lr.Instance(engine, "alice") if engine is not None else lr.connect(url, user="alice")
    try:
        found, saved, again = _zone_and_stamp(inst)
    finally:
        if engine is not None:
            engine.dispose()
        else:
            inst.close()
    assert found == zone
    assert again == saved and again.tzinfo is UTC


@pytest.mark.postgres_only
def test_async_postgresql_sessions_are_utc(fresh_url: str) -> None:
    async def main() -> str:
        inst = await lr.connect_async(fresh_url, user="alice")
        try:
            async with inst.engine.connect() as connection:
                return str((await connection.exec_driver_sql("SHOW TimeZone")).scalar_one())
        finally:
            await inst.close()

    assert asyncio.run(main()) == "UTC"
