"""Prepared SELECTs for ``repo.get``: built once per registry, field set and visibility.

``get`` runs in loops (a thousand lookups by name or uid in a curation script). Building a
statement per call -- resolving the lookup, constructing the comparison and the visibility
``IN`` lists, then having SQLAlchemy compute a cache key for a brand-new object -- costs more
than the indexed query itself. A statement built here is reused: the looked-up values are
bound parameters, and SQLAlchemy memoizes the cache key of a statement object, so a reused
one goes straight to the compiled form.

The visibility lists (visible branches, readable spaces) are literal values *inside* the
statement and part of its cache key (:data:`Visibility`). A ``switch_branch``, ``grant`` or
``revoke`` changes the repository's state, hence the key, hence the statement: there is
nothing to invalidate, and a stale statement cannot be picked.

On PostgreSQL a look-up by primary key, unique column or indexed ``name`` is also sent as a
server-side prepared statement (:func:`preparable`, :mod:`lamin_registry.pg_prepare`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.session import SessionTransactionState

from .. import pg_prepare
from ..dberrors import translated
from .lookups import BRANCH_KEYS, Condition, _coerce, _python_kind

Visibility = tuple[tuple[int, ...] | None, tuple[int, ...] | None]
"""(visible branch ids or None for every branch, readable space ids or None for all)."""

# Column kinds an exact ``field=value`` lookup compares with a plain ``=`` (JSON does not).
_EXACT_KINDS = frozenset({"str", "int", "float", "bool", "datetime", "date"})
_MAX_STATEMENTS = 1024  # distinct (registry, fields, visibility) keys kept; then start over

_STATEMENTS: dict[tuple[Any, ...], sa.Select[Any]] = {}
_EXACT_FIELDS: dict[type, dict[str, tuple[sa.Column[Any], str]]] = {}
_PREPARABLE: dict[type, frozenset[str]] = {}
_CONDITIONS: dict[tuple[Any, ...], tuple[Condition, ...]] = {}


def visibility_conditions(
    model: Any, visibility: Visibility, *, fixed: bool = False
) -> list[Condition]:
    """The WHERE conditions of a visibility key (see :meth:`Repository._visibility_key`).

    ``fixed=True`` binds each id separately (``IN (?, ?)``) instead of as one expanding
    list: the same SQL, without re-rendering the statement at every execution, for
    statements that are built once per key anyway.
    """
    from ..access import space_condition

    cache_key = (model, visibility, fixed)
    cached = _CONDITIONS.get(cache_key)
    if cached is not None:
        return list(cached)
    branch_ids, space_ids = visibility
    conditions: list[Condition] = []
    if branch_ids is not None:
        column = model.branch_id
        if fixed:
            ids: Any = [sa.bindparam(None, i, type_=column.type) for i in branch_ids]
            conditions.append(column.in_(ids))
        else:
            conditions.append(column.in_(branch_ids))
    if space_ids is not None:
        conditions.append(space_condition(model, space_ids, fixed=fixed))
    if len(_CONDITIONS) >= _MAX_STATEMENTS:
        _CONDITIONS.clear()
    _CONDITIONS[cache_key] = tuple(conditions)  # SQL expressions are immutable: shared
    return conditions


def exact_fields(model: type) -> dict[str, tuple[sa.Column[Any], str]]:
    """Public column fields a keyword compares exactly: ``{name: (column, kind)}``.

    Only names that resolve to themselves qualify: no aliases (``version``, ``status``,
    ``dtype``), no private columns, no ``branch``/``branch_id`` (they change visibility),
    no JSON. Every other keyword takes the general lookup path.
    """
    fields = _EXACT_FIELDS.get(model)
    if fields is None:
        fields = {}
        mapper: Any = sa.inspect(model)
        for prop in mapper.column_attrs:
            if prop.key.startswith("_") or prop.key in BRANCH_KEYS or len(prop.columns) != 1:
                continue
            column: Any = prop.columns[0]
            kind = _python_kind(column)
            if kind in _EXACT_KINDS:
                fields[prop.key] = (column, kind)
        _EXACT_FIELDS[model] = fields
    return fields


def preparable(model: type, fields: tuple[str, ...]) -> bool:
    """Whether ``field = value AND ...`` has one plan for every value: each field is the
    primary key, a column unique on its own, or an indexed ``name`` (an index scan whatever
    the value). Only such look-ups are sent prepared on PostgreSQL; a generic plan for a
    skewed column (``type_id``, ``is_type``) is the trap
    :func:`~lamin_registry.instance.configure_postgresql_engine` avoids."""
    keys = _PREPARABLE.get(model)
    if keys is None:
        table: Any = sa.inspect(model).local_table
        unique = {column.key for column in table.columns if column.unique or column.primary_key}
        indexed = {column.key for column in table.columns if column.index}
        for item in [*table.constraints, *table.indexes]:
            columns = list(item.columns)
            if columns and isinstance(item, sa.Index):
                indexed.add(columns[0].key)
            if len(columns) == 1 and (
                isinstance(item, sa.UniqueConstraint | sa.PrimaryKeyConstraint)
                or getattr(item, "unique", False)
            ):
                unique.add(columns[0].key)
        if "name" in indexed:
            unique.add("name")
        keys = _PREPARABLE[model] = frozenset(unique)
    return bool(fields) and all(field in keys for field in fields)


def exact_values(
    model: type, expressions: dict[str, Any], dialect: str
) -> dict[str, Any] | None:
    """The checked values of ``field=value`` keywords, or None if one needs the general path.

    Values are checked and converted exactly as the general lookup path does (same errors:
    a number for a string field, a NUL character, an integer out of the column's range).
    ``None`` (``IS NULL``) is left to the general path.
    """
    fields = exact_fields(model)
    values: dict[str, Any] = {}
    for key, value in expressions.items():
        field = fields.get(key)
        if field is None or value is None:
            return None
        column, kind = field
        values[key] = _coerce(model, column, key, kind, value, dialect)
    return values


def parameter(field: str) -> str:
    """The bound parameter's name for ``field`` (prefixed: no clash with SQLAlchemy's own)."""
    return f"lr_{field}"


def select_by(
    model: Any,
    fields: tuple[str, ...],
    visibility: Visibility,
    *,
    latest: bool = False,
    limit: int | None = None,
) -> sa.Select[Any]:
    """``SELECT model WHERE field = :lr_field AND ... [AND is_latest] AND visibility``.

    The conditions come in the order the general query path puts them (expressions, then
    ``is_latest``, then branches and spaces), so both send the same SQL and get the same plan.
    """
    key = (model, fields, visibility, latest, limit)
    stmt = _STATEMENTS.get(key)
    if stmt is None:
        conditions: list[Any] = [
            getattr(model, field) == sa.bindparam(parameter(field)) for field in fields
        ]
        if latest:
            conditions.append(model.is_latest == True)  # noqa: E712 (the query path's SQL)
        conditions.extend(visibility_conditions(model, visibility, fixed=True))
        stmt = sa.select(model).where(*conditions)
        if limit is not None:
            stmt = stmt.limit(limit)
        prepare = preparable(model, fields)
        if prepare:  # the ORM path too (pg_prepare's do_execute listener)
            stmt = stmt.execution_options(**{pg_prepare.PREPARE: True})
        if len(_STATEMENTS) >= _MAX_STATEMENTS:
            _STATEMENTS.clear()
            _LOADERS.clear()
        _STATEMENTS[key] = stmt
        _LOADERS[id(stmt)] = (stmt, _plan_loader(model, conditions, limit, prepare), {})
    return stmt


def select_uid_prefix(model: Any, visibility: Visibility, dialect: str) -> sa.Select[Any]:
    """``SELECT model WHERE uid GLOB :lr_uid_prefix`` (``LIKE`` on PostgreSQL) ``AND
    visibility LIMIT 2``: ``get(uid prefix)``, the pattern bound by the caller (see
    :func:`uid_prefix_pattern`)."""
    key = (model, "uid-prefix", visibility, dialect)
    stmt = _STATEMENTS.get(key)
    if stmt is None:
        pattern: Any = sa.bindparam(parameter("uid_prefix"))
        uid = model.uid
        condition = uid.op("GLOB")(pattern) if dialect == "sqlite" else uid.like(pattern)
        conditions = [condition, *visibility_conditions(model, visibility, fixed=True)]
        stmt = sa.select(model).where(*conditions).limit(2)
        if len(_STATEMENTS) >= _MAX_STATEMENTS:
            _STATEMENTS.clear()
            _LOADERS.clear()
        _STATEMENTS[key] = stmt
        _LOADERS[id(stmt)] = (stmt, _plan_loader(model, conditions, 2), {})
    return stmt


def uid_prefix_pattern(prefix: str, dialect: str) -> dict[str, str]:
    """The bound pattern of :func:`select_uid_prefix` (a base62 prefix has no wildcards)."""
    return {parameter("uid_prefix"): f"{prefix}*" if dialect == "sqlite" else f"{prefix}%"}


# -- loading rows without the ORM's execution machinery ------------------------------------------
#
# ``session.scalars(stmt)`` costs about 300 µs for a one-row get, most of it in ORM execution
# (events, compiled-cache look-up, result metadata, loader set-up), against 20 µs for the query
# itself. For the statements above the work is always the same, so it is done once: the SQL
# string, the bound parameters' order and processors, the columns' result processors. A call
# autoflushes, sends the SQL through the session's connection (so connection events, the
# transaction and RLS settings hold), and turns each row into the object a load would give: the
# one already in the identity map, or a new persistent instance registered there the way
# ``loading._instance`` registers it. Anything unusual (load events, eager relationships,
# deferred or expression columns, expired attributes, ``do_orm_execute`` listeners other
# than lamin_registry's own) takes the ORM path.


@dataclass(slots=True)
class _Loader:
    mapper: Any
    statement: sa.Select[Any]  # Core: the loaded columns, the same WHERE and LIMIT
    keys: list[str]
    pk_index: int
    prepare: bool  # PostgreSQL: send it prepared (see preparable)


@dataclass(slots=True)
class _Compiled:
    sql: str
    positional: list[str] | None  # parameter names in order (qmark), None: named
    defaults: dict[str, Any]
    bind: dict[str, Any]  # bind processors
    results: list[Any]  # result processor per column, or None
    # qmark: the bound tuple with the statement's own values (visibility ids) already
    # processed, and (position, parameter, processor) for the caller's values
    template: list[Any]
    fills: list[tuple[int, str, Any]]


_LOADERS: dict[int, tuple[sa.Select[Any], _Loader | None, dict[str, _Compiled]]] = {}
_ACTIVE = SessionTransactionState.ACTIVE
_LAZY_OK = frozenset({"select", True, "raise", "raise_on_sql", "noload", "write_only", "dynamic"})


def _plan_loader(
    model: Any, conditions: list[Any], limit: int | None, prepare: bool = False
) -> _Loader | None:
    mapper: Any = sa.inspect(model)
    table = mapper.local_table
    if (
        mapper.inherits is not None
        or mapper.polymorphic_on is not None
        or mapper.version_id_col is not None
        or not isinstance(table, sa.Table)
        or any(rel.lazy not in _LAZY_OK for rel in mapper.relationships)
        or len(mapper.primary_key) != 1
    ):
        return None
    keys: list[str] = []
    columns: list[Any] = []
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if prop.deferred or len(prop.columns) != 1 or not isinstance(column, sa.Column):
            return None
        if column.table is not table:
            return None
        keys.append(prop.key)
        columns.append(column)
    pk = mapper.primary_key[0]
    if pk not in columns:
        return None
    statement = sa.select(*columns).where(*conditions)
    if limit is not None:
        statement = statement.limit(limit)
    return _Loader(mapper, statement, keys, columns.index(pk), prepare)


def _compiled(loader: _Loader, dialect: sa.Dialect) -> _Compiled:
    compiled: Any = loader.statement.compile(dialect=dialect)
    positional = list(compiled.positiontup) if compiled.positional else None
    results = [
        column.type._cached_result_processor(dialect, None)
        for column in loader.statement.selected_columns
    ]
    defaults = dict(compiled.params)
    bind = dict(compiled._bind_processors)
    template: list[Any] = []
    fills: list[tuple[int, str, Any]] = []
    for index, name in enumerate(positional or ()):
        processor = bind.get(name)
        if name.startswith("lr_"):  # the caller's value (see parameter())
            template.append(None)
            fills.append((index, name, processor))
        else:
            value = defaults[name]
            template.append(value if processor is None else processor(value))
    return _Compiled(
        sql=str(compiled),
        positional=positional,
        defaults=defaults,
        bind=bind,
        results=results,
        template=template,
        fills=fills,
    )


def _fast_load_allowed(session: Session, loader: _Loader) -> bool:
    if loader.mapper.class_manager.dispatch.load or session.dispatch.loaded_as_persistent:
        return False
    return _own_listeners_only(session)


_OWN_LISTENERS: frozenset[Any] = frozenset()


def _own_listeners_only(session: Session) -> bool:
    global _OWN_LISTENERS
    if not _OWN_LISTENERS:
        from .. import hooks

        _OWN_LISTENERS = frozenset({
            hooks._refuse_unchecked_writes,
            hooks._visible_relationships,
            hooks._note_known_run_inputs,
        })
    own = _OWN_LISTENERS
    return all(listener in own for listener in session.dispatch.do_orm_execute)


def _connection(session: Session) -> sa.Connection:
    """``session.connection()``: the active transaction's connection for the session's bind
    when it has one (a dictionary look-up), else the session's own method."""
    transaction = session._transaction
    if transaction is not None and transaction._state is _ACTIVE:
        entry = transaction._connections.get(session.bind)  # type: ignore[arg-type]
        if entry is not None:
            return entry[0]
    return session.connection()


def _fetch(
    connection: sa.Connection, sql: str, bound: Any, prepare: bool = False
) -> list[Any]:
    """The rows, through the driver's cursor: SQLAlchemy's result set-up costs more than the
    query. Cursor-execution listeners run as ``Connection`` runs them (the same loop, their
    returned statement and parameters used); a driver error goes through the connection's
    error handling (``handle_error``, disconnects), so it arrives translated as from any
    other statement. ``prepare``: sent prepared where the driver can (:mod:`.pg_prepare`)."""
    dbapi_connection: Any = connection.connection.dbapi_connection
    events = connection._has_events or connection.engine._has_events
    cursor = dbapi_connection.cursor()
    try:
        if events:
            for before in connection.dispatch.before_cursor_execute:
                sql, bound = before(connection, cursor, sql, bound, None, False)
        if not (prepare and pg_prepare.execute(cursor, sql, bound)):
            cursor.execute(sql, bound)
        if events:
            for after in connection.dispatch.after_cursor_execute:
                after(connection, cursor, sql, bound, None, False)
        return list(cursor.fetchall())
    except connection.dialect.loaded_dbapi.Error as error:
        with translated("query failed"):
            connection._handle_dbapi_exception(error, sql, bound, cursor, None)
    finally:
        cursor.close()


def load(session: Session, stmt: sa.Select[Any], params: dict[str, Any]) -> list[Any] | None:
    """The records ``session.scalars(stmt, params).all()`` would return, or None when the
    statement needs the ORM path (see above)."""
    entry = _LOADERS.get(id(stmt))
    if entry is None or entry[0] is not stmt or entry[1] is None:
        return None
    loader = entry[1]
    if not _fast_load_allowed(session, loader):
        return None
    session._autoflush()
    connection = _connection(session)
    dialect = connection.dialect
    compiled = entry[2].get(dialect.name)
    if compiled is None:
        compiled = entry[2][dialect.name] = _compiled(loader, dialect)
    rows = _fetch(connection, compiled.sql, bound(compiled, params), loader.prepare)
    return _instances(session, loader, compiled.results, rows)


def bound(compiled: _Compiled, params: dict[str, Any]) -> Any:
    """The driver's parameters of ``compiled`` with the caller's ``params`` (the ``lr_``
    ones): qmark statements fill the prepared template, others bind every value."""
    if compiled.positional is not None and len(compiled.fills) == len(params):
        slots = compiled.template.copy()
        for index, name, processor in compiled.fills:
            value = params[name]
            slots[index] = value if processor is None else processor(value)
        return tuple(slots)
    values = dict(compiled.defaults)
    values.update(params)
    for name, processor in compiled.bind.items():
        values[name] = processor(values[name])
    if compiled.positional is not None:
        return tuple(values[name] for name in compiled.positional)
    return values


def fetch_statement(connection: sa.Connection, stmt: Any) -> list[Any]:
    """``stmt``'s rows as the driver returns them (no result processing), compiled here
    with its own bound values and sent through :func:`_fetch`: for a statement over many
    rows whose columns need no result processor, where SQLAlchemy's result set-up costs
    more than compiling."""
    compiled: Any = stmt.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    processors = compiled._bind_processors
    values = {
        name: processors[name](value) if name in processors else value
        for name, value in compiled.construct_params().items()
    }
    params: Any = (
        tuple(values[name] for name in compiled.positiontup) if compiled.positional else values
    )
    with translated("query failed"):
        return _fetch(connection, str(compiled), params)


def _instances(
    session: Session, loader: _Loader, processors: list[Any], rows: Sequence[Any]
) -> list[Any] | None:
    """The objects of ``rows`` as an ORM load gives them (see above); None: ORM path.

    What ``ClassManager.new_instance`` does, inlined: the object, its ``InstanceState``
    (the manager's state constructor), the state in the object's ``__dict__`` under the
    attribute the manager's setter writes. Then the row's values join the same dictionary
    in one ``update``: about a third less time a row than the method call and a second
    dictionary (10,000 records: 35 -> 24 ms, ``lookup``'s largest part)."""
    mapper = loader.mapper
    identity_map = session.identity_map
    identity_class = mapper._identity_class
    manager = mapper.class_manager
    cls = manager.class_
    new = cls.__new__
    construct_state = manager._state_constructor
    state_attribute = manager.STATE_ATTR
    keys = loader.keys
    processing = [
        (index, keys[index], processor)
        for index, processor in enumerate(processors)
        if processor is not None
    ]
    records: list[Any] = []
    append = records.append
    pk_index = loader.pk_index
    session_key = session.hash_key
    present = identity_map._dict  # what _add_unpresent writes (one method call less a row)
    weak_map = identity_map._wr
    for row in rows:
        key = (identity_class, (row[pk_index],), None)
        found: Any = present.get(key)
        found_object = None if found is None else found.obj()  # None: collected meanwhile
        if found_object is not None:
            if found.expired_attributes or found.expired:
                return None  # the ORM fills expired attributes from the row
            append(found_object)
            continue
        instance = new(cls)
        state = construct_state(instance, manager)
        attributes = instance.__dict__
        attributes[state_attribute] = state
        attributes.update(zip(keys, row, strict=True))
        for index, attr, processor in processing:
            value = row[index]
            if value is not None:
                attributes[attr] = processor(value)
        state.key = key
        state.identity_token = None
        state.session_id = session_key
        present[key] = state
        state._instance_dict = weak_map
        append(instance)
    return records


def load_where(
    session: Session,
    model: Any,
    conditions: list[Any],
    order_by: list[Any],
    params: dict[str, Any] | None = None,
) -> list[Any] | None:
    """``session.scalars(select(model).where(*conditions).order_by(*order_by), params)
    .all()`` for many rows (lookup, from_values, search's records), or None when it needs
    the ORM path (see above)."""
    loader = _plan_loader(model, conditions, None)
    if loader is None or not _fast_load_allowed(session, loader):
        return None
    session._autoflush()
    connection = _connection(session)
    statement = loader.statement.order_by(*order_by)
    from ..bulk import gc_paused

    with gc_paused():  # thousands of new objects: no full collections walking them all
        with translated("query failed"):
            # Core applies the result processors; all() fetches in one driver call
            rows = connection.execute(statement, params).all()
        return _instances(session, loader, [None] * len(loader.keys), rows)
