"""SQLite timestamp text -> aware UTC datetime (models/types.py::UTCDateTime), memoised."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite

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
