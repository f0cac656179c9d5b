"""Set-based insertion of many new records of one registry.

The ORM's unit of work costs about 150 µs per object; a bulk save of 100,000 labels would take
over ten seconds. Here the rows are built column by column from the objects' state (with the
ORM's rules for defaults and ``None``), written with one ``executemany`` (SQLite), ``COPY``
(PostgreSQL through psycopg, from ``_COPY_MIN`` rows: :mod:`.bulk_copy`) or batched
``INSERT ... RETURNING`` (PostgreSQL otherwise, a statement per 1,000 rows), and the objects
are then registered in the session as persistent, exactly as a flush would leave them: every
column value in ``__dict__``, an identity key, and marked new in the current (nested)
transaction so that a rollback makes them transient again. Records that need the unit of
work (unsaved related objects, filled collections, an explicit primary key) take the ORM path.
"""

from __future__ import annotations

import gc
import json
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain, compress, repeat
from operator import attrgetter, is_, is_not, itemgetter
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapper, Session
from sqlalchemy.orm.attributes import instance_state

from . import bulk_copy
from .errors import IntegrityError

if TYPE_CHECKING:
    from .repository import Repository

_MISSING: Any = object()
_ID_CHUNK = 500  # uids per IN (...) list when ids must be looked up
_DEFER_MIN = 100  # rows from which the search index is filled once per batch (SQLite)
_INSERT_CHUNK = 50_000  # records whose rows are built and inserted at a time (memory)
_COPY_MIN = 100  # rows from which PostgreSQL (psycopg) inserts by COPY
_CACHE_MIN = 200_000  # rows from which SQLite's page cache is enlarged for the insert
_CACHE_KIB = 24_576  # its size then (KiB): a bulk save's peak memory grows by about as much


@dataclass(slots=True)
class _Column:
    """One insertable column and how its value is found when a record has none."""

    key: str  # attribute key on the model
    name: str  # the column's key in the table (bind parameter name)
    column: sa.Column[Any]
    default: Any  # _MISSING, a scalar, or a callable taking an (unused) execution context
    evaluates_none: bool  # None is a value (JSON 'null'), not "absent"
    server_side: bool  # only the database knows the default


@dataclass(slots=True)
class _Plan:
    """How to turn one registry's objects into insert rows (computed once per class)."""

    mapper: Mapper[Any]
    table: sa.Table
    pk_key: str
    columns: list[_Column]
    to_one: list[tuple[str, str, str | None]]  # (relationship, local key, remote key or None: pk)
    relationship_keys: frozenset[str]
    collection_keys: frozenset[str]
    bulk_ok: bool  # False: a column default only SQL can compute, or a composite key


_PLANS: dict[type, _Plan] = {}


def _plan(model: type) -> _Plan:
    plan = _PLANS.get(model)
    if plan is not None:
        return plan
    mapper: Mapper[Any] = sa.inspect(model)
    table = mapper.local_table
    assert isinstance(table, sa.Table)
    pk_columns = list(table.primary_key.columns)
    bulk_ok = len(pk_columns) == 1 and mapper.inherits is None
    columns: list[_Column] = []
    for column in table.columns:
        if column.primary_key:
            continue
        default = column.default
        value: Any = _MISSING
        if default is not None:
            if default.is_scalar or default.is_callable:
                value = default.arg
            else:  # a SQL expression or a sequence: only the unit of work handles it
                bulk_ok = False
        columns.append(
            _Column(
                key=mapper.get_property_by_column(column).key,
                name=column.key,
                column=column,
                default=value,
                evaluates_none=bool(column.type.should_evaluate_none),
                server_side=value is _MISSING and column.server_default is not None,
            )
        )
    to_one: list[tuple[str, str, str | None]] = []
    collections: list[str] = []
    for rel in mapper.relationships:
        if rel.direction.name == "MANYTOONE" and len(rel.local_remote_pairs) == 1:
            local, remote = rel.local_remote_pairs[0]
            target_pk = rel.mapper.primary_key
            remote_key = None if len(target_pk) == 1 and target_pk[0] is remote else remote.key
            to_one.append((rel.key, mapper.get_property_by_column(local).key, remote_key))
        else:
            collections.append(rel.key)
    plan = _PLANS[model] = _Plan(
        mapper=mapper,
        table=table,
        pk_key=mapper.get_property_by_column(pk_columns[0]).key,
        columns=columns,
        to_one=to_one,
        relationship_keys=frozenset(rel_key for rel_key, _, _ in to_one),
        collection_keys=frozenset(collections),
        bulk_ok=bulk_ok,
    )
    return plan


def _any_needs_unit_of_work(plan: _Plan, dicts: list[dict[str, Any]]) -> bool:
    """:func:`_needs_unit_of_work` for a batch: C-level passes over the records, the
    per-record test only for those that set a relationship or collection."""
    if any(map(is_not, map(dict.get, dicts, repeat(plan.pk_key)), repeat(None))):
        return True
    states = map(itemgetter("_sa_instance_state"), dicts)
    if any(map(is_not, map(attrgetter("session_id"), states), repeat(None))):
        return True
    related = plan.relationship_keys | plan.collection_keys
    if related.isdisjoint(set(chain.from_iterable(dicts))):
        return False
    return any(_needs_unit_of_work(plan, state) for state in dicts)


def _needs_unit_of_work(plan: _Plan, state: dict[str, Any]) -> bool:
    """True if only a flush can insert this record (cascades, an explicit primary key)."""
    if state.get(plan.pk_key) is not None or state["_sa_instance_state"].session_id is not None:
        return True  # an explicit id, or already pending in a session (a flush inserts it)
    if not plan.collection_keys.isdisjoint(state) and any(
        state.get(key) for key in plan.collection_keys
    ):
        return True
    if not plan.relationship_keys.isdisjoint(state):
        for rel_key, _, _ in plan.to_one:
            related = state.get(rel_key)
            if related is not None and instance_state(related).key is None:
                return True
    return False


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside the block (re-enabled after it if it was on).

    Building 100,000 rows allocates millions of tuples and lists; with that many live objects
    each full collection walks all of them, and the collector costs more than the work.
    Reference counting still frees everything that is not part of a cycle.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass(slots=True, frozen=True)
class _StampSource:
    """What ``hooks.stamp`` reads from the repository, read once per batch (``user_id``
    inspects the user object: 15 µs a call)."""

    current_branch_id: int
    user_id: int
    run_id: int | None


def stamp_and_check(repo: Repository, model: type, records: list[Any]) -> None:
    """``hooks.stamp`` and ``access.check_create`` for new records of ``model``.

    Every record is stamped; the access check, which inspects each record's attribute
    history (about 0.3 ms a record), runs once per distinct (space, branch, lock) for records
    that set no relationship or collection (their verdict depends on nothing else), and for
    every record that does.
    """
    from . import access, hooks

    permissions = repo.permissions
    plan = _plan(model)
    related = plan.relationship_keys | plan.collection_keys
    shortcut = bool(records) and not (
        access.is_governance(records[0]) or access.is_attached_block(records[0])
    )
    checked: set[tuple[Any, ...]] = set()
    source: Any = _StampSource(repo.current_branch_id, repo.user_id, repo.run_id)
    hooks.stamp_new(model, records, source)
    for record in records:
        state = record.__dict__
        if shortcut and type(record) is model and related.isdisjoint(state):
            key = (state.get("space_id"), state.get("branch_id"), state.get("is_locked"))
            if key in checked:
                continue
            checked.add(key)
        access.check_create(permissions, record)


def insert_records(repo: Repository, model: type, records: list[Any]) -> None:
    """Insert new ``records`` of ``model``; afterwards they are persistent in the session.

    The caller has stamped the records and checked write access (``Repository._save``: the
    ``before_flush`` rules of :mod:`lamin_registry.hooks`, which a bulk insert does not pass
    through) and runs this inside a savepoint: either every record is inserted or none is.
    """
    with gc_paused():
        _insert_records(repo, model, records)


def _insert_records(repo: Repository, model: type, records: list[Any]) -> None:
    plan = _plan(model)
    dicts = [record.__dict__ for record in records]
    if not plan.bulk_ok or _any_needs_unit_of_work(plan, dicts):
        _insert_with_unit_of_work(repo.session, records)
        return
    _resolve_to_one(plan, dicts)
    session = repo.session
    session.flush()  # pending changes first, so foreign keys to them resolve
    if _needs_server_default(plan, dicts):  # only the database knows a missing value
        _insert_with_unit_of_work(session, records)
        return
    connection = session.connection()
    copier = bulk_copy.Copier.start(connection, plan.table, len(dicts), _COPY_MIN)
    with _sqlite_cache(connection, len(dicts)):
        _insert_chunks(connection, plan, dicts, copier)
    del dicts  # 8 bytes a record, while the registration below allocates the most
    _register_persistent(session, plan, records)


@contextmanager
def _sqlite_cache(connection: sa.Connection, count: int) -> Iterator[None]:
    """SQLite, ``count`` >= ``_CACHE_MIN`` rows: a page cache of ``_CACHE_KIB`` for the insert.

    The default 2 MB holds a few thousand index pages; a million random uids and names then
    touch pages that were written out moments before, and SQLite writes the same pages to
    the WAL again and again (3.4 GB of writes for 1,000,000 ULabels). Measured on the
    1,000,000-ULabel save: 29.0 s with the default cache, 24.5 s with this one; 64 and 128 MB
    were no faster than 24 MB. The size is restored afterwards, but the transaction's dirty pages
    stay in memory until the commit: the save's peak memory grows by about the cache's size,
    hence a moderate one (the 1,000,000-ULabel save stays below 1.5 GB)."""
    if connection.dialect.name != "sqlite" or count < _CACHE_MIN:
        yield
        return
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size = -{_CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {int(before or -2000)}")


def _insert_chunks(
    connection: sa.Connection, plan: _Plan, dicts: list[dict[str, Any]], copier: Any
) -> None:
    dialect = connection.dialect
    pk_key = plan.pk_key
    for start in range(0, len(dicts), _INSERT_CHUNK):  # rows of one chunk alive at a time
        part = dicts[start : start + _INSERT_CHUNK]
        names: list[str] = []
        columns: list[list[Any]] = []
        for col in plan.columns:
            built = _column_values(col, part, dialect, process=copier is not None)
            assert built is not None  # _needs_server_default said so
            values, omit = built
            if not omit:  # omitted: absent everywhere, the database fills NULL or its default
                names.append(col.name)
                columns.append(values)
        json_ok = dialect.name == "sqlite" and len(part) >= _JSON_MIN and _json_safe(columns)
        constants = _constants(columns) if json_ok else {}
        varying = [values for i, values in enumerate(columns) if i not in constants]
        rows = list(zip(*varying, strict=True)) if varying else [()] * len(part)
        del columns, varying
        if dialect.name == "sqlite":
            ids = _insert_sqlite(connection, plan, names, rows, part, json_ok, constants)
        elif copier is not None:
            ids = copier.insert(names, rows)
        else:
            ids = _insert_returning(
                connection, plan, [dict(zip(names, row, strict=True)) for row in rows]
            )
        del rows
        for state, new_id in zip(part, ids, strict=True):
            state[pk_key] = new_id


def _needs_server_default(plan: _Plan, dicts: list[dict[str, Any]]) -> bool:
    """True if a record lacks a value that only a server-side default supplies (the rule of
    :func:`_column_values`, checked for all records before any chunk is inserted)."""
    for col in plan.columns:
        if col.default is not _MISSING or not col.server_side:
            continue
        key = col.key
        if col.evaluates_none:
            if any(key not in state for state in dicts):
                return True
        elif any(state.get(key) is None for state in dicts):
            return True
    return False


def _insert_with_unit_of_work(session: Session, records: list[Any]) -> None:
    session.add_all(records)
    session.flush()


def _resolve_to_one(plan: _Plan, dicts: list[dict[str, Any]]) -> None:
    """Copy the primary key of each related (saved) object into its foreign key column."""
    if not plan.to_one:
        return
    keys = plan.relationship_keys
    for state in dicts:
        if keys.isdisjoint(state):
            continue
        for rel_key, local_key, remote_key in plan.to_one:
            if rel_key in state:
                related = state[rel_key]
                if related is None:
                    state[local_key] = None
                elif remote_key is None:  # the related primary key: known without a load
                    state[local_key] = instance_state(related).key[1][0]  # type: ignore[index]
                else:
                    state[local_key] = getattr(related, remote_key)


def _column_values(
    col: _Column, dicts: list[dict[str, Any]], dialect: sa.Dialect, process: bool = False
) -> tuple[list[Any], bool] | None:
    """``(bound values, omit)`` of one column, by the ORM's rules for a flush.

    A record lacking a value (absent, or None where None is not a value) gets the column
    default (computed once per batch), else NULL; its ``__dict__`` receives the value used,
    as a flush leaves it. On SQLite and for COPY (``process``) the values come back through
    the column type's bind processor (the driver gets them as they are); for PostgreSQL's
    INSERT SQLAlchemy processes them. ``omit``: no record has a value and NULL is all there
    is to send. None when only the database knows a missing value (a server-side default
    without a Python one).
    """
    key = col.key
    process = process or dialect.name == "sqlite"
    count = len(dicts)
    # C-level passes (map over dict.get, operator.is_): 32 columns x 100,000 records
    marker = _MISSING if col.evaluates_none else None  # None: absent, or None as "absent"
    if col.evaluates_none:
        values = list(map(dict.get, dicts, repeat(key), repeat(_MISSING)))
    else:
        values = list(map(dict.get, dicts, repeat(key)))
    absent_count = sum(map(is_, values, repeat(marker)))
    if not absent_count:
        return (_process(col, dialect, values) if process else values), False
    if col.default is _MISSING:
        if col.server_side:  # only the database knows the value: the ORM path expires it
            return None
        default = None
    elif callable(col.default):
        default = col.default(None)
    else:
        default = col.default
    if absent_count == count:
        if default is None and marker is None:  # None where set, None where absent
            deque(map(dict.setdefault, dicts, repeat(key)), maxlen=0)
        else:
            deque(map(dict.__setitem__, dicts, repeat(key), repeat(default)), maxlen=0)
        if default is None:
            return [], True
        bound = _process(col, dialect, [default])[0] if process else default
        return [bound] * count, False
    absent = list(compress(range(count), map(is_, values, repeat(marker))))
    for i in absent:
        dicts[i][key] = default
        values[i] = default
    bound_values = _process(col, dialect, values) if process else values
    if default is None and col.evaluates_none:  # NULL, not JSON 'null', where nothing was set
        null = None if process else sa.null()
        for i in absent:
            bound_values[i] = null
    return bound_values, False


def _process(col: _Column, dialect: sa.Dialect, values: list[Any]) -> list[Any]:
    """Values as the driver takes them (the column type's bind processor), None kept as NULL."""
    processor: Callable[[Any], Any] | None = col.column.type._cached_bind_processor(dialect)
    if processor is None:
        return values
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if len(kinds) == 1 and kinds <= _MEMO_KINDS:  # equal values process alike: memoised
        distinct = set(values)
        if len(distinct) <= _MEMO_MAX:
            memo = {value: _process_one(col, processor, value) for value in distinct}
            return list(map(memo.__getitem__, values))
    if col.evaluates_none:
        return [processor(value) for value in values]
    return [None if value is None else processor(value) for value in values]


_MEMO_KINDS = frozenset({bool, int, str})  # one of these types: equality implies same output
_MEMO_MAX = 64


def _process_one(col: _Column, processor: Callable[[Any], Any], value: Any) -> Any:
    return processor(value) if value is not None or col.evaluates_none else None


def _insert_sqlite(
    connection: sa.Connection,
    plan: _Plan,
    names: list[str],
    rows: list[tuple[Any, ...]],
    dicts: list[dict[str, Any]],
    json_ok: bool = False,
    constants: dict[int, Any] | None = None,
) -> list[int]:
    """One ``executemany`` (``json_ok``: one ``INSERT ... SELECT`` reading the rows from one
    JSON array); the new ids follow from SQLite's rowid allocation.

    ``constants`` (JSON only): ``{position in names: value}`` of the columns every row has the
    same value in, bound once instead of carried by each row; ``rows`` then hold the other
    columns only. A bulk save of new ULabels varies in ``uid`` and ``name`` alone: the JSON
    text shrinks from 12 values a row to 2, and SQLite extracts 2 (1,000,000 records:
    ``json.dumps`` 1.7 -> 0.8 s; 200,000: the save 4.4 -> 3.5 s).

    Inside a write transaction SQLite gives each new row ``max(rowid) + 1``, so ``n`` rows
    inserted after a maximum ``m`` get ``m+1 .. m+n`` in order exactly when the last insert
    rowid is ``m + n``. If that check fails (AUTOINCREMENT gaps, a trigger), the ids are read
    back by uid.
    """
    quote = connection.dialect.identifier_preparer.quote
    table = quote(plan.table.name)
    pk_name = quote(plan.table.primary_key.columns[0].name)
    before = connection.exec_driver_sql(f"SELECT max({pk_name}) FROM {table}").scalar() or 0
    params: Any = rows
    if names and json_ok:
        # One statement reading the rows from one JSON array: SQLite parses it in C, about
        # 20% less work than binding the values row by row (executemany). ORDER BY key:
        # rows in the array's order, which the id check below relies on.
        version = connection.dialect.dbapi.sqlite_version_info  # type: ignore[union-attr]
        constants = constants or {}
        varying = (i for i in range(len(names)) if i not in constants)
        slots = {i: _json_pick(j, version) for j, i in enumerate(varying)}
        picks = ", ".join("?" if i in constants else slots[i] for i in range(len(names)))
        sql = (
            f"INSERT INTO {table} ({', '.join(quote(name) for name in names)}) "
            f"SELECT {picks} FROM json_each(?) ORDER BY key"
        )
        text = json.dumps(rows, ensure_ascii=False, check_circular=False)
        params = (*(constants[i] for i in sorted(constants)), text)
        del text
    elif names:
        sql = (
            f"INSERT INTO {table} ({', '.join(quote(name) for name in names)}) "
            f"VALUES ({', '.join('?' for _ in names)})"
        )
    else:
        sql = f"INSERT INTO {table} DEFAULT VALUES"
    deferred = None
    if len(rows) >= _DEFER_MIN:
        deferred = _SearchIndexDeferred.start(connection, plan.table)
    try:
        connection.exec_driver_sql(sql, params)
        del params
        last = connection.exec_driver_sql("SELECT last_insert_rowid()").scalar()
        if last == before + len(rows):
            ids = list(range(before + 1, last + 1))
        else:
            ids = _ids_by_uid(connection, plan, dicts, len(rows))
        if deferred is not None:
            deferred.index(ids)
    except BaseException:
        if deferred is not None:
            deferred.restore(failing=True)
        raise
    if deferred is not None:
        deferred.restore()
    return ids


_JSON_MIN = 100  # rows from which SQLite reads them from one JSON parameter
_JSON_KINDS = frozenset({str, int, type(None)})  # what JSON carries exactly (floats: not
# every SQLite version parses every decimal text to the nearest double)
_INT64 = (-(2**63), 2**63)


def _json_safe(columns: list[list[Any]]) -> bool:
    """Whether every value of ``columns`` is a string, None or a 64-bit integer (what a JSON
    array hands to SQLite unchanged). Bytes, floats and anything else: ``executemany``."""
    for values in columns:
        kinds = set(map(type, values))
        if not kinds <= _JSON_KINDS:
            return False
        if int in kinds:
            ints = values if len(kinds) == 1 else [v for v in values if v is not None]
            if min(ints) < _INT64[0] or max(ints) >= _INT64[1]:
                return False
    return True


def _constants(columns: list[list[Any]]) -> dict[int, Any]:
    """``{column number: value}`` of the columns whose values are all equal (JSON-safe
    columns: strings, None and integers, where equal means the same SQL value)."""
    found: dict[int, Any] = {}
    for number, values in enumerate(columns):
        if not values:
            continue
        first = values[0]
        if values[-1] == first and values[len(values) // 2] == first and (
            values.count(first) == len(values)
        ):
            found[number] = first
    return found


def _json_pick(index: int, version: tuple[int, ...]) -> str:
    """SQL for element ``index`` of the JSON row ``value`` (``->>``: SQLite 3.38+)."""
    if version >= (3, 38):
        return f"value ->> {index}"
    return f"json_extract(value, '$[{index}]')"


def _ids_by_uid(
    connection: sa.Connection, plan: _Plan, dicts: list[dict[str, Any]], count: int
) -> list[int]:
    if "uid" not in plan.table.c:
        raise IntegrityError(
            f"could not tell the ids of {count} new {plan.mapper.class_.__name__} rows"
        )
    uids = [state["uid"] for state in dicts]
    uid, pk = plan.table.c.uid, plan.table.primary_key.columns[0]
    by_uid: dict[str, int] = {}
    for start in range(0, len(uids), _ID_CHUNK):
        chunk = uids[start : start + _ID_CHUNK]
        for row in connection.execute(sa.select(uid, pk).where(uid.in_(chunk))):
            by_uid[row[0]] = row[1]
    return [by_uid[value] for value in uids]


@dataclass(slots=True)
class _SearchIndexDeferred:
    """SQLite: index a batch of new rows in the FTS5 search table with one statement.

    The search table is kept exact for every writer by an ``AFTER INSERT`` trigger per row.
    Per row it is expensive: each firing opens a statement journal and makes FTS5 flush its
    pending terms, so 100,000 inserts cost about 6x what they cost without it, and a ``WHEN``
    clause that skips the body does not avoid that (measured: 10.9 s against 3.0 s without
    the trigger; a per-connection flag cannot be read from a trigger anyway, since triggers
    of the main schema cannot see TEMP tables). So for a large batch the trigger is dropped,
    the rows are inserted, indexed with one ``INSERT ... SELECT`` and the trigger is
    re-created from its stored SQL, all inside the caller's transaction (a savepoint). That
    is exact for everyone: SQLite admits one writer at a time, so no other connection writes
    while the trigger is absent, and readers see the schema of the last commit, which has
    it. A failure rolls the savepoint back, trigger included.
    """

    connection: sa.Connection
    table: str
    trigger: str
    trigger_sql: str
    fts: str
    columns: tuple[str, ...]
    pk: str  # the search table's content_rowid (migration 0003: the primary key)

    @classmethod
    def start(cls, connection: sa.Connection, table: sa.Table) -> _SearchIndexDeferred | None:
        from .models.search_index import fts_table_name

        fts = fts_table_name(table.name)
        trigger = f"{fts}_ai"
        found = connection.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ? AND tbl_name = ?",
            (trigger, table.name),
        ).first()
        if found is None:
            return None
        info = connection.exec_driver_sql(f'PRAGMA table_info("{fts}")').all()
        columns = tuple(row[1] for row in info)
        if not columns or not all(column in table.c for column in columns):
            return None
        connection.exec_driver_sql(f'DROP TRIGGER "{trigger}"')
        pk = table.primary_key.columns[0].name
        return cls(connection, table.name, trigger, found[0], fts, columns, pk)

    def index(self, ids: list[int]) -> None:
        """Add the rows ``ids`` to the search table, as the trigger would have."""
        quote = self.connection.dialect.identifier_preparer.quote
        pk = quote(self.pk)
        names = ", ".join(quote(column) for column in self.columns)
        head = (
            f'INSERT INTO "{self.fts}" (rowid, {names}) '
            f'SELECT {pk}, {names} FROM "{self.table}" WHERE '
        )
        if ids and ids[-1] - ids[0] == len(ids) - 1 and ids == sorted(ids):
            self.connection.exec_driver_sql(f"{head}{pk} BETWEEN ? AND ?", (ids[0], ids[-1]))
            return
        for start in range(0, len(ids), _ID_CHUNK):
            chunk = ids[start : start + _ID_CHUNK]
            marks = ", ".join("?" for _ in chunk)
            self.connection.exec_driver_sql(f"{head}{pk} IN ({marks})", tuple(chunk))

    def restore(self, failing: bool = False) -> None:
        """Re-create the trigger; when a failure is on its way, the savepoint rollback will."""
        try:
            self.connection.exec_driver_sql(self.trigger_sql)
        except Exception:
            if not failing:
                raise


def _insert_returning(
    connection: sa.Connection, plan: _Plan, params: list[dict[str, Any]]
) -> list[int]:
    """Batched multi-row ``INSERT ... RETURNING id`` (SQLAlchemy's insertmanyvalues).

    ``sort_by_parameter_order`` makes the returned ids line up with ``params``.
    """
    pk = plan.table.primary_key.columns[0]
    stmt = sa.insert(plan.table).returning(pk, sort_by_parameter_order=True)
    if not params[0]:
        return [connection.execute(stmt).scalar_one() for _ in params]
    return list(connection.execute(stmt, params).scalars().all())


def _register_persistent(session: Session, plan: _Plan, records: list[Any]) -> None:
    """Make the inserted ``records`` persistent in ``session``, as a flush would.

    Each gets its identity key, a place in the identity map, a clean committed state, and
    membership of the current transaction's new objects, so that rolling the transaction (or
    the savepoint) back makes them transient again. This is the bookkeeping of
    ``Session._register_persistent`` without its per-object attribute reads (about 13 µs per
    object, more than the INSERT itself); with session lifecycle listeners registered, the
    session's own methods run instead, so the events fire.
    """
    dispatch = session.dispatch
    if (
        dispatch.before_attach
        or dispatch.after_attach
        or dispatch.transient_to_pending
        or dispatch.pending_to_persistent
    ):
        states = [instance_state(record) for record in records]
        for state in states:
            session._save_impl(state)
        session._register_persistent(set(states))
        return
    transaction = session._transaction
    assert transaction is not None  # session.connection() began one
    new_in_transaction = transaction._new
    identity_map = session.identity_map
    present = identity_map._dict
    weak_map = identity_map._wr
    modified = identity_map._modified
    session_key = session.hash_key
    identity_class = plan.mapper._identity_class
    pk_key = plan.pk_key
    remove = new_in_transaction._remove  # type: ignore[attr-defined]
    new_data = new_in_transaction.data  # type: ignore[attr-defined]
    ref = weakref.ref
    for record in records:  # WeakKeyDictionary's setitem without its per-item Python call
        state = record._sa_instance_state
        key = (identity_class, (record.__dict__[pk_key],), None)
        old = present.get(key)
        if old is not None and old is not state:  # a stale object of a deleted row
            identity_map._manage_removed_state(old)
        state.key = key
        state.session_id = session_key
        if state.committed_state:
            state.committed_state.clear()
        # (no _pending_mutations to drop: only a persistent object's unloaded collections
        # have them; reading state.__dict__ would cost 64 bytes a record)
        if state.expired_attributes:
            state.expired_attributes.difference_update(record.__dict__)
        if state.modified:
            modified.discard(state)
            state.modified = False
        state.expired = False
        state._strong_obj = None
        present[key] = state
        state._instance_dict = weak_map
        new_data[ref(state, remove)] = True
