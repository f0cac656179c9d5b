"""visibility indexes: a composite (space_id, branch_id) index on every registry with both

Revision ID: 0005_visibility_indexes
Revises: 0004_rls
Create Date: 2026-12-07 02:40:00

Every read filters ``branch_id IN (...)`` and, for a user who cannot read every space,
``space_id IN (...)``. With one index per column a restricted ``count()`` is answered through
the ``space_id`` index plus a table look-up per row for ``branch_id``; the composite index
answers it alone (a covering scan), on both backends.

SQLite: without statistics the planner would take the composite index as selective and
prefer it over ``name = ?``; a ``sqlite_stat1`` row (as ``connect`` writes for the
single-column branch/space indexes) says it is not. A later ``ANALYZE`` replaces it.

Frozen: this file must not import lamin_registry; the tables are spelled out below.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005_visibility_indexes"
down_revision: str | Sequence[str] | None = "0004_rls"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "lamindb_artifact",
    "lamindb_collection",
    "lamindb_feature",
    "lamindb_jsonvalue",
    "lamindb_project",
    "lamindb_record",
    "lamindb_reference",
    "lamindb_run",
    "lamindb_schema",
    "lamindb_storage",
    "lamindb_transform",
    "lamindb_ulabel",
)
# rows per (space, branch) for SQLite's planner: as unselective as the single-column indexes
SQLITE_STAT = "1000000 250000 250000"


def index_name(table: str) -> str:
    return f"ix_{table}_space_id_branch_id"


def upgrade() -> None:
    sqlite = op.get_context().dialect.name == "sqlite"
    for table in TABLES:
        op.create_index(index_name(table), table, ["space_id", "branch_id"], unique=False)
    if sqlite:
        op.execute("ANALYZE sqlite_schema")  # creates sqlite_stat1 if missing
        for table in TABLES:
            name = index_name(table)
            op.execute(f"DELETE FROM sqlite_stat1 WHERE tbl = '{table}' AND idx = '{name}'")
            op.execute(
                f"INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('{table}', '{name}', "
                f"'{SQLITE_STAT}')"
            )
        op.execute("ANALYZE sqlite_schema")  # reload the statistics


def downgrade() -> None:
    sqlite = op.get_context().dialect.name == "sqlite"
    for table in TABLES:
        op.drop_index(index_name(table), table_name=table)
        if sqlite:
            op.execute(
                f"DELETE FROM sqlite_stat1 WHERE tbl = '{table}' AND idx = '{index_name(table)}'"
            )
