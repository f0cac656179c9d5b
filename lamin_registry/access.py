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
from .models.base import HasBranch, SQLRecord, metadata
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
    # the branch whose rows are locked: 2 on lamin_registry's databases, None on an adopted
    # lamindb database (its branch 2 is a user branch; only is_locked locks a row there)
    locked_branch: int | None = 2

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


def has_branches(model: type) -> bool:
    """Whether ``model``'s rows live on branches (``branch_id``): every SQLRecord, and the
    blocks attached to a record (``models/blocks.py``), whose ``branch_id`` merge moves."""
    return issubclass(model, HasBranch)


def has_spaces(model: type) -> bool:
    """Whether reading ``model``'s rows depends on a space: a SQLRecord's own ``space_id``,
    or an attached block's owner (its space; a SpaceBlock's space is its owner)."""
    return issubclass(model, SQLRecord) or bool(getattr(model, "_owner_space", False))


def space_condition(
    model: Any, space_ids: Iterable[Any], columns: Any = None, *, fixed: bool = False
) -> Any:
    """``model``'s rows in the spaces ``space_ids``: ``space_id IN (...)``, or for a block
    attached to a record, its owner in those spaces (a block with no owner: space 1).

    ``columns``: the table's (or an alias's) columns; None: the mapped attributes. ``fixed``
    binds each id separately (see ``prepared.visibility_conditions``).
    """
    ids = list(space_ids)

    def values(column: Any) -> Any:
        return [sa.bindparam(None, i, type_=column.type) for i in ids] if fixed else ids

    def column_of(name: str) -> Any:
        return getattr(model, name) if columns is None else columns[name]

    owner = getattr(model, "_owner", None)
    if owner is None or owner == "space":  # a space_id of its own (SpaceBlock: its owner)
        column = column_of("space_id")
        return column.in_(values(column))
    owner_table: Any = sa.inspect(model).relationships[owner].mapper.local_table
    key = column_of(f"{owner}_id")
    inside = key.in_(
        sa.select(owner_table.c.id).where(owner_table.c.space_id.in_(values(owner_table.c.space_id)))
    )
    if sa.inspect(model).local_table.c[f"{owner}_id"].nullable:  # Transform/CollectionBlock
        return sa.or_(key.is_(None), inside)
    return inside


def readable_spaces(model: type, permissions: Permissions) -> tuple[int, ...] | None:
    """The space ids whose ``model`` records the user may read; None when no filter applies
    (registries without spaces -- Space, User, Branch, Team -- or a user who reads all).

    A tuple of values rather than a condition: the repository builds ``space_id IN (...)``
    from it (:func:`space_condition`) and caches prepared statements under it
    (``query/prepared.py``).
    """
    if not has_spaces(model):
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


def _is_locked(branch_id: Any, is_locked: Any, locked_branch: int | None = 2) -> bool:
    return (locked_branch is not None and branch_id == locked_branch) or bool(is_locked)


NEW_SPACE = 0
"""What :func:`effective_fk` reports for a space created in the same flush (no id yet): the
acting user creates it, so he administers it (its own create check says whether he may)."""


def effective_fk(record: Any, column: str, relationship: str) -> Any:
    """The foreign key ``column`` will hold after the flush, whichever attribute was set.

    ``x.space = lab`` sets only the relationship; SQLAlchemy copies ``lab.id`` into
    ``space_id`` during the flush, after every check would have run. A check must see the
    final value, so a pending relationship change wins over the column.
    """
    state = sa.inspect(record)
    attr = state.attrs.get(relationship) if relationship in state.mapper.relationships else None
    if attr is not None:
        added = attr.history.added
        if added:
            related = added[0]
            if related is None:
                return None
            identity = sa.inspect(related).identity
            return identity[0] if identity else NEW_SPACE
    return record.__dict__.get(column) if column in record.__dict__ else getattr(record, column)


def _space(record: Any) -> int:
    space_id = effective_fk(record, "space_id", "space")
    return ALL_SPACE if space_id is None else int(space_id)


def _label(record: Any) -> str:
    return f"{type(record).__name__} {record.__dict__.get('uid', '')}".strip()


def _changes(record: Any) -> tuple[set[str], list[tuple[Any, list[Any], list[Any]]]]:
    """(changed fields, changed many-to-many collections as (relationship, added, removed)).

    Many-to-one relationships count as fields (they set a foreign key of this row); a
    one-to-many collection (``space.ulabel_set``, a backref) writes nothing to this row --
    the rows it moves are checked themselves.
    """
    state = sa.inspect(record)
    relationships = state.mapper.relationships
    fields: set[str] = set()
    links: list[tuple[Any, list[Any], list[Any]]] = []
    for attr in state.attrs:
        history = attr.history
        if not history.has_changes():
            continue
        prop = relationships.get(attr.key) if attr.key in relationships else None
        if prop is None or not prop.uselist:
            fields.add(attr.key)
        elif prop.secondary is not None and not prop.viewonly:
            links.append((prop, list(history.added), list(history.deleted)))
    fields.discard("updated_at")
    return fields, links


# -- governance rows: users, spaces, teams, memberships, access rows -------------------------

SELF_EDITABLE = frozenset({"name", "email", "_email"})  # User.email maps User._email


def _require_instance_admin(permissions: Permissions, what: str) -> None:
    if not permissions.admin_everywhere:
        raise NoWriteAccess(
            f"{what}: only the instance's creator manages users and teams "
            "(roles on spaces go through repo.grant/repo.revoke)."
        )


def _check_governance(permissions: Permissions, record: Any, action: str) -> None:
    """Users, spaces, teams and access rows change only as API.md allows.

    A user edits his own name and email; the instance's creator manages users and teams;
    anyone creates a space (he then administers it); a space's admin edits or deletes it and
    manages its access rows (``grant``/``revoke`` are the spelling of that).
    """
    from .models.core import Team

    label = f"{action} {_label(record)}"
    if isinstance(record, User):
        if action == "changing" and record.__dict__.get("id") == permissions.user_id:
            fields, links = _changes(record)
            if fields <= SELF_EDITABLE and not links:
                return
            label += f" ({', '.join(sorted(fields - SELF_EDITABLE) or ['teams'])})"
        _require_instance_admin(permissions, label)
    elif isinstance(record, Team):
        _require_instance_admin(permissions, label)
    elif isinstance(record, Space):
        if action == "creating":
            creator = effective_fk(record, "created_by_id", "created_by")
            if creator not in (None, permissions.user_id):
                _require_instance_admin(permissions, f"{label} on behalf of another user")
            return
        permissions.require(record.__dict__.get("id") or _committed(record, "id"), ADMIN, label)
    elif isinstance(record, SpaceAccess):
        spaces = {_space(record)}
        if action != "creating":
            spaces.add(_committed(record, "space_id"))
        for space_id in spaces:
            if space_id != NEW_SPACE:
                permissions.require(space_id, ADMIN, f"{label}: roles on a space")


GOVERNANCE = (User, Space, SpaceAccess)  # and Team (imported lazily: models.core order)


def is_governance(record: Any) -> bool:
    from .models.core import Team

    return isinstance(record, (*GOVERNANCE, Team))


# -- links between records -----------------------------------------------------------------


def _owner_column(table: Any) -> Any:
    """A link table's owning side: its first foreign key that is not a stamp or a feature."""
    for column in table.columns:
        if column.foreign_keys and column.name not in ("created_by_id", "run_id", "feature_id"):
            return column
    return None  # pragma: no cover - every link table has two ends


def _check_links(permissions: Permissions, record: Any, links: list[Any]) -> None:
    """A link row needs read access to both ends and write access to the owning end.

    The owning end is the record whose id the link table names first (``artifact`` in
    ``lamindb_artifactulabel``, the child in ``lamindb_ulabel_parents``), as in lamindb
    where the declaring model owns the link table. Both sides of a backref report the same
    change, and both reach the same verdict.
    """
    for prop, added, removed in links:
        owner_column = _owner_column(prop.secondary)
        record_owns = any(
            secondary_column is owner_column for _, secondary_column in prop.synchronize_pairs
        )
        for item in (*added, *removed):
            owner, other = (record, item) if record_owns else (item, record)
            what = f"linking {_label(record)} and {_label(item)}"
            _require_readable(permissions, other, what)
            _require_readable(permissions, owner, what)
            if is_governance(owner):
                _require_instance_admin(permissions, what)
            elif isinstance(owner, SQLRecord):
                require_editable(permissions, owner, what)


def _require_readable(permissions: Permissions, record: Any, what: str) -> None:
    if not isinstance(record, SQLRecord):
        return
    space_id = _space(record)
    if space_id != NEW_SPACE and permissions.level(space_id) < READ:
        raise NoWriteAccess(f"{what}: {_label(record)} is not readable for this user.")


def require_editable(permissions: Permissions, record: Any, what: str) -> None:
    """Write access to a stored record's space, not archived, admin when locked (an
    attached block: its owner's)."""
    if is_attached_block(record):
        _check_block(permissions, record, what)
        return
    if sa.inspect(record).key is None:
        space_id = _space(record)
        if space_id != NEW_SPACE:
            permissions.require(space_id, WRITE, what)
        return
    old_space = _committed(record, "space_id")
    if _committed(record, "branch_id") == ARCHIVE_BRANCH:
        raise NoWriteAccess(
            f"{_label(record)} is archived and read-only; restore it first (repo.restore(record))."
        )
    permissions.require(old_space, WRITE, what)
    if _is_locked(
        _committed(record, "branch_id"), _committed(record, "is_locked"),
        permissions.locked_branch,
    ) and (
        permissions.level(old_space) < ADMIN
    ):
        raise NoWriteAccess(f"{_label(record)}: {LOCKED_MESSAGE}")


# -- blocks attached to a record: the owner's space decides ------------------------------------


def is_attached_block(record: Any) -> bool:
    """A block attached to an owner (``RecordBlock``, ...; ``models/blocks.py``)."""
    return getattr(type(record), "_owner", None) is not None


def block_owner(record: Any, *, committed: bool = False) -> Any:
    """The owner of an attached block (None when it has none), found by its foreign key --
    never through a relationship load, which visibility rules may empty."""
    name = type(record)._owner
    owner_id = (
        _committed(record, f"{name}_id") if committed
        else effective_fk(record, f"{name}_id", name)
    )
    if owner_id is None:
        return None
    if not committed:
        for candidate in (record.__dict__.get(name), record.__dict__.get("_owner_record")):
            if candidate is not None and owner_id in (NEW_SPACE, _identity(candidate)):
                return candidate
    session = sa.orm.object_session(record)
    if session is None:  # pragma: no cover - the save path always knows the owner
        raise NoWriteAccess(f"{_label(record)}: its {name} cannot be checked outside a session")
    model = sa.inspect(type(record)).relationships[name].mapper.class_
    with session.no_autoflush:
        return session.get(model, owner_id)


def _identity(record: Any) -> Any:
    identity = sa.inspect(record).identity
    return identity[0] if identity else None


def _check_block(permissions: Permissions, record: Any, what: str) -> None:
    """Writing a block attached to a record edits the record's annotations: the owner must be
    readable and editable (``require_editable``); a SpaceBlock needs write access to its
    space; a BranchBlock, like a branch, is open to every user."""
    if not getattr(type(record), "_owner_space", False):
        return
    owners = [block_owner(record)]
    if sa.inspect(record).key is not None:
        old = block_owner(record, committed=True)
        if old is not owners[0]:
            owners.append(old)
    for owner in owners:
        if owner is None:
            continue
        if isinstance(owner, Space):
            space_id = _identity(owner)
            if space_id is not None:
                permissions.require(space_id, WRITE, what)
            continue
        _require_readable(permissions, owner, what)
        require_editable(permissions, owner, what)


# -- the three checks every write path calls ------------------------------------------------


def check_create(permissions: Permissions, record: Any) -> None:
    """A new record needs write access to its space (admin to create it locked)."""
    if is_governance(record):
        _check_governance(permissions, record, "creating")
        return
    if is_attached_block(record):
        _check_block(permissions, record, f"creating {_label(record)}")
        return
    if not isinstance(record, SQLRecord):
        return
    space_id = _space(record)
    label = f"creating {type(record).__name__}"
    if space_id != NEW_SPACE:
        permissions.require(space_id, WRITE, label)
        if _is_locked(
            record.__dict__.get("branch_id"), record.__dict__.get("is_locked"),
            permissions.locked_branch,
        ):
            permissions.require(space_id, ADMIN, f"{label} locked")
    _, links = _changes(record)
    _check_links(permissions, record, links)


def check_update(permissions: Permissions, record: Any) -> None:
    """An edit or move of a stored record: write access, archive and lock rules; link
    changes: see :func:`_check_links`."""
    if is_governance(record):
        fields, links = _changes(record)
        if fields or links:
            _check_governance(permissions, record, "changing")
        return
    if is_attached_block(record):
        if _changes(record)[0]:
            _check_block(permissions, record, f"changing {_label(record)}")
        return
    if not isinstance(record, SQLRecord):
        return
    changed, links = _changes(record)
    _check_links(permissions, record, links)
    if not changed:
        return
    label = _label(record)
    old_branch = _committed(record, "branch_id")
    old_space = _committed(record, "space_id")
    if old_branch == ARCHIVE_BRANCH and changed - {"branch_id"}:
        raise NoWriteAccess(
            f"{label} is archived and read-only; restore it first (repo.restore(record))."
        )
    permissions.require(old_space, WRITE, f"changing {label}")
    new_space = _space(record)
    if new_space not in (old_space, NEW_SPACE):
        permissions.require(new_space, WRITE, f"moving {label} into this space")
    locked_branch = permissions.locked_branch
    was_locked = _is_locked(old_branch, _committed(record, "is_locked"), locked_branch)
    locking = was_locked or _is_locked(record.branch_id, record.is_locked, locked_branch)
    if locking and permissions.level(old_space) < ADMIN:
        raise NoWriteAccess(f"{label}: {LOCKED_MESSAGE}")


def check_delete(permissions: Permissions, record: Any) -> None:
    """Removing a stored record: write access; admin when it is locked."""
    if is_governance(record):
        _check_governance(permissions, record, "deleting")
        return
    if is_attached_block(record):
        _check_block(permissions, record, f"deleting {_label(record)}")
        return
    if not isinstance(record, SQLRecord):
        return
    space_id = _committed(record, "space_id")
    label = _label(record)
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
