"""lamindb columns: schemacomponent tracking columns; SQLite JSON as checked text

Revision ID: 0006_lamindb_columns
Revises: 0005_visibility_indexes
Create Date: 2026-12-07 02:55:00

What a lamindb 2.12 database has and a lamin_registry database lacked (issue 12):

* ``lamindb_schemacomponent`` gets lamindb's ``created_at`` (server default now),
  ``created_by_id`` (NOT NULL, -> user; existing rows: user 1, the instance's creator) and
  ``run_id`` (-> run), each indexed;
* SQLite: the 22 JSON columns become ``TEXT`` with lamindb's CHECK
  ``(JSON_VALID(col) OR col IS NULL)``. Declared ``JSON`` they had NUMERIC affinity, which
  stores ``2.5`` as a REAL and ``"40"`` as an INTEGER: lamindb (Django) reads those back as
  numbers, not JSON text, and fails. TEXT affinity keeps the JSON text; the rebuild converts
  stored numbers back to their JSON text. PostgreSQL keeps ``jsonb``.

SQLite cannot change a column's type in place: each table is rebuilt (SQLite's documented
procedure: new table, copy, drop, rename), and its indexes and triggers (the search index
triggers of 0003 included) are re-created from their own SQL. Foreign-key enforcement must be
off (``lr.migrate`` and ``lamin-registry upgrade`` switch it off; a host's connection with
``PRAGMA foreign_keys=ON`` inside a transaction is refused rather than cascading deletes).

Frozen: this file must not import lamin_registry; tables and columns are spelled out.
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_lamindb_columns"
down_revision: str | Sequence[str] | None = "0005_visibility_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_COLUMNS: dict[str, tuple[str, ...]] = {
    "lamindb_branch": ("_aux",),
    "lamindb_feature": ("array_shape", "default_value", "_aux"),
    "lamindb_project": ("_aux",),
    "lamindb_reference": ("_aux",),
    "lamindb_schema": ("_aux",),
    "lamindb_storage": ("_aux",),
    "lamindb_transform": ("_aux",),
    "lamindb_ulabel": ("_aux",),
    "lamindb_artifact": ("extra_data", "_aux"),
    "lamindb_jsonvalue": ("value", "_aux"),
    "lamindb_record": ("extra_data", "_aux"),
    "lamindb_run": ("params", "extra_data", "_aux"),
    "lamindb_transformtransform": ("config",),
    "lamindb_collection": ("_aux",),
    "lamindb_recordjson": ("value",),
}

TABLE = "lamindb_schemacomponent"
NEW_COLUMNS = ("created_at", "created_by_id", "run_id")
OFFLINE_NOTE = (  # a statement, not a comment: the script's ";" must not end up in it
    "SELECT '0006_lamindb_columns: the SQLite JSON columns stay declared JSON in an "
    "offline script (converting them needs each table''s SQL); run the upgrade online "
    "(lamin-registry upgrade) to store JSON as checked TEXT'"
)


def _schemacomponent(tracked: bool) -> sa.Table:
    """``lamindb_schemacomponent`` before (as 0001 made it) or after this revision: batch
    mode copies from it instead of reflecting the table, so ``--sql`` works on SQLite too."""
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    items: list[sa.SchemaItem] = [
        sa.Column("id", big_id, nullable=False),
        sa.Column("composite_id", sa.Integer(), nullable=False),
        sa.Column("component_id", sa.Integer(), nullable=False),
        sa.Column("slot", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(["component_id"], ["lamindb_schema.id"], name="fk_lamindb_schemacomponent_component_id", ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["composite_id"], ["lamindb_schema.id"], name="fk_lamindb_schemacomponent_composite_id", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_lamindb_schemacomponent"),
        sa.UniqueConstraint("composite_id", "slot", "component_id", name="uq_lamindb_schemacomponent_composite_id_slot_component_id"),
        sa.UniqueConstraint("composite_id", "slot", name="uq_lamindb_schemacomponent_composite_id_slot"),
        sa.Index("ix_lamindb_schemacomponent_component_id", "component_id"),
        sa.Index("ix_lamindb_schemacomponent_composite_id", "composite_id"),
    ]
    if tracked:
        items += [
            *_tracking_columns(),
            sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name="fk_lamindb_schemacomponent_created_by_id", ondelete="RESTRICT"),
            sa.ForeignKeyConstraint(["run_id"], ["lamindb_run.id"], name="fk_lamindb_schemacomponent_run_id", ondelete="RESTRICT"),
        ]  # (their indexes are dropped before the downgrade's batch copies this table)
    return sa.Table(TABLE, sa.MetaData(), *items)


def _tracking_columns() -> list[sa.Column]:
    """created_at, created_by_id (old rows: user 1, the creator; kept as server default)
    and run_id."""
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
    ]


def _checked(table: str, column: str) -> str:
    """lamindb's check, named after lamin_registry's convention (ck_<table>_<name>)."""
    return (
        f'TEXT CONSTRAINT "ck_{table}_json_valid_{column}" '
        f'CHECK ((JSON_VALID("{column}") OR "{column}" IS NULL))'
    )


def _rebuild(table: str, columns: tuple[str, ...], *, to_text: bool) -> None:
    """Rebuild a SQLite table with ``columns`` declared TEXT+CHECK (or JSON again)."""
    connection = op.get_bind()
    sql = connection.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).scalar_one()
    for column in columns:
        checked = _checked(table, column)
        if to_text:
            pattern = rf"(\n\s*{re.escape(column)}) JSON\b"
            sql, count = re.subn(pattern, lambda m, c=checked: f"{m.group(1)} {c}", sql)
        else:
            pattern = rf"(\n\s*{re.escape(column)}) {re.escape(checked)}"
            sql, count = re.subn(pattern, r"\1 JSON", sql)
        if count != 1:
            raise RuntimeError(f"0006: cannot find the JSON column {table}.{column} to convert")
    temporary = f"_lr_0006_{table}"
    sql = re.sub(rf"^CREATE TABLE \"?{table}\"?", f'CREATE TABLE "{temporary}"', sql)
    others = connection.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') "
        "AND sql IS NOT NULL ORDER BY type, name",
        (table,),
    ).scalars().all()
    op.execute(sql)
    op.execute(f'INSERT INTO "{temporary}" SELECT * FROM "{table}"')
    op.execute(f'DROP TABLE "{table}"')
    op.execute(f'ALTER TABLE "{temporary}" RENAME TO "{table}"')
    for statement in others:
        op.execute(statement)


def _require_foreign_keys_off() -> None:
    """Refuse to rebuild tables that hold rows while foreign keys are enforced (a host's
    own env.py often upgrades with enforcement on): their DROP would cascade. Empty tables
    (a new database) drop nothing, so then the rebuild is safe either way."""
    connection = op.get_bind()
    enforced = connection.exec_driver_sql("PRAGMA foreign_keys").scalar()
    holding = [
        table
        for table in JSON_COLUMNS
        if connection.exec_driver_sql(f'SELECT 1 FROM "{table}" LIMIT 1').first() is not None
    ]
    if enforced and holding:
        raise RuntimeError(
            "0006_lamindb_columns rebuilds SQLite tables: run it with foreign-key enforcement "
            "off (lr.migrate.upgrade / lamin-registry upgrade do), or dropping a table would "
            "cascade into the rows that refer to it"
        )


def upgrade() -> None:
    sqlite = op.get_context().dialect.name == "sqlite"
    # SQLite: ALTER TABLE ADD COLUMN takes no CURRENT_TIMESTAMP default; rebuild instead
    with op.batch_alter_table(
        TABLE, recreate="always" if sqlite else "auto", copy_from=_schemacomponent(False)
    ) as batch:
        for column in _tracking_columns():
            batch.add_column(column)
        batch.create_foreign_key("fk_lamindb_schemacomponent_created_by_id", "lamindb_user", ["created_by_id"], ["id"], ondelete="RESTRICT")
        batch.create_foreign_key("fk_lamindb_schemacomponent_run_id", "lamindb_run", ["run_id"], ["id"], ondelete="RESTRICT")
    for column in NEW_COLUMNS:
        op.create_index(f"ix_lamindb_schemacomponent_{column}", TABLE, [column], unique=False)
    if sqlite:
        if op.get_context().as_sql:  # offline: the tables' SQL is not known here
            op.execute(OFFLINE_NOTE)
            return
        _require_foreign_keys_off()
        for table, columns in JSON_COLUMNS.items():
            _rebuild(table, columns, to_text=True)


def downgrade() -> None:
    sqlite = op.get_context().dialect.name == "sqlite"
    if sqlite and not op.get_context().as_sql:
        _require_foreign_keys_off()
        for table, columns in JSON_COLUMNS.items():
            _rebuild(table, columns, to_text=False)
    for column in NEW_COLUMNS:
        op.drop_index(f"ix_lamindb_schemacomponent_{column}", table_name=TABLE)
    with op.batch_alter_table(
        TABLE, recreate="always" if sqlite else "auto", copy_from=_schemacomponent(True)
    ) as batch:
        batch.drop_constraint("fk_lamindb_schemacomponent_run_id", type_="foreignkey")
        batch.drop_constraint("fk_lamindb_schemacomponent_created_by_id", type_="foreignkey")
        for column in ("run_id", "created_by_id", "created_at"):
            batch.drop_column(column)
