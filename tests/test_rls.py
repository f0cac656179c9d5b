"""PostgreSQL row-level security, tried as raw SQL through the application's own role.

Everything here runs as ``lamin_app`` (not superuser, not owner: ``scripts/pg.sh``) on a
database migrated by its owner, in a transaction that is rolled back:

* every registry table with a space and every link table (``0004_rls.LINK_TABLES``):
  SELECT, INSERT, UPDATE and DELETE for nobody (no setting), a user with no access, a reader,
  a writer, a space admin by grant, the space's creator and user 1;
* the governance tables ``lamindb_user``, ``lamindb_space``, ``lamindb_team``,
  ``lamindb_teamuser``, ``lamindb_spaceaccess``;
* the temp-table hijack of the SECURITY DEFINER functions;
* ``lr.connect(..., rls_identity="role")``: users with their own login roles, who cannot
  act as somebody else by setting ``lamin_registry.user_id``;
* the library itself through ``lamin_app`` after ``lr.rls.grant_application_role``.
"""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from migration_data import RowMaker, reflect
from sqlalchemy import event

import lamin_registry as lr
from lamin_registry import rls
from lamin_registry.errors import InvalidArgument, NoWriteAccess
from tests.conftest import BACKENDS, fresh_database, pg_admin_url

pytestmark = pytest.mark.skipif(
    "postgresql" not in BACKENDS, reason="row-level security exists only on PostgreSQL"
)

APP_ROLE, APP_PASSWORD = "lamin_app", "lamin_app"


def _revision_module(name: str = "0004_rls") -> Any:
    path = Path(lr.migrate.script_location()) / "versions" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"rls_revision_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REVISION = _revision_module()
SPACE_TABLES: tuple[str, ...] = REVISION.SPACE_TABLES
LINK_TABLES: tuple[str, ...] = tuple(REVISION.LINK_TABLES)
# 0007; the block's links first: deleting the block (test_writes_...) cascades to them
BLOCK_TABLES: tuple[str, ...] = tuple(reversed(_revision_module("0007_blocks").policies()))
PROTECTED = (*SPACE_TABLES, *LINK_TABLES, *BLOCK_TABLES)
# links owned by a branch (or user): only user 1 writes them
GOVERNANCE_OWNED = {
    table for table, ends in REVISION.LINK_TABLES.items()
    if f"lamindb_{ends[0].split('=')[1]}" not in SPACE_TABLES
}


@dataclass
class World:
    """A database with one row in every table, all in space ``space`` (created by
    ``creator``), and one user per role on it."""

    owner: sa.Engine
    app: sa.Engine
    url: sa.URL
    space: int
    users: dict[str, int]  # role name -> user id
    rows: dict[str, dict[str, Any]]  # table -> its one test row, as the owner reads it
    tables: sa.MetaData  # reflected: inserts of whole rows get the column types right

    def insert(self, table: str) -> sa.Insert:
        return self.tables.tables[table].insert()


def app_url(url: sa.URL, role: str = APP_ROLE, password: str = APP_PASSWORD) -> sa.URL:
    return url.set(username=role, password=password)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with fresh_database("postgresql", tmp_path_factory.mktemp("rls")) as url_text:
        url = sa.make_url(url_text)
        inst = lr.connect(url, user="alice")  # the owner migrates and seeds: alice is user 1
        inst.close()
        owner = sa.create_engine(url)
        with owner.begin() as connection:
            RowMaker(start=5000).insert_round(connection, reflect(connection))
            space = connection.execute(sa.text("SELECT max(id) FROM lamindb_space")).scalar_one()
            creator = connection.execute(
                sa.text("SELECT created_by_id FROM lamindb_space WHERE id = :s"), {"s": space}
            ).scalar_one()
            for table in SPACE_TABLES:  # unlocked rows on an ordinary branch of that space
                connection.execute(sa.text(
                    f"UPDATE {table} SET space_id = :s, is_locked = false, branch_id = 1"
                ), {"s": space})
            connection.execute(sa.text(  # 0007: a Block and a SpaceBlock there too
                "UPDATE lamindb_block SET space_id = :s, is_locked = false, branch_id = 1"
            ), {"s": space})
            connection.execute(sa.text("UPDATE lamindb_spaceblock SET space_id = :s"), {"s": space})
            connection.execute(sa.text("DELETE FROM lamindb_spaceaccess"))
            users = {"creator": creator, "user1": 1}
            for role in ("nobody", "reader", "writer", "admin"):
                users[role] = connection.execute(
                    sa.text("INSERT INTO lamindb_user (uid, handle) VALUES (:u, :h) RETURNING id"),
                    {"u": uuid.uuid4().hex[:8], "h": f"{role}_rls"},
                ).scalar_one()
                if role != "nobody":
                    connection.execute(sa.text(
                        "INSERT INTO lamindb_spaceaccess (space_id, user_id, role, created_by_id)"
                        " VALUES (:s, :u, :r, 1)"
                    ), {"s": space, "u": users[role], "r": GRANTED[role]})
            tables = reflect(connection)
            rows = {
                table: dict(connection.execute(tables.tables[table].select()).mappings().one())
                for table in (*PROTECTED, "lamindb_team", "lamindb_teamuser")
            }
        rls.grant_application_role(owner, APP_ROLE)
        app = sa.create_engine(app_url(url))
        try:
            yield World(owner, app, url, space, users, rows, tables)
        finally:
            app.dispose()
            owner.dispose()


@contextmanager
def acting(world: World, who: str | None) -> Iterator[sa.Connection]:
    """A connection of the application role acting as ``who`` (None: no setting), rolled back."""
    with world.app.connect() as connection:
        transaction = connection.begin()
        try:
            if who is not None:
                connection.execute(
                    sa.text("SELECT set_config('lamin_registry.user_id', :u, true)"),
                    {"u": str(world.users[who])},
                )
            yield connection
        finally:
            transaction.rollback()


def refused(
    connection: sa.Connection, sql: str | sa.Executable, params: dict[str, Any] | None = None
) -> bool:
    """Whether the database refuses ``sql`` (row-level security or the user trigger)."""
    statement = sa.text(sql) if isinstance(sql, str) else sql
    try:
        with connection.begin_nested():
            connection.execute(statement, params or {})
    except sa.exc.ProgrammingError as error:
        assert getattr(error.orig, "sqlstate", None) == "42501", error
        return True
    return False


def rowcount(connection: sa.Connection, sql: str, params: dict[str, Any] | None = None) -> int:
    with connection.begin_nested():
        return connection.execute(sa.text(sql), params or {}).rowcount


GRANTED = {"reader": "read", "writer": "write", "admin": "admin"}
READERS = ("reader", "writer", "admin", "creator", "user1")
WRITERS = ("writer", "admin", "creator", "user1")
OUTSIDERS = (None, "nobody")


# -- registry and link tables ------------------------------------------------------------------


def test_every_link_table_has_policies() -> None:
    """A table of the models that refers to a registry with spaces is a registry, a governance
    table or a link table of ``0004_rls`` (a new one needs policies in a new revision)."""
    from lamin_registry.models import metadata

    governance = {"lamindb_branch", "lamindb_spaceaccess"}
    referring = {  # lamin_registry's own tables (host apps' models share the MetaData)
        table.name for table in metadata.tables.values()
        if table.name.startswith("lamindb_")
        and any(fk.column.table.name in SPACE_TABLES for fk in table.foreign_keys)
    }
    assert referring - set(SPACE_TABLES) - governance - set(BLOCK_TABLES) == set(LINK_TABLES)
    for table, ends in REVISION.LINK_TABLES.items():
        owner = next(column for column in metadata.tables[table].columns if column.foreign_keys
                     and column.name not in ("created_by_id", "run_id", "feature_id"))
        assert ends[0].startswith(f"{owner.name}="), table  # the owner as access.py sees it
        keys = metadata.tables[table].foreign_keys
        targets = {fk.parent.name: fk.column.table.name for fk in keys}
        for end in ends:
            column, registry = end.split("=")
            assert targets[column] == f"lamindb_{registry}", (table, column)


@pytest.mark.parametrize("who", [*OUTSIDERS, *READERS])
def test_reads_of_registry_and_link_tables(world: World, who: str | None) -> None:
    with acting(world, who) as connection:
        seen = {
            table: connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in PROTECTED
        }
    expected = 0 if who in OUTSIDERS else 1
    assert seen == dict.fromkeys(PROTECTED, expected)


@pytest.mark.parametrize("who", [*OUTSIDERS, "reader"])
def test_no_writes_without_write_access(world: World, who: str | None) -> None:
    with acting(world, who) as connection:
        for table in PROTECTED:
            row = world.rows[table]
            assert rowcount(connection, f"UPDATE {table} SET id = id") == 0, table
            assert rowcount(connection, f"DELETE FROM {table}") == 0, table
            assert refused(connection, world.insert(table), row), table
        if who == "reader":
            assert refused(connection, world.insert("lamindb_ulabel"), {
                "uid": "rlsrlsr1", "name": "x", "space_id": world.space, "created_by_id": 1,
            })


@pytest.mark.parametrize("who", WRITERS)
def test_writes_with_write_access(world: World, who: str) -> None:
    referred = []
    with acting(world, who) as connection:
        for table in PROTECTED:
            row = world.rows[table]
            if table in GOVERNANCE_OWNED and who != "user1":
                assert rowcount(connection, f"UPDATE {table} SET id = id") == 0, table
                assert refused(connection, world.insert(table), row), table
                continue
            assert rowcount(connection, f"UPDATE {table} SET id = id") == 1, table
            try:
                with connection.begin_nested():
                    deleted = connection.execute(
                        sa.text(f"DELETE FROM {table} WHERE id = :id"), {"id": row["id"]}
                    ).rowcount
                    assert deleted == 1, table
                    connection.execute(world.insert(table), row)  # and back
            except sa.exc.IntegrityError:  # rows of other tables refer to it: allowed, though
                referred.append(table)
        # every link row went and came back (a block is referred to by its project links)
        assert set(referred) <= {*SPACE_TABLES, "lamindb_block"}
        assert rowcount(connection, "UPDATE lamindb_ulabel SET space_id = 1") == 1  # moved out


def test_a_link_needs_the_owning_end_writable(world: World) -> None:
    """The reader of space S who writes space P: links owned by P's rows only (run links:
    either end), never one owned by a row of S."""
    reader, artifact = world.users["reader"], world.rows["lamindb_artifact"]["id"]
    shared_label = world.rows["lamindb_ulabel"]["id"]
    inst = lr.connect(world.url, user="alice")
    try:
        with inst.session() as alice:
            own = alice.save(lr.Space(name=f"own {uuid.uuid4().hex[:6]}"))
            alice.grant("reader_rls", own, "write")
            label = alice.save(lr.ULabel(name="own label", space=own))
            transform = alice.save(lr.Transform(key="own.py", space=own))
            run = alice.save(lr.Run(transform=transform, space=own))
            own_id, label_id, run_id = own.id, label.id, run.id
        stamp = {"created_by_id": reader}
        parents = "lamindb_ulabel_parents"
        with acting(world, "reader") as connection:
            allowed = [
                (parents, {"from_ulabel_id": label_id, "to_ulabel_id": shared_label}),
                ("lamindb_artifact_input_of_runs", {"artifact_id": artifact, "run_id": run_id}),
                ("lamindb_runulabel", {"run_id": run_id, "ulabel_id": shared_label, **stamp}),
            ]
            denied = [
                (parents, {"from_ulabel_id": shared_label, "to_ulabel_id": label_id}),
                ("lamindb_artifactulabel", {"artifact_id": artifact, "ulabel_id": label_id,
                                            **stamp}),
            ]
            for table, row in allowed:
                assert not refused(connection, world.insert(table), row), table
            for table, row in denied:
                assert refused(connection, world.insert(table), row), table
    finally:
        inst.close()
        with world.owner.begin() as connection:
            for sql in ("DELETE FROM lamindb_run WHERE id = :r",
                        "DELETE FROM lamindb_transform WHERE space_id = :s",
                        "DELETE FROM lamindb_ulabel WHERE id = :l",
                        "DELETE FROM lamindb_space WHERE id = :s"):
                connection.execute(sa.text(sql), {"r": run_id, "s": own_id, "l": label_id})


def test_a_link_needs_both_ends_readable(world: World) -> None:
    """A writer of one end cannot link it to a row he cannot read."""
    link = world.rows["lamindb_artifactulabel"]
    with world.owner.begin() as connection:  # a hidden space with a hidden label in it
        hidden = connection.execute(sa.text(
            "INSERT INTO lamindb_space (uid, name, created_by_id) "
            "VALUES ('rlshidden001', 'hidden rls', 1) RETURNING id"
        )).scalar_one()
        label = connection.execute(sa.text(
            "INSERT INTO lamindb_ulabel (uid, name, space_id, created_by_id, branch_id) "
            "VALUES ('rlshidd1', 'hidden label', :s, 1, 1) RETURNING id"
        ), {"s": hidden}).scalar_one()
    try:
        row = {**link, "ulabel_id": label}
        row.pop("id")
        with acting(world, "writer") as connection:
            assert refused(connection, world.insert("lamindb_artifactulabel"), row)
        with acting(world, "user1") as connection:
            assert not refused(connection, world.insert("lamindb_artifactulabel"), row)
    finally:
        with world.owner.begin() as connection:
            connection.execute(sa.text("DELETE FROM lamindb_ulabel WHERE id = :l"), {"l": label})
            connection.execute(sa.text("DELETE FROM lamindb_space WHERE id = :s"), {"s": hidden})


# -- governance tables ----------------------------------------------------------------------


@pytest.mark.parametrize("who", [*OUTSIDERS, "reader", "writer", "admin", "user1"])
def test_everyone_reads_governance_tables(world: World, who: str | None) -> None:
    tables = ("lamindb_user", "lamindb_space", "lamindb_team", "lamindb_teamuser",
              "lamindb_spaceaccess", "lamindb_branch")
    count = "SELECT " + ", ".join(f"(SELECT count(*) FROM {table})" for table in tables)
    with world.owner.connect() as connection:
        expected = tuple(connection.execute(sa.text(count)).one())
    with acting(world, who) as connection:
        assert tuple(connection.execute(sa.text(count)).one()) == expected


@pytest.mark.parametrize("who", [None, "nobody", "reader", "writer", "admin"])
def test_users_edit_only_their_own_name_and_email(world: World, who: str | None) -> None:
    other = world.users["creator"]
    with acting(world, who) as connection:
        for user in (1, other):
            assert rowcount(connection, "UPDATE lamindb_user SET name = 'x' WHERE id = :u",
                            {"u": user}) == 0
            assert rowcount(connection, "DELETE FROM lamindb_user WHERE id = :u", {"u": user}) == 0
        if who is None:
            assert rowcount(connection, "UPDATE lamindb_user SET name = 'x'") == 0
            return
        me = world.users[who]
        assert rowcount(connection, "UPDATE lamindb_user SET name = 'Me', email = 'me@x.org' "
                        "WHERE id = :u", {"u": me}) == 1
        for change in ("handle = 'alice'", "handle = 'renamed'", "uid = 'zzzzzzzz'", "id = 999"):
            assert refused(connection, f"UPDATE lamindb_user SET {change} WHERE id = :u",
                           {"u": me}), change


def test_the_instance_creator_manages_users_and_teams(world: World) -> None:
    team, member = world.rows["lamindb_team"], world.rows["lamindb_teamuser"]
    with acting(world, "user1") as connection:
        assert rowcount(connection, "UPDATE lamindb_user SET handle = 'renamed_rls' WHERE id = :u",
                        {"u": world.users["nobody"]}) == 1
        assert rowcount(connection, "UPDATE lamindb_team SET name = 'renamed'") == 1
        assert not refused(connection, "INSERT INTO lamindb_teamuser (team_id, user_id) "
                           "VALUES (:t, :u)", {"t": team["id"], "u": world.users["nobody"]})
        assert rowcount(connection, "DELETE FROM lamindb_teamuser WHERE id = :i",
                        {"i": member["id"]}) == 1
        assert not refused(connection, "INSERT INTO lamindb_team (uid, name, created_by_id) "
                           "VALUES ('rlsteam1', 'new team', 1)")


@pytest.mark.parametrize("who", [None, "nobody", "reader", "writer", "admin", "creator"])
def test_only_the_instance_creator_manages_teams(world: World, who: str | None) -> None:
    team = world.rows["lamindb_team"]
    me = world.users.get(who or "", 1)
    with acting(world, who) as connection:
        assert rowcount(connection, "UPDATE lamindb_team SET name = 'mine'") == 0
        assert rowcount(connection, "DELETE FROM lamindb_teamuser") == 0
        assert rowcount(connection, "UPDATE lamindb_teamuser SET user_id = user_id") == 0
        assert refused(connection, "INSERT INTO lamindb_teamuser (team_id, user_id) "
                       "VALUES (:t, :u)", {"t": team["id"], "u": me})
        assert refused(connection, "INSERT INTO lamindb_team (uid, name, created_by_id) "
                       "VALUES ('rlsteam2', 'my team', :u)", {"u": me})
        assert rowcount(connection, "DELETE FROM lamindb_team") == 0


def test_registration_of_a_new_handle(world: World) -> None:
    """``Repository(user="new")`` registers before it knows an id: no setting needed."""
    with acting(world, None) as connection:
        assert not refused(connection, "INSERT INTO lamindb_user (uid, handle) "
                           "VALUES ('rlsnew01', 'newcomer_rls')")
    with acting(world, "nobody") as connection:  # the setting is trusted anyway
        assert not refused(connection, "INSERT INTO lamindb_user (uid, handle) "
                           "VALUES ('rlsnew02', 'newcomer2_rls')")


@pytest.mark.parametrize("who", [None, "nobody", "reader", "writer"])
def test_space_and_access_rows_need_an_admin(world: World, who: str | None) -> None:
    space, me = world.space, world.users.get(who or "", None)
    with acting(world, who) as connection:
        for sql in ("UPDATE lamindb_space SET name = 'mine' WHERE id = :s",
                    "UPDATE lamindb_space SET created_by_id = :me WHERE id = :s",
                    "DELETE FROM lamindb_space WHERE id = :s",
                    "UPDATE lamindb_spaceaccess SET role = 'admin' WHERE space_id = :s",
                    "DELETE FROM lamindb_spaceaccess WHERE space_id = :s"):
            assert rowcount(connection, sql, {"s": space, "me": me or 1}) == 0, sql
        for target in (space, 1):
            assert refused(connection, "INSERT INTO lamindb_spaceaccess (space_id, user_id, role, "
                           "created_by_id) VALUES (:s, :u, 'admin', :u)",
                           {"s": target, "u": me or world.users["nobody"]})
        # a new space of one's own, never one in somebody else's name
        assert refused(connection, "INSERT INTO lamindb_space (uid, name, created_by_id) "
                       "VALUES ('rlsspace0001', 'forged', 1)")
        if who is None:
            assert refused(connection, "INSERT INTO lamindb_space (uid, name, created_by_id) "
                           "VALUES ('rlsspace0002', 'anonymous', :u)",
                           {"u": world.users["nobody"]})
        else:
            assert not refused(connection, "INSERT INTO lamindb_space (uid, name, created_by_id) "
                               "VALUES ('rlsspace0003', 'own', :u)", {"u": me})
        assert rowcount(connection, "UPDATE lamindb_space SET name = 'every' WHERE id = 1") == 0


@pytest.mark.parametrize("who", ["admin", "creator", "user1"])
def test_space_admins_manage_their_space(world: World, who: str) -> None:
    space, nobody = world.space, world.users["nobody"]
    with acting(world, who) as connection:
        assert rowcount(connection, "UPDATE lamindb_space SET description = 'd' WHERE id = :s",
                        {"s": space}) == 1
        assert not refused(connection, "INSERT INTO lamindb_spaceaccess (space_id, user_id, "
                           "role, created_by_id) VALUES (:s, :u, 'read', 1)",
                           {"s": space, "u": nobody})
        assert rowcount(connection, "UPDATE lamindb_spaceaccess SET role = 'write' "
                        "WHERE space_id = :s AND user_id = :u", {"s": space, "u": nobody}) == 1
        assert rowcount(connection, "DELETE FROM lamindb_spaceaccess WHERE space_id = :s",
                        {"s": space}) >= 1
        # nobody is admin of space 1 but user 1; no one deletes it
        expected = 1 if who == "user1" else 0
        assert rowcount(connection, "UPDATE lamindb_space SET description = 'd' WHERE id = 1") == (
            expected
        )
        assert rowcount(connection, "DELETE FROM lamindb_space WHERE id = 1") == 0


# -- the SECURITY DEFINER functions -----------------------------------------------------------


def test_functions_pin_their_search_path(world: World) -> None:
    with world.owner.connect() as connection:
        functions = connection.execute(sa.text(
            "SELECT proname, proconfig, prosecdef FROM pg_proc WHERE proname LIKE 'lamin_reg%'"
        )).all()
    assert {name for name, _, definer in functions if definer} == {
        "lamin_registry_space_ids", "lamin_registry_user_id"
    }
    assert len(functions) == 4  # and lamin_registry_identity, lamin_registry_user_guard
    for name, config, _ in functions:
        assert config == ["search_path=public, pg_temp"], name


def test_a_temporary_table_does_not_hijack_the_policies(world: World) -> None:
    """``CREATE TEMP TABLE lamindb_spaceaccess`` with a forged admin row changes nothing."""
    nobody = world.users["nobody"]
    with acting(world, "nobody") as connection:
        for table in ("lamindb_spaceaccess", "lamindb_space", "lamindb_teamuser",
                      "lamindb_user"):
            connection.execute(sa.text(
                f"CREATE TEMP TABLE {table} (id integer, space_id integer, user_id integer, "
                "team_id integer, role text, created_by_id integer, handle text, "
                "identity text) ON COMMIT DROP"
            ))
        connection.execute(sa.text(
            "INSERT INTO pg_temp.lamindb_spaceaccess (id, space_id, user_id, role) "
            "VALUES (1, :s, :u, 'admin')"
        ), {"s": world.space, "u": nobody})
        connection.execute(sa.text(
            "INSERT INTO pg_temp.lamindb_space (id, created_by_id) VALUES (:s, :u)"
        ), {"s": world.space, "u": nobody})
        connection.execute(sa.text(
            "INSERT INTO pg_temp.lamindb_user (id, handle) VALUES (1, session_user)"
        ))
        # the temporary tables are what unqualified names mean now
        assert connection.execute(sa.text("SELECT count(*) FROM lamindb_spaceaccess")).scalar() == 1
        assert connection.execute(
            sa.text("SELECT lamin_registry_space_ids(1)")
        ).scalar_one() == [1]
        visible = connection.execute(sa.text("SELECT count(*) FROM public.lamindb_ulabel"))
        assert visible.scalar_one() == 0
        assert rowcount(connection, "UPDATE public.lamindb_ulabel SET name = 'hijacked'") == 0
        assert refused(connection, "INSERT INTO public.lamindb_spaceaccess (space_id, user_id, "
                       "role, created_by_id) VALUES (:s, :u, 'admin', :u)",
                       {"s": world.space, "u": nobody})


# -- the library through the application role -------------------------------------------------


def test_the_library_works_through_the_application_role(world: World) -> None:
    """The owner migrated and granted; alice, bob and a newcomer work as ``lamin_app``."""
    suffix = uuid.uuid4().hex[:6]
    inst = lr.connect(app_url(world.url), user="alice")
    try:
        with inst.session() as alice:
            lab = alice.save(lr.Space(name=f"app lab {suffix}"))
            secret = alice.save(lr.ULabel(name=f"secret {suffix}", space=lab))
            parent = alice.save(lr.ULabel(name=f"parent {suffix}", space=lab))
            parent.children.append(secret)
            alice.save(lr.ULabel(name=f"public {suffix}"))
        with inst.session(user=f"bob{suffix}") as bob:  # registered through lamin_app
            names = {label.name for label in bob.filter(lr.ULabel, name__contains=suffix)}
            assert names == {f"public {suffix}"}
            mine = bob.save(lr.Space(name=f"bob's {suffix}"))
            bob.save(lr.ULabel(name=f"bob label {suffix}", space=mine))
        with inst.session() as alice:
            alice.grant(f"bob{suffix}", lab, "write")
        with inst.session(user=f"bob{suffix}") as bob:
            found = bob.get(lr.ULabel, name=f"parent {suffix}")
            assert [child.name for child in found.children] == [f"secret {suffix}"]
            bob.save(lr.ULabel(name=f"written {suffix}", space=lab))
            assert bob.filter(lr.ULabel, name__contains=suffix).count() == 5
        with inst.session() as alice:
            alice.revoke(f"bob{suffix}", lab)
        with inst.session(user=f"bob{suffix}") as bob:
            assert bob.filter(lr.ULabel, name__contains=suffix).count() == 2
    finally:
        inst.close()


def test_a_prepared_statement_obeys_the_policies_of_each_execution(world: World) -> None:
    """``get``'s look-ups are sent prepared (``pg_prepare``): a statement planned for one user
    serves the next with the next user's policies, past the switch to a generic plan."""
    from lamin_registry import pg_prepare

    label_id = world.rows["lamindb_ulabel"]["id"]
    with acting(world, None) as connection:
        cursor: Any = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        for _ in range(7):
            for who, expected in (("reader", 1), ("nobody", 0), ("user1", 1), (None, 0)):
                cursor.execute(
                    "SELECT set_config('lamin_registry.user_id', %s, true)",
                    ("" if who is None else str(world.users[who]),),
                )
                assert pg_prepare.execute(
                    cursor, "SELECT count(*) FROM lamindb_ulabel WHERE id = %s", (label_id,)
                )
                assert cursor.fetchone()[0] == expected, who


def test_a_rolled_back_savepoint_keeps_the_user_for_the_policies(world: World) -> None:
    """``set_config(..., true)`` is sent once per transaction, not again for each savepoint: a
    savepoint rolled back (the first thing in a transaction, or nested) leaves the value the
    transaction set, and writes after it pass the policies as that user."""
    suffix = uuid.uuid4().hex[:6]
    with acting(world, "reader") as connection:  # what the skip relies on
        with connection.begin_nested() as savepoint:
            connection.execute(sa.text("SELECT set_config('lamin_registry.user_id', '1', true)"))
            savepoint.rollback()
        setting = sa.text("SELECT current_setting('lamin_registry.user_id')")
        assert connection.execute(setting).scalar_one() == str(world.users["reader"])
    inst = lr.connect(app_url(world.url), user="alice")
    sent: list[str] = []

    def listener(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(statement)

    try:
        with inst.session(user=f"sp{suffix}") as bob:
            mine = bob.save(lr.Space(name=f"sp {suffix}"))
        event.listen(inst.engine, "before_cursor_execute", listener)
        with inst.session(user=f"sp{suffix}") as bob:
            with bob.session.begin_nested() as savepoint:
                bob.save(lr.ULabel(name=f"undone {suffix}", space=mine))
                savepoint.rollback()
            bob.save(lr.ULabel(name=f"kept {suffix}", space=mine))
            with bob.session.begin_nested():
                with bob.session.begin_nested() as inner:
                    bob.save(lr.ULabel(name=f"undone too {suffix}", space=mine))
                    inner.rollback()
                bob.save(lr.ULabel(name=f"nested {suffix}", space=mine))
            assert bob.session.connection().execute(setting).scalar_one() == str(bob.user_id)
            assert sorted(x.name for x in bob.filter(lr.ULabel, name__contains=suffix)) == [
                f"kept {suffix}", f"nested {suffix}"
            ]
        assert sum("set_config('lamin_registry.user_id'" in s for s in sent) == 1
        assert sum(s.startswith("SAVEPOINT") for s in sent) >= 4
    finally:
        event.remove(inst.engine, "before_cursor_execute", listener)
        inst.close()
    with acting(world, "user1") as connection:  # committed, in bob's space, as bob
        rows = connection.execute(sa.text(
            "SELECT l.name FROM lamindb_ulabel l JOIN lamindb_user u ON u.id = l.created_by_id "
            "WHERE l.name LIKE :n AND u.handle = :h ORDER BY l.name"
        ), {"n": f"%{suffix}", "h": f"sp{suffix}"}).scalars().all()
        assert rows == [f"kept {suffix}", f"nested {suffix}"]


def test_grant_application_role_needs_postgresql(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match="PostgreSQL"):
        rls.grant_application_role(f"sqlite:///{tmp_path / 'x.db'}", APP_ROLE)
    with pytest.raises(InvalidArgument, match="PostgreSQL"):
        lr.connect(f"sqlite:///{tmp_path / 'y.db'}", rls_identity="role")
    with pytest.raises(InvalidArgument, match="rls_identity"):
        lr.connect(f"sqlite:///{tmp_path / 'z.db'}", rls_identity="database")


# -- rls_identity="role": users with database credentials of their own ----------------------


@contextmanager
def login_roles(owner_url: sa.URL, *names: str) -> Iterator[dict[str, sa.URL]]:
    """Login roles with unique names (dropped afterwards): name -> its URL."""
    admin = sa.create_engine(owner_url, isolation_level="AUTOCOMMIT")
    roles = {name: f"lr_{name}_{uuid.uuid4().hex[:8]}" for name in names}
    try:
        with admin.connect() as connection:
            for role in roles.values():
                connection.exec_driver_sql(
                    f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '{role}'"
                )
        yield {name: app_url(owner_url, role, role) for name, role in roles.items()}
    finally:
        with admin.connect() as connection:  # grants in this database, then the roles
            for role in roles.values():
                connection.exec_driver_sql(f"DROP OWNED BY {role}")
                connection.exec_driver_sql(f"DROP ROLE {role}")
        admin.dispose()


def test_role_identity(tmp_path: Path) -> None:
    suffix = uuid.uuid4().hex[:6]
    with fresh_database("postgresql", tmp_path) as url_text:
        url = sa.make_url(url_text)
        owner = lr.connect(url, rls_identity="role")  # user 1 is the owner's login role
        owner.close()
        assert rls.identity(url) == "role"
        with login_roles(url, "alice", "bob") as urls:
            for role_url in urls.values():
                rls.grant_application_role(url, str(role_url.username))
            alice_inst = lr.connect(urls["alice"], rls_identity="role")
            bob_inst = lr.connect(urls["bob"], rls_identity="role")
            try:
                assert alice_inst.user == urls["alice"].username
                with alice_inst.session() as alice:  # registers her own login role
                    lab = alice.save(lr.Space(name=f"lab {suffix}"))
                    alice.save(lr.ULabel(name=f"secret {suffix}", space=lab))
                    alice_id = alice.user_id
                with bob_inst.session() as bob:
                    assert bob.filter(lr.ULabel, name=f"secret {suffix}").count() == 0
                    bob_id = bob.user_id
                with bob_inst.engine.begin() as connection:  # the setting means nothing now
                    for claimed in (1, alice_id):
                        connection.execute(sa.text(
                            "SELECT set_config('lamin_registry.user_id', :u, true)"
                        ), {"u": str(claimed)})
                        assert connection.execute(sa.text(
                            "SELECT count(*) FROM lamindb_ulabel WHERE name = :n"
                        ), {"n": f"secret {suffix}"}).scalar_one() == 0
                        assert rowcount(connection, "UPDATE lamindb_space SET name = 'x' "
                                        "WHERE id = :s", {"s": lab.id}) == 0
                        assert refused(connection, "INSERT INTO lamindb_spaceaccess (space_id, "
                                       "user_id, role, created_by_id) VALUES (:s, :u, 'admin', "
                                       ":u)", {"s": lab.id, "u": bob_id})
                        assert refused(connection, "INSERT INTO lamindb_user (uid, handle) "
                                       "VALUES ('rlsforge', 'not_bob')")
                        assert refused(connection, "CREATE OR REPLACE FUNCTION "
                                       "lamin_registry_identity() RETURNS text LANGUAGE sql "
                                       "AS $$ SELECT 'setting' $$")
                assert rls.identity(urls["bob"]) == "role"
                with pytest.raises(NoWriteAccess, match="owner"):
                    rls.set_identity(urls["bob"], "setting")
                with pytest.raises(InvalidArgument, match="rls_identity='role'"):
                    lr.connect(urls["bob"], user=str(urls["bob"].username))  # "setting"
                with pytest.raises(InvalidArgument, match="login role"):
                    lr.connect(urls["bob"], user="alice", rls_identity="role")
                with pytest.raises(InvalidArgument, match="login role"), \
                        bob_inst.session(user=str(urls["alice"].username)):
                    pass
                with alice_inst.session() as alice:
                    alice.grant(str(urls["bob"].username), lab, "read")
                with bob_inst.session() as bob:
                    assert bob.filter(lr.ULabel, name=f"secret {suffix}").count() == 1
            finally:
                alice_inst.close()
                bob_inst.close()
            rls.set_identity(url, "setting")  # the owner may switch back
            assert rls.identity(url) == "setting"


def test_an_ordinary_owner_migrates_seeds_and_switches(tmp_path: Path) -> None:
    """Forced row-level security applies to the tables' owner too: seeding works as user 1."""
    admin_url = sa.make_url(pg_admin_url())
    with login_roles(admin_url, "owner") as urls:
        role = str(urls["owner"].username)
        name = f"lr_owned_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}" OWNER {role}')
        try:
            url = urls["owner"].set(database=name)
            lr.connect(url, user="alice").close()
            inst = lr.connect(url, rls_identity="role")
            try:
                assert inst.user == role  # a new user: alice, who seeded, is user 1
                with inst.session() as repo:
                    assert repo.user_id != 1
                    repo.save(lr.ULabel(name="owned"))
                    assert repo.filter(lr.ULabel, name="owned").count() == 1
            finally:
                inst.close()
            assert rls.identity(url) == "role"
        finally:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()


def test_bulk_save_through_the_application_role_copies_under_the_policies(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """COPY is refused where row-level security applies: the rows go through a temporary
    table and one INSERT ... SELECT, which the policies check (here with the library's own
    access check switched off, so that only the database stands in the way)."""
    from lamin_registry import access, bulk_copy
    from lamin_registry.bulk import _COPY_MIN

    paths: list[bool] = []
    original = bulk_copy.Copier.insert

    def insert(self: Any, names: Any, rows: list[Any]) -> list[int]:
        paths.append(self.via_temp)
        return original(self, names, rows)

    monkeypatch.setattr(bulk_copy.Copier, "insert", insert)
    suffix = uuid.uuid4().hex[:6]
    inst = lr.connect(app_url(world.url), user="alice")
    try:
        with inst.session() as alice:
            lab = alice.save(lr.Space(name=f"copy lab {suffix}"))
            saved = alice.save(
                [lr.ULabel(name=f"copied {suffix} {i}", space=lab) for i in range(_COPY_MIN + 1)]
            )
            assert paths == [True]
            assert alice.filter(lr.ULabel, name__startswith=f"copied {suffix}").count() == len(
                saved
            )
            assert alice.search(lr.ULabel, saved[-1].name).scores[0] == 100
        monkeypatch.setattr(access, "check_create", lambda *args, **kwargs: None)
        with inst.session(user=f"bob{suffix}") as bob:  # no access to alice's space
            records = [
                lr.ULabel(name=f"smuggled {suffix} {i}", space_id=lab.id)
                for i in range(_COPY_MIN)
            ]
            with pytest.raises(lr.errors.LaminRegistryError, match="row-level security"):
                bob.save(records)
        with inst.session() as alice:
            assert alice.filter(lr.ULabel, name__startswith=f"smuggled {suffix}").count() == 0
    finally:
        inst.close()
