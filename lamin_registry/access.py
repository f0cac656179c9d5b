"""Spaces, roles and branch rules: the one place that decides who may see and change what.

Reads: a repository sees records on its visible branches (main, locked, its named branch) in
spaces its user can read. Writes: creating, editing, moving or deleting needs write access to
the record's space; archived records take no field edits at all; locked records (branch 2 or
``is_locked``) only admin changes. On PostgreSQL the same space rule is also enforced by
row-level security (migration ``0003_access``), so raw SQL through the application role obeys
it too.

Who holds which role:

* the instance's creator (user 1) administers every space;
* a space's creator administers it;
* ``repo.grant(user_or_team, space, role)`` gives ``read``, ``write`` or ``admin``;
* space 1 ``all`` is readable and writable by every user.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .errors import NoWriteAccess
from .models.base import SQLRecord, metadata
from .models.core import Space, SpaceAccess, User

READ, WRITE, ADMIN = 1, 2, 3
LEVELS = {"read": READ, "write": WRITE, "admin": ADMIN}
ALL_SPACE = 1
INSTANCE_ADMIN = 1
ARCHIVE_BRANCH = 0
LOCKED_BRANCH = 2

LOCKED_MESSAGE = (
    "It is not allowed to modify or create locked ('is_locked=True') records "
    "unless you administer their space."
)


@dataclass(slots=True)
class Permissions:
    """One user's role level per space (missing: no access)."""

    user_id: int
    admin_everywhere: bool
    levels: dict[int, int] = field(default_factory=dict)
    space_names: dict[int, str] = field(default_factory=dict)

    def level(self, space_id: int) -> int:
        if self.admin_everywhere:
            return ADMIN
        return max(self.levels.get(space_id, 0), WRITE if space_id == ALL_SPACE else 0)

    def readable(self) -> list[int] | None:
        """Space ids the user can read, or None for every space."""
        if self.admin_everywhere:
            return None
        return sorted({ALL_SPACE, *(sid for sid, level in self.levels.items() if level >= READ)})

    def require(self, space_id: int, level: int, what: str) -> None:
        """Raise NoWriteAccess unless the user has ``level`` on ``space_id``."""
        if self.level(space_id) >= level:
            return
        name = self.space_names.get(space_id, str(space_id))
        if level == ADMIN:
            raise NoWriteAccess(f"{what}: only an admin of the space '{name}' may do this.")
        raise NoWriteAccess(
            f"You're not allowed to write to the space '{name}': {what}. "
            "Ask an admin of the space for write access."
        )


def load_permissions(session: Session, user_id: int) -> Permissions:
    """Read the user's roles (direct, through teams, as creator) in three small queries."""
    if user_id == INSTANCE_ADMIN:
        return Permissions(user_id, admin_everywhere=True)
    permissions = Permissions(user_id, admin_everywhere=False)
    for space_id, name, creator in session.execute(
        sa.select(Space.id, Space.name, Space.created_by_id)
    ):
        permissions.space_names[space_id] = name
        if creator == user_id:
            permissions.levels[space_id] = ADMIN
    teamuser = metadata.tables["lamindb_teamuser"]
    grants = sa.select(SpaceAccess.space_id, SpaceAccess.role).where(
        sa.or_(
            SpaceAccess.user_id == user_id,
            SpaceAccess.team_id.in_(
                sa.select(teamuser.c.team_id).where(teamuser.c.user_id == user_id)
            ),
        )
    )
    for space_id, role in session.execute(grants):
        level = LEVELS[role]
        permissions.levels[space_id] = max(permissions.levels.get(space_id, 0), level)
    return permissions


def readable_spaces(model: type, permissions: Permissions) -> tuple[int, ...] | None:
    """The space ids whose ``model`` records the user may read; None when no filter applies
    (registries without spaces -- Space, User, Branch, Team -- or a user who reads all).

    A tuple of values rather than a condition: the repository builds ``space_id IN (...)``
    from it and caches prepared statements under it (``query/prepared.py``).
    """
    if not issubclass(model, SQLRecord):
        return None
    readable = permissions.readable()
    return None if readable is None else tuple(readable)


def _committed(record: Any, key: str) -> Any:
    """The value of ``key`` as loaded from the database (before pending changes)."""
    history = sa.inspect(record).attrs[key].history
    if history.deleted:
        return history.deleted[0]
    if history.unchanged:
        return history.unchanged[0]
    return getattr(record, key)


def _is_locked(branch_id: Any, is_locked: Any) -> bool:
    return branch_id == LOCKED_BRANCH or bool(is_locked)


def check_create(permissions: Permissions, record: Any) -> None:
    """A new record needs write access to its space (admin to create it locked)."""
    if not isinstance(record, SQLRecord):
        return
    space_id = record.__dict__.get("space_id") or ALL_SPACE
    label = f"creating {type(record).__name__}"
    permissions.require(space_id, WRITE, label)
    if _is_locked(record.__dict__.get("branch_id"), record.__dict__.get("is_locked")):
        permissions.require(space_id, ADMIN, f"{label} locked")


def check_update(permissions: Permissions, record: Any) -> None:
    """An edit or move of a stored record: write access, archive and lock rules."""
    if not isinstance(record, SQLRecord):
        return
    state = sa.inspect(record)
    changed = {attr.key for attr in state.attrs if attr.history.has_changes()}
    changed.discard("updated_at")
    if not changed:
        return
    label = f"{type(record).__name__} {record.__dict__.get('uid', '')}".strip()
    old_branch = _committed(record, "branch_id")
    old_space = _committed(record, "space_id")
    if old_branch == ARCHIVE_BRANCH and changed - {"branch_id"}:
        raise NoWriteAccess(
            f"{label} is archived and read-only; restore it first (repo.restore(record))."
        )
    permissions.require(old_space, WRITE, f"changing {label}")
    if record.space_id != old_space:
        permissions.require(record.space_id, WRITE, f"moving {label} into this space")
    was_locked = _is_locked(old_branch, _committed(record, "is_locked"))
    locking = was_locked or _is_locked(record.branch_id, record.is_locked)
    if locking and permissions.level(old_space) < ADMIN:
        raise NoWriteAccess(f"{label}: {LOCKED_MESSAGE}")


def check_delete(permissions: Permissions, record: Any) -> None:
    """Removing a stored record: write access; admin when it is locked."""
    if not isinstance(record, SQLRecord):
        return
    space_id = _committed(record, "space_id")
    label = f"{type(record).__name__} {record.__dict__.get('uid', '')}".strip()
    permissions.require(space_id, WRITE, f"deleting {label}")
    locked = _is_locked(_committed(record, "branch_id"), _committed(record, "is_locked"))
    if locked and permissions.level(space_id) < ADMIN:
        raise NoWriteAccess(f"{label}: {LOCKED_MESSAGE}")


def check_rows(
    permissions: Permissions, rows: Iterable[tuple[int, bool, bool]], what: str
) -> None:
    """Bulk moves and deletes: ``rows`` are distinct (space_id, locked, archived) triples."""
    for space_id, locked, _archived in rows:
        permissions.require(space_id, WRITE, what)
        if locked and permissions.level(space_id) < ADMIN:
            raise NoWriteAccess(f"{what}: {LOCKED_MESSAGE}")


def resolve_grantee(session: Session, grantee: Any) -> tuple[str, int]:
    """``("user", id)`` or ``("team", id)`` for a User, Team, handle or team name."""
    from .errors import InvalidArgument
    from .models.core import Team

    if isinstance(grantee, User):
        return "user", grantee.id
    if isinstance(grantee, Team):
        return "team", grantee.id
    if isinstance(grantee, str):
        user_id = session.scalar(sa.select(User.id).where(User.handle == grantee))
        if user_id is not None:
            return "user", user_id
        team_id = session.scalar(sa.select(Team.id).where(Team.name == grantee))
        if team_id is not None:
            return "team", team_id
        raise InvalidArgument(f"No user with handle or team named {grantee!r}")
    raise InvalidArgument(f"grant/revoke takes a User, a Team or a name, got {grantee!r}")


def resolve_space(session: Session, space: Any) -> Space:
    """A Space from a record, an id or a name."""
    from .errors import InvalidArgument

    if isinstance(space, Space):
        return space
    if isinstance(space, int) and not isinstance(space, bool):
        found = session.get(Space, space)
    elif isinstance(space, str):
        found = session.scalar(sa.select(Space).where(sa.func.lower(Space.name) == space.lower()))
    else:
        raise InvalidArgument(f"Expected a Space, its id or its name, got {space!r}")
    if found is None:
        raise InvalidArgument(f"No space {space!r}")
    return found
