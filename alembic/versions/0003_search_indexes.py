"""search indexes: trigram candidate generation for search

Revision ID: 0003_search_indexes
Revises: 0002_access
Create Date: 2026-11-25 07:00:00

PostgreSQL: the ``pg_trgm`` extension and a GIN ``gin_trgm_ops`` index per searchable column.
SQLite: an FTS5 ``trigram`` table per registry (external content: it stores only the index,
rows are read from the registry) kept in sync by three triggers, plus the same index names
as PostgreSQL created empty (``WHERE 0``) so the schema matches the models on both backends.

Frozen: this file must not import lamin_registry; the columns are spelled out below.
Caution for later SQLite migrations: a batch (copy-and-move) migration of one of these tables
drops its triggers; re-create them (``_create_fts`` of this file shows the statements).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_search_indexes"
down_revision: str | Sequence[str] | None = "0002_access"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCH_COLUMNS: dict[str, tuple[str, ...]] = {
    "lamindb_feature": ("name", "synonyms"),
    "lamindb_schema": ("name",),
    "lamindb_ulabel": ("name",),
    "lamindb_record": ("name",),
    "lamindb_project": ("name",),
    "lamindb_reference": ("name",),
    "lamindb_user": ("handle",),
}


def _fts_name(table: str) -> str:
    return "lamin_registry_search_" + table.removeprefix("lamindb_")


def _create_fts(table: str, columns: tuple[str, ...]) -> None:
    fts = _fts_name(table)
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    op.execute(
        f"CREATE VIRTUAL TABLE {fts} USING fts5({cols}, content='{table}', "
        "content_rowid='id', tokenize='trigram')"
    )
    op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")
    op.execute(
        f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END"
    )
    op.execute(
        f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); END"
    )
    op.execute(
        f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {cols} ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); "
        f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END"
    )


def _drop_fts(table: str) -> None:
    fts = _fts_name(table)
    for suffix in ("ai", "ad", "au"):
        op.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
    op.execute(f"DROP TABLE IF EXISTS {fts}")


def upgrade() -> None:
    sqlite = op.get_context().dialect.name == "sqlite"
    if not sqlite:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, columns in SEARCH_COLUMNS.items():
        for column in columns:
            op.create_index(
                f"ix_{table}_{column}_trgm",
                table,
                [column],
                unique=False,
                postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"},
                sqlite_where=sa.text("0"),
            )
        if sqlite:
            _create_fts(table, columns)


def downgrade() -> None:
    sqlite = op.get_context().dialect.name == "sqlite"
    for table, columns in SEARCH_COLUMNS.items():
        if sqlite:
            _drop_fts(table)
        for column in columns:
            op.drop_index(f"ix_{table}_{column}_trgm", table_name=table)
    # pg_trgm stays: other objects of the database may use it
