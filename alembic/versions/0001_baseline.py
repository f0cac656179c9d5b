"""baseline

Revision ID: 0001_baseline
Revises:
Create Date: 2026-11-25 05:54:43.928586

Frozen: this file must not import lamin_registry models; spell every type, name and
constraint out so the upgrade means the same thing whatever the models look like later.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0001_baseline"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Types spelled once: lamindb's widths on PostgreSQL, INTEGER PRIMARY KEY on SQLite (the only
# auto-incrementing kind there), JSON as jsonb on PostgreSQL and TEXT on SQLite.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
SMALL_ID = sa.SmallInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

# Foreign keys that close table cycles (records point to the run that made them, runs and
# transforms point to artifacts): (name, table, column, referred table, ON DELETE).
# PostgreSQL gets them once every table exists (ALTER TABLE ... ADD CONSTRAINT); SQLite cannot
# add a constraint later, but it does not check the referred table when creating one, so there
# they go inline into CREATE TABLE.
CYCLE_FKS: list[tuple[str, str, str, str, str]] = [
    ("fk_lamindb_feature_run_id", "lamindb_feature", "run_id", "lamindb_run", "RESTRICT"),
    ("fk_lamindb_project_run_id", "lamindb_project", "run_id", "lamindb_run", "RESTRICT"),
    ("fk_lamindb_reference_run_id", "lamindb_reference", "run_id", "lamindb_run", "RESTRICT"),
    ("fk_lamindb_schema_run_id", "lamindb_schema", "run_id", "lamindb_run", "RESTRICT"),
    ("fk_lamindb_storage_run_id", "lamindb_storage", "run_id", "lamindb_run", "RESTRICT"),
    ("fk_lamindb_transform_environment_id", "lamindb_transform", "environment_id", "lamindb_artifact", "CASCADE"),
    ("fk_lamindb_transform_plan_id", "lamindb_transform", "plan_id", "lamindb_artifact", "CASCADE"),
    ("fk_lamindb_transform_run_id", "lamindb_transform", "run_id", "lamindb_run", "RESTRICT"),
    ("fk_lamindb_ulabel_run_id", "lamindb_ulabel", "run_id", "lamindb_run", "RESTRICT"),
    ("fk_lamindb_artifact_run_id", "lamindb_artifact", "run_id", "lamindb_run", "RESTRICT"),
    ("fk_lamindb_featureproject_run_id", "lamindb_featureproject", "run_id", "lamindb_run", "RESTRICT"),
    ("fk_lamindb_jsonvalue_run_id", "lamindb_jsonvalue", "run_id", "lamindb_run", "RESTRICT"),
    ("fk_lamindb_record_run_id", "lamindb_record", "run_id", "lamindb_run", "RESTRICT"),
    ("fk_lamindb_run_environment_id", "lamindb_run", "environment_id", "lamindb_artifact", "RESTRICT"),
    ("fk_lamindb_run_plan_id", "lamindb_run", "plan_id", "lamindb_artifact", "RESTRICT"),
    ("fk_lamindb_run_report_id", "lamindb_run", "report_id", "lamindb_artifact", "RESTRICT"),
    ("fk_lamindb_schemaproject_run_id", "lamindb_schemaproject", "run_id", "lamindb_run", "RESTRICT"),
    ("fk_lamindb_transformproject_run_id", "lamindb_transformproject", "run_id", "lamindb_run", "RESTRICT"),
    ("fk_lamindb_transformreference_run_id", "lamindb_transformreference", "run_id", "lamindb_run", "RESTRICT"),
    ("fk_lamindb_transformtransform_run_id", "lamindb_transformtransform", "run_id", "lamindb_run", "RESTRICT"),
    ("fk_lamindb_transformulabel_run_id", "lamindb_transformulabel", "run_id", "lamindb_run", "RESTRICT"),
    ("fk_lamindb_ulabelproject_run_id", "lamindb_ulabelproject", "run_id", "lamindb_run", "RESTRICT"),
    ("fk_lamindb_artifactjsonvalue_run_id", "lamindb_artifactjsonvalue", "run_id", "lamindb_run", "RESTRICT"),
    ("fk_lamindb_artifactproject_run_id", "lamindb_artifactproject", "run_id", "lamindb_run", "RESTRICT"),
    ("fk_lamindb_artifactrecord_run_id", "lamindb_artifactrecord", "run_id", "lamindb_run", "RESTRICT"),
    ("fk_lamindb_artifactreference_run_id", "lamindb_artifactreference", "run_id", "lamindb_run", "RESTRICT"),
    ("fk_lamindb_artifactschema_run_id", "lamindb_artifactschema", "run_id", "lamindb_run", "RESTRICT"),
    ("fk_lamindb_artifactulabel_run_id", "lamindb_artifactulabel", "run_id", "lamindb_run", "RESTRICT"),
    ("fk_lamindb_artifactuser_run_id", "lamindb_artifactuser", "run_id", "lamindb_run", "RESTRICT"),
    ("fk_lamindb_collection_run_id", "lamindb_collection", "run_id", "lamindb_run", "RESTRICT"),
    ("fk_lamindb_projectrecord_run_id", "lamindb_projectrecord", "run_id", "lamindb_run", "RESTRICT"),
    ("fk_lamindb_referencerecord_run_id", "lamindb_referencerecord", "run_id", "lamindb_run", "RESTRICT"),
    ("fk_lamindb_transformrecord_run_id", "lamindb_transformrecord", "run_id", "lamindb_run", "RESTRICT"),
    ("fk_lamindb_collectionartifact_run_id", "lamindb_collectionartifact", "run_id", "lamindb_run", "RESTRICT"),
    ("fk_lamindb_collectionproject_run_id", "lamindb_collectionproject", "run_id", "lamindb_run", "RESTRICT"),
    ("fk_lamindb_collectionrecord_run_id", "lamindb_collectionrecord", "run_id", "lamindb_run", "RESTRICT"),
    ("fk_lamindb_collectionreference_run_id", "lamindb_collectionreference", "run_id", "lamindb_run", "RESTRICT"),
    ("fk_lamindb_collectionulabel_run_id", "lamindb_collectionulabel", "run_id", "lamindb_run", "RESTRICT"),
]


def _inline_fks() -> bool:
    return op.get_context().dialect.name == "sqlite"


def _cycle_fks(table: str) -> list[sa.ForeignKeyConstraint]:
    """The cycle foreign keys of ``table`` for CREATE TABLE (SQLite only)."""
    if not _inline_fks():
        return []
    return [
        sa.ForeignKeyConstraint([column], [f"{referred}.id"], name=op.f(name), ondelete=ondelete)
        for name, source, column, referred, ondelete in CYCLE_FKS
        if source == table
    ]


def upgrade() -> None:
    op.create_table(
        "lamindb_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=8), nullable=False),
        sa.Column("handle", sa.String(length=30), nullable=False),
        sa.Column("name", sa.String(length=150), nullable=True),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_user")),
        sa.UniqueConstraint("handle", name=op.f("uq_lamindb_user_handle")),
        sa.UniqueConstraint("uid", name=op.f("uq_lamindb_user_uid")),
    )
    op.create_index(op.f("ix_lamindb_user_created_at"), "lamindb_user", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_user_name"), "lamindb_user", ["name"], unique=False)
    op.create_index(op.f("ix_lamindb_user_updated_at"), "lamindb_user", ["updated_at"], unique=False)

    op.create_table(
        "lamindb_space",
        sa.Column("id", SMALL_ID, nullable=False),
        sa.Column("uid", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_space_created_by_id"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_space")),
        sa.UniqueConstraint("uid", name=op.f("uq_lamindb_space_uid")),
    )
    op.create_index(op.f("ix_lamindb_space_created_at"), "lamindb_space", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_space_created_by_id"), "lamindb_space", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_lamindb_space_name"), "lamindb_space", ["name"], unique=False)
    op.create_index(op.f("unique_space_name_lower"), "lamindb_space", [sa.text("lower(name)")], unique=True)

    op.create_table(
        "lamindb_team",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_team_created_by_id"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_team")),
        sa.UniqueConstraint("name", name=op.f("uq_lamindb_team_name")),
        sa.UniqueConstraint("uid", name=op.f("uq_lamindb_team_uid")),
    )
    op.create_index(op.f("ix_lamindb_team_created_at"), "lamindb_team", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_team_created_by_id"), "lamindb_team", ["created_by_id"], unique=False)

    op.create_table(
        "lamindb_branch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("space_id", sa.SmallInteger(), server_default=sa.text("1"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("_status_code", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("_aux", JSON, nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_branch_created_by_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["space_id"], ["lamindb_space.id"], name=op.f("fk_lamindb_branch_space_id"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_branch")),
        sa.UniqueConstraint("uid", name=op.f("uq_lamindb_branch_uid")),
    )
    op.create_index(op.f("ix_lamindb_branch__status_code"), "lamindb_branch", ["_status_code"], unique=False)
    op.create_index(op.f("ix_lamindb_branch_created_at"), "lamindb_branch", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_branch_created_by_id"), "lamindb_branch", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_lamindb_branch_name"), "lamindb_branch", ["name"], unique=False)
    op.create_index(op.f("ix_lamindb_branch_space_id"), "lamindb_branch", ["space_id"], unique=False)
    op.create_index(op.f("unique_branch_name_lower"), "lamindb_branch", [sa.text("lower(name)")], unique=True)

    op.create_table(
        "lamindb_branchuser",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["lamindb_branch.id"], name=op.f("fk_lamindb_branchuser_branch_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_branchuser_user_id"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_branchuser")),
        sa.UniqueConstraint("branch_id", "user_id", "role", name=op.f("uq_lamindb_branchuser_branch_id_user_id_role")),
    )
    op.create_index(op.f("ix_lamindb_branchuser_branch_id"), "lamindb_branchuser", ["branch_id"], unique=False)
    op.create_index(op.f("ix_lamindb_branchuser_user_id"), "lamindb_branchuser", ["user_id"], unique=False)

    op.create_table(
        "lamindb_feature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=150), nullable=False),
        sa.Column("_dtype_str", sa.String(length=255), nullable=True),
        sa.Column("_ounit_str", sa.String(length=255), nullable=True),
        sa.Column("unit", sa.String(length=30), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("array_rank", sa.SmallInteger(), nullable=False),
        sa.Column("array_size", sa.Integer(), nullable=False),
        sa.Column("array_shape", JSON, nullable=True),
        sa.Column("synonyms", sa.Text(), nullable=True),
        sa.Column("default_value", JSON, nullable=True),
        sa.Column("nullable", sa.Boolean(), nullable=True),
        sa.Column("coerce", sa.Boolean(), nullable=True),
        sa.Column("branch_id", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("created_on_id", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("space_id", sa.SmallInteger(), server_default=sa.text("1"), nullable=False),
        sa.Column("is_locked", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("_aux", JSON, nullable=True),
        sa.Column("is_type", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("is_type OR _dtype_str IS NOT NULL", name=op.f("feature_dtype_str_not_null_when_is_type_false")),
        sa.ForeignKeyConstraint(["branch_id"], ["lamindb_branch.id"], name=op.f("fk_lamindb_feature_branch_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_feature_created_by_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["created_on_id"], ["lamindb_branch.id"], name=op.f("fk_lamindb_feature_created_on_id"), ondelete="RESTRICT"),
        *_cycle_fks("lamindb_feature"),
        sa.ForeignKeyConstraint(["space_id"], ["lamindb_space.id"], name=op.f("fk_lamindb_feature_space_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["type_id"], ["lamindb_feature.id"], name=op.f("fk_lamindb_feature_type_id"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_feature")),
        sa.UniqueConstraint("uid", name=op.f("uq_lamindb_feature_uid")),
    )
    op.create_index(op.f("ix_lamindb_feature__dtype_str"), "lamindb_feature", ["_dtype_str"], unique=False)
    op.create_index(op.f("ix_lamindb_feature__ounit_str"), "lamindb_feature", ["_ounit_str"], unique=False)
    op.create_index(op.f("ix_lamindb_feature_array_rank"), "lamindb_feature", ["array_rank"], unique=False)
    op.create_index(op.f("ix_lamindb_feature_array_size"), "lamindb_feature", ["array_size"], unique=False)
    op.create_index(op.f("ix_lamindb_feature_branch_id"), "lamindb_feature", ["branch_id"], unique=False)
    op.create_index(op.f("ix_lamindb_feature_created_at"), "lamindb_feature", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_feature_created_by_id"), "lamindb_feature", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_lamindb_feature_created_on_id"), "lamindb_feature", ["created_on_id"], unique=False)
    op.create_index(op.f("ix_lamindb_feature_is_type"), "lamindb_feature", ["is_type"], unique=False)
    op.create_index(op.f("ix_lamindb_feature_name"), "lamindb_feature", ["name"], unique=False)
    op.create_index(op.f("ix_lamindb_feature_run_id"), "lamindb_feature", ["run_id"], unique=False)
    op.create_index(op.f("ix_lamindb_feature_space_id"), "lamindb_feature", ["space_id"], unique=False)
    op.create_index(op.f("ix_lamindb_feature_type_id"), "lamindb_feature", ["type_id"], unique=False)
    op.create_index(op.f("ix_lamindb_feature_unit"), "lamindb_feature", ["unit"], unique=False)
    op.create_index(op.f("ix_lamindb_feature_updated_at"), "lamindb_feature", ["updated_at"], unique=False)

    op.create_table(
        "lamindb_project",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("abbr", sa.String(length=32), nullable=True),
        sa.Column("url", sa.String(length=255), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("_status_code", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("branch_id", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("created_on_id", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("space_id", sa.SmallInteger(), server_default=sa.text("1"), nullable=False),
        sa.Column("is_locked", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("_aux", JSON, nullable=True),
        sa.Column("is_type", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["lamindb_branch.id"], name=op.f("fk_lamindb_project_branch_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_project_created_by_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["created_on_id"], ["lamindb_branch.id"], name=op.f("fk_lamindb_project_created_on_id"), ondelete="RESTRICT"),
        *_cycle_fks("lamindb_project"),
        sa.ForeignKeyConstraint(["space_id"], ["lamindb_space.id"], name=op.f("fk_lamindb_project_space_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["type_id"], ["lamindb_project.id"], name=op.f("fk_lamindb_project_type_id"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_project")),
        sa.UniqueConstraint("uid", name=op.f("uq_lamindb_project_uid")),
    )
    op.create_index(op.f("ix_lamindb_project__status_code"), "lamindb_project", ["_status_code"], unique=False)
    op.create_index(op.f("ix_lamindb_project_abbr"), "lamindb_project", ["abbr"], unique=False)
    op.create_index(op.f("ix_lamindb_project_branch_id"), "lamindb_project", ["branch_id"], unique=False)
    op.create_index(op.f("ix_lamindb_project_created_at"), "lamindb_project", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_project_created_by_id"), "lamindb_project", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_lamindb_project_created_on_id"), "lamindb_project", ["created_on_id"], unique=False)
    op.create_index(op.f("ix_lamindb_project_is_type"), "lamindb_project", ["is_type"], unique=False)
    op.create_index(op.f("ix_lamindb_project_name"), "lamindb_project", ["name"], unique=False)
    op.create_index(op.f("ix_lamindb_project_run_id"), "lamindb_project", ["run_id"], unique=False)
    op.create_index(op.f("ix_lamindb_project_space_id"), "lamindb_project", ["space_id"], unique=False)
    op.create_index(op.f("ix_lamindb_project_type_id"), "lamindb_project", ["type_id"], unique=False)
    op.create_index(op.f("ix_lamindb_project_updated_at"), "lamindb_project", ["updated_at"], unique=False)

    op.create_table(
        "lamindb_reference",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("abbr", sa.String(length=32), nullable=True),
        sa.Column("url", sa.String(length=200), nullable=True),
        sa.Column("pubmed_id", sa.BigInteger(), nullable=True),
        sa.Column("doi", sa.String(length=255), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column("branch_id", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("created_on_id", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("space_id", sa.SmallInteger(), server_default=sa.text("1"), nullable=False),
        sa.Column("is_locked", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("_aux", JSON, nullable=True),
        sa.Column("is_type", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["lamindb_branch.id"], name=op.f("fk_lamindb_reference_branch_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_reference_created_by_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["created_on_id"], ["lamindb_branch.id"], name=op.f("fk_lamindb_reference_created_on_id"), ondelete="RESTRICT"),
        *_cycle_fks("lamindb_reference"),
        sa.ForeignKeyConstraint(["space_id"], ["lamindb_space.id"], name=op.f("fk_lamindb_reference_space_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["type_id"], ["lamindb_reference.id"], name=op.f("fk_lamindb_reference_type_id"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_reference")),
        sa.UniqueConstraint("uid", name=op.f("uq_lamindb_reference_uid")),
    )
    op.create_index(op.f("ix_lamindb_reference_abbr"), "lamindb_reference", ["abbr"], unique=False)
    op.create_index(op.f("ix_lamindb_reference_branch_id"), "lamindb_reference", ["branch_id"], unique=False)
    op.create_index(op.f("ix_lamindb_reference_created_at"), "lamindb_reference", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_reference_created_by_id"), "lamindb_reference", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_lamindb_reference_created_on_id"), "lamindb_reference", ["created_on_id"], unique=False)
    op.create_index(op.f("ix_lamindb_reference_doi"), "lamindb_reference", ["doi"], unique=False)
    op.create_index(op.f("ix_lamindb_reference_is_type"), "lamindb_reference", ["is_type"], unique=False)
    op.create_index(op.f("ix_lamindb_reference_name"), "lamindb_reference", ["name"], unique=False)
    op.create_index(op.f("ix_lamindb_reference_pubmed_id"), "lamindb_reference", ["pubmed_id"], unique=False)
    op.create_index(op.f("ix_lamindb_reference_run_id"), "lamindb_reference", ["run_id"], unique=False)
    op.create_index(op.f("ix_lamindb_reference_space_id"), "lamindb_reference", ["space_id"], unique=False)
    op.create_index(op.f("ix_lamindb_reference_type_id"), "lamindb_reference", ["type_id"], unique=False)
    op.create_index(op.f("ix_lamindb_reference_updated_at"), "lamindb_reference", ["updated_at"], unique=False)
    op.create_index(op.f("ix_lamindb_reference_url"), "lamindb_reference", ["url"], unique=False)

    op.create_table(
        "lamindb_schema",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=150), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("n_members", sa.Integer(), nullable=True),
        sa.Column("coerce", sa.Boolean(), nullable=True),
        sa.Column("flexible", sa.Boolean(), nullable=True),
        sa.Column("itype", sa.String(length=120), nullable=True),
        sa.Column("otype", sa.String(length=64), nullable=True),
        sa.Column("suffix", sa.String(length=30), nullable=True),
        sa.Column("_dtype_str", sa.String(length=64), nullable=True),
        sa.Column("hash", sa.String(length=22), nullable=True),
        sa.Column("minimal_set", sa.Boolean(), nullable=False),
        sa.Column("ordered_set", sa.Boolean(), nullable=False),
        sa.Column("maximal_set", sa.Boolean(), nullable=False),
        sa.Column("branch_id", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("created_on_id", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("space_id", sa.SmallInteger(), server_default=sa.text("1"), nullable=False),
        sa.Column("is_locked", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("_aux", JSON, nullable=True),
        sa.Column("is_type", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["lamindb_branch.id"], name=op.f("fk_lamindb_schema_branch_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_schema_created_by_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["created_on_id"], ["lamindb_branch.id"], name=op.f("fk_lamindb_schema_created_on_id"), ondelete="RESTRICT"),
        *_cycle_fks("lamindb_schema"),
        sa.ForeignKeyConstraint(["space_id"], ["lamindb_space.id"], name=op.f("fk_lamindb_schema_space_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["type_id"], ["lamindb_schema.id"], name=op.f("fk_lamindb_schema_type_id"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_schema")),
        sa.UniqueConstraint("uid", name=op.f("uq_lamindb_schema_uid")),
    )
    op.create_index(op.f("ix_lamindb_schema_branch_id"), "lamindb_schema", ["branch_id"], unique=False)
    op.create_index(op.f("ix_lamindb_schema_created_at"), "lamindb_schema", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_schema_created_by_id"), "lamindb_schema", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_lamindb_schema_created_on_id"), "lamindb_schema", ["created_on_id"], unique=False)
    op.create_index(op.f("ix_lamindb_schema_hash"), "lamindb_schema", ["hash"], unique=False)
    op.create_index(op.f("ix_lamindb_schema_is_type"), "lamindb_schema", ["is_type"], unique=False)
    op.create_index(op.f("ix_lamindb_schema_itype"), "lamindb_schema", ["itype"], unique=False)
    op.create_index(op.f("ix_lamindb_schema_maximal_set"), "lamindb_schema", ["maximal_set"], unique=False)
    op.create_index(op.f("ix_lamindb_schema_minimal_set"), "lamindb_schema", ["minimal_set"], unique=False)
    op.create_index(op.f("ix_lamindb_schema_name"), "lamindb_schema", ["name"], unique=False)
    op.create_index(op.f("ix_lamindb_schema_ordered_set"), "lamindb_schema", ["ordered_set"], unique=False)
    op.create_index(op.f("ix_lamindb_schema_otype"), "lamindb_schema", ["otype"], unique=False)
    op.create_index(op.f("ix_lamindb_schema_run_id"), "lamindb_schema", ["run_id"], unique=False)
    op.create_index(op.f("ix_lamindb_schema_space_id"), "lamindb_schema", ["space_id"], unique=False)
    op.create_index(op.f("ix_lamindb_schema_suffix"), "lamindb_schema", ["suffix"], unique=False)
    op.create_index(op.f("ix_lamindb_schema_type_id"), "lamindb_schema", ["type_id"], unique=False)
    op.create_index(op.f("ix_lamindb_schema_updated_at"), "lamindb_schema", ["updated_at"], unique=False)

    op.create_table(
        "lamindb_storage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=12), nullable=False),
        sa.Column("root", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("type", sa.String(length=30), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=True),
        sa.Column("instance_uid", sa.String(length=12), nullable=True),
        sa.Column("branch_id", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("created_on_id", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("space_id", sa.SmallInteger(), server_default=sa.text("1"), nullable=False),
        sa.Column("is_locked", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("_aux", JSON, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["lamindb_branch.id"], name=op.f("fk_lamindb_storage_branch_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_storage_created_by_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["created_on_id"], ["lamindb_branch.id"], name=op.f("fk_lamindb_storage_created_on_id"), ondelete="RESTRICT"),
        *_cycle_fks("lamindb_storage"),
        sa.ForeignKeyConstraint(["space_id"], ["lamindb_space.id"], name=op.f("fk_lamindb_storage_space_id"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_storage")),
        sa.UniqueConstraint("root", name=op.f("uq_lamindb_storage_root")),
        sa.UniqueConstraint("uid", name=op.f("uq_lamindb_storage_uid")),
    )
    op.create_index(op.f("ix_lamindb_storage_branch_id"), "lamindb_storage", ["branch_id"], unique=False)
    op.create_index(op.f("ix_lamindb_storage_created_at"), "lamindb_storage", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_storage_created_by_id"), "lamindb_storage", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_lamindb_storage_created_on_id"), "lamindb_storage", ["created_on_id"], unique=False)
    op.create_index(op.f("ix_lamindb_storage_instance_uid"), "lamindb_storage", ["instance_uid"], unique=False)
    op.create_index(op.f("ix_lamindb_storage_region"), "lamindb_storage", ["region"], unique=False)
    op.create_index(op.f("ix_lamindb_storage_run_id"), "lamindb_storage", ["run_id"], unique=False)
    op.create_index(op.f("ix_lamindb_storage_space_id"), "lamindb_storage", ["space_id"], unique=False)
    op.create_index(op.f("ix_lamindb_storage_type"), "lamindb_storage", ["type"], unique=False)
    op.create_index(op.f("ix_lamindb_storage_updated_at"), "lamindb_storage", ["updated_at"], unique=False)

    op.create_table(
        "lamindb_transform",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=1024), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("source_code", sa.Text(), nullable=True),
        sa.Column("hash", sa.String(length=22), nullable=True),
        sa.Column("reference", sa.String(length=255), nullable=True),
        sa.Column("reference_type", sa.String(length=25), nullable=True),
        sa.Column("environment_id", sa.Integer(), nullable=True),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("version_tag", sa.String(length=30), nullable=True),
        sa.Column("is_latest", sa.Boolean(), nullable=False),
        sa.Column("branch_id", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("created_on_id", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("space_id", sa.SmallInteger(), server_default=sa.text("1"), nullable=False),
        sa.Column("is_locked", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("_aux", JSON, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["lamindb_branch.id"], name=op.f("fk_lamindb_transform_branch_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_transform_created_by_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["created_on_id"], ["lamindb_branch.id"], name=op.f("fk_lamindb_transform_created_on_id"), ondelete="RESTRICT"),
        *_cycle_fks("lamindb_transform"),
        sa.ForeignKeyConstraint(["space_id"], ["lamindb_space.id"], name=op.f("fk_lamindb_transform_space_id"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_transform")),
        sa.UniqueConstraint("key", "hash", name=op.f("uq_lamindb_transform_key_hash")),
        sa.UniqueConstraint("uid", name=op.f("uq_lamindb_transform_uid")),
    )
    op.create_index(op.f("ix_lamindb_transform_branch_id"), "lamindb_transform", ["branch_id"], unique=False)
    op.create_index(op.f("ix_lamindb_transform_created_at"), "lamindb_transform", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_transform_created_by_id"), "lamindb_transform", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_lamindb_transform_created_on_id"), "lamindb_transform", ["created_on_id"], unique=False)
    op.create_index(op.f("ix_lamindb_transform_description"), "lamindb_transform", ["description"], unique=False)
    op.create_index(op.f("ix_lamindb_transform_environment_id"), "lamindb_transform", ["environment_id"], unique=False)
    op.create_index(op.f("ix_lamindb_transform_hash"), "lamindb_transform", ["hash"], unique=False)
    op.create_index(op.f("ix_lamindb_transform_is_latest"), "lamindb_transform", ["is_latest"], unique=False)
    op.create_index(op.f("ix_lamindb_transform_key"), "lamindb_transform", ["key"], unique=False)
    op.create_index(op.f("ix_lamindb_transform_kind"), "lamindb_transform", ["kind"], unique=False)
    op.create_index(op.f("ix_lamindb_transform_plan_id"), "lamindb_transform", ["plan_id"], unique=False)
    op.create_index(op.f("ix_lamindb_transform_reference"), "lamindb_transform", ["reference"], unique=False)
    op.create_index(op.f("ix_lamindb_transform_reference_type"), "lamindb_transform", ["reference_type"], unique=False)
    op.create_index(op.f("ix_lamindb_transform_run_id"), "lamindb_transform", ["run_id"], unique=False)
    op.create_index(op.f("ix_lamindb_transform_space_id"), "lamindb_transform", ["space_id"], unique=False)
    op.create_index(op.f("ix_lamindb_transform_updated_at"), "lamindb_transform", ["updated_at"], unique=False)
    op.create_index(op.f("ix_lamindb_transform_version_tag"), "lamindb_transform", ["version_tag"], unique=False)

    op.create_table(
        "lamindb_ulabel",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=150), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("reference", sa.String(length=255), nullable=True),
        sa.Column("reference_type", sa.String(length=25), nullable=True),
        sa.Column("branch_id", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("created_on_id", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("space_id", sa.SmallInteger(), server_default=sa.text("1"), nullable=False),
        sa.Column("is_locked", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("_aux", JSON, nullable=True),
        sa.Column("is_type", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["lamindb_branch.id"], name=op.f("fk_lamindb_ulabel_branch_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_ulabel_created_by_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["created_on_id"], ["lamindb_branch.id"], name=op.f("fk_lamindb_ulabel_created_on_id"), ondelete="RESTRICT"),
        *_cycle_fks("lamindb_ulabel"),
        sa.ForeignKeyConstraint(["space_id"], ["lamindb_space.id"], name=op.f("fk_lamindb_ulabel_space_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["type_id"], ["lamindb_ulabel.id"], name=op.f("fk_lamindb_ulabel_type_id"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_ulabel")),
        sa.UniqueConstraint("uid", name=op.f("uq_lamindb_ulabel_uid")),
    )
    op.create_index(op.f("ix_lamindb_ulabel_branch_id"), "lamindb_ulabel", ["branch_id"], unique=False)
    op.create_index(op.f("ix_lamindb_ulabel_created_at"), "lamindb_ulabel", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_ulabel_created_by_id"), "lamindb_ulabel", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_lamindb_ulabel_created_on_id"), "lamindb_ulabel", ["created_on_id"], unique=False)
    op.create_index(op.f("ix_lamindb_ulabel_is_type"), "lamindb_ulabel", ["is_type"], unique=False)
    op.create_index(op.f("ix_lamindb_ulabel_name"), "lamindb_ulabel", ["name"], unique=False)
    op.create_index(op.f("ix_lamindb_ulabel_reference"), "lamindb_ulabel", ["reference"], unique=False)
    op.create_index(op.f("ix_lamindb_ulabel_reference_type"), "lamindb_ulabel", ["reference_type"], unique=False)
    op.create_index(op.f("ix_lamindb_ulabel_run_id"), "lamindb_ulabel", ["run_id"], unique=False)
    op.create_index(op.f("ix_lamindb_ulabel_space_id"), "lamindb_ulabel", ["space_id"], unique=False)
    op.create_index(op.f("ix_lamindb_ulabel_type_id"), "lamindb_ulabel", ["type_id"], unique=False)
    op.create_index(op.f("ix_lamindb_ulabel_updated_at"), "lamindb_ulabel", ["updated_at"], unique=False)

    op.create_table(
        "lamindb_artifact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=1024), nullable=True),
        sa.Column("_real_key", sa.String(length=1024), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("storage_id", sa.Integer(), nullable=False),
        sa.Column("suffix", sa.String(length=30), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=True),
        sa.Column("otype", sa.String(length=64), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("hash", sa.String(length=22), nullable=True),
        sa.Column("_hash_type", sa.String(length=30), nullable=True),
        sa.Column("n_files", sa.BigInteger(), nullable=True),
        sa.Column("n_observations", sa.BigInteger(), nullable=True),
        sa.Column("extra_data", JSON, nullable=True),
        sa.Column("_key_is_virtual", sa.Boolean(), nullable=False),
        sa.Column("_overwrite_versions", sa.Boolean(), nullable=False),
        sa.Column("schema_id", sa.Integer(), nullable=True),
        sa.Column("version_tag", sa.String(length=30), nullable=True),
        sa.Column("is_latest", sa.Boolean(), nullable=False),
        sa.Column("branch_id", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("created_on_id", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("space_id", sa.SmallInteger(), server_default=sa.text("1"), nullable=False),
        sa.Column("is_locked", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("_aux", JSON, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["lamindb_branch.id"], name=op.f("fk_lamindb_artifact_branch_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_artifact_created_by_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["created_on_id"], ["lamindb_branch.id"], name=op.f("fk_lamindb_artifact_created_on_id"), ondelete="RESTRICT"),
        *_cycle_fks("lamindb_artifact"),
        sa.ForeignKeyConstraint(["schema_id"], ["lamindb_schema.id"], name=op.f("fk_lamindb_artifact_schema_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["space_id"], ["lamindb_space.id"], name=op.f("fk_lamindb_artifact_space_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["storage_id"], ["lamindb_storage.id"], name=op.f("fk_lamindb_artifact_storage_id"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_artifact")),
        sa.UniqueConstraint("uid", name=op.f("uq_lamindb_artifact_uid")),
    )
    op.create_index(op.f("ix_lamindb_artifact__hash_type"), "lamindb_artifact", ["_hash_type"], unique=False)
    op.create_index(op.f("ix_lamindb_artifact__real_key"), "lamindb_artifact", ["_real_key"], unique=False)
    op.create_index(op.f("ix_lamindb_artifact_branch_id"), "lamindb_artifact", ["branch_id"], unique=False)
    op.create_index(op.f("ix_lamindb_artifact_created_at"), "lamindb_artifact", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_artifact_created_by_id"), "lamindb_artifact", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_lamindb_artifact_created_on_id"), "lamindb_artifact", ["created_on_id"], unique=False)
    op.create_index(op.f("ix_lamindb_artifact_description"), "lamindb_artifact", ["description"], unique=False)
    op.create_index(op.f("ix_lamindb_artifact_hash"), "lamindb_artifact", ["hash"], unique=False)
    op.create_index(op.f("ix_lamindb_artifact_is_latest"), "lamindb_artifact", ["is_latest"], unique=False)
    op.create_index(op.f("ix_lamindb_artifact_key"), "lamindb_artifact", ["key"], unique=False)
    op.create_index(op.f("ix_lamindb_artifact_kind"), "lamindb_artifact", ["kind"], unique=False)
    op.create_index(op.f("ix_lamindb_artifact_n_files"), "lamindb_artifact", ["n_files"], unique=False)
    op.create_index(op.f("ix_lamindb_artifact_n_observations"), "lamindb_artifact", ["n_observations"], unique=False)
    op.create_index(op.f("ix_lamindb_artifact_otype"), "lamindb_artifact", ["otype"], unique=False)
    op.create_index(op.f("ix_lamindb_artifact_run_id"), "lamindb_artifact", ["run_id"], unique=False)
    op.create_index(op.f("ix_lamindb_artifact_schema_id"), "lamindb_artifact", ["schema_id"], unique=False)
    op.create_index(op.f("ix_lamindb_artifact_size"), "lamindb_artifact", ["size"], unique=False)
    op.create_index(op.f("ix_lamindb_artifact_space_id"), "lamindb_artifact", ["space_id"], unique=False)
    op.create_index(op.f("ix_lamindb_artifact_storage_id"), "lamindb_artifact", ["storage_id"], unique=False)
    op.create_index(op.f("ix_lamindb_artifact_updated_at"), "lamindb_artifact", ["updated_at"], unique=False)
    op.create_index(op.f("ix_lamindb_artifact_version_tag"), "lamindb_artifact", ["version_tag"], unique=False)
    op.create_index(op.f("unique_artifact_storage_hash_null_key"), "lamindb_artifact", ["storage_id", "hash"], unique=True, postgresql_where=sa.text("key IS NULL"), sqlite_where=sa.text("key IS NULL"))
    op.create_index(op.f("unique_artifact_storage_key_hash_not_null"), "lamindb_artifact", ["storage_id", "key", "hash"], unique=True, postgresql_where=sa.text("key IS NOT NULL"), sqlite_where=sa.text("key IS NOT NULL"))

    op.create_table(
        "lamindb_branchproject",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["lamindb_branch.id"], name=op.f("fk_lamindb_branchproject_branch_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["project_id"], ["lamindb_project.id"], name=op.f("fk_lamindb_branchproject_project_id"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_branchproject")),
        sa.UniqueConstraint("branch_id", "project_id", name=op.f("uq_lamindb_branchproject_branch_id_project_id")),
    )
    op.create_index(op.f("ix_lamindb_branchproject_branch_id"), "lamindb_branchproject", ["branch_id"], unique=False)
    op.create_index(op.f("ix_lamindb_branchproject_project_id"), "lamindb_branchproject", ["project_id"], unique=False)

    op.create_table(
        "lamindb_branchulabel",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("ulabel_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["lamindb_branch.id"], name=op.f("fk_lamindb_branchulabel_branch_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["ulabel_id"], ["lamindb_ulabel.id"], name=op.f("fk_lamindb_branchulabel_ulabel_id"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_branchulabel")),
        sa.UniqueConstraint("branch_id", "ulabel_id", name=op.f("uq_lamindb_branchulabel_branch_id_ulabel_id")),
    )
    op.create_index(op.f("ix_lamindb_branchulabel_branch_id"), "lamindb_branchulabel", ["branch_id"], unique=False)
    op.create_index(op.f("ix_lamindb_branchulabel_ulabel_id"), "lamindb_branchulabel", ["ulabel_id"], unique=False)

    op.create_table(
        "lamindb_featureproject",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("feature_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_featureproject_created_by_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["feature_id"], ["lamindb_feature.id"], name=op.f("fk_lamindb_featureproject_feature_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["project_id"], ["lamindb_project.id"], name=op.f("fk_lamindb_featureproject_project_id"), ondelete="RESTRICT"),
        *_cycle_fks("lamindb_featureproject"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_featureproject")),
        sa.UniqueConstraint("feature_id", "project_id", name=op.f("uq_lamindb_featureproject_feature_id_project_id")),
    )
    op.create_index(op.f("ix_lamindb_featureproject_created_at"), "lamindb_featureproject", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_featureproject_created_by_id"), "lamindb_featureproject", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_lamindb_featureproject_feature_id"), "lamindb_featureproject", ["feature_id"], unique=False)
    op.create_index(op.f("ix_lamindb_featureproject_project_id"), "lamindb_featureproject", ["project_id"], unique=False)
    op.create_index(op.f("ix_lamindb_featureproject_run_id"), "lamindb_featureproject", ["run_id"], unique=False)

    op.create_table(
        "lamindb_jsonvalue",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("feature_id", sa.Integer(), nullable=True),
        sa.Column("value", JSON, nullable=False),
        sa.Column("hash", sa.String(length=22), nullable=True),
        sa.Column("branch_id", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("created_on_id", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("space_id", sa.SmallInteger(), server_default=sa.text("1"), nullable=False),
        sa.Column("is_locked", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("_aux", JSON, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["branch_id"], ["lamindb_branch.id"], name=op.f("fk_lamindb_jsonvalue_branch_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_jsonvalue_created_by_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["created_on_id"], ["lamindb_branch.id"], name=op.f("fk_lamindb_jsonvalue_created_on_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["feature_id"], ["lamindb_feature.id"], name=op.f("fk_lamindb_jsonvalue_feature_id"), ondelete="CASCADE"),
        *_cycle_fks("lamindb_jsonvalue"),
        sa.ForeignKeyConstraint(["space_id"], ["lamindb_space.id"], name=op.f("fk_lamindb_jsonvalue_space_id"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_jsonvalue")),
        sa.UniqueConstraint("feature_id", "hash", name="lamindb_jsonvalue_feature_id_hash_21a74ed4_uniq"),
    )
    op.create_index(op.f("ix_lamindb_jsonvalue_branch_id"), "lamindb_jsonvalue", ["branch_id"], unique=False)
    op.create_index(op.f("ix_lamindb_jsonvalue_created_at"), "lamindb_jsonvalue", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_jsonvalue_created_by_id"), "lamindb_jsonvalue", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_lamindb_jsonvalue_created_on_id"), "lamindb_jsonvalue", ["created_on_id"], unique=False)
    op.create_index(op.f("ix_lamindb_jsonvalue_feature_id"), "lamindb_jsonvalue", ["feature_id"], unique=False)
    op.create_index(op.f("ix_lamindb_jsonvalue_hash"), "lamindb_jsonvalue", ["hash"], unique=False)
    op.create_index(op.f("ix_lamindb_jsonvalue_run_id"), "lamindb_jsonvalue", ["run_id"], unique=False)
    op.create_index(op.f("ix_lamindb_jsonvalue_space_id"), "lamindb_jsonvalue", ["space_id"], unique=False)

    op.create_table(
        "lamindb_project_parents",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("from_project_id", sa.Integer(), nullable=False),
        sa.Column("to_project_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["from_project_id"], ["lamindb_project.id"], name=op.f("fk_lamindb_project_parents_from_project_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["to_project_id"], ["lamindb_project.id"], name=op.f("fk_lamindb_project_parents_to_project_id"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_project_parents")),
        sa.UniqueConstraint("from_project_id", "to_project_id", name=op.f("uq_lamindb_project_parents_from_project_id_to_project_id")),
    )
    op.create_index(op.f("ix_lamindb_project_parents_from_project_id"), "lamindb_project_parents", ["from_project_id"], unique=False)
    op.create_index(op.f("ix_lamindb_project_parents_to_project_id"), "lamindb_project_parents", ["to_project_id"], unique=False)

    op.create_table(
        "lamindb_project_predecessors",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("from_project_id", sa.Integer(), nullable=False),
        sa.Column("to_project_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["from_project_id"], ["lamindb_project.id"], name=op.f("fk_lamindb_project_predecessors_from_project_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["to_project_id"], ["lamindb_project.id"], name=op.f("fk_lamindb_project_predecessors_to_project_id"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_project_predecessors")),
        sa.UniqueConstraint("from_project_id", "to_project_id", name=op.f("uq_lamindb_project_predecessors_from_project_id_to_project_id")),
    )
    op.create_index(op.f("ix_lamindb_project_predecessors_from_project_id"), "lamindb_project_predecessors", ["from_project_id"], unique=False)
    op.create_index(op.f("ix_lamindb_project_predecessors_to_project_id"), "lamindb_project_predecessors", ["to_project_id"], unique=False)

    op.create_table(
        "lamindb_project_references",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("reference_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["lamindb_project.id"], name=op.f("fk_lamindb_project_references_project_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["reference_id"], ["lamindb_reference.id"], name=op.f("fk_lamindb_project_references_reference_id"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_project_references")),
        sa.UniqueConstraint("project_id", "reference_id", name=op.f("uq_lamindb_project_references_project_id_reference_id")),
    )
    op.create_index(op.f("ix_lamindb_project_references_project_id"), "lamindb_project_references", ["project_id"], unique=False)
    op.create_index(op.f("ix_lamindb_project_references_reference_id"), "lamindb_project_references", ["reference_id"], unique=False)

    op.create_table(
        "lamindb_projectuser",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["lamindb_project.id"], name=op.f("fk_lamindb_projectuser_project_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_projectuser_user_id"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_projectuser")),
        sa.UniqueConstraint("project_id", "user_id", "role", name=op.f("uq_lamindb_projectuser_project_id_user_id_role")),
    )
    op.create_index(op.f("ix_lamindb_projectuser_project_id"), "lamindb_projectuser", ["project_id"], unique=False)
    op.create_index(op.f("ix_lamindb_projectuser_user_id"), "lamindb_projectuser", ["user_id"], unique=False)

    op.create_table(
        "lamindb_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=150), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("reference", sa.String(length=255), nullable=True),
        sa.Column("reference_type", sa.String(length=25), nullable=True),
        sa.Column("extra_data", JSON, nullable=True),
        sa.Column("schema_id", sa.Integer(), nullable=True),
        sa.Column("branch_id", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("created_on_id", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("space_id", sa.SmallInteger(), server_default=sa.text("1"), nullable=False),
        sa.Column("is_locked", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("_aux", JSON, nullable=True),
        sa.Column("is_type", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["lamindb_branch.id"], name=op.f("fk_lamindb_record_branch_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_record_created_by_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["created_on_id"], ["lamindb_branch.id"], name=op.f("fk_lamindb_record_created_on_id"), ondelete="RESTRICT"),
        *_cycle_fks("lamindb_record"),
        sa.ForeignKeyConstraint(["schema_id"], ["lamindb_schema.id"], name=op.f("fk_lamindb_record_schema_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["space_id"], ["lamindb_space.id"], name=op.f("fk_lamindb_record_space_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["type_id"], ["lamindb_record.id"], name=op.f("fk_lamindb_record_type_id"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_record")),
        sa.UniqueConstraint("uid", name=op.f("uq_lamindb_record_uid")),
    )
    op.create_index(op.f("ix_lamindb_record_branch_id"), "lamindb_record", ["branch_id"], unique=False)
    op.create_index(op.f("ix_lamindb_record_created_at"), "lamindb_record", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_record_created_by_id"), "lamindb_record", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_lamindb_record_created_on_id"), "lamindb_record", ["created_on_id"], unique=False)
    op.create_index(op.f("ix_lamindb_record_is_type"), "lamindb_record", ["is_type"], unique=False)
    op.create_index(op.f("ix_lamindb_record_name"), "lamindb_record", ["name"], unique=False)
    op.create_index(op.f("ix_lamindb_record_reference"), "lamindb_record", ["reference"], unique=False)
    op.create_index(op.f("ix_lamindb_record_reference_type"), "lamindb_record", ["reference_type"], unique=False)
    op.create_index(op.f("ix_lamindb_record_run_id"), "lamindb_record", ["run_id"], unique=False)
    op.create_index(op.f("ix_lamindb_record_schema_id"), "lamindb_record", ["schema_id"], unique=False)
    op.create_index(op.f("ix_lamindb_record_space_id"), "lamindb_record", ["space_id"], unique=False)
    op.create_index(op.f("ix_lamindb_record_type_id"), "lamindb_record", ["type_id"], unique=False)
    op.create_index(op.f("ix_lamindb_record_updated_at"), "lamindb_record", ["updated_at"], unique=False)

    op.create_table(
        "lamindb_run",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("uid", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=150), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("transform_id", sa.Integer(), nullable=False),
        sa.Column("entrypoint", sa.String(length=255), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("environment_id", sa.Integer(), nullable=True),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("params", JSON, nullable=True),
        sa.Column("extra_data", JSON, nullable=True),
        sa.Column("reference", sa.String(length=255), nullable=True),
        sa.Column("reference_type", sa.String(length=25), nullable=True),
        sa.Column("cli_args", sa.String(length=1024), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("initiated_by_run_id", sa.BigInteger(), nullable=True),
        sa.Column("_is_consecutive", sa.Boolean(), nullable=True),
        sa.Column("_status_code", sa.SmallInteger(), server_default=sa.text("-3"), nullable=False),
        sa.Column("branch_id", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("created_on_id", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("space_id", sa.SmallInteger(), server_default=sa.text("1"), nullable=False),
        sa.Column("is_locked", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("_aux", JSON, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["lamindb_branch.id"], name=op.f("fk_lamindb_run_branch_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_run_created_by_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_on_id"], ["lamindb_branch.id"], name=op.f("fk_lamindb_run_created_on_id"), ondelete="RESTRICT"),
        *_cycle_fks("lamindb_run"),
        sa.ForeignKeyConstraint(["initiated_by_run_id"], ["lamindb_run.id"], name=op.f("fk_lamindb_run_initiated_by_run_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["space_id"], ["lamindb_space.id"], name=op.f("fk_lamindb_run_space_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["transform_id"], ["lamindb_transform.id"], name=op.f("fk_lamindb_run_transform_id"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_run")),
        sa.UniqueConstraint("uid", name=op.f("uq_lamindb_run_uid")),
    )
    op.create_index(op.f("ix_lamindb_run__status_code"), "lamindb_run", ["_status_code"], unique=False)
    op.create_index(op.f("ix_lamindb_run_branch_id"), "lamindb_run", ["branch_id"], unique=False)
    op.create_index(op.f("ix_lamindb_run_created_at"), "lamindb_run", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_run_created_by_id"), "lamindb_run", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_lamindb_run_created_on_id"), "lamindb_run", ["created_on_id"], unique=False)
    op.create_index(op.f("ix_lamindb_run_entrypoint"), "lamindb_run", ["entrypoint"], unique=False)
    op.create_index(op.f("ix_lamindb_run_environment_id"), "lamindb_run", ["environment_id"], unique=False)
    op.create_index(op.f("ix_lamindb_run_finished_at"), "lamindb_run", ["finished_at"], unique=False)
    op.create_index(op.f("ix_lamindb_run_initiated_by_run_id"), "lamindb_run", ["initiated_by_run_id"], unique=False)
    op.create_index(op.f("ix_lamindb_run_name"), "lamindb_run", ["name"], unique=False)
    op.create_index(op.f("ix_lamindb_run_plan_id"), "lamindb_run", ["plan_id"], unique=False)
    op.create_index(op.f("ix_lamindb_run_reference"), "lamindb_run", ["reference"], unique=False)
    op.create_index(op.f("ix_lamindb_run_reference_type"), "lamindb_run", ["reference_type"], unique=False)
    op.create_index(op.f("ix_lamindb_run_report_id"), "lamindb_run", ["report_id"], unique=False)
    op.create_index(op.f("ix_lamindb_run_space_id"), "lamindb_run", ["space_id"], unique=False)
    op.create_index(op.f("ix_lamindb_run_started_at"), "lamindb_run", ["started_at"], unique=False)
    op.create_index(op.f("ix_lamindb_run_transform_id"), "lamindb_run", ["transform_id"], unique=False)
    op.create_index(op.f("ix_lamindb_run_updated_at"), "lamindb_run", ["updated_at"], unique=False)

    op.create_table(
        "lamindb_schemacomponent",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("composite_id", sa.Integer(), nullable=False),
        sa.Column("component_id", sa.Integer(), nullable=False),
        sa.Column("slot", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(["component_id"], ["lamindb_schema.id"], name=op.f("fk_lamindb_schemacomponent_component_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["composite_id"], ["lamindb_schema.id"], name=op.f("fk_lamindb_schemacomponent_composite_id"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_schemacomponent")),
        sa.UniqueConstraint("composite_id", "slot", "component_id", name=op.f("uq_lamindb_schemacomponent_composite_id_slot_component_id")),
        sa.UniqueConstraint("composite_id", "slot", name=op.f("uq_lamindb_schemacomponent_composite_id_slot")),
    )
    op.create_index(op.f("ix_lamindb_schemacomponent_component_id"), "lamindb_schemacomponent", ["component_id"], unique=False)
    op.create_index(op.f("ix_lamindb_schemacomponent_composite_id"), "lamindb_schemacomponent", ["composite_id"], unique=False)

    op.create_table(
        "lamindb_schemafeature",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("schema_id", sa.Integer(), nullable=False),
        sa.Column("feature_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["feature_id"], ["lamindb_feature.id"], name=op.f("fk_lamindb_schemafeature_feature_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["schema_id"], ["lamindb_schema.id"], name=op.f("fk_lamindb_schemafeature_schema_id"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_schemafeature")),
        sa.UniqueConstraint("schema_id", "feature_id", name=op.f("uq_lamindb_schemafeature_schema_id_feature_id")),
    )
    op.create_index(op.f("ix_lamindb_schemafeature_feature_id"), "lamindb_schemafeature", ["feature_id"], unique=False)
    op.create_index(op.f("ix_lamindb_schemafeature_schema_id"), "lamindb_schemafeature", ["schema_id"], unique=False)

    op.create_table(
        "lamindb_schemaproject",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("schema_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_schemaproject_created_by_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["project_id"], ["lamindb_project.id"], name=op.f("fk_lamindb_schemaproject_project_id"), ondelete="RESTRICT"),
        *_cycle_fks("lamindb_schemaproject"),
        sa.ForeignKeyConstraint(["schema_id"], ["lamindb_schema.id"], name=op.f("fk_lamindb_schemaproject_schema_id"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_schemaproject")),
        sa.UniqueConstraint("schema_id", "project_id", name=op.f("uq_lamindb_schemaproject_schema_id_project_id")),
    )
    op.create_index(op.f("ix_lamindb_schemaproject_created_at"), "lamindb_schemaproject", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_schemaproject_created_by_id"), "lamindb_schemaproject", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_lamindb_schemaproject_project_id"), "lamindb_schemaproject", ["project_id"], unique=False)
    op.create_index(op.f("ix_lamindb_schemaproject_run_id"), "lamindb_schemaproject", ["run_id"], unique=False)
    op.create_index(op.f("ix_lamindb_schemaproject_schema_id"), "lamindb_schemaproject", ["schema_id"], unique=False)

    op.create_table(
        "lamindb_transformproject",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("transform_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_transformproject_created_by_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["project_id"], ["lamindb_project.id"], name=op.f("fk_lamindb_transformproject_project_id"), ondelete="RESTRICT"),
        *_cycle_fks("lamindb_transformproject"),
        sa.ForeignKeyConstraint(["transform_id"], ["lamindb_transform.id"], name=op.f("fk_lamindb_transformproject_transform_id"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_transformproject")),
        sa.UniqueConstraint("transform_id", "project_id", name=op.f("uq_lamindb_transformproject_transform_id_project_id")),
    )
    op.create_index(op.f("ix_lamindb_transformproject_created_at"), "lamindb_transformproject", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_transformproject_created_by_id"), "lamindb_transformproject", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_lamindb_transformproject_project_id"), "lamindb_transformproject", ["project_id"], unique=False)
    op.create_index(op.f("ix_lamindb_transformproject_run_id"), "lamindb_transformproject", ["run_id"], unique=False)
    op.create_index(op.f("ix_lamindb_transformproject_transform_id"), "lamindb_transformproject", ["transform_id"], unique=False)

    op.create_table(
        "lamindb_transformreference",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("transform_id", sa.Integer(), nullable=False),
        sa.Column("reference_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_transformreference_created_by_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["reference_id"], ["lamindb_reference.id"], name=op.f("fk_lamindb_transformreference_reference_id"), ondelete="RESTRICT"),
        *_cycle_fks("lamindb_transformreference"),
        sa.ForeignKeyConstraint(["transform_id"], ["lamindb_transform.id"], name=op.f("fk_lamindb_transformreference_transform_id"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_transformreference")),
        sa.UniqueConstraint("transform_id", "reference_id", name=op.f("uq_lamindb_transformreference_transform_id_reference_id")),
    )
    op.create_index(op.f("ix_lamindb_transformreference_created_at"), "lamindb_transformreference", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_transformreference_created_by_id"), "lamindb_transformreference", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_lamindb_transformreference_reference_id"), "lamindb_transformreference", ["reference_id"], unique=False)
    op.create_index(op.f("ix_lamindb_transformreference_run_id"), "lamindb_transformreference", ["run_id"], unique=False)
    op.create_index(op.f("ix_lamindb_transformreference_transform_id"), "lamindb_transformreference", ["transform_id"], unique=False)

    op.create_table(
        "lamindb_transformtransform",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("successor_id", sa.Integer(), nullable=False),
        sa.Column("predecessor_id", sa.Integer(), nullable=False),
        sa.Column("config", JSON, nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_transformtransform_created_by_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["predecessor_id"], ["lamindb_transform.id"], name=op.f("fk_lamindb_transformtransform_predecessor_id"), ondelete="CASCADE"),
        *_cycle_fks("lamindb_transformtransform"),
        sa.ForeignKeyConstraint(["successor_id"], ["lamindb_transform.id"], name=op.f("fk_lamindb_transformtransform_successor_id"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_transformtransform")),
        sa.UniqueConstraint("successor_id", "predecessor_id", name=op.f("uq_lamindb_transformtransform_successor_id_predecessor_id")),
    )
    op.create_index(op.f("ix_lamindb_transformtransform_created_at"), "lamindb_transformtransform", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_transformtransform_created_by_id"), "lamindb_transformtransform", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_lamindb_transformtransform_predecessor_id"), "lamindb_transformtransform", ["predecessor_id"], unique=False)
    op.create_index(op.f("ix_lamindb_transformtransform_run_id"), "lamindb_transformtransform", ["run_id"], unique=False)
    op.create_index(op.f("ix_lamindb_transformtransform_successor_id"), "lamindb_transformtransform", ["successor_id"], unique=False)

    op.create_table(
        "lamindb_transformulabel",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("transform_id", sa.Integer(), nullable=False),
        sa.Column("ulabel_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_transformulabel_created_by_id"), ondelete="RESTRICT"),
        *_cycle_fks("lamindb_transformulabel"),
        sa.ForeignKeyConstraint(["transform_id"], ["lamindb_transform.id"], name=op.f("fk_lamindb_transformulabel_transform_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["ulabel_id"], ["lamindb_ulabel.id"], name=op.f("fk_lamindb_transformulabel_ulabel_id"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_transformulabel")),
        sa.UniqueConstraint("transform_id", "ulabel_id", name=op.f("uq_lamindb_transformulabel_transform_id_ulabel_id")),
    )
    op.create_index(op.f("ix_lamindb_transformulabel_created_at"), "lamindb_transformulabel", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_transformulabel_created_by_id"), "lamindb_transformulabel", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_lamindb_transformulabel_run_id"), "lamindb_transformulabel", ["run_id"], unique=False)
    op.create_index(op.f("ix_lamindb_transformulabel_transform_id"), "lamindb_transformulabel", ["transform_id"], unique=False)
    op.create_index(op.f("ix_lamindb_transformulabel_ulabel_id"), "lamindb_transformulabel", ["ulabel_id"], unique=False)

    op.create_table(
        "lamindb_ulabel_parents",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("from_ulabel_id", sa.Integer(), nullable=False),
        sa.Column("to_ulabel_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["from_ulabel_id"], ["lamindb_ulabel.id"], name=op.f("fk_lamindb_ulabel_parents_from_ulabel_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["to_ulabel_id"], ["lamindb_ulabel.id"], name=op.f("fk_lamindb_ulabel_parents_to_ulabel_id"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_ulabel_parents")),
        sa.UniqueConstraint("from_ulabel_id", "to_ulabel_id", name=op.f("uq_lamindb_ulabel_parents_from_ulabel_id_to_ulabel_id")),
    )
    op.create_index(op.f("ix_lamindb_ulabel_parents_from_ulabel_id"), "lamindb_ulabel_parents", ["from_ulabel_id"], unique=False)
    op.create_index(op.f("ix_lamindb_ulabel_parents_to_ulabel_id"), "lamindb_ulabel_parents", ["to_ulabel_id"], unique=False)

    op.create_table(
        "lamindb_ulabelproject",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("ulabel_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_ulabelproject_created_by_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["project_id"], ["lamindb_project.id"], name=op.f("fk_lamindb_ulabelproject_project_id"), ondelete="RESTRICT"),
        *_cycle_fks("lamindb_ulabelproject"),
        sa.ForeignKeyConstraint(["ulabel_id"], ["lamindb_ulabel.id"], name=op.f("fk_lamindb_ulabelproject_ulabel_id"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_ulabelproject")),
        sa.UniqueConstraint("ulabel_id", "project_id", name=op.f("uq_lamindb_ulabelproject_ulabel_id_project_id")),
    )
    op.create_index(op.f("ix_lamindb_ulabelproject_created_at"), "lamindb_ulabelproject", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_ulabelproject_created_by_id"), "lamindb_ulabelproject", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_lamindb_ulabelproject_project_id"), "lamindb_ulabelproject", ["project_id"], unique=False)
    op.create_index(op.f("ix_lamindb_ulabelproject_run_id"), "lamindb_ulabelproject", ["run_id"], unique=False)
    op.create_index(op.f("ix_lamindb_ulabelproject_ulabel_id"), "lamindb_ulabelproject", ["ulabel_id"], unique=False)

    op.create_table(
        "lamindb_artifact_input_of_runs",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("artifact_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["artifact_id"], ["lamindb_artifact.id"], name=op.f("fk_lamindb_artifact_input_of_runs_artifact_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["run_id"], ["lamindb_run.id"], name=op.f("fk_lamindb_artifact_input_of_runs_run_id"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_artifact_input_of_runs")),
        sa.UniqueConstraint("artifact_id", "run_id", name=op.f("uq_lamindb_artifact_input_of_runs_artifact_id_run_id")),
    )
    op.create_index(op.f("ix_lamindb_artifact_input_of_runs_artifact_id"), "lamindb_artifact_input_of_runs", ["artifact_id"], unique=False)
    op.create_index(op.f("ix_lamindb_artifact_input_of_runs_run_id"), "lamindb_artifact_input_of_runs", ["run_id"], unique=False)

    op.create_table(
        "lamindb_artifactjsonvalue",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("artifact_id", sa.Integer(), nullable=False),
        sa.Column("jsonvalue_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["artifact_id"], ["lamindb_artifact.id"], name=op.f("fk_lamindb_artifactjsonvalue_artifact_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_artifactjsonvalue_created_by_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["jsonvalue_id"], ["lamindb_jsonvalue.id"], name=op.f("fk_lamindb_artifactjsonvalue_jsonvalue_id"), ondelete="RESTRICT"),
        *_cycle_fks("lamindb_artifactjsonvalue"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_artifactjsonvalue")),
        sa.UniqueConstraint("artifact_id", "jsonvalue_id", name=op.f("uq_lamindb_artifactjsonvalue_artifact_id_jsonvalue_id")),
    )
    op.create_index(op.f("ix_lamindb_artifactjsonvalue_artifact_id"), "lamindb_artifactjsonvalue", ["artifact_id"], unique=False)
    op.create_index(op.f("ix_lamindb_artifactjsonvalue_created_at"), "lamindb_artifactjsonvalue", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_artifactjsonvalue_created_by_id"), "lamindb_artifactjsonvalue", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_lamindb_artifactjsonvalue_jsonvalue_id"), "lamindb_artifactjsonvalue", ["jsonvalue_id"], unique=False)
    op.create_index(op.f("ix_lamindb_artifactjsonvalue_run_id"), "lamindb_artifactjsonvalue", ["run_id"], unique=False)

    op.create_table(
        "lamindb_artifactproject",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("artifact_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("feature_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["artifact_id"], ["lamindb_artifact.id"], name=op.f("fk_lamindb_artifactproject_artifact_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_artifactproject_created_by_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["feature_id"], ["lamindb_feature.id"], name=op.f("fk_lamindb_artifactproject_feature_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["project_id"], ["lamindb_project.id"], name=op.f("fk_lamindb_artifactproject_project_id"), ondelete="RESTRICT"),
        *_cycle_fks("lamindb_artifactproject"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_artifactproject")),
    )
    op.create_index(op.f("ix_lamindb_artifactproject_artifact_id"), "lamindb_artifactproject", ["artifact_id"], unique=False)
    op.create_index(op.f("ix_lamindb_artifactproject_created_at"), "lamindb_artifactproject", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_artifactproject_created_by_id"), "lamindb_artifactproject", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_lamindb_artifactproject_feature_id"), "lamindb_artifactproject", ["feature_id"], unique=False)
    op.create_index(op.f("ix_lamindb_artifactproject_project_id"), "lamindb_artifactproject", ["project_id"], unique=False)
    op.create_index(op.f("ix_lamindb_artifactproject_run_id"), "lamindb_artifactproject", ["run_id"], unique=False)
    op.create_index(op.f("unique_lamindb_artifactproject"), "lamindb_artifactproject", ["artifact_id", "project_id", "feature_id"], unique=True, postgresql_where=sa.text("feature_id IS NOT NULL"), sqlite_where=sa.text("feature_id IS NOT NULL"))
    op.create_index(op.f("unique_lamindb_artifactproject_null_feature"), "lamindb_artifactproject", ["artifact_id", "project_id"], unique=True, postgresql_where=sa.text("feature_id IS NULL"), sqlite_where=sa.text("feature_id IS NULL"))

    op.create_table(
        "lamindb_artifactrecord",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("artifact_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("feature_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["artifact_id"], ["lamindb_artifact.id"], name=op.f("fk_lamindb_artifactrecord_artifact_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_artifactrecord_created_by_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["feature_id"], ["lamindb_feature.id"], name=op.f("fk_lamindb_artifactrecord_feature_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["record_id"], ["lamindb_record.id"], name=op.f("fk_lamindb_artifactrecord_record_id"), ondelete="RESTRICT"),
        *_cycle_fks("lamindb_artifactrecord"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_artifactrecord")),
    )
    op.create_index(op.f("ix_lamindb_artifactrecord_artifact_id"), "lamindb_artifactrecord", ["artifact_id"], unique=False)
    op.create_index(op.f("ix_lamindb_artifactrecord_created_at"), "lamindb_artifactrecord", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_artifactrecord_created_by_id"), "lamindb_artifactrecord", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_lamindb_artifactrecord_feature_id"), "lamindb_artifactrecord", ["feature_id"], unique=False)
    op.create_index(op.f("ix_lamindb_artifactrecord_record_id"), "lamindb_artifactrecord", ["record_id"], unique=False)
    op.create_index(op.f("ix_lamindb_artifactrecord_run_id"), "lamindb_artifactrecord", ["run_id"], unique=False)
    op.create_index(op.f("unique_lamindb_artifactrecord"), "lamindb_artifactrecord", ["artifact_id", "record_id", "feature_id"], unique=True, postgresql_where=sa.text("feature_id IS NOT NULL"), sqlite_where=sa.text("feature_id IS NOT NULL"))
    op.create_index(op.f("unique_lamindb_artifactrecord_null_feature"), "lamindb_artifactrecord", ["artifact_id", "record_id"], unique=True, postgresql_where=sa.text("feature_id IS NULL"), sqlite_where=sa.text("feature_id IS NULL"))

    op.create_table(
        "lamindb_artifactreference",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("artifact_id", sa.Integer(), nullable=False),
        sa.Column("reference_id", sa.Integer(), nullable=False),
        sa.Column("feature_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["artifact_id"], ["lamindb_artifact.id"], name=op.f("fk_lamindb_artifactreference_artifact_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_artifactreference_created_by_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["feature_id"], ["lamindb_feature.id"], name=op.f("fk_lamindb_artifactreference_feature_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["reference_id"], ["lamindb_reference.id"], name=op.f("fk_lamindb_artifactreference_reference_id"), ondelete="RESTRICT"),
        *_cycle_fks("lamindb_artifactreference"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_artifactreference")),
    )
    op.create_index(op.f("ix_lamindb_artifactreference_artifact_id"), "lamindb_artifactreference", ["artifact_id"], unique=False)
    op.create_index(op.f("ix_lamindb_artifactreference_created_at"), "lamindb_artifactreference", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_artifactreference_created_by_id"), "lamindb_artifactreference", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_lamindb_artifactreference_feature_id"), "lamindb_artifactreference", ["feature_id"], unique=False)
    op.create_index(op.f("ix_lamindb_artifactreference_reference_id"), "lamindb_artifactreference", ["reference_id"], unique=False)
    op.create_index(op.f("ix_lamindb_artifactreference_run_id"), "lamindb_artifactreference", ["run_id"], unique=False)
    op.create_index(op.f("unique_lamindb_artifactreference"), "lamindb_artifactreference", ["artifact_id", "reference_id", "feature_id"], unique=True, postgresql_where=sa.text("feature_id IS NOT NULL"), sqlite_where=sa.text("feature_id IS NOT NULL"))
    op.create_index(op.f("unique_lamindb_artifactreference_null_feature"), "lamindb_artifactreference", ["artifact_id", "reference_id"], unique=True, postgresql_where=sa.text("feature_id IS NULL"), sqlite_where=sa.text("feature_id IS NULL"))

    op.create_table(
        "lamindb_artifactrun",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("artifact_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("feature_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["artifact_id"], ["lamindb_artifact.id"], name=op.f("fk_lamindb_artifactrun_artifact_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_artifactrun_created_by_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["feature_id"], ["lamindb_feature.id"], name=op.f("fk_lamindb_artifactrun_feature_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["run_id"], ["lamindb_run.id"], name=op.f("fk_lamindb_artifactrun_run_id"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_artifactrun")),
    )
    op.create_index(op.f("ix_lamindb_artifactrun_artifact_id"), "lamindb_artifactrun", ["artifact_id"], unique=False)
    op.create_index(op.f("ix_lamindb_artifactrun_created_at"), "lamindb_artifactrun", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_artifactrun_created_by_id"), "lamindb_artifactrun", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_lamindb_artifactrun_feature_id"), "lamindb_artifactrun", ["feature_id"], unique=False)
    op.create_index(op.f("ix_lamindb_artifactrun_run_id"), "lamindb_artifactrun", ["run_id"], unique=False)
    op.create_index(op.f("unique_lamindb_artifactrun"), "lamindb_artifactrun", ["artifact_id", "run_id", "feature_id"], unique=True, postgresql_where=sa.text("feature_id IS NOT NULL"), sqlite_where=sa.text("feature_id IS NOT NULL"))
    op.create_index(op.f("unique_lamindb_artifactrun_null_feature"), "lamindb_artifactrun", ["artifact_id", "run_id"], unique=True, postgresql_where=sa.text("feature_id IS NULL"), sqlite_where=sa.text("feature_id IS NULL"))

    op.create_table(
        "lamindb_artifactschema",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("artifact_id", sa.Integer(), nullable=False),
        sa.Column("schema_id", sa.Integer(), nullable=False),
        sa.Column("slot", sa.String(length=255), nullable=True),
        sa.Column("feature_ref_is_semantic", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(["artifact_id"], ["lamindb_artifact.id"], name=op.f("fk_lamindb_artifactschema_artifact_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_artifactschema_created_by_id"), ondelete="RESTRICT"),
        *_cycle_fks("lamindb_artifactschema"),
        sa.ForeignKeyConstraint(["schema_id"], ["lamindb_schema.id"], name=op.f("fk_lamindb_artifactschema_schema_id"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_artifactschema")),
        sa.UniqueConstraint("artifact_id", "slot", "schema_id", name=op.f("uq_lamindb_artifactschema_artifact_id_slot_schema_id")),
        sa.UniqueConstraint("artifact_id", "slot", name=op.f("uq_lamindb_artifactschema_artifact_id_slot")),
    )
    op.create_index(op.f("ix_lamindb_artifactschema_artifact_id"), "lamindb_artifactschema", ["artifact_id"], unique=False)
    op.create_index(op.f("ix_lamindb_artifactschema_created_at"), "lamindb_artifactschema", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_artifactschema_created_by_id"), "lamindb_artifactschema", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_lamindb_artifactschema_run_id"), "lamindb_artifactschema", ["run_id"], unique=False)
    op.create_index(op.f("ix_lamindb_artifactschema_schema_id"), "lamindb_artifactschema", ["schema_id"], unique=False)

    op.create_table(
        "lamindb_artifactulabel",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("artifact_id", sa.Integer(), nullable=False),
        sa.Column("ulabel_id", sa.Integer(), nullable=False),
        sa.Column("feature_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["artifact_id"], ["lamindb_artifact.id"], name=op.f("fk_lamindb_artifactulabel_artifact_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_artifactulabel_created_by_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["feature_id"], ["lamindb_feature.id"], name=op.f("fk_lamindb_artifactulabel_feature_id"), ondelete="RESTRICT"),
        *_cycle_fks("lamindb_artifactulabel"),
        sa.ForeignKeyConstraint(["ulabel_id"], ["lamindb_ulabel.id"], name=op.f("fk_lamindb_artifactulabel_ulabel_id"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_artifactulabel")),
    )
    op.create_index(op.f("ix_lamindb_artifactulabel_artifact_id"), "lamindb_artifactulabel", ["artifact_id"], unique=False)
    op.create_index(op.f("ix_lamindb_artifactulabel_created_at"), "lamindb_artifactulabel", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_artifactulabel_created_by_id"), "lamindb_artifactulabel", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_lamindb_artifactulabel_feature_id"), "lamindb_artifactulabel", ["feature_id"], unique=False)
    op.create_index(op.f("ix_lamindb_artifactulabel_run_id"), "lamindb_artifactulabel", ["run_id"], unique=False)
    op.create_index(op.f("ix_lamindb_artifactulabel_ulabel_id"), "lamindb_artifactulabel", ["ulabel_id"], unique=False)
    op.create_index(op.f("unique_lamindb_artifactulabel"), "lamindb_artifactulabel", ["artifact_id", "ulabel_id", "feature_id"], unique=True, postgresql_where=sa.text("feature_id IS NOT NULL"), sqlite_where=sa.text("feature_id IS NOT NULL"))
    op.create_index(op.f("unique_lamindb_artifactulabel_null_feature"), "lamindb_artifactulabel", ["artifact_id", "ulabel_id"], unique=True, postgresql_where=sa.text("feature_id IS NULL"), sqlite_where=sa.text("feature_id IS NULL"))

    op.create_table(
        "lamindb_artifactuser",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("artifact_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("feature_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["artifact_id"], ["lamindb_artifact.id"], name=op.f("fk_lamindb_artifactuser_artifact_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_artifactuser_created_by_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["feature_id"], ["lamindb_feature.id"], name=op.f("fk_lamindb_artifactuser_feature_id"), ondelete="RESTRICT"),
        *_cycle_fks("lamindb_artifactuser"),
        sa.ForeignKeyConstraint(["user_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_artifactuser_user_id"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_artifactuser")),
    )
    op.create_index(op.f("ix_lamindb_artifactuser_artifact_id"), "lamindb_artifactuser", ["artifact_id"], unique=False)
    op.create_index(op.f("ix_lamindb_artifactuser_created_at"), "lamindb_artifactuser", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_artifactuser_created_by_id"), "lamindb_artifactuser", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_lamindb_artifactuser_feature_id"), "lamindb_artifactuser", ["feature_id"], unique=False)
    op.create_index(op.f("ix_lamindb_artifactuser_run_id"), "lamindb_artifactuser", ["run_id"], unique=False)
    op.create_index(op.f("ix_lamindb_artifactuser_user_id"), "lamindb_artifactuser", ["user_id"], unique=False)
    op.create_index(op.f("unique_lamindb_artifactuser"), "lamindb_artifactuser", ["artifact_id", "user_id", "feature_id"], unique=True, postgresql_where=sa.text("feature_id IS NOT NULL"), sqlite_where=sa.text("feature_id IS NOT NULL"))
    op.create_index(op.f("unique_lamindb_artifactuser_null_feature"), "lamindb_artifactuser", ["artifact_id", "user_id"], unique=True, postgresql_where=sa.text("feature_id IS NULL"), sqlite_where=sa.text("feature_id IS NULL"))

    op.create_table(
        "lamindb_collection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("hash", sa.String(length=22), nullable=True),
        sa.Column("reference", sa.String(length=255), nullable=True),
        sa.Column("reference_type", sa.String(length=25), nullable=True),
        sa.Column("schema_id", sa.Integer(), nullable=True),
        sa.Column("meta_artifact_id", sa.Integer(), nullable=True),
        sa.Column("version_tag", sa.String(length=30), nullable=True),
        sa.Column("is_latest", sa.Boolean(), nullable=False),
        sa.Column("branch_id", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("created_on_id", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("space_id", sa.SmallInteger(), server_default=sa.text("1"), nullable=False),
        sa.Column("is_locked", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("_aux", JSON, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["lamindb_branch.id"], name=op.f("fk_lamindb_collection_branch_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_collection_created_by_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["created_on_id"], ["lamindb_branch.id"], name=op.f("fk_lamindb_collection_created_on_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["meta_artifact_id"], ["lamindb_artifact.id"], name=op.f("fk_lamindb_collection_meta_artifact_id"), ondelete="RESTRICT"),
        *_cycle_fks("lamindb_collection"),
        sa.ForeignKeyConstraint(["schema_id"], ["lamindb_schema.id"], name=op.f("fk_lamindb_collection_schema_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["space_id"], ["lamindb_space.id"], name=op.f("fk_lamindb_collection_space_id"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_collection")),
        sa.UniqueConstraint("key", "hash", name="unique_collection_key_hash_not_null"),
        sa.UniqueConstraint("meta_artifact_id", name=op.f("uq_lamindb_collection_meta_artifact_id")),
        sa.UniqueConstraint("uid", name=op.f("uq_lamindb_collection_uid")),
    )
    op.create_index(op.f("ix_lamindb_collection_branch_id"), "lamindb_collection", ["branch_id"], unique=False)
    op.create_index(op.f("ix_lamindb_collection_created_at"), "lamindb_collection", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_collection_created_by_id"), "lamindb_collection", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_lamindb_collection_created_on_id"), "lamindb_collection", ["created_on_id"], unique=False)
    op.create_index(op.f("ix_lamindb_collection_hash"), "lamindb_collection", ["hash"], unique=False)
    op.create_index(op.f("ix_lamindb_collection_is_latest"), "lamindb_collection", ["is_latest"], unique=False)
    op.create_index(op.f("ix_lamindb_collection_key"), "lamindb_collection", ["key"], unique=False)
    op.create_index(op.f("ix_lamindb_collection_reference"), "lamindb_collection", ["reference"], unique=False)
    op.create_index(op.f("ix_lamindb_collection_reference_type"), "lamindb_collection", ["reference_type"], unique=False)
    op.create_index(op.f("ix_lamindb_collection_run_id"), "lamindb_collection", ["run_id"], unique=False)
    op.create_index(op.f("ix_lamindb_collection_schema_id"), "lamindb_collection", ["schema_id"], unique=False)
    op.create_index(op.f("ix_lamindb_collection_space_id"), "lamindb_collection", ["space_id"], unique=False)
    op.create_index(op.f("ix_lamindb_collection_updated_at"), "lamindb_collection", ["updated_at"], unique=False)
    op.create_index(op.f("ix_lamindb_collection_version_tag"), "lamindb_collection", ["version_tag"], unique=False)

    op.create_table(
        "lamindb_projectrecord",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("feature_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_projectrecord_created_by_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["feature_id"], ["lamindb_feature.id"], name=op.f("fk_lamindb_projectrecord_feature_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["project_id"], ["lamindb_project.id"], name=op.f("fk_lamindb_projectrecord_project_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["record_id"], ["lamindb_record.id"], name=op.f("fk_lamindb_projectrecord_record_id"), ondelete="CASCADE"),
        *_cycle_fks("lamindb_projectrecord"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_projectrecord")),
    )
    op.create_index(op.f("ix_lamindb_projectrecord_created_at"), "lamindb_projectrecord", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_projectrecord_created_by_id"), "lamindb_projectrecord", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_lamindb_projectrecord_feature_id"), "lamindb_projectrecord", ["feature_id"], unique=False)
    op.create_index(op.f("ix_lamindb_projectrecord_project_id"), "lamindb_projectrecord", ["project_id"], unique=False)
    op.create_index(op.f("ix_lamindb_projectrecord_record_id"), "lamindb_projectrecord", ["record_id"], unique=False)
    op.create_index(op.f("ix_lamindb_projectrecord_run_id"), "lamindb_projectrecord", ["run_id"], unique=False)
    op.create_index(op.f("unique_lamindb_projectrecord"), "lamindb_projectrecord", ["record_id", "project_id", "feature_id"], unique=True, postgresql_where=sa.text("feature_id IS NOT NULL"), sqlite_where=sa.text("feature_id IS NOT NULL"))
    op.create_index(op.f("unique_lamindb_projectrecord_null_feature"), "lamindb_projectrecord", ["record_id", "project_id"], unique=True, postgresql_where=sa.text("feature_id IS NULL"), sqlite_where=sa.text("feature_id IS NULL"))

    op.create_table(
        "lamindb_record_input_of_runs",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["record_id"], ["lamindb_record.id"], name=op.f("fk_lamindb_record_input_of_runs_record_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["run_id"], ["lamindb_run.id"], name=op.f("fk_lamindb_record_input_of_runs_run_id"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_record_input_of_runs")),
        sa.UniqueConstraint("record_id", "run_id", name=op.f("uq_lamindb_record_input_of_runs_record_id_run_id")),
    )
    op.create_index(op.f("ix_lamindb_record_input_of_runs_record_id"), "lamindb_record_input_of_runs", ["record_id"], unique=False)
    op.create_index(op.f("ix_lamindb_record_input_of_runs_run_id"), "lamindb_record_input_of_runs", ["run_id"], unique=False)

    op.create_table(
        "lamindb_record_parents",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("from_record_id", sa.Integer(), nullable=False),
        sa.Column("to_record_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["from_record_id"], ["lamindb_record.id"], name=op.f("fk_lamindb_record_parents_from_record_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["to_record_id"], ["lamindb_record.id"], name=op.f("fk_lamindb_record_parents_to_record_id"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_record_parents")),
        sa.UniqueConstraint("from_record_id", "to_record_id", name=op.f("uq_lamindb_record_parents_from_record_id_to_record_id")),
    )
    op.create_index(op.f("ix_lamindb_record_parents_from_record_id"), "lamindb_record_parents", ["from_record_id"], unique=False)
    op.create_index(op.f("ix_lamindb_record_parents_to_record_id"), "lamindb_record_parents", ["to_record_id"], unique=False)

    op.create_table(
        "lamindb_recordartifact",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("feature_id", sa.Integer(), nullable=False),
        sa.Column("value_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["feature_id"], ["lamindb_feature.id"], name=op.f("fk_lamindb_recordartifact_feature_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["record_id"], ["lamindb_record.id"], name=op.f("fk_lamindb_recordartifact_record_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["value_id"], ["lamindb_artifact.id"], name=op.f("fk_lamindb_recordartifact_value_id"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_recordartifact")),
        sa.UniqueConstraint("record_id", "feature_id", "value_id", name=op.f("uq_lamindb_recordartifact_record_id_feature_id_value_id")),
    )
    op.create_index(op.f("ix_lamindb_recordartifact_feature_id"), "lamindb_recordartifact", ["feature_id"], unique=False)
    op.create_index(op.f("ix_lamindb_recordartifact_record_id"), "lamindb_recordartifact", ["record_id"], unique=False)
    op.create_index(op.f("ix_lamindb_recordartifact_value_id"), "lamindb_recordartifact", ["value_id"], unique=False)

    op.create_table(
        "lamindb_recordjson",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("feature_id", sa.Integer(), nullable=False),
        sa.Column("value", JSON, nullable=False),
        sa.ForeignKeyConstraint(["feature_id"], ["lamindb_feature.id"], name=op.f("fk_lamindb_recordjson_feature_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["record_id"], ["lamindb_record.id"], name=op.f("fk_lamindb_recordjson_record_id"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_recordjson")),
        sa.UniqueConstraint("record_id", "feature_id", name=op.f("uq_lamindb_recordjson_record_id_feature_id")),
    )
    op.create_index(op.f("ix_lamindb_recordjson_feature_id"), "lamindb_recordjson", ["feature_id"], unique=False)
    op.create_index(op.f("ix_lamindb_recordjson_record_id"), "lamindb_recordjson", ["record_id"], unique=False)

    op.create_table(
        "lamindb_recordproject",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("feature_id", sa.Integer(), nullable=False),
        sa.Column("value_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["feature_id"], ["lamindb_feature.id"], name=op.f("fk_lamindb_recordproject_feature_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["record_id"], ["lamindb_record.id"], name=op.f("fk_lamindb_recordproject_record_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["value_id"], ["lamindb_project.id"], name=op.f("fk_lamindb_recordproject_value_id"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_recordproject")),
        sa.UniqueConstraint("record_id", "feature_id", "value_id", name=op.f("uq_lamindb_recordproject_record_id_feature_id_value_id")),
    )
    op.create_index(op.f("ix_lamindb_recordproject_feature_id"), "lamindb_recordproject", ["feature_id"], unique=False)
    op.create_index(op.f("ix_lamindb_recordproject_record_id"), "lamindb_recordproject", ["record_id"], unique=False)
    op.create_index(op.f("ix_lamindb_recordproject_value_id"), "lamindb_recordproject", ["value_id"], unique=False)

    op.create_table(
        "lamindb_recordrecord",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("feature_id", sa.Integer(), nullable=False),
        sa.Column("value_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["feature_id"], ["lamindb_feature.id"], name=op.f("fk_lamindb_recordrecord_feature_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["record_id"], ["lamindb_record.id"], name=op.f("fk_lamindb_recordrecord_record_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["value_id"], ["lamindb_record.id"], name=op.f("fk_lamindb_recordrecord_value_id"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_recordrecord")),
        sa.UniqueConstraint("record_id", "feature_id", "value_id", name=op.f("uq_lamindb_recordrecord_record_id_feature_id_value_id")),
    )
    op.create_index(op.f("ix_lamindb_recordrecord_feature_id"), "lamindb_recordrecord", ["feature_id"], unique=False)
    op.create_index(op.f("ix_lamindb_recordrecord_record_id"), "lamindb_recordrecord", ["record_id"], unique=False)
    op.create_index(op.f("ix_lamindb_recordrecord_value_id"), "lamindb_recordrecord", ["value_id"], unique=False)

    op.create_table(
        "lamindb_recordreference",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("feature_id", sa.Integer(), nullable=False),
        sa.Column("value_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["feature_id"], ["lamindb_feature.id"], name=op.f("fk_lamindb_recordreference_feature_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["record_id"], ["lamindb_record.id"], name=op.f("fk_lamindb_recordreference_record_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["value_id"], ["lamindb_reference.id"], name=op.f("fk_lamindb_recordreference_value_id"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_recordreference")),
        sa.UniqueConstraint("record_id", "feature_id", "value_id", name=op.f("uq_lamindb_recordreference_record_id_feature_id_value_id")),
    )
    op.create_index(op.f("ix_lamindb_recordreference_feature_id"), "lamindb_recordreference", ["feature_id"], unique=False)
    op.create_index(op.f("ix_lamindb_recordreference_record_id"), "lamindb_recordreference", ["record_id"], unique=False)
    op.create_index(op.f("ix_lamindb_recordreference_value_id"), "lamindb_recordreference", ["value_id"], unique=False)

    op.create_table(
        "lamindb_recordrun",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("feature_id", sa.Integer(), nullable=False),
        sa.Column("value_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["feature_id"], ["lamindb_feature.id"], name=op.f("fk_lamindb_recordrun_feature_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["record_id"], ["lamindb_record.id"], name=op.f("fk_lamindb_recordrun_record_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["value_id"], ["lamindb_run.id"], name=op.f("fk_lamindb_recordrun_value_id"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_recordrun")),
        sa.UniqueConstraint("record_id", "feature_id", "value_id", name=op.f("uq_lamindb_recordrun_record_id_feature_id_value_id")),
    )
    op.create_index(op.f("ix_lamindb_recordrun_feature_id"), "lamindb_recordrun", ["feature_id"], unique=False)
    op.create_index(op.f("ix_lamindb_recordrun_record_id"), "lamindb_recordrun", ["record_id"], unique=False)
    op.create_index(op.f("ix_lamindb_recordrun_value_id"), "lamindb_recordrun", ["value_id"], unique=False)

    op.create_table(
        "lamindb_recordtransform",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("feature_id", sa.Integer(), nullable=False),
        sa.Column("value_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["feature_id"], ["lamindb_feature.id"], name=op.f("fk_lamindb_recordtransform_feature_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["record_id"], ["lamindb_record.id"], name=op.f("fk_lamindb_recordtransform_record_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["value_id"], ["lamindb_transform.id"], name=op.f("fk_lamindb_recordtransform_value_id"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_recordtransform")),
        sa.UniqueConstraint("record_id", "feature_id", "value_id", name=op.f("uq_lamindb_recordtransform_record_id_feature_id_value_id")),
    )
    op.create_index(op.f("ix_lamindb_recordtransform_feature_id"), "lamindb_recordtransform", ["feature_id"], unique=False)
    op.create_index(op.f("ix_lamindb_recordtransform_record_id"), "lamindb_recordtransform", ["record_id"], unique=False)
    op.create_index(op.f("ix_lamindb_recordtransform_value_id"), "lamindb_recordtransform", ["value_id"], unique=False)

    op.create_table(
        "lamindb_recordulabel",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("feature_id", sa.Integer(), nullable=False),
        sa.Column("value_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["feature_id"], ["lamindb_feature.id"], name=op.f("fk_lamindb_recordulabel_feature_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["record_id"], ["lamindb_record.id"], name=op.f("fk_lamindb_recordulabel_record_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["value_id"], ["lamindb_ulabel.id"], name=op.f("fk_lamindb_recordulabel_value_id"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_recordulabel")),
        sa.UniqueConstraint("record_id", "feature_id", "value_id", name=op.f("uq_lamindb_recordulabel_record_id_feature_id_value_id")),
    )
    op.create_index(op.f("ix_lamindb_recordulabel_feature_id"), "lamindb_recordulabel", ["feature_id"], unique=False)
    op.create_index(op.f("ix_lamindb_recordulabel_record_id"), "lamindb_recordulabel", ["record_id"], unique=False)
    op.create_index(op.f("ix_lamindb_recordulabel_value_id"), "lamindb_recordulabel", ["value_id"], unique=False)

    op.create_table(
        "lamindb_recorduser",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("feature_id", sa.Integer(), nullable=False),
        sa.Column("value_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["feature_id"], ["lamindb_feature.id"], name=op.f("fk_lamindb_recorduser_feature_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["record_id"], ["lamindb_record.id"], name=op.f("fk_lamindb_recorduser_record_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["value_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_recorduser_value_id"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_recorduser")),
        sa.UniqueConstraint("record_id", "feature_id", "value_id", name=op.f("uq_lamindb_recorduser_record_id_feature_id_value_id")),
    )
    op.create_index(op.f("ix_lamindb_recorduser_feature_id"), "lamindb_recorduser", ["feature_id"], unique=False)
    op.create_index(op.f("ix_lamindb_recorduser_record_id"), "lamindb_recorduser", ["record_id"], unique=False)
    op.create_index(op.f("ix_lamindb_recorduser_value_id"), "lamindb_recorduser", ["value_id"], unique=False)

    op.create_table(
        "lamindb_referencerecord",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("reference_id", sa.Integer(), nullable=False),
        sa.Column("feature_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_referencerecord_created_by_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["feature_id"], ["lamindb_feature.id"], name=op.f("fk_lamindb_referencerecord_feature_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["record_id"], ["lamindb_record.id"], name=op.f("fk_lamindb_referencerecord_record_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["reference_id"], ["lamindb_reference.id"], name=op.f("fk_lamindb_referencerecord_reference_id"), ondelete="RESTRICT"),
        *_cycle_fks("lamindb_referencerecord"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_referencerecord")),
    )
    op.create_index(op.f("ix_lamindb_referencerecord_created_at"), "lamindb_referencerecord", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_referencerecord_created_by_id"), "lamindb_referencerecord", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_lamindb_referencerecord_feature_id"), "lamindb_referencerecord", ["feature_id"], unique=False)
    op.create_index(op.f("ix_lamindb_referencerecord_record_id"), "lamindb_referencerecord", ["record_id"], unique=False)
    op.create_index(op.f("ix_lamindb_referencerecord_reference_id"), "lamindb_referencerecord", ["reference_id"], unique=False)
    op.create_index(op.f("ix_lamindb_referencerecord_run_id"), "lamindb_referencerecord", ["run_id"], unique=False)
    op.create_index(op.f("unique_lamindb_referencerecord"), "lamindb_referencerecord", ["record_id", "reference_id", "feature_id"], unique=True, postgresql_where=sa.text("feature_id IS NOT NULL"), sqlite_where=sa.text("feature_id IS NOT NULL"))
    op.create_index(op.f("unique_lamindb_referencerecord_null_feature"), "lamindb_referencerecord", ["record_id", "reference_id"], unique=True, postgresql_where=sa.text("feature_id IS NULL"), sqlite_where=sa.text("feature_id IS NULL"))

    op.create_table(
        "lamindb_runjsonvalue",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("jsonvalue_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_runjsonvalue_created_by_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["jsonvalue_id"], ["lamindb_jsonvalue.id"], name=op.f("fk_lamindb_runjsonvalue_jsonvalue_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["run_id"], ["lamindb_run.id"], name=op.f("fk_lamindb_runjsonvalue_run_id"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_runjsonvalue")),
        sa.UniqueConstraint("run_id", "jsonvalue_id", name=op.f("uq_lamindb_runjsonvalue_run_id_jsonvalue_id")),
    )
    op.create_index(op.f("ix_lamindb_runjsonvalue_created_at"), "lamindb_runjsonvalue", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_runjsonvalue_created_by_id"), "lamindb_runjsonvalue", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_lamindb_runjsonvalue_jsonvalue_id"), "lamindb_runjsonvalue", ["jsonvalue_id"], unique=False)
    op.create_index(op.f("ix_lamindb_runjsonvalue_run_id"), "lamindb_runjsonvalue", ["run_id"], unique=False)

    op.create_table(
        "lamindb_runproject",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_runproject_created_by_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["project_id"], ["lamindb_project.id"], name=op.f("fk_lamindb_runproject_project_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["run_id"], ["lamindb_run.id"], name=op.f("fk_lamindb_runproject_run_id"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_runproject")),
        sa.UniqueConstraint("run_id", "project_id", name=op.f("uq_lamindb_runproject_run_id_project_id")),
    )
    op.create_index(op.f("ix_lamindb_runproject_created_at"), "lamindb_runproject", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_runproject_created_by_id"), "lamindb_runproject", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_lamindb_runproject_project_id"), "lamindb_runproject", ["project_id"], unique=False)
    op.create_index(op.f("ix_lamindb_runproject_run_id"), "lamindb_runproject", ["run_id"], unique=False)

    op.create_table(
        "lamindb_runrecord",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("feature_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_runrecord_created_by_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["feature_id"], ["lamindb_feature.id"], name=op.f("fk_lamindb_runrecord_feature_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["record_id"], ["lamindb_record.id"], name=op.f("fk_lamindb_runrecord_record_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["run_id"], ["lamindb_run.id"], name=op.f("fk_lamindb_runrecord_run_id"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_runrecord")),
    )
    op.create_index(op.f("ix_lamindb_runrecord_created_at"), "lamindb_runrecord", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_runrecord_created_by_id"), "lamindb_runrecord", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_lamindb_runrecord_feature_id"), "lamindb_runrecord", ["feature_id"], unique=False)
    op.create_index(op.f("ix_lamindb_runrecord_record_id"), "lamindb_runrecord", ["record_id"], unique=False)
    op.create_index(op.f("ix_lamindb_runrecord_run_id"), "lamindb_runrecord", ["run_id"], unique=False)
    op.create_index(op.f("unique_lamindb_runrecord"), "lamindb_runrecord", ["run_id", "record_id", "feature_id"], unique=True, postgresql_where=sa.text("feature_id IS NOT NULL"), sqlite_where=sa.text("feature_id IS NOT NULL"))
    op.create_index(op.f("unique_lamindb_runrecord_null_feature"), "lamindb_runrecord", ["run_id", "record_id"], unique=True, postgresql_where=sa.text("feature_id IS NULL"), sqlite_where=sa.text("feature_id IS NULL"))

    op.create_table(
        "lamindb_runulabel",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("ulabel_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_runulabel_created_by_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["run_id"], ["lamindb_run.id"], name=op.f("fk_lamindb_runulabel_run_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["ulabel_id"], ["lamindb_ulabel.id"], name=op.f("fk_lamindb_runulabel_ulabel_id"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_runulabel")),
        sa.UniqueConstraint("run_id", "ulabel_id", name=op.f("uq_lamindb_runulabel_run_id_ulabel_id")),
    )
    op.create_index(op.f("ix_lamindb_runulabel_created_at"), "lamindb_runulabel", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_runulabel_created_by_id"), "lamindb_runulabel", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_lamindb_runulabel_run_id"), "lamindb_runulabel", ["run_id"], unique=False)
    op.create_index(op.f("ix_lamindb_runulabel_ulabel_id"), "lamindb_runulabel", ["ulabel_id"], unique=False)

    op.create_table(
        "lamindb_transformrecord",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("transform_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("feature_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_transformrecord_created_by_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["feature_id"], ["lamindb_feature.id"], name=op.f("fk_lamindb_transformrecord_feature_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["record_id"], ["lamindb_record.id"], name=op.f("fk_lamindb_transformrecord_record_id"), ondelete="RESTRICT"),
        *_cycle_fks("lamindb_transformrecord"),
        sa.ForeignKeyConstraint(["transform_id"], ["lamindb_transform.id"], name=op.f("fk_lamindb_transformrecord_transform_id"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_transformrecord")),
    )
    op.create_index(op.f("ix_lamindb_transformrecord_created_at"), "lamindb_transformrecord", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_transformrecord_created_by_id"), "lamindb_transformrecord", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_lamindb_transformrecord_feature_id"), "lamindb_transformrecord", ["feature_id"], unique=False)
    op.create_index(op.f("ix_lamindb_transformrecord_record_id"), "lamindb_transformrecord", ["record_id"], unique=False)
    op.create_index(op.f("ix_lamindb_transformrecord_run_id"), "lamindb_transformrecord", ["run_id"], unique=False)
    op.create_index(op.f("ix_lamindb_transformrecord_transform_id"), "lamindb_transformrecord", ["transform_id"], unique=False)
    op.create_index(op.f("unique_lamindb_transformrecord"), "lamindb_transformrecord", ["transform_id", "record_id", "feature_id"], unique=True, postgresql_where=sa.text("feature_id IS NOT NULL"), sqlite_where=sa.text("feature_id IS NOT NULL"))
    op.create_index(op.f("unique_lamindb_transformrecord_null_feature"), "lamindb_transformrecord", ["transform_id", "record_id"], unique=True, postgresql_where=sa.text("feature_id IS NULL"), sqlite_where=sa.text("feature_id IS NULL"))

    op.create_table(
        "lamindb_collection_input_of_runs",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["collection_id"], ["lamindb_collection.id"], name=op.f("fk_lamindb_collection_input_of_runs_collection_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["run_id"], ["lamindb_run.id"], name=op.f("fk_lamindb_collection_input_of_runs_run_id"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_collection_input_of_runs")),
        sa.UniqueConstraint("collection_id", "run_id", name=op.f("uq_lamindb_collection_input_of_runs_collection_id_run_id")),
    )
    op.create_index(op.f("ix_lamindb_collection_input_of_runs_collection_id"), "lamindb_collection_input_of_runs", ["collection_id"], unique=False)
    op.create_index(op.f("ix_lamindb_collection_input_of_runs_run_id"), "lamindb_collection_input_of_runs", ["run_id"], unique=False)

    op.create_table(
        "lamindb_collectionartifact",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("artifact_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["artifact_id"], ["lamindb_artifact.id"], name=op.f("fk_lamindb_collectionartifact_artifact_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["collection_id"], ["lamindb_collection.id"], name=op.f("fk_lamindb_collectionartifact_collection_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_collectionartifact_created_by_id"), ondelete="RESTRICT"),
        *_cycle_fks("lamindb_collectionartifact"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_collectionartifact")),
        sa.UniqueConstraint("collection_id", "artifact_id", name=op.f("uq_lamindb_collectionartifact_collection_id_artifact_id")),
    )
    op.create_index(op.f("ix_lamindb_collectionartifact_artifact_id"), "lamindb_collectionartifact", ["artifact_id"], unique=False)
    op.create_index(op.f("ix_lamindb_collectionartifact_collection_id"), "lamindb_collectionartifact", ["collection_id"], unique=False)
    op.create_index(op.f("ix_lamindb_collectionartifact_created_at"), "lamindb_collectionartifact", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_collectionartifact_created_by_id"), "lamindb_collectionartifact", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_lamindb_collectionartifact_run_id"), "lamindb_collectionartifact", ["run_id"], unique=False)

    op.create_table(
        "lamindb_collectionproject",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["collection_id"], ["lamindb_collection.id"], name=op.f("fk_lamindb_collectionproject_collection_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_collectionproject_created_by_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["project_id"], ["lamindb_project.id"], name=op.f("fk_lamindb_collectionproject_project_id"), ondelete="RESTRICT"),
        *_cycle_fks("lamindb_collectionproject"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_collectionproject")),
        sa.UniqueConstraint("collection_id", "project_id", name=op.f("uq_lamindb_collectionproject_collection_id_project_id")),
    )
    op.create_index(op.f("ix_lamindb_collectionproject_collection_id"), "lamindb_collectionproject", ["collection_id"], unique=False)
    op.create_index(op.f("ix_lamindb_collectionproject_created_at"), "lamindb_collectionproject", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_collectionproject_created_by_id"), "lamindb_collectionproject", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_lamindb_collectionproject_project_id"), "lamindb_collectionproject", ["project_id"], unique=False)
    op.create_index(op.f("ix_lamindb_collectionproject_run_id"), "lamindb_collectionproject", ["run_id"], unique=False)

    op.create_table(
        "lamindb_collectionrecord",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("feature_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["collection_id"], ["lamindb_collection.id"], name=op.f("fk_lamindb_collectionrecord_collection_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_collectionrecord_created_by_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["feature_id"], ["lamindb_feature.id"], name=op.f("fk_lamindb_collectionrecord_feature_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["record_id"], ["lamindb_record.id"], name=op.f("fk_lamindb_collectionrecord_record_id"), ondelete="RESTRICT"),
        *_cycle_fks("lamindb_collectionrecord"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_collectionrecord")),
    )
    op.create_index(op.f("ix_lamindb_collectionrecord_collection_id"), "lamindb_collectionrecord", ["collection_id"], unique=False)
    op.create_index(op.f("ix_lamindb_collectionrecord_created_at"), "lamindb_collectionrecord", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_collectionrecord_created_by_id"), "lamindb_collectionrecord", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_lamindb_collectionrecord_feature_id"), "lamindb_collectionrecord", ["feature_id"], unique=False)
    op.create_index(op.f("ix_lamindb_collectionrecord_record_id"), "lamindb_collectionrecord", ["record_id"], unique=False)
    op.create_index(op.f("ix_lamindb_collectionrecord_run_id"), "lamindb_collectionrecord", ["run_id"], unique=False)
    op.create_index(op.f("unique_lamindb_collectionrecord"), "lamindb_collectionrecord", ["collection_id", "record_id", "feature_id"], unique=True, postgresql_where=sa.text("feature_id IS NOT NULL"), sqlite_where=sa.text("feature_id IS NOT NULL"))
    op.create_index(op.f("unique_lamindb_collectionrecord_null_feature"), "lamindb_collectionrecord", ["collection_id", "record_id"], unique=True, postgresql_where=sa.text("feature_id IS NULL"), sqlite_where=sa.text("feature_id IS NULL"))

    op.create_table(
        "lamindb_collectionreference",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("reference_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["collection_id"], ["lamindb_collection.id"], name=op.f("fk_lamindb_collectionreference_collection_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_collectionreference_created_by_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["reference_id"], ["lamindb_reference.id"], name=op.f("fk_lamindb_collectionreference_reference_id"), ondelete="RESTRICT"),
        *_cycle_fks("lamindb_collectionreference"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_collectionreference")),
        sa.UniqueConstraint("collection_id", "reference_id", name=op.f("uq_lamindb_collectionreference_collection_id_reference_id")),
    )
    op.create_index(op.f("ix_lamindb_collectionreference_collection_id"), "lamindb_collectionreference", ["collection_id"], unique=False)
    op.create_index(op.f("ix_lamindb_collectionreference_created_at"), "lamindb_collectionreference", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_collectionreference_created_by_id"), "lamindb_collectionreference", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_lamindb_collectionreference_reference_id"), "lamindb_collectionreference", ["reference_id"], unique=False)
    op.create_index(op.f("ix_lamindb_collectionreference_run_id"), "lamindb_collectionreference", ["run_id"], unique=False)

    op.create_table(
        "lamindb_collectionulabel",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("ulabel_id", sa.Integer(), nullable=False),
        sa.Column("feature_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["collection_id"], ["lamindb_collection.id"], name=op.f("fk_lamindb_collectionulabel_collection_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_id"], ["lamindb_user.id"], name=op.f("fk_lamindb_collectionulabel_created_by_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["feature_id"], ["lamindb_feature.id"], name=op.f("fk_lamindb_collectionulabel_feature_id"), ondelete="RESTRICT"),
        *_cycle_fks("lamindb_collectionulabel"),
        sa.ForeignKeyConstraint(["ulabel_id"], ["lamindb_ulabel.id"], name=op.f("fk_lamindb_collectionulabel_ulabel_id"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_collectionulabel")),
        sa.UniqueConstraint("collection_id", "ulabel_id", name=op.f("uq_lamindb_collectionulabel_collection_id_ulabel_id")),
    )
    op.create_index(op.f("ix_lamindb_collectionulabel_collection_id"), "lamindb_collectionulabel", ["collection_id"], unique=False)
    op.create_index(op.f("ix_lamindb_collectionulabel_created_at"), "lamindb_collectionulabel", ["created_at"], unique=False)
    op.create_index(op.f("ix_lamindb_collectionulabel_created_by_id"), "lamindb_collectionulabel", ["created_by_id"], unique=False)
    op.create_index(op.f("ix_lamindb_collectionulabel_feature_id"), "lamindb_collectionulabel", ["feature_id"], unique=False)
    op.create_index(op.f("ix_lamindb_collectionulabel_run_id"), "lamindb_collectionulabel", ["run_id"], unique=False)
    op.create_index(op.f("ix_lamindb_collectionulabel_ulabel_id"), "lamindb_collectionulabel", ["ulabel_id"], unique=False)

    op.create_table(
        "lamindb_recordcollection",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("feature_id", sa.Integer(), nullable=False),
        sa.Column("value_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["feature_id"], ["lamindb_feature.id"], name=op.f("fk_lamindb_recordcollection_feature_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["record_id"], ["lamindb_record.id"], name=op.f("fk_lamindb_recordcollection_record_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["value_id"], ["lamindb_collection.id"], name=op.f("fk_lamindb_recordcollection_value_id"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lamindb_recordcollection")),
        sa.UniqueConstraint("record_id", "feature_id", "value_id", name=op.f("uq_lamindb_recordcollection_record_id_feature_id_value_id")),
    )
    op.create_index(op.f("ix_lamindb_recordcollection_feature_id"), "lamindb_recordcollection", ["feature_id"], unique=False)
    op.create_index(op.f("ix_lamindb_recordcollection_record_id"), "lamindb_recordcollection", ["record_id"], unique=False)
    op.create_index(op.f("ix_lamindb_recordcollection_value_id"), "lamindb_recordcollection", ["value_id"], unique=False)

    if not _inline_fks():
        for name, table, column, referred, ondelete in CYCLE_FKS:
            op.create_foreign_key(op.f(name), table, referred, [column], ["id"], ondelete=ondelete)


def downgrade() -> None:
    if not _inline_fks():
        for name, table, _column, _referred, _ondelete in reversed(CYCLE_FKS):
            op.drop_constraint(op.f(name), table, type_="foreignkey")
    # dependents first; indexes go with their tables
    for table in [
        "lamindb_recordcollection",
        "lamindb_collectionulabel",
        "lamindb_collectionreference",
        "lamindb_collectionrecord",
        "lamindb_collectionproject",
        "lamindb_collectionartifact",
        "lamindb_collection_input_of_runs",
        "lamindb_transformrecord",
        "lamindb_runulabel",
        "lamindb_runrecord",
        "lamindb_runproject",
        "lamindb_runjsonvalue",
        "lamindb_referencerecord",
        "lamindb_recorduser",
        "lamindb_recordulabel",
        "lamindb_recordtransform",
        "lamindb_recordrun",
        "lamindb_recordreference",
        "lamindb_recordrecord",
        "lamindb_recordproject",
        "lamindb_recordjson",
        "lamindb_recordartifact",
        "lamindb_record_parents",
        "lamindb_record_input_of_runs",
        "lamindb_projectrecord",
        "lamindb_collection",
        "lamindb_artifactuser",
        "lamindb_artifactulabel",
        "lamindb_artifactschema",
        "lamindb_artifactrun",
        "lamindb_artifactreference",
        "lamindb_artifactrecord",
        "lamindb_artifactproject",
        "lamindb_artifactjsonvalue",
        "lamindb_artifact_input_of_runs",
        "lamindb_ulabelproject",
        "lamindb_ulabel_parents",
        "lamindb_transformulabel",
        "lamindb_transformtransform",
        "lamindb_transformreference",
        "lamindb_transformproject",
        "lamindb_schemaproject",
        "lamindb_schemafeature",
        "lamindb_schemacomponent",
        "lamindb_run",
        "lamindb_record",
        "lamindb_projectuser",
        "lamindb_project_references",
        "lamindb_project_predecessors",
        "lamindb_project_parents",
        "lamindb_jsonvalue",
        "lamindb_featureproject",
        "lamindb_branchulabel",
        "lamindb_branchproject",
        "lamindb_artifact",
        "lamindb_ulabel",
        "lamindb_transform",
        "lamindb_storage",
        "lamindb_schema",
        "lamindb_reference",
        "lamindb_project",
        "lamindb_feature",
        "lamindb_branchuser",
        "lamindb_branch",
        "lamindb_team",
        "lamindb_space",
        "lamindb_user",
    ]:
        op.drop_table(table)
