"""The search index stays exact whoever writes: bulk saves, edits, deletes, raw SQL.

SQLite keeps an FTS5 trigram table per registry in sync by triggers, except that a large bulk
save indexes its rows with one statement (``bulk._SearchIndexDeferred``); PostgreSQL indexes
with GIN ``pg_trgm`` indexes, which the server maintains. Each test compares the index with
the table after the writes: on SQLite term by term (``fts5vocab``: every trigram of every
row, and nothing else), on both backends by searching for the names written and removed.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa

import lamin_registry as lr
from lamin_registry.bulk import _DEFER_MIN
from lamin_registry.models.search_index import SEARCH_COLUMNS, fts_table_name

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def tag() -> str:
    return uuid.uuid4().hex[:6]


def trigrams(text: str) -> set[str]:
    folded = text.lower()
    return {folded[i : i + 3] for i in range(len(folded) - 2)}


def assert_index_exact(repo: lr.Repository, model: type) -> None:
    """SQLite: the FTS5 table holds exactly the trigrams of every row's indexed columns."""
    if repo.dialect != "sqlite":
        return
    table = sa.inspect(model).local_table.name
    fts = fts_table_name(table)
    columns = SEARCH_COLUMNS[table]
    connection = repo.session.connection()
    connection.exec_driver_sql(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.vocab_{fts} "
        f"USING fts5vocab(main, {fts}, instance)"
    )
    got = set(connection.exec_driver_sql(f"SELECT doc, col, term FROM temp.vocab_{fts}").all())
    expected: set[tuple[Any, ...]] = set()
    rows = connection.exec_driver_sql(f"SELECT id, {', '.join(columns)} FROM {table}").all()
    for row in rows:
        for column, text in zip(columns, row[1:], strict=True):
            if text:
                expected |= {(row[0], column, gram) for gram in trigrams(text)}
    assert got == expected
    connection.exec_driver_sql(f"INSERT INTO {fts}({fts}) VALUES ('integrity-check')")


def assert_trigger_present(repo: lr.Repository, model: type) -> None:
    if repo.dialect != "sqlite":
        return
    fts = fts_table_name(sa.inspect(model).local_table.name)
    names = set(
        repo.session.connection()
        .exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        .scalars()
    )
    assert {f"{fts}_ai", f"{fts}_ad", f"{fts}_au"} <= names


def found(repo: lr.Repository, model: type, text: str) -> list[Any]:
    """Ids of the records whose name or synonym equals ``text`` (score 100)."""
    result = repo.search(model, text, limit=50)
    return [record.id for record, score in zip(result, result.scores, strict=True) if score == 100]


@pytest.mark.parametrize("count", [3, _DEFER_MIN, 3 * _DEFER_MIN + 7])
def test_bulk_save_indexes_every_row(repo: lr.Repository, count: int) -> None:
    t = tag()
    labels = repo.save([lr.ULabel(name=f"bulkidx {t} {i}") for i in range(count)])
    assert_trigger_present(repo, lr.ULabel)
    assert_index_exact(repo, lr.ULabel)
    for label in (labels[0], labels[count // 2], labels[-1]):
        assert found(repo, lr.ULabel, label.name) == [label.id]


def test_bulk_save_of_features_indexes_name_and_synonyms(repo: lr.Repository) -> None:
    t = tag()
    features = repo.save([
        lr.Feature(name=f"featidx {t} {i}", dtype="int", synonyms=f"alias{t}{i}|other{t}{i}")
        for i in range(_DEFER_MIN + 5)
    ])
    assert_index_exact(repo, lr.Feature)
    assert found(repo, lr.Feature, f"alias{t}7") == [features[7].id]
    assert found(repo, lr.Feature, f"other{t}{_DEFER_MIN}") == [features[_DEFER_MIN].id]


def test_failed_bulk_save_leaves_index_and_trigger(repo: lr.Repository) -> None:
    t = tag()
    first = repo.save(lr.ULabel(name=f"failidx {t} taken"))
    records = [lr.ULabel(name=f"failidx {t} {i}") for i in range(_DEFER_MIN + 10)]
    records[-1].uid = first.uid  # a unique violation in the middle of the executemany
    with pytest.raises(lr.errors.IntegrityError):
        repo.save(records)
    assert_trigger_present(repo, lr.ULabel)
    assert_index_exact(repo, lr.ULabel)
    assert found(repo, lr.ULabel, f"failidx {t} 3") == []
    later = repo.save(lr.ULabel(name=f"failidx {t} after"))  # the trigger still indexes
    assert found(repo, lr.ULabel, later.name) == [later.id]
    assert_index_exact(repo, lr.ULabel)


def test_renames_synonyms_and_deletes(repo: lr.Repository) -> None:
    t = tag()
    labels = repo.save([lr.ULabel(name=f"editidx {t} {i}") for i in range(_DEFER_MIN + 1)])
    renamed = labels[5]
    renamed.name = f"renamedidx {t}"
    repo.save(renamed)
    feature = repo.save(lr.Feature(name=f"synidx {t}", dtype="str"))
    repo.add_synonym(feature, f"first{t}")
    repo.add_synonym(feature, f"second{t}")
    repo.remove_synonym(feature, f"first{t}")
    repo.delete(labels[6], permanent=True)
    repo.delete(repo.filter(lr.ULabel, name__startswith=f"editidx {t} 1"), permanent=True)
    repo.delete(labels[2])  # to trash: still indexed, hidden by the branch filter
    assert_index_exact(repo, lr.ULabel)
    assert_index_exact(repo, lr.Feature)
    assert found(repo, lr.ULabel, f"renamedidx {t}") == [renamed.id]
    assert found(repo, lr.ULabel, f"editidx {t} 5") == []
    assert found(repo, lr.ULabel, f"editidx {t} 6") == []
    assert found(repo, lr.ULabel, f"editidx {t} 17") == []
    assert found(repo, lr.ULabel, f"editidx {t} 20") == [labels[20].id]
    assert found(repo, lr.Feature, f"second{t}") == [feature.id]
    assert found(repo, lr.Feature, f"first{t}") == []


def test_raw_sql_and_host_session_writes(repo: lr.Repository) -> None:
    t = tag()
    session = repo.session
    session.add(lr.ULabel(name=f"hostidx {t}"))  # a host application's plain ORM write
    session.flush()
    connection = session.connection()
    table = lr.ULabel.__table__
    connection.execute(
        table.insert(),
        [
            {"uid": f"{t[:3]}{i:05d}", "name": f"rawidx {t} {i}", "created_by_id": 1}
            for i in range(_DEFER_MIN + 3)
        ],
    )
    connection.execute(
        table.update().where(table.c.name == f"rawidx {t} 1").values(name=f"rawrenamed {t}")
    )
    connection.execute(table.delete().where(table.c.name == f"rawidx {t} 2"))
    connection.execute(sa.text(
        "UPDATE lamindb_ulabel SET name = name || ' x' WHERE name = :n"
    ), {"n": f"rawidx {t} 3"})
    assert_index_exact(repo, lr.ULabel)
    host = session.scalars(sa.select(lr.ULabel).where(lr.ULabel.name == f"hostidx {t}")).one()
    assert found(repo, lr.ULabel, f"hostidx {t}") == [host.id]
    assert len(found(repo, lr.ULabel, f"rawrenamed {t}")) == 1
    assert found(repo, lr.ULabel, f"rawidx {t} 1") == []
    assert found(repo, lr.ULabel, f"rawidx {t} 2") == []
    assert len(found(repo, lr.ULabel, f"rawidx {t} 3 x")) == 1
    assert len(found(repo, lr.ULabel, f"rawidx {t} 4")) == 1
    # a bulk save after foreign writes still indexes exactly its own rows
    labels = repo.save([lr.ULabel(name=f"afterraw {t} {i}") for i in range(_DEFER_MIN)])
    assert_index_exact(repo, lr.ULabel)
    assert found(repo, lr.ULabel, labels[-1].name) == [labels[-1].id]


def test_bulk_save_in_chunks(repo: lr.Repository, monkeypatch: pytest.MonkeyPatch) -> None:
    from lamin_registry import bulk

    monkeypatch.setattr(bulk, "_INSERT_CHUNK", 2 * _DEFER_MIN)
    t = tag()
    labels = repo.save([lr.ULabel(name=f"chunkidx {t} {i}") for i in range(5 * _DEFER_MIN + 3)])
    stored = dict(
        repo.session.execute(
            sa.select(lr.ULabel.id, lr.ULabel.name).where(lr.ULabel.name.like(f"chunkidx {t} %"))
        ).all()
    )
    assert {label.id: label.name for label in labels} == stored
    assert_trigger_present(repo, lr.ULabel)
    assert_index_exact(repo, lr.ULabel)
    assert found(repo, lr.ULabel, labels[-1].name) == [labels[-1].id]


# -- PostgreSQL: rows inserted by COPY (bulk_copy), the GIN index against a scan ---------------


def planner(repo: lr.Repository, **settings: str) -> None:
    for name, value in settings.items():
        repo.session.execute(
            sa.text("SELECT set_config(:n, :v, true)"), {"n": f"enable_{name}", "v": value}
        )


def pg_ids(repo: lr.Repository, where: str, params: dict[str, Any], index: bool) -> set[int]:
    """Ids of ``lamindb_ulabel`` rows matching ``where``, read through the GIN trigram index
    (``index``; the plan is checked) or by a scan of the table."""
    if index:
        planner(repo, seqscan="off", indexscan="on", bitmapscan="on")
    else:
        planner(repo, seqscan="on", indexscan="off", bitmapscan="off")
    sql = f"SELECT id FROM lamindb_ulabel WHERE {where}"
    plan = "\n".join(repo.session.execute(sa.text(f"EXPLAIN {sql}"), params).scalars())
    assert ("ix_lamindb_ulabel_name_trgm" in plan) == index, plan
    ids = set(repo.session.execute(sa.text(sql), params).scalars())
    planner(repo, seqscan="on", indexscan="on", bitmapscan="on")
    return ids


def assert_gin_agrees(repo: lr.Repository, texts: list[str]) -> None:
    """PostgreSQL: for each text, ``ILIKE '%text%'`` and ``%`` (similarity) find the same rows
    through the trigram index as by scanning the table."""
    for text in texts:
        for where, params in (
            ("name ILIKE :p", {"p": f"%{text}%"}),
            ("name % :q", {"q": text}),
        ):
            assert pg_ids(repo, where, params, True) == pg_ids(repo, where, params, False), where


def copies(monkeypatch: pytest.MonkeyPatch) -> list[tuple[bool, int]]:
    """Record each COPY of :mod:`lamin_registry.bulk_copy` as (through a temp table, rows)."""
    from lamin_registry import bulk_copy

    seen: list[tuple[bool, int]] = []
    original = bulk_copy.Copier.insert

    def insert(self: Any, names: Any, rows: list[Any]) -> list[int]:
        seen.append((self.via_temp, len(rows)))
        return original(self, names, rows)

    monkeypatch.setattr(bulk_copy.Copier, "insert", insert)
    return seen


@pytest.mark.postgres_only  # the COPY path and GIN trigram indexes
def test_pg_copy_bulk_save_is_in_the_trigram_index(
    repo: lr.Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lamin_registry.bulk import _COPY_MIN

    seen = copies(monkeypatch)
    t = tag()
    count = 3 * _COPY_MIN + 7
    labels = repo.save([lr.ULabel(name=f"copyidx {t} {i:04d}") for i in range(count)])
    assert seen == [(False, count)]
    stored = dict(repo.session.execute(sa.text(
        "SELECT id, name FROM lamindb_ulabel WHERE name LIKE :p"), {"p": f"copyidx {t} %"}
    ).all())
    assert stored == {label.id: label.name for label in labels}
    assert len(set(stored)) == count
    repo.session.execute(sa.text("ANALYZE lamindb_ulabel"))
    assert_gin_agrees(repo, [f"copyidx {t}", f"{t} 01", f"{t} 0299", "0307", f"copyidx {t} 0"])
    for label in (labels[0], labels[count // 2], labels[-1]):
        assert found(repo, lr.ULabel, label.name) == [label.id]
    # the sequence moved past the copied ids: the next ORM insert gets a fresh one
    later = repo.save(lr.ULabel(name=f"copyidx {t} later"))
    assert later.id > max(stored)


@pytest.mark.postgres_only  # the COPY path and GIN trigram indexes
def test_pg_failed_copy_writes_nothing(
    repo: lr.Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lamin_registry.bulk import _COPY_MIN

    seen = copies(monkeypatch)
    t = tag()
    first = repo.save(lr.ULabel(name=f"copyfail {t} taken"))
    records = [lr.ULabel(name=f"copyfail {t} {i}") for i in range(_COPY_MIN + 10)]
    records[-1].uid = first.uid  # a unique violation in the last row of the COPY
    with pytest.raises(lr.errors.IntegrityError, match="uid"):
        repo.save(records)
    assert seen == [(False, _COPY_MIN + 10)]
    assert all(sa.inspect(record).transient for record in records)
    assert found(repo, lr.ULabel, f"copyfail {t} 3") == []
    assert_gin_agrees(repo, [f"copyfail {t}"])
    again = repo.save([lr.ULabel(name=f"copyfail {t} {i}") for i in range(_COPY_MIN)])
    assert found(repo, lr.ULabel, again[-1].name) == [again[-1].id]


def test_rolled_back_bulk_save_leaves_no_terms(repo: lr.Repository) -> None:
    """Rolled back by the caller's savepoint, after the save's own savepoint was released
    (1,200 records: the new objects were handed to the caller's transaction)."""
    t = tag()
    kept = repo.save(lr.ULabel(name=f"rollidx {t} kept"))
    savepoint = repo.session.begin_nested()
    repo.save([lr.ULabel(name=f"rollidx {t} {i}") for i in range(1_200)])
    savepoint.rollback()
    assert_trigger_present(repo, lr.ULabel)
    assert_index_exact(repo, lr.ULabel)
    assert found(repo, lr.ULabel, f"rollidx {t} 7") == []
    assert found(repo, lr.ULabel, kept.name) == [kept.id]


def test_bulk_save_with_stored_names_and_many_edits(repo: lr.Repository) -> None:
    """A batch where some names are stored already (no second row, no second index entry),
    then many existing records renamed in one save and by one set-based statement."""
    t = tag()
    stored = repo.save([lr.ULabel(name=f"mixidx {t} {i}") for i in range(10)])
    batch = repo.save([lr.ULabel(name=f"mixidx {t} {i}") for i in range(_DEFER_MIN + 10)])
    assert batch[:10] == stored
    assert_index_exact(repo, lr.ULabel)
    for label in batch[:_DEFER_MIN]:
        label.name = f"{label.name} renamed"
    repo.save(batch[:_DEFER_MIN])  # existing records: one flush, the update trigger per row
    connection = repo.session.connection()
    connection.execute(  # a set-based rename by raw SQL
        sa.text(
            "UPDATE lamindb_ulabel SET name = replace(name, 'mixidx', 'mixed') "
            "WHERE name LIKE :pattern"
        ),
        {"pattern": f"mixidx {t} %"},
    )
    assert_index_exact(repo, lr.ULabel)
    assert found(repo, lr.ULabel, f"mixidx {t} 3") == []
    assert found(repo, lr.ULabel, f"mixed {t} 3 renamed") == [batch[3].id]
    last = batch[_DEFER_MIN + 9]
    assert found(repo, lr.ULabel, f"mixed {t} {_DEFER_MIN + 9}") == [last.id]


def test_trash_and_restore_many(repo: lr.Repository) -> None:
    t = tag()
    labels = repo.save([lr.ULabel(name=f"trashidx {t} {i}") for i in range(_DEFER_MIN)])
    repo.delete(repo.filter(lr.ULabel, name__startswith=f"trashidx {t} "))
    assert_index_exact(repo, lr.ULabel)  # trash keeps its rows, so its terms
    assert found(repo, lr.ULabel, labels[4].name) == []  # hidden by the branch filter
    repo.restore(repo.filter(lr.ULabel, name__startswith=f"trashidx {t} ", branch_id=-1))
    assert_index_exact(repo, lr.ULabel)
    assert found(repo, lr.ULabel, labels[4].name) == [labels[4].id]


def test_search_after_writes_sees_them(repo: lr.Repository) -> None:
    """Searches between writes (the in-process copy of the texts, SQLite, is re-read when
    the data changed): every kind of write shows in the next search."""
    t = tag()
    labels = repo.save([lr.ULabel(name=f"seeidx {t} {i}") for i in range(_DEFER_MIN)])
    for _ in range(2):  # the copy is built on the second search of unchanged data
        assert found(repo, lr.ULabel, labels[1].name) == [labels[1].id]
    more = repo.save([lr.ULabel(name=f"seeidx {t} more {i}") for i in range(_DEFER_MIN)])
    assert found(repo, lr.ULabel, more[-1].name) == [more[-1].id]
    labels[2].name = f"seeidx {t} renamed"
    repo.save(labels[2])
    assert found(repo, lr.ULabel, f"seeidx {t} renamed") == [labels[2].id]
    assert found(repo, lr.ULabel, f"seeidx {t} 2") == []
    repo.session.connection().execute(
        sa.text("DELETE FROM lamindb_ulabel WHERE name = :name"), {"name": f"seeidx {t} 3"}
    )
    assert found(repo, lr.ULabel, f"seeidx {t} 3") == []
    assert_index_exact(repo, lr.ULabel)
