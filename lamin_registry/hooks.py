"""The one ``before_flush`` hook: stamps who created a record and in which run.

It acts only on sessions a :class:`~lamin_registry.Repository` wraps; in a plain session the
column defaults apply (``created_by_id`` 1, the instance's creator).
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from . import access, concurrency, session_state
from .errors import NoWriteAccess
from .models.actor import act_as
from .models.artifacts import Artifact, Collection
from .models.base import BaseSQLRecord

if TYPE_CHECKING:
    from .repository import Repository

REPOSITORY_KEY = "lamin_registry.repository"

_STAMPED: dict[type, tuple[bool, bool]] = {}


def _stamped_fields(model: type) -> tuple[bool, bool]:
    fields = _STAMPED.get(model)
    if fields is None:
        columns: Any = sa.inspect(model).local_table.columns
        fields = _STAMPED[model] = ("created_by_id" in columns, "run_id" in columns)
    return fields


def stamp(record: Any, repo: Repository) -> None:
    """Fill ``created_by_id``, ``run_id`` and the branch of a new record from the repository.

    A new record's values go straight into its ``__dict__`` (as its constructor puts them):
    an insert reads every column from there, and the instrumented attribute set, which
    records history a new object does not need, cost more than the rest of a bulk save's
    per-record work. A persistent record is set through its attributes.
    """
    has_created_by, has_run = _stamped_fields(type(record))
    state = record.__dict__
    values: dict[str, Any] = {}
    if access.has_branches(type(record)) and not state.get("_branch_given"):
        branch_id = repo.current_branch_id
        if state.get("branch_id") != branch_id:
            values["branch_id"] = values["created_on_id"] = branch_id
    if has_created_by and state.get("created_by_id") is None and state.get("created_by") is None:
        values["created_by_id"] = repo.user_id
    if has_run and state.get("run_id") is None and state.get("run") is None:
        run_id = repo.run_id
        if run_id is not None:
            values["run_id"] = run_id
    if not values:
        return
    if state["_sa_instance_state"].key is None:
        state.update(values)
    else:
        for key, value in values.items():
            setattr(record, key, value)


def stamp_new(model: type, records: list[Any], repo: Repository) -> None:
    """:func:`stamp` for many new records of ``model``, the repository's values read once.

    Records of a subclass, or already persistent, go through :func:`stamp`.
    """
    has_created_by, has_run = _stamped_fields(model)
    branched = access.has_branches(model)
    branch_id = repo.current_branch_id if branched else None
    user_id = repo.user_id if has_created_by else None
    run_id = repo.run_id if has_run else None
    for record in records:
        state = record.__dict__
        if type(record) is not model or state["_sa_instance_state"].key is not None:
            stamp(record, repo)
            continue
        if branched and not state.get("_branch_given") and state.get("branch_id") != branch_id:
            state["branch_id"] = state["created_on_id"] = branch_id
        if has_created_by and state.get("created_by_id") is None and (
            state.get("created_by") is None
        ):
            state["created_by_id"] = user_id
        if run_id is not None and state.get("run_id") is None and state.get("run") is None:
            state["run_id"] = run_id


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, flush_context: object, instances: object) -> None:
    """Stamp new records and refuse writes the acting user may not make."""
    repo: Repository | None = session.info.get(REPOSITORY_KEY)
    if repo is None:
        return
    concurrency.acquire_write_lock(session)  # SQLite: a read-only transaction may write now
    permissions = repo.permissions
    governance = False
    record: Any = None
    try:
        for record in session.new:
            if isinstance(record, BaseSQLRecord):
                stamp(record, repo)
                access.check_create(permissions, record)
                governance = governance or access.is_governance(record)
        for record in session.dirty:
            if isinstance(record, BaseSQLRecord):
                access.check_update(permissions, record)
                governance = governance or access.is_governance(record)
        for record in session.deleted:
            if isinstance(record, BaseSQLRecord):
                access.check_delete(permissions, record)
                governance = governance or access.is_governance(record)
    except NoWriteAccess:  # undone on the spot: commit() must not meet it again
        session_state.undo(session, record)
        raise
    if governance:  # roles may change with this flush: read them again when next needed
        repo._permissions = None
    repo._write_run_inputs()


@event.listens_for(Session, "after_begin")
def _after_begin(session: Session, transaction: object, connection: sa.Connection) -> None:
    """PostgreSQL: tell the row-level security policies who is acting (``SET LOCAL``).
    SQLite: make the transaction real (see :func:`begin_sqlite_transaction`).
    Both: link rows the unit of work inserts by itself are stamped with the acting user and
    run (:mod:`lamin_registry.models.actor`)."""
    repo: Repository | None = session.info.get(REPOSITORY_KEY)
    act_as(connection, repo)
    if repo is not None and connection.dialect.name == "postgresql":
        user_id = repo.user_id
        if not _database_user_holds(transaction, connection, user_id):
            set_database_user(connection, user_id, transaction)
    elif repo is not None:
        begin_sqlite_transaction(connection)


def begin_sqlite_transaction(connection: sa.Connection) -> None:
    """Open the SQLite transaction a host's plain pysqlite engine only pretends to be in.

    pysqlite (without SQLAlchemy's BEGIN recipe, which ``lr.connect`` installs) emits BEGIN
    only before DML, so the repository's first SAVEPOINT would open the transaction itself
    and its RELEASE would *commit* the host's work: a repository over a host's session must
    never commit. Nothing happens on other drivers or when a transaction is open already.
    """
    from .migrate import begin_sqlite_transaction as begin

    begin(connection)


# What set_database_user sent in which session transaction (dropped with the transaction),
# and every user id sent under each outermost one: see _database_user_holds.
_SENT: weakref.WeakKeyDictionary[Any, tuple[sa.Connection, int]] = weakref.WeakKeyDictionary()
_SENT_UNDER: weakref.WeakKeyDictionary[Any, set[int]] = weakref.WeakKeyDictionary()


def _outermost(transaction: Any) -> Any:
    while transaction.parent is not None:
        transaction = transaction.parent
    return transaction


def set_database_user(
    connection: sa.Connection, user_id: int, transaction: Any = None
) -> None:
    """``SET LOCAL lamin_registry.user_id``: the user the PostgreSQL policies check.

    ``transaction``: the session transaction (innermost) it is sent in, noted so that a
    savepoint inside it need not send it again (:func:`_database_user_holds`).
    """
    connection.execute(
        sa.text("SELECT set_config('lamin_registry.user_id', :user_id, true)"),
        {"user_id": str(user_id)},
    )
    if transaction is not None:
        _SENT[transaction] = (connection, user_id)
        _SENT_UNDER.setdefault(_outermost(transaction), set()).add(user_id)


def _database_user_holds(transaction: Any, connection: sa.Connection, user_id: int) -> bool:
    """Whether ``lamin_registry.user_id`` is ``user_id`` already as savepoint ``transaction``
    begins, so the ``set_config`` round trip can be left out.

    ``set_config(..., true)`` lasts to the end of the database transaction, is kept by a
    released savepoint, and is undone by rolling back a savepoint opened before it. A value
    sent in a session transaction that is still active (an ancestor of this savepoint) was
    sent before any savepoint that is open or may still be rolled back to inside it, so it
    is undone only with that transaction. If every value sent under the outermost session
    transaction was ``user_id``, the value in force is ``user_id``: leave it. Any other
    value sent meanwhile (another repository on the session) and it is sent again, as at
    every begin before.
    """
    if not getattr(transaction, "nested", False):
        return False  # a real transaction (or the session's own savepoint): set it
    if _SENT_UNDER.get(_outermost(transaction)) != {user_id}:
        return False
    ancestor = transaction.parent
    while ancestor is not None:
        sent = _SENT.get(ancestor)
        if sent is not None and sent[0] is connection:
            return True
        ancestor = ancestor.parent
    return False


CHECKED = {"lamin_registry_checked": True}
"""Execution options of the library's own UPDATE/DELETE statements, checked beforehand."""


@event.listens_for(Session, "do_orm_execute")
def _refuse_unchecked_writes(state: ORMExecuteState) -> None:
    """INSERT/UPDATE/DELETE statements sent through a repository's session skip every
    per-record check; only the instance's creator may send them (the library's own
    statements are checked before they are sent and carry :data:`CHECKED`)."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    repo: Repository | None = state.session.info.get(REPOSITORY_KEY)
    if repo is None or state.execution_options.get("lamin_registry_checked"):
        return
    if not repo.permissions.admin_everywhere:
        raise NoWriteAccess(
            "INSERT/UPDATE/DELETE statements through the session bypass the access checks; "
            "use repo.save(...), repo.delete(query) or repo.restore(query) instead."
        )


@event.listens_for(Session, "do_orm_execute")
def _visible_relationships(state: ORMExecuteState) -> None:
    """Relationship collections obey the same visibility as queries (branches, spaces)."""
    if not (state.is_select and state.is_relationship_load):
        return
    repo: Repository | None = state.session.info.get(REPOSITORY_KEY)
    if repo is None:
        return
    options = []
    for mapper in state.all_mappers:
        conditions = repo._visibility(mapper.class_)
        if conditions:
            options.append(with_loader_criteria(mapper.class_, sa.and_(*conditions)))
    if options:
        state.statement = state.statement.options(*options)


def _note_run_input(record: Any, context: Any) -> None:
    """Artifacts and collections loaded inside ``repo.track()`` become the run's inputs."""
    session = context.session
    repo: Repository | None = session.info.get(REPOSITORY_KEY) if session else None
    if repo is None or repo.run_id is None:
        return
    if record.__dict__.get("run_id") != repo.run_id:  # the run's own outputs are not inputs
        repo._run_inputs.add((type(record), record.id))


@event.listens_for(Session, "do_orm_execute")
def _note_known_run_inputs(state: ORMExecuteState) -> Any:
    """Artifacts and collections a query inside ``repo.track()`` returns from the session's
    identity map (created or loaded earlier in the session) get no ``load`` event: note
    them from the result."""
    if not state.is_select or state.execution_options.get("yield_per"):
        return None
    repo: Repository | None = state.session.info.get(REPOSITORY_KEY)
    if repo is None or repo.run_id is None:
        return None
    if not any(issubclass(m.class_, Artifact | Collection) for m in state.all_mappers):
        return None
    frozen = state.invoke_statement().freeze()
    for row in frozen():
        for value in row:
            if (
                isinstance(value, Artifact | Collection)
                and value.__dict__.get("id") is not None
                and value.__dict__.get("run_id") != repo.run_id  # outputs are not inputs
            ):
                repo._run_inputs.add((type(value), value.id))
    return frozen()


for _model in (Artifact, Collection):
    event.listen(_model, "load", _note_run_input)
