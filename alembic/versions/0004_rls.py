"""rls: row-level security for link and governance tables; pinned function search paths

Revision ID: 0004_rls
Revises: 0003_search_indexes
Create Date: 2026-12-07 02:30:00

Frozen: this file must not import lamin_registry models; every table name is spelled out.
PostgreSQL only (on SQLite this revision changes nothing).

* ``lamin_registry_user_id()`` says who acts: the transaction setting
  ``lamin_registry.user_id`` (identity ``setting``, the default), or the user whose handle is
  the login role, ``session_user`` (identity ``role``). The identity is what the function
  ``lamin_registry_identity()`` returns; only its owner (the role that migrated) can replace
  it (``lamin_registry.rls.set_identity``).
* ``lamin_registry_space_ids(level)`` (0002) is re-created on top of it. Both are SECURITY
  DEFINER with schema-qualified names and ``SET search_path = <schema>, pg_temp``: a
  temporary table named like a registry table cannot stand in for it.
* Link tables: a row is visible when both ends are; it is inserted, updated or deleted only
  when both ends are readable and the owning end (the first of ``LINK_TABLES``) is writable;
  for links with a run end (run inputs, run annotations) either end may be the writable one.
  Ends in ``lamindb_user``/``lamindb_branch`` are readable by everyone; when one owns the link,
  only user 1 writes it.
* Governance tables: everyone reads; ``lamindb_user``: a user edits his own name/email (a
  trigger refuses other columns), user 1 manages users, a new handle registers itself;
  ``lamindb_space``: anyone creates his own (user 1 any), its admins edit and delete it;
  ``lamindb_spaceaccess``: a space's admins manage its rows; ``lamindb_team`` and
  ``lamindb_teamuser``: user 1 only. Without an identity nothing but a registration is written.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004_rls"
down_revision: str | Sequence[str] | None = "0003_search_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# registry tables under the space policies of 0002 (ends of links that count for access)
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

# link table -> its ends, "column=registry" (table lamindb_<registry>), the owning end first;
# derived from the models at 0004: every table whose foreign keys join registries, without
# created_by_id, the feature qualifier (feature_id of annotation links) and run tracking
# (run_id when it is not an end). The owning end is the first foreign key that is not
# created_by_id, run_id or feature_id, as lamin_registry.access decides it for the ORM.
LINK_TABLES: dict[str, tuple[str, ...]] = {
    "lamindb_artifact_input_of_runs": ("artifact_id=artifact", "run_id=run"),
    "lamindb_artifactjsonvalue": ("artifact_id=artifact", "jsonvalue_id=jsonvalue"),
    "lamindb_artifactproject": ("artifact_id=artifact", "project_id=project"),
    "lamindb_artifactrecord": ("artifact_id=artifact", "record_id=record"),
    "lamindb_artifactreference": ("artifact_id=artifact", "reference_id=reference"),
    "lamindb_artifactrun": ("artifact_id=artifact", "run_id=run"),
    "lamindb_artifactschema": ("artifact_id=artifact", "schema_id=schema"),
    "lamindb_artifactulabel": ("artifact_id=artifact", "ulabel_id=ulabel"),
    "lamindb_artifactuser": ("artifact_id=artifact", "user_id=user"),
    "lamindb_branchproject": ("branch_id=branch", "project_id=project"),
    "lamindb_branchulabel": ("branch_id=branch", "ulabel_id=ulabel"),
    "lamindb_collection_input_of_runs": ("collection_id=collection", "run_id=run"),
    "lamindb_collectionartifact": ("collection_id=collection", "artifact_id=artifact"),
    "lamindb_collectionproject": ("collection_id=collection", "project_id=project"),
    "lamindb_collectionrecord": ("collection_id=collection", "record_id=record"),
    "lamindb_collectionreference": ("collection_id=collection", "reference_id=reference"),
    "lamindb_collectionulabel": ("collection_id=collection", "ulabel_id=ulabel"),
    "lamindb_featureproject": ("project_id=project", "feature_id=feature"),
    "lamindb_project_parents": ("from_project_id=project", "to_project_id=project"),
    "lamindb_project_predecessors": ("from_project_id=project", "to_project_id=project"),
    "lamindb_project_references": ("project_id=project", "reference_id=reference"),
    "lamindb_projectrecord": ("record_id=record", "project_id=project"),
    "lamindb_projectuser": ("project_id=project", "user_id=user"),
    "lamindb_record_input_of_runs": ("record_id=record", "run_id=run"),
    "lamindb_record_parents": ("from_record_id=record", "to_record_id=record"),
    "lamindb_recordartifact": ("record_id=record", "value_id=artifact"),
    "lamindb_recordcollection": ("record_id=record", "value_id=collection"),
    "lamindb_recordjson": ("record_id=record",),
    "lamindb_recordproject": ("record_id=record", "value_id=project"),
    "lamindb_recordrecord": ("record_id=record", "value_id=record"),
    "lamindb_recordreference": ("record_id=record", "value_id=reference"),
    "lamindb_recordrun": ("record_id=record", "value_id=run"),
    "lamindb_recordtransform": ("record_id=record", "value_id=transform"),
    "lamindb_recordulabel": ("record_id=record", "value_id=ulabel"),
    "lamindb_recorduser": ("record_id=record", "value_id=user"),
    "lamindb_referencerecord": ("record_id=record", "reference_id=reference"),
    "lamindb_runjsonvalue": ("jsonvalue_id=jsonvalue", "run_id=run"),
    "lamindb_runproject": ("project_id=project", "run_id=run"),
    "lamindb_runrecord": ("record_id=record", "run_id=run"),
    "lamindb_runulabel": ("ulabel_id=ulabel", "run_id=run"),
    "lamindb_schemacomponent": ("composite_id=schema", "component_id=schema"),
    "lamindb_schemafeature": ("schema_id=schema", "feature_id=feature"),
    "lamindb_schemaproject": ("schema_id=schema", "project_id=project"),
    "lamindb_transformproject": ("transform_id=transform", "project_id=project"),
    "lamindb_transformrecord": ("transform_id=transform", "record_id=record"),
    "lamindb_transformreference": ("transform_id=transform", "reference_id=reference"),
    "lamindb_transformtransform": ("successor_id=transform", "predecessor_id=transform"),
    "lamindb_transformulabel": ("transform_id=transform", "ulabel_id=ulabel"),
    "lamindb_ulabel_parents": ("from_ulabel_id=ulabel", "to_ulabel_id=ulabel"),
    "lamindb_ulabelproject": ("ulabel_id=ulabel", "project_id=project"),
}

# @S@ is replaced by quote_ident(current_schema()) when the statement runs (see _run), so
# the offline SQL works too and every name inside the definer functions is qualified.
ME = "(SELECT @S@.lamin_registry_user_id())"
ADMIN_SPACES = "((SELECT @S@.lamin_registry_space_ids(3))::integer[])"
WRITE_SPACES = "((SELECT @S@.lamin_registry_space_ids(2))::integer[])"

# how the policies identify users: 'setting' or 'role' (rls.set_identity replaces it)
IDENTITY_FUNCTION = """
CREATE FUNCTION @S@.lamin_registry_identity() RETURNS text
LANGUAGE sql STABLE SET search_path = @S@, pg_temp AS $fn$ SELECT 'setting'::text $fn$"""

# who acts: NULL when nobody (no setting, or a login role that is no user's handle)
USER_ID_FUNCTION = """
CREATE FUNCTION @S@.lamin_registry_user_id() RETURNS integer
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = @S@, pg_temp AS $fn$
  SELECT CASE @S@.lamin_registry_identity()
    WHEN 'setting' THEN NULLIF(current_setting('lamin_registry.user_id', true), '')::integer
    WHEN 'role' THEN (SELECT u.id FROM @S@.lamindb_user u WHERE u.handle = session_user::text)
  END
$fn$"""

SPACE_IDS_BODY = """
  WITH me AS (SELECT {me} AS id)
  SELECT CASE WHEN (SELECT id FROM me) = 1 THEN ARRAY(SELECT id::integer FROM @S@.lamindb_space)
  ELSE ARRAY(
    SELECT 1 WHERE min_level <= 2
    UNION
    SELECT s.id FROM @S@.lamindb_space s, me WHERE s.created_by_id = me.id
    UNION
    SELECT a.space_id FROM @S@.lamindb_spaceaccess a, me
    WHERE CASE a.role WHEN 'read' THEN 1 WHEN 'write' THEN 2 ELSE 3 END >= min_level
      AND (a.user_id = me.id OR a.team_id IN (
        SELECT t.team_id FROM @S@.lamindb_teamuser t WHERE t.user_id = me.id))
  ) END
"""

SPACE_IDS_FUNCTION = (
    "CREATE OR REPLACE FUNCTION @S@.lamin_registry_space_ids(min_level integer) "
    "RETURNS integer[] LANGUAGE sql STABLE SECURITY DEFINER "
    "SET search_path = @S@, pg_temp AS $fn$"
)

# a user who is not user 1 may change only name and email (and updated_at) of a user row
USER_GUARD_FUNCTION = """
CREATE FUNCTION @S@.lamin_registry_user_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = @S@, pg_temp AS $fn$
BEGIN
  IF row_security_active(TG_RELID::regclass)
     AND @S@.lamin_registry_user_id() IS DISTINCT FROM 1
     AND (to_jsonb(NEW) - 'name' - 'email' - 'updated_at')
         IS DISTINCT FROM (to_jsonb(OLD) - 'name' - 'email' - 'updated_at')
  THEN
    RAISE EXCEPTION 'only name and email of a user can be changed, and only by that user '
      '(user 1, the instance creator, manages handles)' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END
$fn$"""

GOVERNANCE_TABLES = (
    "lamindb_user", "lamindb_space", "lamindb_team", "lamindb_teamuser", "lamindb_spaceaccess"
)
USER_1 = f"{ME} = 1"
# table -> (insert check, update/delete condition, delete condition)
GOVERNANCE_POLICIES: dict[str, tuple[str, str, str]] = {
    "lamindb_user": (
        f"(SELECT @S@.lamin_registry_identity()) = 'setting' OR {USER_1} "
        "OR handle = session_user::text",
        f"{USER_1} OR id = {ME}",
        f"{USER_1} AND id <> 1",
    ),
    "lamindb_space": (
        f"created_by_id = {ME} OR {USER_1}",
        f"id = ANY {ADMIN_SPACES}",
        f"id = ANY {ADMIN_SPACES} AND id <> 1",
    ),
    "lamindb_team": (USER_1, USER_1, USER_1),
    "lamindb_teamuser": (USER_1, USER_1, USER_1),
    "lamindb_spaceaccess": (
        f"space_id = ANY {ADMIN_SPACES}",
        f"space_id = ANY {ADMIN_SPACES}",
        f"space_id = ANY {ADMIN_SPACES}",
    ),
}

ACTIONS = ("select", "insert", "update", "delete")


def _run(sql: str) -> None:
    """Run ``sql`` with @S@ replaced by the quoted current schema, at execution time."""
    op.execute(
        "DO $do$ BEGIN EXECUTE replace($sql$" + sql + "$sql$, '@S@', "
        "quote_ident(current_schema())); END $do$"
    )


def _link_conditions(table: str) -> tuple[str, str]:
    """(every end readable, that and the owning end writable) for a link table."""
    ends = [end.split("=") for end in LINK_TABLES[table]]
    either = any(registry == "run" for _, registry in ends)
    readable, writable = [], []
    for position, (column, registry) in enumerate(ends):
        target = f"lamindb_{registry}"
        if target not in SPACE_TABLES:  # users and branches: readable by everyone
            if position == 0:
                writable.append(USER_1)  # a governance row owns the link: user 1 only
            continue
        exists = f"EXISTS (SELECT 1 FROM @S@.{target} e WHERE e.id = {table}.{column}"
        readable.append(exists + ")")
        if position == 0 or either:
            writable.append(f"{exists} AND e.space_id = ANY {WRITE_SPACES})")
    read = " AND ".join(readable)
    return read, f"{read} AND ({' OR '.join(writable)})"


def _protect(table: str, select: str, insert: str, update: str, delete: str) -> None:
    _run(f"ALTER TABLE @S@.{table} ENABLE ROW LEVEL SECURITY")
    _run(f"ALTER TABLE @S@.{table} FORCE ROW LEVEL SECURITY")
    _run(f"CREATE POLICY lamin_registry_select ON @S@.{table} FOR SELECT USING ({select})")
    _run(f"CREATE POLICY lamin_registry_insert ON @S@.{table} FOR INSERT WITH CHECK ({insert})")
    _run(
        f"CREATE POLICY lamin_registry_update ON @S@.{table} FOR UPDATE "
        f"USING ({update}) WITH CHECK ({update})"
    )
    _run(f"CREATE POLICY lamin_registry_delete ON @S@.{table} FOR DELETE USING ({delete})")


def _unprotect(table: str) -> None:
    for action in ACTIONS:
        _run(f"DROP POLICY IF EXISTS lamin_registry_{action} ON @S@.{table}")
    _run(f"ALTER TABLE @S@.{table} NO FORCE ROW LEVEL SECURITY")
    _run(f"ALTER TABLE @S@.{table} DISABLE ROW LEVEL SECURITY")


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    _run(IDENTITY_FUNCTION)
    _run(USER_ID_FUNCTION)
    _run(SPACE_IDS_FUNCTION + SPACE_IDS_BODY.format(me="@S@.lamin_registry_user_id()") + "$fn$")
    _run(USER_GUARD_FUNCTION)
    _run(
        "CREATE TRIGGER lamin_registry_user_guard BEFORE UPDATE ON @S@.lamindb_user "
        "FOR EACH ROW EXECUTE FUNCTION @S@.lamin_registry_user_guard()"
    )
    for table in LINK_TABLES:
        read, write = _link_conditions(table)
        _protect(table, read, write, write, write)
    for table in GOVERNANCE_TABLES:
        insert, update, delete = GOVERNANCE_POLICIES[table]
        _protect(table, "true", insert, update, delete)


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    for table in (*GOVERNANCE_TABLES, *LINK_TABLES):
        _unprotect(table)
    _run("DROP TRIGGER IF EXISTS lamin_registry_user_guard ON @S@.lamindb_user")
    _run("DROP FUNCTION IF EXISTS @S@.lamin_registry_user_guard()")
    # 0002's function, still with its search path pinned (the hijack stays closed)
    me = "NULLIF(current_setting('lamin_registry.user_id', true), '')::integer"
    _run(SPACE_IDS_FUNCTION + SPACE_IDS_BODY.format(me=me) + "$fn$")
    _run("DROP FUNCTION IF EXISTS @S@.lamin_registry_user_id()")
    _run("DROP FUNCTION IF EXISTS @S@.lamin_registry_identity()")
