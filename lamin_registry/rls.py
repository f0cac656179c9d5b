"""PostgreSQL row-level security: who the policies see, and what an application role needs.

The policies (migrations ``0002_access`` and ``0004_rls``) ask ``lamin_registry_user_id()``
who acts. How it answers is the database's *identity*: what the function
``lamin_registry_identity()`` returns, which only its owner (the role that migrated) can
replace (:func:`set_identity`):

* ``"setting"`` (default): the transaction setting ``lamin_registry.user_id``, which
  lamin_registry sets on every transaction. One application role for everybody; the
  application says who acts, and whoever can run SQL through that role can say it too.
* ``"role"``: the registry user whose ``handle`` is the login role (``session_user``). Every
  user holds his own database credentials; setting the variable changes nothing.
  ``lr.connect(url, rls_identity="role")`` acts as the login role's handle (registered on
  first use); the owner's first such connect switches the database to this identity.

:func:`grant_application_role` gives a non-owner role the privileges the library needs on a
migrated database. See ``docs/governance.md`` for the threat model.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

import sqlalchemy as sa

from .errors import InvalidArgument, NoWriteAccess

if TYPE_CHECKING:
    from .migrate import Target

IDENTITIES = ("setting", "role")

__all__ = ["IDENTITIES", "grant_application_role", "identity", "set_identity"]


def _connection(target: Target, *, begin: bool) -> AbstractContextManager[sa.Connection]:
    from .migrate import _connection as connection  # migrate imports Alembic lazily too

    return connection(target, begin=begin)


def _require_postgresql(connection: sa.Connection, what: str) -> None:
    if connection.dialect.name != "postgresql":
        raise InvalidArgument(f"{what} needs PostgreSQL (row-level security); this is "
                              f"{connection.dialect.name}")


def grant_application_role(target: Target, role: str) -> None:
    """Let the non-owner database role ``role`` use a migrated lamin_registry database.

    Run it as the owner after every upgrade (new tables need new grants). ``role`` gets
    USAGE on the schema, SELECT/INSERT/UPDATE/DELETE on lamin_registry's tables (never
    TRUNCATE, which row-level security does not cover), USAGE/SELECT on their id sequences
    and SELECT on the version table; the policies decide which rows it reaches. In
    ``rls_identity="role"`` deployments grant it to a group role every user is a member of.
    ``target`` is a URL, Engine or Connection (as for :func:`lamin_registry.migrate.upgrade`).
    """
    from .migrate import VERSION_TABLE, _is_own_table

    if not isinstance(role, str) or not role:
        raise InvalidArgument(f"role must be a database role name, got {role!r}")
    with _connection(target, begin=True) as connection:
        _require_postgresql(connection, "grant_application_role")
        quote = connection.dialect.identifier_preparer.quote
        schema = connection.exec_driver_sql("SELECT current_schema()").scalar_one()
        tables = [name for name in sa.inspect(connection).get_table_names(schema=schema)
                  if _is_own_table(name)]
        sequences = connection.execute(
            sa.text(
                "SELECT pg_get_serial_sequence(quote_ident(:schema) || '.' || quote_ident(t), 'id')"
                " FROM unnest(CAST(:tables AS text[])) AS t"
            ),
            {"schema": schema, "tables": tables},
        ).scalars()
        who, where = quote(role), quote(schema)
        statements = [f"GRANT USAGE ON SCHEMA {where} TO {who}"]
        statements += [
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON {where}.{quote(t)} TO {who}" for t in tables
        ]
        statements += [f"GRANT USAGE, SELECT ON SEQUENCE {s} TO {who}" for s in sequences if s]
        statements.append(f"GRANT SELECT ON {where}.{quote(VERSION_TABLE)} TO {who}")
        try:
            for statement in statements:
                connection.exec_driver_sql(statement)
        except sa.exc.DBAPIError as error:
            raise NoWriteAccess(
                f"Granting {role!r} access failed (run it as the database owner): {error.orig}"
            ) from error


def identity(target: Target) -> str | None:
    """The database's identity, ``"setting"`` or ``"role"``; None before ``0004_rls``."""
    with _connection(target, begin=False) as connection:
        _require_postgresql(connection, "rls identity")
        return _identity(connection)


def _identity(connection: sa.Connection) -> str | None:
    found = connection.exec_driver_sql(
        "SELECT to_regprocedure('lamin_registry_identity()') IS NOT NULL"
    ).scalar_one()
    if not found:
        return None
    value = connection.exec_driver_sql("SELECT lamin_registry_identity()").scalar_one()
    return None if value is None else str(value)


def set_identity(target: Target, identity: str) -> None:
    """Switch how the policies identify users (the database owner only)."""
    if identity not in IDENTITIES:
        raise InvalidArgument(f"rls_identity must be 'setting' or 'role', got {identity!r}")
    with _connection(target, begin=True) as connection:
        _require_postgresql(connection, "set_identity")
        _switch(connection, identity)


def _switch(connection: sa.Connection, identity: str) -> None:
    """Replace ``lamin_registry_identity()`` (``identity`` is one of :data:`IDENTITIES`)."""
    schema = connection.exec_driver_sql("SELECT current_schema()").scalar_one()
    where = connection.dialect.identifier_preparer.quote(schema)
    try:
        with connection.begin_nested():
            connection.exec_driver_sql(
                f"CREATE OR REPLACE FUNCTION {where}.lamin_registry_identity() RETURNS text "
                f"LANGUAGE sql STABLE SET search_path = {where}, pg_temp "
                f"AS $fn$ SELECT '{identity}'::text $fn$"
            )
    except sa.exc.ProgrammingError as error:  # "must be owner of function"
        raise NoWriteAccess(
            f"Only the owner of this database (the role that migrated it) can switch its "
            f"row-level security identity to {identity!r}: connect once as the owner with "
            f"lr.connect(url, rls_identity={identity!r}) or call lr.rls.set_identity(url, "
            f"{identity!r})."
        ) from error


def connect_handle(connection: sa.Connection, rls_identity: str, handle: str | None) -> str | None:
    """Before connecting: check ``rls_identity``; in ``"role"`` mode the handle to act as
    (the login role; a different ``handle`` is refused). None: keep the caller's."""
    if rls_identity not in IDENTITIES:
        raise InvalidArgument(f"rls_identity must be 'setting' or 'role', got {rls_identity!r}")
    if rls_identity == "setting":
        return None
    _require_postgresql(connection, "rls_identity='role'")
    login = str(connection.exec_driver_sql("SELECT session_user").scalar_one())
    connection.rollback()
    if handle is not None and handle != login:
        raise InvalidArgument(
            f"With rls_identity='role' the database identifies you as {login!r} (the login "
            f"role); connect without user= or with user={login!r}, not {handle!r}."
        )
    return login


def connect_identity(connection: sa.Connection, rls_identity: str) -> None:
    """After migrating: make sure the database identifies users as ``rls_identity`` says."""
    if connection.dialect.name != "postgresql":
        return
    current = _identity(connection)
    if current == rls_identity or (current is None and rls_identity == "setting"):
        connection.rollback()  # None: no policies (an adopted lamindb database, adopt.py)
        return
    if current is None:
        connection.rollback()
        raise InvalidArgument(
            "Row-level security is off on this adopted lamindb database, so rls_identity="
            "'role' identifies nobody; opt in first with lr.adopt.enable_rls(url) "
            "(docs/adopting-lamindb.md), or connect with rls_identity='setting'."
        )
    if rls_identity == "setting":
        connection.rollback()
        raise InvalidArgument(
            "This database identifies users by their database role (rls_identity='role'): "
            "connect with lr.connect(url, rls_identity='role') as your own login role."
        )
    _switch(connection, rls_identity)
    connection.commit()
