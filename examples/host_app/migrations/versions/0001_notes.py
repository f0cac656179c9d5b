"""notes: a table of host_app alone

Revision ID: 0001
Revises:
Create Date: 2026-12-01 23:16:38.611142

Frozen: this file must not import host_app's or lamin_registry's models; every type, name and
constraint is spelled out so the upgrade means the same thing whatever the models become.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "host_app_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_host_app_note")),
    )


def downgrade() -> None:
    op.drop_table("host_app_note")
