"""blocks: lamindb's block tables (Block, the eleven attached blocks, BlockProject)

Revision ID: 0007_blocks
Revises: 0006_lamindb_columns
Create Date: 2026-12-07 05:10:00

lamindb 2.12.1's markdown blocks (reference ``lamindb-features.md`` §8), with its table and
column names, so a lamindb database keeps its own and ours reads like lamindb's:

* ``lamindb_block``: a full SQLRecord (branch, space, lock) with ``key``, ``anchor_id``;
* ``lamindb_<owner>block`` for record, artifact, transform (nullable owner, ``line_number``),
  run, collection (nullable owner), schema, feature, project, ulabel and space: the owner
  (CASCADE), ``branch_id`` and ``created_on_id``; ``lamindb_branchblock``: the owning branch
  (CASCADE) and no branch columns;
* ``lamindb_blockproject``: projects that annotate a block.

Every block table: ``id``, ``uid`` (20, unique), ``content``, ``hash``, ``kind`` (default
``readme``), ``version_tag``, ``is_latest``, ``created_at``, ``created_by_id``,
``_status_code``, ``_aux`` (SQLite: TEXT with lamindb's ``JSON_VALID`` check, as since 0006).

PostgreSQL row-level security, when the database uses it (``lamindb_ulabel`` has it on: every
database lamin_registry created, an adopted lamindb database only after ``enable_rls``):
``lamindb_block`` gets the space policies of 0002; an attached block is visible when its
owner is, and written when its owner's space is writable (a SpaceBlock: its space); a
BranchBlock, like a branch, is open; ``lamindb_blockproject`` is a link (block, project).

A database adopted from lamindb already has these tables: they are left as they are.

Frozen: this file must not import lamin_registry; every table and name is spelled out.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_blocks"
down_revision: str | Sequence[str] | None = "0006_lamindb_columns"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# attached block table -> (owner column, owner table, owner id type, owner nullable)
ATTACHED: dict[str, tuple[str, str, type[sa.types.TypeEngine[int]], bool]] = {
    "lamindb_recordblock": ("record_id", "lamindb_record", sa.Integer, False),
    "lamindb_artifactblock": ("artifact_id", "lamindb_artifact", sa.Integer, False),
    "lamindb_transformblock": ("transform_id", "lamindb_transform", sa.Integer, True),
    "lamindb_runblock": ("run_id", "lamindb_run", sa.BigInteger, False),
    "lamindb_collectionblock": ("collection_id", "lamindb_collection", sa.Integer, True),
    "lamindb_schemablock": ("schema_id", "lamindb_schema", sa.Integer, False),
    "lamindb_featureblock": ("feature_id", "lamindb_feature", sa.Integer, False),
    "lamindb_projectblock": ("project_id", "lamindb_project", sa.Integer, False),
    "lamindb_ulabelblock": ("ulabel_id", "lamindb_ulabel", sa.Integer, False),
    "lamindb_spaceblock": ("space_id", "lamindb_space", sa.SmallInteger, False),
    "lamindb_branchblock": ("branch_id", "lamindb_branch", sa.Integer, False),
}
BLOCK_TABLES = ("lamindb_block", *ATTACHED)
LINK = "lamindb_blockproject"

# row-level security (PostgreSQL): functions of 0002/0004, @S@ = the quoted current schema
READ_SPACES = "((SELECT @S@.lamin_registry_space_ids(1))::integer[])"
WRITE_SPACES = "((SELECT @S@.lamin_registry_space_ids(2))::integer[])"
ADMIN_SPACES = "((SELECT @S@.lamin_registry_space_ids(3))::integer[])"
ACTIONS = ("select", "insert", "update", "delete")


def _fk(table: str, column: str, target: str, *, cascade: bool = False) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=f"fk_{table}_{column}",
        ondelete="CASCADE" if cascade else "RESTRICT",
    )


def _common(table: str, sqlite: bool) -> list[sa.schema.SchemaItem]:
    """The columns and constraints of every block table (lamindb's ``BaseBlock``)."""
    aux: sa.types.TypeEngine[object]
    if sqlite:
        aux = sa.Text()
    else:
        from sqlalchemy.dialects.postgresql import JSONB

        aux = JSONB(astext_type=sa.Text())
    items: list[sa.schema.SchemaItem] = [
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("uid", sa.String(length=20), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("hash", sa.String(length=22), nullable=True),
        sa.Column("kind", sa.String(length=22), server_default="readme", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("_status_code", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("version_tag", sa.String(length=30), nullable=True),
        sa.Column("is_latest", sa.Boolean(), nullable=False),
        sa.Column("_aux", aux, nullable=True),
        _fk(table, "created_by_id", "lamindb_user"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        sa.UniqueConstraint("uid", name=f"uq_{table}_uid"),
    ]
    if sqlite:  # as 0006 made every JSON column: lamindb reads it back as JSON text
        items.append(sa.CheckConstraint(
            '(JSON_VALID("_aux") OR "_aux" IS NULL)', name=op.f(f"ck_{table}_json_valid__aux")
        ))
    return items


def _branch_columns(table: str) -> list[sa.schema.SchemaItem]:
    return [
        sa.Column("branch_id", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("created_on_id", sa.Integer(), server_default=sa.text("1"), nullable=False),
        _fk(table, "branch_id", "lamindb_branch"),
        _fk(table, "created_on_id", "lamindb_branch"),
    ]


INDEXED = ("_status_code", "created_at", "created_by_id", "hash", "is_latest", "kind", "version_tag")


def _create(table: str, items: list[sa.schema.SchemaItem], indexed: Sequence[str]) -> None:
    op.create_table(table, *items)
    for column in sorted(indexed):
        op.create_index(f"ix_{table}_{column}", table, [column], unique=False)


def _create_tables(sqlite: bool) -> None:
    _create(
        "lamindb_block",
        [
            *_common("lamindb_block", sqlite),
            *_branch_columns("lamindb_block"),
            sa.Column("space_id", sa.SmallInteger(), server_default=sa.text("1"), nullable=False),
            sa.Column("is_locked", sa.Boolean(), server_default=sa.false(), nullable=False),
            sa.Column("key", sa.String(length=1024), nullable=True),
            sa.Column("anchor_id", sa.BigInteger(), nullable=True),
            _fk("lamindb_block", "space_id", "lamindb_space"),
            _fk("lamindb_block", "anchor_id", "lamindb_block"),
        ],
        (*INDEXED, "branch_id", "created_on_id", "space_id", "key", "anchor_id"),
    )
    for table, (column, target, id_type, nullable) in ATTACHED.items():
        items = [
            *_common(table, sqlite),
            sa.Column(column, id_type(), nullable=nullable),
            _fk(table, column, target, cascade=True),
        ]
        indexed = [*INDEXED, column]
        if table != "lamindb_branchblock":  # its branch_id is the owner
            items += _branch_columns(table)
            indexed += ["branch_id", "created_on_id"]
        if table == "lamindb_transformblock":
            items.append(sa.Column("line_number", sa.Integer(), nullable=True))
        _create(table, items, indexed)
    _create(
        LINK,
        [
            sa.Column("id", BIG_ID, nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
            sa.Column("created_by_id", sa.Integer(), nullable=False),
            sa.Column("run_id", sa.BigInteger(), nullable=True),
            sa.Column("block_id", sa.BigInteger(), nullable=False),
            sa.Column("project_id", sa.Integer(), nullable=False),
            _fk(LINK, "block_id", "lamindb_block", cascade=True),
            _fk(LINK, "created_by_id", "lamindb_user"),
            _fk(LINK, "project_id", "lamindb_project"),
            _fk(LINK, "run_id", "lamindb_run"),
            sa.PrimaryKeyConstraint("id", name=f"pk_{LINK}"),
            sa.UniqueConstraint("block_id", "project_id", name=f"uq_{LINK}_block_id_project_id"),
        ],
        ("block_id", "created_at", "created_by_id", "project_id", "run_id"),
    )


# -- row-level security ----------------------------------------------------------------------


def _run(sql: str) -> None:
    """Run ``sql`` with @S@ replaced by the quoted current schema, at execution time."""
    op.execute(
        "DO $do$ BEGIN EXECUTE replace($sql$" + sql + "$sql$, '@S@', "
        "quote_ident(current_schema())); END $do$"
    )


def _owned(table: str, spaces: str) -> str:
    """An attached block's owner is a row in ``spaces`` (no owner: visible, as space 1)."""
    column, target, _, nullable = ATTACHED[table]
    if target == "lamindb_space":
        return f"{column} = ANY {spaces}"
    exists = (
        f"EXISTS (SELECT 1 FROM @S@.{target} e WHERE e.id = {table}.{column} "
        f"AND e.space_id = ANY {spaces})"
    )
    return f"({column} IS NULL OR {exists})" if nullable else exists


def policies(lamindb_branches: bool = False) -> dict[str, tuple[str, str, str, str]]:
    """table -> (select, insert, update, delete) conditions. ``lamindb_branches``: an
    adopted lamindb database, whose branch 2 is a user branch (only ``is_locked`` locks)."""
    locked = "is_locked" if lamindb_branches else "(is_locked OR branch_id = 2)"
    unlocked_or_admin = f"(NOT {locked} OR space_id = ANY {ADMIN_SPACES})"
    read, write = f"space_id = ANY {READ_SPACES}", f"space_id = ANY {WRITE_SPACES}"
    found = {
        "lamindb_block": (
            read, write, f"{write} AND {unlocked_or_admin}", f"{write} AND {unlocked_or_admin}"
        ),
    }
    for table in ATTACHED:
        if table == "lamindb_branchblock":
            continue
        readable, writable = _owned(table, READ_SPACES), _owned(table, WRITE_SPACES)
        found[table] = (readable, writable, writable, writable)
    block = f"EXISTS (SELECT 1 FROM @S@.lamindb_block e WHERE e.id = {LINK}.block_id"
    project = f"EXISTS (SELECT 1 FROM @S@.lamindb_project e WHERE e.id = {LINK}.project_id"
    link_read = f"{block} AND e.space_id = ANY {READ_SPACES}) AND {project} AND e.space_id = ANY {READ_SPACES})"
    link_write = f"{link_read} AND {block} AND e.space_id = ANY {WRITE_SPACES})"
    found[LINK] = (link_read, link_write, link_write, link_write)
    return found


def protect(lamindb_branches: bool = False) -> None:
    """Switch on the block tables' policies (``adopt.enable_rls`` calls it too)."""
    for table, (select, insert, update, delete) in policies(lamindb_branches).items():
        _run(f"ALTER TABLE @S@.{table} ENABLE ROW LEVEL SECURITY")
        _run(f"ALTER TABLE @S@.{table} FORCE ROW LEVEL SECURITY")
        _run(f"CREATE POLICY lamin_registry_select ON @S@.{table} FOR SELECT USING ({select})")
        _run(f"CREATE POLICY lamin_registry_insert ON @S@.{table} FOR INSERT WITH CHECK ({insert})")
        _run(
            f"CREATE POLICY lamin_registry_update ON @S@.{table} FOR UPDATE "
            f"USING ({update}) WITH CHECK ({insert})"
        )
        _run(f"CREATE POLICY lamin_registry_delete ON @S@.{table} FOR DELETE USING ({delete})")


def protect_adopted() -> None:
    """:func:`protect` on an adopted lamindb database (``adopt.enable_rls``)."""
    protect(lamindb_branches=True)


def _unprotect() -> None:
    for table in policies():
        for action in ACTIONS:
            _run(f"DROP POLICY IF EXISTS lamin_registry_{action} ON @S@.{table}")
        _run(f"ALTER TABLE @S@.{table} NO FORCE ROW LEVEL SECURITY")
        _run(f"ALTER TABLE @S@.{table} DISABLE ROW LEVEL SECURITY")


def _uses_rls() -> bool:
    return bool(op.get_bind().exec_driver_sql(
        "SELECT relrowsecurity FROM pg_class WHERE oid = to_regclass('lamindb_ulabel')"
    ).scalar())


def upgrade() -> None:
    dialect = op.get_context().dialect.name
    offline = op.get_context().as_sql
    if offline or not sa.inspect(op.get_bind()).has_table("lamindb_block"):
        _create_tables(dialect == "sqlite")  # an adopted lamindb database has them already
    if dialect == "postgresql" and (offline or _uses_rls()):
        protect()


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        _unprotect()
    if not op.get_context().as_sql and sa.inspect(op.get_bind()).has_table("django_migrations"):
        return  # adopted from lamindb: the tables are lamindb's own, they stay
    for table in (LINK, *reversed(ATTACHED), "lamindb_block"):
        op.drop_table(table)
