"""samples and experiments: host tables that point into lamin_registry

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 23:16:38.611142

Written by ``alembic revision --autogenerate`` (with ``lr.migrate.render_item``), then
split off from 0001 and reformatted. ``host_app_sample`` is a plain host table with a foreign
key to ``lamindb_ulabel``; ``host_app_experiment`` is a user-defined registry
(``lr.SQLRecord`` + ``TracksRun``, ``TracksUpdates``, ``CanCurate``), so it carries every
column lamin_registry's registries carry. Both need lamin_registry's tables, which
``env.py`` migrates first on the same connection.

Frozen: this file must not import host_app's or lamin_registry's models.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EXPERIMENT_INDEXES = (
    "branch_id",
    "created_at",
    "created_by_id",
    "created_on_id",
    "name",
    "run_id",
    "space_id",
    "updated_at",
)


def upgrade() -> None:
    op.create_table(
        "host_app_sample",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("ulabel_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ulabel_id"], ["lamindb_ulabel.id"],
            name=op.f("fk_host_app_sample_ulabel_id"), ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_host_app_sample")),
        sa.UniqueConstraint("name", name=op.f("uq_host_app_sample_name")),
    )
    op.create_index(
        op.f("ix_host_app_sample_ulabel_id"), "host_app_sample", ["ulabel_id"], unique=False
    )

    op.create_table(
        "host_app_experiment",
        sa.Column("name", sa.String(length=150), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("synonyms", sa.Text(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=12), nullable=False),
        sa.Column("branch_id", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("created_on_id", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("space_id", sa.SmallInteger(), server_default=sa.text("1"), nullable=False),
        sa.Column("is_locked", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "_aux",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        # lamindb_run exists already: no use_alter needed (on PostgreSQL a use_alter key
        # would be left out of CREATE TABLE and never added)
        *(
            sa.ForeignKeyConstraint(
                [column], [target],
                name=op.f(f"fk_host_app_experiment_{column}"), ondelete="RESTRICT",
            )
            for column, target in (
                ("branch_id", "lamindb_branch.id"),
                ("created_by_id", "lamindb_user.id"),
                ("created_on_id", "lamindb_branch.id"),
                ("run_id", "lamindb_run.id"),
                ("space_id", "lamindb_space.id"),
            )
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_host_app_experiment")),
        sa.UniqueConstraint("uid", name=op.f("uq_host_app_experiment_uid")),
    )
    for column in EXPERIMENT_INDEXES:
        op.create_index(
            op.f(f"ix_host_app_experiment_{column}"), "host_app_experiment", [column], unique=False
        )


def downgrade() -> None:
    for column in reversed(EXPERIMENT_INDEXES):
        op.drop_index(op.f(f"ix_host_app_experiment_{column}"), table_name="host_app_experiment")
    op.drop_table("host_app_experiment")
    op.drop_index(op.f("ix_host_app_sample_ulabel_id"), table_name="host_app_sample")
    op.drop_table("host_app_sample")
