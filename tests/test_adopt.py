"""Adoption rules that need no lamindb installed (the full proof: test_lamindb_interop.py).

A database "created by lamindb" is recognised by lamindb's rows in ``django_migrations``;
here that table is written by hand, with levels lamin_registry does and does not know.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import lamin_registry as lr
from lamin_registry import adopt
from lamin_registry.cli import main


def django_migrations(url: str, *names: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TABLE django_migrations (id integer PRIMARY KEY, app varchar(255), "
            "name varchar(255), applied timestamp)"
        )
        for number, name in enumerate(names, start=1):
            connection.execute(
                sa.text("INSERT INTO django_migrations (id, app, name) VALUES (:i, 'lamindb', :n)"),
                {"i": number, "n": name},
            )
    engine.dispose()


def tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_levels() -> None:
    assert adopt.lamindb_level(["0177_squashed", "0193_v2_9_part_2", "0193_squashed"]) == [
        "0193_squashed", "0193_v2_9_part_2"
    ]
    assert set(adopt.lamindb_level(["0192_v2_9", "0194_new"])) == {"0194_new"}


def test_an_unknown_lamindb_level_is_refused_and_nothing_changes(fresh_url: str) -> None:
    django_migrations(fresh_url, "0193_squashed", "0194_from_the_future")
    before = tables(fresh_url)
    with pytest.raises(lr.errors.SchemaOutOfDate, match="0194_from_the_future"):
        lr.connect(fresh_url)
    with pytest.raises(lr.errors.SchemaOutOfDate, match="0194_from_the_future"):
        adopt.adopt(fresh_url, dry_run=True)
    assert tables(fresh_url) == before


def test_connect_without_migrate_changes_nothing(fresh_url: str) -> None:
    django_migrations(fresh_url, "0193_squashed")
    before = tables(fresh_url)
    with pytest.raises(lr.errors.SchemaOutOfDate, match="created by lamindb"):
        lr.connect(fresh_url, migrate=False)
    assert tables(fresh_url) == before
    if fresh_url.startswith("sqlite"):
        engine = sa.create_engine(fresh_url)
        with engine.connect() as connection:
            mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
        engine.dispose()
        assert mode != "wal"


def test_adopt_refuses_a_database_lamindb_did_not_create(
    fresh_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    lr.connect(fresh_url).close()  # a lamin_registry database
    with pytest.raises(lr.errors.SchemaOutOfDate, match="not created by lamindb"):
        adopt.adopt(fresh_url)
    assert main(["adopt", fresh_url, "--dry-run"]) == 1
    assert "not created by lamindb" in capsys.readouterr().err


def test_structural_check_matches_unique_keys_as_sets() -> None:
    metadata = sa.MetaData()
    table = sa.Table("t", metadata, sa.Column("a", sa.Integer), sa.Column("b", sa.Integer))
    ours = sa.UniqueConstraint(table.c.a, table.c.b, name="uq_t_a_b")
    theirs = sa.Index("t_b_a_1234_uniq", table.c.b, table.c.a, unique=True)
    assert adopt._key("add_constraint", ours) == adopt._key("remove_index", theirs)
