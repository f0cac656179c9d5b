"""access: team members, space roles, PostgreSQL row-level security

Revision ID: 0002_access
Revises: 0001_baseline
Create Date: 2026-11-25 06:09:15

Frozen: this file must not import lamin_registry models; spell every type, name and
constraint out so the upgrade means the same thing whatever the models look like later.

On PostgreSQL every registry table with a ``space_id`` gets row-level security (ENABLE and
FORCE), so that raw SQL through the application's role sees and changes only what the acting
user may: the library sets ``lamin_registry.user_id`` per transaction (``SET LOCAL``). Without
that setting only space 1 ``all`` is visible. Superusers and BYPASSRLS roles are not affected.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_access"
down_revision: str | Sequence[str] | None = "0001_baseline"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# the registries that live in spaces (Branch has a space too but is readable by everyone)
SPACE_TABLES = (
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

# Space ids on which the current user holds at least ``min_level`` (1 read, 2 write,
# 3 admin): user 1 (the instance's creator) everywhere, a space's creator, direct grants,
# grants to the user's teams, and space 1 for read and write.
SPACE_IDS_FUNCTION = """
CREATE FUNCTION lamin_registry_space_ids(min_level integer) RETURNS integer[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
  WITH me AS (
    SELECT NULLIF(current_setting('lamin_registry.user_id', true), '')::integer AS id
  )
  SELECT CASE WHEN (SELECT id FROM me) = 1 THEN ARRAY(SELECT id::integer FROM lamindb_space)
  ELSE ARRAY(
    SELECT 1 WHERE min_level <= 2
    UNION
    SELECT s.id FROM lamindb_space s, me WHERE s.created_by_id = me.id
    UNION
    SELECT a.space_id FROM lamindb_spaceaccess a, me
    WHERE CASE a.role WHEN 'read' THEN 1 WHEN 'write' THEN 2 ELSE 3 END >= min_level
      AND (a.user_id = me.id OR a.team_id IN (
        SELECT t.team_id FROM lamindb_teamuser t WHERE t.user_id = me.id))
  ) END
$$
"""

# ``(SELECT f())::integer[]``: evaluated once per statement (an InitPlan), not once per row
READ = "space_id = ANY ((SELECT lamin_registry_space_ids(1))::integer[])"
WRITE = "space_id = ANY ((SELECT lamin_registry_space_ids(2))::integer[])"
UNLOCKED_OR_ADMIN = (
    "(NOT (is_locked OR branch_id = 2) "
    "OR space_id = ANY ((SELECT lamin_registry_space_ids(3))::integer[]))"
)


def upgrade() -> None:
    op.create_table(
        "lamindb_spaceaccess",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("space_id", sa.SmallInteger(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("role IN ('read', 'write', 'admin')", name=op.f("ck_lamindb_spaceaccess_role_is_known")),
        sa.CheckConstraint("(user_id IS NULL) <> (team_id IS NULL)", name=op.f("ck_lamindb_spaceaccess_user_or_team")),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_spaceaccess_created_by_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["space_id"], ["lamindb_space.id"], name=op.f("fk_lamindb_spaceaccess_space_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["team_id"], ["lamindb_team.id"], name=op.f("fk_lamindb_spaceaccess_team_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_spaceaccess_user_id"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_spaceaccess")),
    )
    for column in ("created_at", "created_by_id", "space_id", "team_id", "user_id"):
        op.create_index(op.f(f"ix_lamindb_spaceaccess_{column}"), "lamindb_spaceaccess", [column], unique=False)
    for column in ("team_id", "user_id"):
        where = sa.text(f"{column} IS NOT NULL")
        op.create_index(f"unique_spaceaccess_{column[:-3]}", "lamindb_spaceaccess", ["space_id", column],
                        unique=True, postgresql_where=where, sqlite_where=where)

    op.create_table(
        "lamindb_teamuser",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["lamindb_team.id"], name=op.f("fk_lamindb_teamuser_team_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_teamuser_user_id"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_teamuser")),
        sa.UniqueConstraint("team_id", "user_id", name=op.f("uq_lamindb_teamuser_team_id_user_id")),
    )
    op.create_index(op.f("ix_lamindb_teamuser_team_id"), "lamindb_teamuser", ["team_id"], unique=False)
    op.create_index(op.f("ix_lamindb_teamuser_user_id"), "lamindb_teamuser", ["user_id"], unique=False)

    if op.get_context().dialect.name != "postgresql":
        return
    op.execute(SPACE_IDS_FUNCTION)
    for table in SPACE_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY lamin_registry_select ON {table} FOR SELECT USING ({READ})")
        op.execute(f"CREATE POLICY lamin_registry_insert ON {table} FOR INSERT WITH CHECK ({WRITE})")
        op.execute(
            f"CREATE POLICY lamin_registry_update ON {table} FOR UPDATE "
            f"USING ({WRITE} AND {UNLOCKED_OR_ADMIN}) WITH CHECK ({WRITE})"
        )
        op.execute(
            f"CREATE POLICY lamin_registry_delete ON {table} FOR DELETE "
            f"USING ({WRITE} AND {UNLOCKED_OR_ADMIN})"
        )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        for table in SPACE_TABLES:
            for action in ("select", "insert", "update", "delete"):
                op.execute(f"DROP POLICY IF EXISTS lamin_registry_{action} ON {table}")
            op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
        op.execute("DROP FUNCTION IF EXISTS lamin_registry_space_ids(integer)")
    op.drop_index(op.f("ix_lamindb_teamuser_user_id"), table_name="lamindb_teamuser")
    op.drop_index(op.f("ix_lamindb_teamuser_team_id"), table_name="lamindb_teamuser")
    op.drop_table("lamindb_teamuser")
    for name in ("unique_spaceaccess_user", "unique_spaceaccess_team"):
        op.drop_index(name, table_name="lamindb_spaceaccess")
    for column in ("user_id", "team_id", "space_id", "created_by_id", "created_at"):
        op.drop_index(op.f(f"ix_lamindb_spaceaccess_{column}"), table_name="lamindb_spaceaccess")
    op.drop_table("lamindb_spaceaccess")
