"""Bulk save (``repo.save(list)``): set-based, atomic, and as good as a flush afterwards."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event

import lamin_registry as lr

BATCH = 500  # the smallest batch the contract allows (API.md §8)


@contextmanager
def statements(repo: lr.Repository) -> Iterator[list[tuple[str, bool]]]:
    """(SQL, executemany) of every statement the repository's connection sends."""
    seen: list[tuple[str, bool]] = []
    connection = repo.session.connection()

    def listener(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
                 executemany: bool) -> None:
        seen.append((statement, executemany))

    event.listen(connection, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(connection, "before_cursor_execute", listener)


def prefix() -> str:
    return f"bulk-{uuid.uuid4().hex[:8]}-"


def labels(names: list[str], **kwargs: Any) -> list[lr.ULabel]:
    return [lr.ULabel(name=name, **kwargs) for name in names]


def stored_count(repo: lr.Repository, start: str) -> int:
    return repo.filter(lr.ULabel, name__startswith=start, branch_id=None).count()


def test_statements_grow_with_batches_not_rows(repo: lr.Repository) -> None:
    counts = {}
    for n in (600, 3000):
        start = prefix()
        with statements(repo) as seen:
            repo.save(labels([f"{start}{i}" for i in range(n)]))
        inserts = [(sql, many) for sql, many in seen if sql.lstrip().upper().startswith("INSERT")]
        # SQLite: the search index of the whole batch is filled by one INSERT ... SELECT
        indexing = [sql for sql, _ in inserts if "lamin_registry_search_" in sql]
        inserts = [(sql, many) for sql, many in inserts if "lamin_registry_search_" not in sql]
        assert len(inserts) <= math.ceil(n / BATCH), inserts[:3]
        if repo.dialect == "sqlite":  # one INSERT ... SELECT from a JSON array per batch
            assert len(inserts) == 1 and "json_each" in inserts[0][0], inserts
            assert len(indexing) == 1 and "SELECT" in indexing[0]
        counts[n] = len(seen)
        assert stored_count(repo, start) == n
    # five times the rows: at most a handful more statements, never one per row
    assert counts[3000] <= 2 * math.ceil(3000 / BATCH) + 10
    assert counts[3000] - counts[600] <= 2 * math.ceil((3000 - 600) / BATCH)


def test_awkward_text_round_trips_exactly(repo: lr.Repository) -> None:
    """Quotes, backslashes, control characters, non-ASCII and JSON-looking text come back
    exactly as given (SQLite reads a large batch from one JSON array)."""
    start = prefix()
    awkward = [
        'quote " and \\ backslash', "emoji 🧬 ümlaut 漢字", "line\nbreak\ttab\r", "\u2028\u2029",
        "'single'", "[1, 2]", "null", "true", "  spaces  ", "\\u0041", "{\"a\": 1}", "0",
    ]
    records = [
        lr.ULabel(name=f"{start}{i}", description=awkward[i % len(awkward)] * (1 + i % 3))
        for i in range(240)
    ]
    repo.save(records)
    stored = dict(
        repo.session.execute(
            sa.select(lr.ULabel.name, lr.ULabel.description).where(
                lr.ULabel.name.startswith(start)
            )
        ).all()
    )
    assert stored == {record.name: record.description for record in records}


@pytest.mark.sqlite_only
def test_large_batch_restores_the_page_cache(
    repo: lr.Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite: a large batch gets a bigger page cache for its insert, then the old size."""
    from lamin_registry import bulk

    monkeypatch.setattr(bulk, "_CACHE_MIN", BATCH)
    connection = repo.session.connection()
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    start = prefix()
    with statements(repo) as seen:
        repo.save(labels([f"{start}{i}" for i in range(BATCH)]))
    assert stored_count(repo, start) == BATCH
    assert connection.exec_driver_sql("PRAGMA cache_size").scalar() == before
    pragmas = [sql for sql, _ in seen if sql.startswith("PRAGMA cache_size =")]
    assert len(pragmas) == 2 and pragmas[0] == f"PRAGMA cache_size = -{bulk._CACHE_KIB}"


@pytest.mark.sqlite_only
def test_json_rows_before_sqlite_3_38(repo: lr.Repository, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without ``->>`` (SQLite < 3.38) the rows are read with ``json_extract``, as exactly."""
    dbapi = repo.session.connection().dialect.dbapi
    monkeypatch.setattr(dbapi, "sqlite_version_info", (3, 37, 2))
    start = prefix()
    records = labels([f"{start}{i}" for i in range(150)], description='a "b" \\ ü')
    with statements(repo) as seen:
        repo.save(records)
    inserts = [sql for sql, _ in seen if sql.startswith("INSERT INTO lamindb_ulabel")]
    assert len(inserts) == 1 and "json_extract(value, '$[0]')" in inserts[0]
    stored = {
        row.id: (row.uid, row.name, row.description)
        for row in repo.session.execute(
            sa.select(lr.ULabel.id, lr.ULabel.uid, lr.ULabel.name, lr.ULabel.description)
            .where(lr.ULabel.name.startswith(start))
        )
    }
    assert stored == {r.id: (r.uid, r.name, r.description) for r in records}


def test_json_rows_only_for_exact_values() -> None:
    """Floats, bytes, booleans and integers beyond 64 bits are bound row by row."""
    from lamin_registry.bulk import _json_safe

    assert _json_safe([["a", None], [1, -(2**63)], [None, None]])
    assert not _json_safe([["a", "b"], [0.5, None]])
    assert not _json_safe([[b"x", None]])
    assert not _json_safe([[True, False]])
    assert not _json_safe([[1, 2**63]])
    assert not _json_safe([[None, -(2**63) - 1]])


def test_constant_columns_are_found_exactly() -> None:
    """Columns whose values are all equal are bound once (SQLite's JSON path); one differing
    value anywhere keeps the column in the rows."""
    from lamin_registry.bulk import _constants

    same, none, varying = [7] * 9, [None] * 9, ["a"] * 9
    varying[3] = "b"
    assert _constants([same, none, varying, []]) == {0: 7, 1: None}
    for position in range(9):  # not only the first, middle and last are compared
        column = [1] * 9
        column[position] = 2
        assert _constants([column]) == {}


_PATTERN = st.sampled_from(["constant", "none", "varying", "mostly none"])


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(description=_PATTERN, reference=_PATTERN,
       text=st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12))
def test_bulk_rows_hold_each_records_values(
    repo: lr.Repository, description: str, reference: str, text: str
) -> None:
    """Whichever columns a batch varies in (the rest bound once), every stored row holds its
    own record's values: read back with SQL, compared with the objects."""

    def value(pattern: str, i: int) -> str | None:
        if pattern == "constant":
            return text
        if pattern == "none":
            return None
        if pattern == "varying":
            return f"{text}{i}"
        return text if i == 57 else None  # "mostly none": one value in the middle

    start = prefix()
    batch = [
        lr.ULabel(name=f"{start}{i}", description=value(description, i),
                  reference=value(reference, i), is_type=(i == 3))
        for i in range(120)  # above the size from which SQLite reads one JSON array
    ]
    repo.save(batch)
    table = lr.ULabel.__table__
    stored = {
        row.name: row
        for row in repo.session.execute(
            sa.select(table).where(table.c.name.startswith(start))
        )
    }
    assert len(stored) == 120
    for record in batch:
        row = stored[record.name]
        assert (row.id, row.uid, row.description, row.reference, bool(row.is_type)) == (
            record.id, record.uid, record.description, record.reference, record.is_type
        )


def test_ids_unique_and_records_persistent(repo: lr.Repository) -> None:
    start = prefix()
    records = labels([f"{start}{i}" for i in range(700)])
    saved = repo.save(records)
    assert saved == records  # new names: the very objects come back
    ids = [record.id for record in saved]
    assert all(isinstance(value, int) for value in ids)
    assert len(set(ids)) == len(ids)
    assert all(sa.inspect(record).persistent for record in saved)
    # the ids belong to the right rows
    rows = {
        row.id: row.uid
        for row in repo.session.execute(
            sa.select(lr.ULabel.id, lr.ULabel.uid).where(lr.ULabel.name.startswith(start))
        )
    }
    assert rows == {record.id: record.uid for record in saved}
    # the identity map holds them: a get returns the same object, without a second copy
    assert repo.get(lr.ULabel, saved[123].uid) is saved[123]


def test_state_after_save_matches_database(repo: lr.Repository) -> None:
    start = prefix()
    saved = repo.save(labels([f"{start}{i}" for i in range(600)], description="d"))
    record = saved[0]
    values = {key: getattr(record, key) for key in ("created_at", "updated_at", "branch_id",
                                                       "created_on_id", "space_id", "is_locked",
                                                       "is_type", "type_id", "run_id",
                                                       "description", "reference")}
    assert values["branch_id"] == 1 and values["space_id"] == 1
    assert values["is_locked"] is False and values["type_id"] is None
    assert values["created_at"].tzinfo is not None
    repo.session.expire(record)
    assert {key: getattr(record, key) for key in values} == values


def test_records_editable_after_bulk_save(repo: lr.Repository) -> None:
    start = prefix()
    saved = repo.save(labels([f"{start}{i}" for i in range(600)]))
    record = saved[7]
    before = record.updated_at
    record.description = "edited"
    repo.save(record)
    repo.session.expire(record)
    assert record.description == "edited"
    assert record.updated_at > before
    # untouched neighbours keep their timestamp
    assert saved[8].updated_at == before


def test_duplicate_uid_fails_whole_batch(repo: lr.Repository) -> None:
    existing = repo.save(lr.ULabel(name=f"{prefix()}existing"))
    start = prefix()
    batch = labels([f"{start}{i}" for i in range(599)])
    batch.insert(300, lr.ULabel(name=f"{start}clash", uid=existing.uid))
    with pytest.raises(lr.errors.IntegrityError, match="uid"):
        repo.save(batch)
    assert stored_count(repo, start) == 0
    assert all(sa.inspect(record).transient for record in batch)
    # the session is usable afterwards, and the same records save once fixed
    batch.pop(300)
    repo.save(batch)
    assert stored_count(repo, start) == 599


@pytest.mark.parametrize("count", [600, 1_200])  # 1,200: handed over to the enclosing one
def test_rolled_back_savepoint_makes_records_transient(repo: lr.Repository, count: int) -> None:
    start = prefix()
    records = labels([f"{start}{i}" for i in range(count)])
    savepoint = repo.session.begin_nested()
    repo.save(records)
    assert all(sa.inspect(record).persistent for record in records)
    savepoint.rollback()
    assert all(sa.inspect(record).transient for record in records)
    assert stored_count(repo, start) == 0
    repo.save(records)  # and they save again
    assert stored_count(repo, start) == count


def test_created_by_is_the_acting_user(repo: lr.Repository) -> None:
    bob = lr.Repository(repo.session, user="bob")  # the embedding form, on the test's session
    start = prefix()
    saved = bob.save(labels([f"{start}{i}" for i in range(600)]))
    assert bob.user.handle == "bob" and bob.user_id not in (None, repo.user_id)
    assert {record.created_by_id for record in saved} == {bob.user_id}
    stored = set(
        bob.session.scalars(
            sa.select(lr.ULabel.created_by_id).where(lr.ULabel.name.startswith(start))
        )
    )
    assert stored == {bob.user_id}


def test_run_id_stamped_inside_track(repo: lr.Repository) -> None:
    start = prefix()
    transform = repo.save(lr.Transform(key=f"{start}script.py"))
    with repo.track(transform) as run:
        saved = repo.save(labels([f"{start}{i}" for i in range(600)]))
    assert {record.run_id for record in saved} == {run.id}
    outside = repo.save(labels([f"{start}after{i}" for i in range(600)]))
    assert {record.run_id for record in outside} == {None}


def test_name_dedupe_within_batch_and_against_database(repo: lr.Repository) -> None:
    start = prefix()
    stored = repo.save(lr.ULabel(name=f"{start}known"))
    batch = labels([f"{start}{i}" for i in range(600)])
    batch += [lr.ULabel(name=f"{start}known"), lr.ULabel(name=f"{start}twice"),
              lr.ULabel(name=f"{start}twice")]
    saved = repo.save(batch)
    assert saved[600] is stored
    assert saved[601] is saved[602] is batch[601]
    assert saved[601].id is not None
    assert stored_count(repo, start) == 600 + 2
    assert repo.filter(lr.ULabel, name=f"{start}twice").count() == 1


def test_mixed_new_and_existing_records(repo: lr.Repository) -> None:
    start = prefix()
    old = repo.save(labels([f"{start}old{i}" for i in range(3)]))
    old[1].description = "changed"
    batch: list[lr.ULabel] = [*labels([f"{start}new{i}" for i in range(600)]), *old]
    saved = repo.save(batch)
    assert saved == batch
    assert all(sa.inspect(record).persistent for record in saved)
    assert stored_count(repo, start) == 603
    description = repo.session.scalar(
        sa.select(lr.ULabel.description).where(lr.ULabel.id == old[1].id)
    )
    assert description == "changed"


def test_to_one_relationships_resolved(repo: lr.Repository) -> None:
    start = prefix()
    kind = repo.save(lr.ULabel(name=f"{start}Type", is_type=True))
    saved = repo.save(labels([f"{start}{i}" for i in range(600)], type=kind))
    assert {record.type_id for record in saved} == {kind.id}
    assert repo.filter(lr.ULabel, type__name=f"{start}Type").count() == 600
    # the reverse collection of the type lists each label exactly once
    children = kind.ulabels
    assert len(children) == 600 and len({id(child) for child in children}) == 600


def test_records_that_need_the_unit_of_work(repo: lr.Repository) -> None:
    start = prefix()
    parent = repo.save(lr.ULabel(name=f"{start}parent"))
    unsaved_type = lr.ULabel(name=f"{start}NewType", is_type=True)
    batch = labels([f"{start}{i}" for i in range(600)])
    batch.append(lr.ULabel(name=f"{start}child", parents=[parent]))
    batch.append(lr.ULabel(name=f"{start}typed", type=unsaved_type))
    saved = repo.save(batch)
    assert all(sa.inspect(record).persistent for record in saved)
    assert sa.inspect(unsaved_type).persistent
    assert [child.name for child in repo.filter(lr.ULabel, parents__name=f"{start}parent")] == [
        f"{start}child"
    ]
    assert repo.get(lr.ULabel, name=f"{start}typed").type_id == unsaved_type.id
    assert stored_count(repo, start) == 600 + 4


def test_json_null_versus_sql_null(repo: lr.Repository) -> None:
    start = prefix()
    batch = labels([f"{start}{i}" for i in range(600)])
    batch[5].aux = {"source": "bulk"}
    repo.save(batch)
    aux = lr.ULabel._aux
    in_batch = lr.ULabel.name.startswith(start)
    assert repo.session.scalar(
        sa.select(sa.func.count()).where(in_batch, aux.is_(None))
    ) == 599
    repo.session.expire(batch[5])
    assert batch[5].aux == {"source": "bulk"}


def test_bulk_rows_equal_orm_rows(repo: lr.Repository) -> None:
    """A row written by the bulk path reads back like one written by a plain flush."""
    start = prefix()
    bulk = repo.save(labels([f"{start}{i}" for i in range(600)], reference="r"))[0]
    single = lr.ULabel(name=f"{start}orm", reference="r")
    repo.session.add(single)
    repo.session.flush()
    columns = [c for c in lr.ULabel.__table__.columns
               if c.name not in ("id", "uid", "name", "created_at", "updated_at")]
    rows = repo.session.execute(
        sa.select(*columns).where(lr.ULabel.id.in_([bulk.id, single.id])).order_by(lr.ULabel.id)
    ).all()
    assert rows[0] == rows[1]


def test_bulk_rows_on_a_named_branch_equal_orm_rows(repo: lr.Repository) -> None:
    start = prefix()
    branch = repo.create_branch(f"{start}branch")
    repo.switch_branch(branch)
    transform = repo.save(lr.Transform(key=f"{start}script.py"))
    with repo.track(transform):
        bulk = repo.save(labels([f"{start}{i}" for i in range(600)]))[0]
        single = lr.ULabel(name=f"{start}orm")
        repo.session.add(single)
        repo.session.flush()
    assert bulk.branch_id == bulk.created_on_id == branch.id
    columns = [c for c in lr.ULabel.__table__.columns
               if c.name not in ("id", "uid", "name", "created_at", "updated_at")]
    rows = repo.session.execute(
        sa.select(*columns).where(lr.ULabel.id.in_([bulk.id, single.id])).order_by(lr.ULabel.id)
    ).all()
    assert rows[0] == rows[1]
    # visible on the branch, as records created there are
    assert repo.filter(lr.ULabel, name__startswith=start).count() == 601


def test_records_already_pending_in_the_session(repo: lr.Repository) -> None:
    start = prefix()
    batch = labels([f"{start}{i}" for i in range(600)])
    repo.session.add(batch[10])  # the host added one itself
    saved = repo.save(batch)
    assert all(sa.inspect(record).persistent for record in saved)
    assert stored_count(repo, start) == 600
    assert len({record.id for record in saved}) == 600


def _interleaving_trigger(repo: lr.Repository, when_name: str, intruder: str) -> None:
    """A trigger that inserts one more label when the batch reaches ``when_name``."""
    columns = ("uid, name, branch_id, created_on_id, space_id, is_locked, is_type, created_at, "
               "created_by_id, updated_at")
    false = "0" if repo.dialect == "sqlite" else "false"
    values = (f"'intrude1', '{intruder}', 1, 1, 1, {false}, {false}, CURRENT_TIMESTAMP, 1, "
              "CURRENT_TIMESTAMP")
    connection = repo.session.connection()
    if repo.dialect == "sqlite":
        connection.exec_driver_sql(
            f"CREATE TEMP TRIGGER lr_test_interleave AFTER INSERT ON main.lamindb_ulabel "
            f"WHEN new.name = '{when_name}' BEGIN "
            f"INSERT INTO lamindb_ulabel ({columns}) VALUES ({values}); END"
        )
    else:
        connection.exec_driver_sql(
            "CREATE FUNCTION lr_test_interleave() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN INSERT INTO lamindb_ulabel ({columns}) VALUES ({values}); RETURN NULL; "
            "END $$"
        )
        connection.exec_driver_sql(
            "CREATE TRIGGER lr_test_interleave AFTER INSERT ON lamindb_ulabel FOR EACH ROW "
            f"WHEN (NEW.name = '{when_name}') EXECUTE FUNCTION lr_test_interleave()"
        )


@pytest.mark.parametrize("before", [1, 1_500])  # fewer new records than the batch, or more
def test_rollback_after_a_bulk_save_with_earlier_new_records(
    repo: lr.Repository, before: int
) -> None:
    """The hand-over of a bulk save's new records to the enclosing transaction keeps that
    transaction's own new records: a rollback makes both transient."""
    start = prefix()
    savepoint = repo.session.begin_nested()
    earlier = repo.save(labels([f"{start}a{i}" for i in range(before)]))
    later = repo.save(labels([f"{start}b{i}" for i in range(1_200)]))
    assert stored_count(repo, start) == before + 1_200
    savepoint.rollback()
    assert all(sa.inspect(record).transient for record in earlier + later)
    assert stored_count(repo, start) == 0


def test_ids_right_when_another_row_lands_inside_the_batch(repo: lr.Repository) -> None:
    """The ids come back right even when the new rows' ids are not contiguous."""
    start = prefix()
    _interleaving_trigger(repo, f"{start}300", f"{start}intruder")
    try:
        saved = repo.save(labels([f"{start}{i}" for i in range(600)]))
        rows = {
            row.id: row.uid
            for row in repo.session.execute(
                sa.select(lr.ULabel.id, lr.ULabel.uid).where(lr.ULabel.name.startswith(start))
            )
        }
        assert len(rows) == 601
        assert {record.id: record.uid for record in saved}.items() <= rows.items()
        intruder = [row_id for row_id, uid in rows.items() if uid == "intrude1"]
        assert intruder and intruder[0] not in {record.id for record in saved}
    finally:
        connection = repo.session.connection()
        connection.exec_driver_sql(
            "DROP TRIGGER IF EXISTS lr_test_interleave"
            + ("" if repo.dialect == "sqlite" else " ON lamindb_ulabel")
        )
        if repo.dialect != "sqlite":
            connection.exec_driver_sql("DROP FUNCTION IF EXISTS lr_test_interleave()")
