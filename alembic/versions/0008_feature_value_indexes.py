"""feature value indexes: numeric Record feature predicates answered from an index

Revision ID: 0008_feature_value_indexes
Revises: 0007_blocks
Create Date: 2026-12-07 06:30:00

``filter(Record, age > 40)`` compares the number inside ``lamindb_recordjson.value`` (JSON).
Without an index on that expression each predicate reads every value row of its feature.
``ix_lamindb_recordjson_feature_id_number_record_id`` on ``(feature_id, <number>,
record_id)`` turns it into a range scan that yields the record ids without reading the table.
``<number>`` must be written exactly as the queries write it
(``lamin_registry/models/value_index.py``):

* SQLite: ``(CASE WHEN json_type(value) IN ('integer', 'real') THEN json_extract(value,
  '$') ELSE NULL END)``;
* PostgreSQL: ``(CASE WHEN jsonb_typeof(value) = 'number' THEN (value #>> '{}')::numeric
  ELSE NULL END)``.

Values that are not JSON numbers index as NULL (on PostgreSQL a cast of their text would
fail while the index is written).

SQLite: a ``sqlite_stat1`` row says that ``feature_id = ?`` alone is as unselective on this
index as on ``ix_lamindb_recordjson_feature_id`` (``connect`` writes that one), so the
planner keeps ``(record_id, feature_id)`` for a record's values. A later ``ANALYZE``
replaces it.

Frozen: this file must not import lamin_registry; the SQL is spelled out below.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008_feature_value_indexes"
down_revision: str | Sequence[str] | None = "0007_blocks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "lamindb_recordjson"
INDEX = "ix_lamindb_recordjson_feature_id_number_record_id"
NUMBER = {
    "sqlite": (
        "(CASE WHEN json_type(value) IN ('integer', 'real') THEN json_extract(value, '$') "
        "ELSE NULL END)"
    ),
    "postgresql": (
        "(CASE WHEN jsonb_typeof(value) = 'number' THEN (value #>> '{}')::numeric ELSE NULL END)"
    ),
}
# rows per feature_id, per (feature_id, number), per (feature_id, number, record_id)
SQLITE_STAT = "1000000 250000 10 1"


def upgrade() -> None:
    dialect = op.get_context().dialect.name
    op.execute(f"CREATE INDEX {INDEX} ON {TABLE} (feature_id, {NUMBER[dialect]}, record_id)")
    if dialect == "sqlite":
        op.execute("ANALYZE sqlite_schema")  # creates sqlite_stat1 if missing
        op.execute(f"DELETE FROM sqlite_stat1 WHERE tbl = '{TABLE}' AND idx = '{INDEX}'")
        op.execute(
            f"INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('{TABLE}', '{INDEX}', "
            f"'{SQLITE_STAT}')"
        )
        op.execute("ANALYZE sqlite_schema")  # reload the statistics


def downgrade() -> None:
    op.drop_index(INDEX, table_name=TABLE)
    if op.get_context().dialect.name == "sqlite":
        op.execute(f"DELETE FROM sqlite_stat1 WHERE tbl = '{TABLE}' AND idx = '{INDEX}'")
