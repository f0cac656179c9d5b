"""Related managers and ``Model.objects``: Django's spellings over repository rules.

``record.parents.add(p)``, ``label.artifacts.filter(...)``, ``space.ulabel_set.count()``
(see :class:`~lamin_registry.models.related.RelatedList`, the list every to-many
relationship holds) and ``repo.add_related(record, "parents", p)`` all end here.

Reads (:func:`related`) are a :class:`~lamin_registry.Query` over the target registry with
one condition -- "linked to this record" -- so the repository's visibility applies as to any
query: members on hidden branches (trash, archive) or in spaces the user cannot read are not
listed, counted or found. (lamindb's managers are not branch-filtered; the loaded list,
``record.parents`` itself, never was here either, and the two agree.)

Writes change the relationship's list inside the repository's savepoint and flush it, so the
one ``before_flush`` hook stamps and checks them like any link write (write access to the
owning end, read access to the other, archive and lock rules, governance rows); a refused or
failing write leaves the database and the lists as they were. A read-only repository
(``using()``) refuses them before anything happens (``using.WRITES``). They act on the links
the user can see: ``clear()`` leaves links to records in the trash (restoring a record brings
its links back) and to records the user cannot read.

Writes are immediate, as in Django: one savepoint and one flush per call.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import RelationshipProperty

from ._context import active_repository, current_repository
from .errors import DoesNotExist, InvalidArgument
from .models.base import BaseSQLRecord
from .models.related import QueryReads
from .query.query import Query

if TYPE_CHECKING:
    from .repository import Repository

T = TypeVar("T")

_CHUNK = 500


# -- which repository ------------------------------------------------------------------------


def _session_repository(record: Any) -> tuple[bool, Repository | None]:
    """(whether ``record`` is in a session, that session's repository)."""
    from .hooks import REPOSITORY_KEY

    session = sa.inspect(record).session
    if session is None:
        return False, None
    return True, session.info.get(REPOSITORY_KEY)


def writing_repository(record: Any) -> Repository | None:
    """The repository that writes ``remove``/``clear`` of a stored record at once, or None
    (an unsaved record, or one in a session no repository manages: list behaviour)."""
    if sa.inspect(record).key is None:
        return None
    in_session, repo = _session_repository(record)
    return repo if in_session else current_repository()


def repository_for(record: Any, key: str, action: str, *, write: bool = True) -> Repository:
    """The repository a manager method of ``record.<key>`` goes through.

    The record's session's repository, else (no session) the active one. A write on a record
    in a session that no repository manages is refused: it would write through another.
    """
    if sa.inspect(record).key is None:
        raise _unsaved_owner(record, key, action)
    in_session, repo = _session_repository(record)
    if repo is not None:
        return repo
    if in_session and write:
        raise InvalidArgument(
            f"Cannot {action} {type(record).__name__}.{key} of {_label(record)}: its session is "
            "not a lamin_registry repository's; wrap it (lr.Repository(session)) or change "
            "the list and flush"
        )
    return active_repository()


# -- the relationship and its two ends --------------------------------------------------------


def relationship(model: type, key: str) -> RelationshipProperty[Any]:
    """The to-many relationship ``key`` of ``model`` (InvalidArgument naming the others)."""
    if not isinstance(key, str):
        raise InvalidArgument(f"A relationship is named by a string, got {key!r}")
    relationships: Any = sa.inspect(model).relationships
    prop: RelationshipProperty[Any] | None = relationships.get(key)
    if prop is None or not prop.uselist:
        names = sorted(p.key for p in relationships if p.uselist)
        raise InvalidArgument(
            f"{model.__name__} has no to-many relationship {key!r}; it has: {', '.join(names)}"
        )
    return prop


def _label(record: Any) -> str:
    uid = record.__dict__.get("uid")
    name = record.__dict__.get(getattr(type(record), "_name_field", None) or "name")
    shown = f" {name!r}" if isinstance(name, str) else ""
    return f"{type(record).__name__}{shown} {uid or ''}".rstrip()


def _unsaved_owner(record: Any, key: str, action: str) -> InvalidArgument:
    model = type(record).__name__
    if action == "query":  # lamindb's message
        return InvalidArgument(
            f"You are trying to access the many-to-many relationships of an unsaved {model} "
            f"object ({model}.{key}). Please save it first using '.save()'."
        )
    return InvalidArgument(
        f"Cannot {action} {model}.{key} of the unsaved {_label(record)}: save it first "
        f"(until then, record.{key}.append(...) builds the list that saving writes)"
    )


def _host(repo: Repository, record: Any, key: str, action: str) -> tuple[Any, Any]:
    """(relationship, ``record`` as an object of the repository's session)."""
    if not isinstance(record, BaseSQLRecord):
        raise InvalidArgument(f"Expected a lamin_registry record, got {record!r}")
    prop = relationship(type(record), key)
    state = sa.inspect(record)
    if state.key is None:
        raise _unsaved_owner(record, key, action)
    if state.session is not None and state.session is not repo.session:
        raise InvalidArgument(
            f"{_label(record)} belongs to another session; load it in this repository "
            f"(repo.get({type(record).__name__}, {state.key[1][0]!r})) to change {key}"
        )
    if action != "query" and prop.viewonly:
        raise InvalidArgument(
            f"{type(record).__name__}.{key} is read-only (it lists links written "
            "elsewhere, e.g. by feature annotation)"
        )
    return prop, repo._own(record)


def _targets(
    repo: Repository, prop: RelationshipProperty[Any], objs: Iterable[Any], action: str
) -> list[Any]:
    """The records ``objs`` name (records or ids), as this session's objects, in order."""
    target = prop.mapper.class_
    where = f"{prop.parent.class_.__name__}.{prop.key}"
    records: list[Any] = []
    ids: list[int] = []
    for obj in objs:
        if isinstance(obj, int) and not isinstance(obj, bool):
            ids.append(obj)
            continue
        if not isinstance(obj, target):
            hint = (
                f"; pass the records one by one: {prop.key}.{action.split()[0]}(*records)"
                if isinstance(obj, list | tuple | set | frozenset)
                else ""
            )
            raise InvalidArgument(
                f"{where} holds {target.__name__} records (or their ids), got {obj!r}{hint}"
            )
        state = sa.inspect(obj)
        if state.key is None:
            raise InvalidArgument(
                f"Cannot {action} {where}: {_label(obj)} is not saved yet; save it first"
            )
        if state.session is not None and state.session is not repo.session:
            raise InvalidArgument(
                f"Cannot {action} {where}: {_label(obj)} belongs to another session; load it "
                f"in this repository (repo.get({target.__name__}, {state.key[1][0]!r}))"
            )
        records.append(repo._own(obj))
    if ids:
        records.extend(_by_ids(repo, target, ids))
    unique: dict[int, Any] = {}
    for record in records:
        unique.setdefault(id(record), record)
    return list(unique.values())


def _by_ids(repo: Repository, target: type, ids: list[int]) -> list[Any]:
    """Records by id, any branch (as ``get(id)``), readable spaces only."""
    found: dict[int, Any] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        rows: list[Any] = repo.filter(target, id__in=chunk).all()
        found.update((row.id, row) for row in rows)
    missing = [i for i in ids if i not in found]
    if missing:
        raise DoesNotExist(
            f"No {target.__name__} with id {', '.join(map(str, missing))} "
            "(or it is not readable for this user)."
        )
    return [found[i] for i in ids]


def _value(record: Any, column: Any) -> Any:
    """``record``'s value of ``column`` (the identity for the primary key: no I/O)."""
    state = sa.inspect(record)
    mapper = state.mapper
    if state.identity is not None and column in mapper.primary_key:
        return state.identity[list(mapper.primary_key).index(column)]
    return getattr(record, mapper.get_property_by_column(column).key)


# -- reads -----------------------------------------------------------------------------------


def membership(prop: RelationshipProperty[Any], record: Any) -> Any:
    """The condition "linked to ``record`` through ``prop``", on the target registry.

    Many-to-many: ``target.id IN (SELECT <target end> FROM <link> WHERE <owner end> = :id)``
    -- no registry table inside, so a query naming ``branch_id`` shows every branch of the
    members; one-to-many: the foreign key equals the record's key.
    """
    owner_pairs = prop.synchronize_pairs or []
    if prop.secondary is None:
        return sa.and_(*(remote == _value(record, local) for local, remote in owner_pairs))
    target_pairs = prop.secondary_synchronize_pairs or []
    link_select = sa.select(*(link for _, link in target_pairs)).where(
        *(link == _value(record, local) for local, link in owner_pairs)
    )
    target_columns = [column for column, _ in target_pairs]
    if len(target_columns) == 1:
        return target_columns[0].in_(link_select)
    return sa.tuple_(*target_columns).in_(link_select)  # pragma: no cover - composite keys


def related(repo: Repository, record: Any, key: str) -> Query[Any]:
    """``record.<key>`` as a Query of the members the repository may see.

    A record this repository's session did not load must itself be readable (any branch,
    as ``get(id)``): that is one more condition of the same statement, not a round trip,
    so building the query never does I/O (the async facade builds it outside the greenlet).
    """
    if not isinstance(record, BaseSQLRecord):
        raise InvalidArgument(f"Expected a lamin_registry record, got {record!r}")
    prop = relationship(type(record), key)
    state = sa.inspect(record)
    if state.key is None:
        raise _unsaved_owner(record, key, "query")
    conditions = [membership(prop, record)]
    if state.session is not repo.session:
        conditions.append(_readable(record))
    return Query(repo, prop.mapper.class_, conditions)


def _readable(record: Any) -> Any:
    """EXISTS(the record's row), which :mod:`visibility` restricts to readable spaces; the
    ``branch_id`` it names keeps every branch (as a get by id)."""
    mapper = sa.inspect(record).mapper
    table = mapper.local_table
    row = sa.select(sa.literal(1)).select_from(table).correlate(None)  # parents: same table
    row = row.where(*(column == _value(record, column) for column in mapper.primary_key))
    if "branch_id" in table.c:
        row = row.where(table.c.branch_id.isnot(None))
    return sa.exists(row)


# -- writes ----------------------------------------------------------------------------------


def _reverse_keys(prop: RelationshipProperty[Any]) -> list[str]:
    return [reverse.key for reverse in prop._reverse_property]


def _foreign_key_attributes(prop: RelationshipProperty[Any]) -> list[tuple[str, Any]]:
    """One-to-many: (attribute of the target, owner column) per foreign key column."""
    mapper = prop.mapper
    return [
        (mapper.get_property_by_column(remote).key, local)
        for local, remote in prop.synchronize_pairs or []
    ]


@contextmanager
def _changing(
    repo: Repository, host: Any, prop: RelationshipProperty[Any], action: str
) -> Iterator[list[Any]]:
    """The repository's savepoint; on failure the lists (and foreign keys) touched are
    expired, so they read as stored instead of keeping a change that was not written."""
    touched: list[Any] = []
    try:
        with repo._atomic(action):
            yield touched
            repo.session.flush()
    except BaseException:
        _expire(repo, host, [prop.key])
        attributes = _reverse_keys(prop)
        if prop.secondary is None:
            attributes += [key for key, _ in _foreign_key_attributes(prop)]
        for target in touched:
            _expire(repo, target, attributes)
        raise


def _expire(repo: Repository, record: Any, attributes: list[str]) -> None:
    state = sa.inspect(record)
    if attributes and state.session is repo.session and state.persistent:
        repo.session.expire(record, attributes)


def _fresh(repo: Repository, host: Any, key: str) -> Any:
    """The list as stored now (other writers in this session -- feature annotation, raw
    link rows -- may have changed the links since it was loaded)."""
    repo.session.expire(host, [key])
    return getattr(host, key)


def _linked_ids(
    repo: Repository, prop: RelationshipProperty[Any], host: Any, targets: Sequence[Any]
) -> set[Any]:
    """Ids of ``targets`` already linked to ``host`` (visible or not), one SELECT per 500."""
    if prop.secondary is None:
        keys = _foreign_key_attributes(prop)
        return {
            t.id for t in targets
            if all(getattr(t, key) == _value(host, local) for key, local in keys)
        }
    ((target_column, link_target),) = prop.secondary_synchronize_pairs or []
    owner = [link == _value(host, local) for local, link in prop.synchronize_pairs or []]
    found: set[Any] = set()
    values = [_value(t, target_column) for t in targets]
    for start in range(0, len(values), _CHUNK):
        chunk = values[start : start + _CHUNK]
        stmt = sa.select(link_target).where(*owner, link_target.in_(chunk))
        found.update(repo._execute(stmt).scalars())
    return found


def _contains(collection: Sequence[Any], record: Any) -> bool:
    return any(item is record for item in collection)


def _link(prop: RelationshipProperty[Any], host: Any, collection: Any, target: Any) -> None:
    collection.append(target)
    if prop.secondary is None:  # the foreign key as a change of the target (checked as such)
        for key, local in _foreign_key_attributes(prop):
            setattr(target, key, _value(host, local))


def _unlink(prop: RelationshipProperty[Any], collection: Any, target: Any) -> None:
    collection._sa_remove_one(target)
    if prop.secondary is None:
        for key, _ in _foreign_key_attributes(prop):
            setattr(target, key, None)


def _require_removable(prop: RelationshipProperty[Any], action: str) -> None:
    """A one-to-many member leaves only if its foreign key may be NULL (Django has no
    ``remove``/``clear`` otherwise); a delete-orphan member would be deleted: refused."""
    if prop.secondary is not None:
        return
    columns = [remote for _, remote in prop.synchronize_pairs or []]
    if prop.cascade.delete_orphan or not all(column.nullable for column in columns):
        target = prop.mapper.class_.__name__
        owner = prop.parent.class_.__name__
        fields = ", ".join(column.name for column in columns)
        raise InvalidArgument(
            f"Cannot {action} {owner}.{prop.key}: every {target} needs one ({fields} is not "
            f"nullable); give the {target} another {owner} instead"
        )


def add(repo: Repository, record: Any, key: str, objs: Sequence[Any]) -> None:
    """Link ``objs`` to ``record.<key>`` (already linked ones are skipped)."""
    prop, host = _host(repo, record, key, "add to")
    label = f"adding to {type(host).__name__}.{key} of {_label(host)}"
    with _changing(repo, host, prop, label) as touched:
        targets = _targets(repo, prop, objs, "add to")
        if not targets:
            return
        collection = getattr(host, key)
        linked = _linked_ids(repo, prop, host, targets)
        for target in targets:
            if target.id in linked or _contains(collection, target):
                continue
            touched.append(target)
            _link(prop, host, collection, target)


def remove(repo: Repository, record: Any, key: str, objs: Sequence[Any]) -> None:
    """Unlink ``objs`` from ``record.<key>`` (ones that are not members are ignored)."""
    prop, host = _host(repo, record, key, "remove from")
    _require_removable(prop, "remove from")
    label = f"removing from {type(host).__name__}.{key} of {_label(host)}"
    with _changing(repo, host, prop, label) as touched:
        targets = _targets(repo, prop, objs, "remove from")
        collection = _fresh(repo, host, key)
        for target in targets:
            if _contains(collection, target):
                touched.append(target)
                _unlink(prop, collection, target)


def clear(repo: Repository, record: Any, key: str) -> None:
    """Unlink every member the repository can see."""
    prop, host = _host(repo, record, key, "clear")
    _require_removable(prop, "clear")
    label = f"clearing {type(host).__name__}.{key} of {_label(host)}"
    with _changing(repo, host, prop, label) as touched:
        collection = _fresh(repo, host, key)
        for target in list(collection):
            touched.append(target)
            _unlink(prop, collection, target)


def set_(repo: Repository, record: Any, key: str, objs: Iterable[Any], clear: bool) -> None:
    """Make ``objs`` the members: unlink the others (``clear=True``: all), link the new."""
    if isinstance(objs, str | bytes | BaseSQLRecord) or not isinstance(objs, Iterable):
        raise InvalidArgument(f"set() takes a list of records or ids, got {objs!r}")
    prop, host = _host(repo, record, key, "set")
    wanted = list(objs)
    label = f"setting {type(host).__name__}.{key} of {_label(host)}"
    with _changing(repo, host, prop, label) as touched:
        targets = _targets(repo, prop, wanted, "set")
        collection = _fresh(repo, host, key)
        leaving = [item for item in collection if clear or not _contains(targets, item)]
        if leaving:
            _require_removable(prop, "set (it would remove members of)")
        for item in leaving:
            touched.append(item)
            _unlink(prop, collection, item)
        linked = _linked_ids(repo, prop, host, targets) - {item.id for item in leaving}
        for target in targets:
            if target.id in linked or _contains(collection, target):
                continue
            touched.append(target)
            _link(prop, host, collection, target)


# -- Model.objects -----------------------------------------------------------------------------


class Objects(QueryReads[T]):
    """``Model.objects``: Django's manager over the active repository.

    As lamindb's ``Model.objects``, it is not branch-filtered: ``ULabel.objects.get(name=...)``
    finds a record in the trash, ``ULabel.objects.filter(...)`` lists every branch. Spaces
    still apply (a user never sees what he cannot read). Each method asks for the active
    repository when it runs (``NoActiveSession`` outside a session block).
    """

    __slots__ = ("model",)

    def __init__(self, model: type[T]) -> None:
        self.model = model

    def __repr__(self) -> str:
        return f"<Objects of {self.model.__name__}>"

    def all(self) -> Query[T]:
        """Every record of the registry, every branch (a lazy Query)."""
        model: Any = self.model
        query: Query[T] = active_repository().filter(model, branch_id=None)
        return query

    def create(self, **fields: Any) -> T:
        """``Model(**fields)`` saved; returns the stored record (an existing one of the same
        name, as ``save`` does)."""
        model: Any = self.model
        record: T = active_repository().save(model(**fields))
        return record


__all__ = [
    "Objects",
    "add",
    "clear",
    "membership",
    "related",
    "relationship",
    "remove",
    "repository_for",
    "set_",
    "writing_repository",
]
