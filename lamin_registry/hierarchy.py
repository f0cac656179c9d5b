"""Hierarchies: parents/children (``<table>_parents``) and types (``type_id``), walked in SQL.

Each walk is one recursive statement (``WITH RECURSIVE``) that joins the registry at every
step with the repository's visibility (branches and spaces), so a trashed or hidden record
cuts the chain there, as lamindb's level-by-level walk does; ``UNION`` (not ``UNION ALL``)
makes a cycle end instead of hang. The walks return lazy ``Query`` objects over the ids found
(without the starting record), ``query_types`` a list nearest first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from .errors import InvalidArgument

if TYPE_CHECKING:
    from .query.query import Query
    from .repository import Repository

_MAX_DEPTH = 10_000  # a bound for walks that carry a depth (a cycle then stops here)


def _link(model: type) -> tuple[Any, Any]:
    """(child column, parent column) of ``model``'s parents link table."""
    mapper: Any = sa.inspect(model)
    if "parents" not in mapper.relationships:
        raise NotImplementedError(f"Parents view is not supported for {model.__name__}!")
    link = mapper.relationships["parents"].secondary
    name = mapper.local_table.name.split("_", 1)[1]
    return link.c[f"from_{name}_id"], link.c[f"to_{name}_id"]


def _start(record: Any) -> int:
    identity = sa.inspect(record).identity
    if identity is None:
        raise InvalidArgument(f"Save {record!r} before walking its hierarchy")
    return int(identity[0])


def _walk(
    repo: Repository, record: Any, upward: bool, depth: int | None = None
) -> sa.Select[Any]:
    """SELECT id, depth of the ancestors (``upward``) or descendants of ``record``."""
    model: Any = type(record)
    child, parent = _link(model)
    source, target = (child, parent) if upward else (parent, child)
    # visibility per row through the primary key (an EXISTS, not a join: joined, SQLite's
    # planner may drive the walk from the branch index and scan the whole registry)
    shown = sa.exists(sa.select(sa.literal(1)).where(model.id == target, *repo._visibility(model)))
    first = sa.select(target.label("id"), sa.literal(1).label("depth")).where(
        source == _start(record), shown
    )
    tree = first.cte("walk", recursive=True)
    limit = _MAX_DEPTH if depth is None else depth
    step = (
        sa.select(target, tree.c.depth + 1)
        .select_from(tree)
        .join(source.table, source == tree.c.id)
        .where(tree.c.depth < limit, shown)
    )
    tree = tree.union(step)
    return sa.select(tree.c.id, sa.func.min(tree.c.depth).label("depth")).group_by(tree.c.id)


def _query(repo: Repository, model: type, ids: list[int]) -> Query[Any]:
    return repo.filter(model, id__in=ids)


def query_parents(repo: Repository, record: Any) -> Query[Any]:
    """Every ancestor through ``parents`` (visible ones; not the record itself)."""
    start = _start(record)
    ids = [row[0] for row in repo._execute(_walk(repo, record, True)) if row[0] != start]
    return _query(repo, type(record), ids)


def query_children(repo: Repository, record: Any) -> Query[Any]:
    """Every descendant through ``children`` (visible ones; not the record itself)."""
    start = _start(record)
    ids = [row[0] for row in repo._execute(_walk(repo, record, False)) if row[0] != start]
    return _query(repo, type(record), ids)


def view_parents(
    repo: Repository,
    record: Any,
    field: str | None = None,
    with_children: bool = False,
    distance: int = 5,
) -> str:
    """A text tree: ancestors up to ``distance`` levels above, the record, and with
    ``with_children`` its descendants up to ``distance`` below."""
    model: Any = type(record)
    if not isinstance(distance, int) or isinstance(distance, bool) or distance < 1:
        raise InvalidArgument(f"distance must be a positive integer, got {distance!r}")
    field = field or getattr(model, "_name_field", None) or "name"
    if field not in sa.inspect(model).column_attrs:
        raise InvalidArgument(f"Unknown field {field!r} of {model.__name__}")
    _link(model)  # NotImplementedError for registries without parents
    column = getattr(model, field)
    lines = [f"{model.__name__} {record.uid}: {getattr(record, field)}"]
    for upward, arrow in ((True, "↑"), (False, "↓")):
        if not upward and not with_children:
            continue
        walk = _walk(repo, record, upward, distance).subquery()
        rows: Any = repo._execute(
            sa.select(walk.c.depth, column)
            .join(model, model.id == walk.c.id)
            .order_by(walk.c.depth, column)
        ).all()
        for level, value in rows:
            lines.append(f"{'    ' * (level - 1)}{arrow} {value}")
    return "\n".join(lines)


def query_types(repo: Repository, record: Any) -> list[Any]:
    """The chain of types above ``record``, nearest first; it stops at a hidden type."""
    model: Any = type(record)
    visible = repo._visibility(model)
    first = sa.select(model.type_id.label("id"), sa.literal(1).label("depth")).where(
        model.id == _start(record), model.type_id.isnot(None)
    )
    chain = first.cte("types", recursive=True)
    step = (
        sa.select(model.type_id, chain.c.depth + 1)
        .join(chain, model.id == chain.c.id)
        .where(model.type_id.isnot(None), chain.c.depth < _MAX_DEPTH, *visible)
    )
    chain = chain.union(step)
    rows: Any = repo._execute(
        sa.select(model, chain.c.depth)
        .join(chain, model.id == chain.c.id)
        .where(*visible)
        .order_by(chain.c.depth)
    ).all()
    found: list[Any] = []
    expected = 1
    for obj, depth in rows:
        if depth != expected or obj in found:  # a hidden type cut the chain, or a cycle
            break
        found.append(obj)
        expected += 1
    return found


def query_members(repo: Repository, type_record: Any, depth: int | None = None) -> Query[Any]:
    """Every record below a type through ``type`` (sub-types included), visible ones;
    ``depth=1``: direct members only."""
    model: Any = type(type_record)
    if depth is not None and (not isinstance(depth, int) or isinstance(depth, bool) or depth < 1):
        raise InvalidArgument(f"depth must be a positive integer or None, got {depth!r}")
    visible = repo._visibility(model)
    first = sa.select(model.id.label("id"), sa.literal(1).label("depth")).where(
        model.type_id == _start(type_record), *visible
    )
    tree = first.cte("members", recursive=True)
    step = (
        sa.select(model.id, tree.c.depth + 1)
        .join(tree, model.type_id == tree.c.id)
        .where(tree.c.depth < (_MAX_DEPTH if depth is None else depth), *visible)
    )
    tree = tree.union(step)
    start = _start(type_record)
    ids = [row[0] for row in repo._execute(sa.select(tree.c.id).distinct()) if row[0] != start]
    return _query(repo, model, ids)
