"""Visibility of related rows: every registry a subquery reads obeys branch and space rules.

A query's own rows get the repository's visibility conditions directly
(:meth:`Repository._visibility`). The rows a query reaches *through* something -- a
relationship path (``children__name=...`` becomes ``EXISTS (...)``), a raw SQLAlchemy
condition with a subquery, an ``order_by`` expression, the statements behind
``to_dataframe(include=..., features=...)`` -- must obey the same rules, or a filter becomes an
oracle: ``filter(children__name__startswith="s")`` would tell a user, letter by letter, the
name of a child he may not read.

:func:`restrict` is the one function that does it. It walks a SQL expression top-down and,
in every SELECT it finds, adds the visibility conditions of each registry table (or alias of
one) in that SELECT's own FROM list: readable spaces always; visible branches unless that
SELECT itself names the table's ``branch_id`` (as a direct query naming a branch turns
branch filtering off). Tables correlated to an enclosing SELECT are the enclosing query's
business and are left alone. SQLAlchemy's ``with_loader_criteria`` cannot do this job: on a
self-referential ``any()`` it attaches the criterion to the outer table instead of the
alias, which leaves exactly the hidden rows readable.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.sql import visitors
from sqlalchemy.sql.selectable import Alias, Join, Select

from . import access
from .errors import InvalidArgument
from .models.base import BaseSQLRecord

if TYPE_CHECKING:
    from .repository import Repository

E = TypeVar("E")

_MODELS: dict[Any, type] = {}
_MAPPER_COUNT = 0


def _registry_of(table: Any) -> type | None:
    """The SQLRecord class mapped to ``table`` (None for link tables and the like)."""
    global _MAPPER_COUNT
    mappers = BaseSQLRecord.registry.mappers
    if len(mappers) != _MAPPER_COUNT:  # user-defined registries may appear at any time
        _MODELS.clear()
        for mapper in mappers:
            model = mapper.class_
            if mapper.local_table is not None and (
                access.has_branches(model) or access.has_spaces(model)
            ):
                _MODELS.setdefault(mapper.local_table, mapper.class_)
        _MAPPER_COUNT = len(mappers)
    return _MODELS.get(table)


def _tables(from_clause: Any) -> Iterable[Any]:
    """Tables and aliases in a FROM element (joins unfolded)."""
    if isinstance(from_clause, Join):
        yield from _tables(from_clause.left)
        yield from _tables(from_clause.right)
    else:
        yield from_clause


def _base_table(from_clause: Any) -> Any:
    return from_clause.element if isinstance(from_clause, Alias) else from_clause


def has_subquery(element: Any) -> bool:
    """Whether ``element`` contains a SELECT (only such expressions need :func:`restrict`)."""
    return any(isinstance(node, Select) for node in visitors.iterate(element))


def _own_columns(select: Select[Any]) -> set[Any]:
    """Columns the SELECT's WHERE refers to, outside its nested subqueries."""
    found: set[Any] = set()
    stack: list[Any] = list(select._where_criteria)
    while stack:
        node = stack.pop()
        if isinstance(node, Select):
            continue
        if isinstance(node, sa.Column):
            found.add(node)
            continue
        stack.extend(node.get_children())
    return found


def _refuse_hidden_subqueries(select: Select[Any], froms: list[Any]) -> None:
    """Refuse a subquery where :func:`restrict` cannot reach: in a FROM (a derived table),
    the columns, GROUP BY, HAVING or ORDER BY of a subquery. Keyword lookups never build
    such SQL; a raw condition that does is refused rather than run unchecked."""
    places = [
        *(table for table in froms if not isinstance(_base_table(table), sa.TableClause)),
        *select.selected_columns,
        *select._group_by_clauses,
        *(select._having_criteria or ()),
        *select._order_by_clauses,
    ]
    if any(has_subquery(place) for place in places):
        raise InvalidArgument(
            "A subquery in a FROM, column, GROUP BY, HAVING or ORDER BY clause of a filter "
            "condition cannot be checked for visibility; express it with keyword lookups "
            "(e.g. children__name=...) or with a subquery in a WHERE clause"
        )


def _correlated(select: Select[Any], froms: list[Any], enclosing: frozenset[Any]) -> set[Any]:
    """The FROM elements SQLAlchemy will correlate to the enclosing query (its own rules:
    explicit ``correlate``/``correlate_except``, else automatic when more than one FROM)."""
    candidates = {table for table in froms if table in enclosing}
    if select._correlate:
        return candidates & set(select._correlate)
    if select._correlate_except is not None:
        return candidates - set(select._correlate_except)
    if select._auto_correlate and len(froms) > 1:
        return candidates
    return set()


def _restrict_select(
    select: Select[Any], repo: Repository, correlated: frozenset[Any]
) -> Select[Any]:
    froms = [table for element in select.get_final_froms() for table in _tables(element)]
    _refuse_hidden_subqueries(select, froms)
    nested_correlated = correlated | frozenset(froms)
    criteria = [_restrict(c, repo, nested_correlated) for c in select._where_criteria]
    named = _own_columns(select)
    added: list[Any] = []
    correlated_here = _correlated(select, froms, correlated)
    for from_clause in froms:
        model = _registry_of(_base_table(from_clause))
        if model is None:
            continue
        columns = from_clause.c
        # a correlated table is the enclosing query's row: its branch rule is that query's
        # (which may show every branch); its readable spaces are repeated here all the same,
        # so a wrong guess about correlation can never open a space
        branches = from_clause not in correlated_here and columns.branch_id not in named
        branch_ids, space_ids = repo._visibility_key(model, branches)
        if branch_ids is not None:
            added.append(columns.branch_id.in_(branch_ids))
        if space_ids is not None:
            added.append(access.space_condition(model, space_ids, columns))
    restricted = select._generate()
    restricted._where_criteria = (*criteria, *added)
    return restricted


def _restrict(element: E, repo: Repository, correlated: frozenset[Any]) -> E:
    """``element`` rebuilt with every SELECT in it restricted (a copy; the input is kept).

    Hand-written rather than ``visitors.replacement_traverse``: that one does not descend
    into the ORM's relationship criteria (annotated ``no_replacement_traverse``), which is
    exactly where ``any()``/``has()`` put their subqueries.
    """
    node: Any = element
    if isinstance(node, Select):
        return _restrict_select(node, repo, correlated)  # type: ignore[return-value]
    if not has_subquery(node):
        return element
    copy = node._clone()
    copy._copy_internals(clone=lambda child, **_: _restrict(child, repo, correlated))
    return copy  # type: ignore[no-any-return]


def restrict(element: E, repo: Repository, outer: Iterable[Any] = ()) -> E:
    """``element`` with the repository's visibility applied to every registry it reads.

    ``outer``: the tables of the enclosing query (``model.__table__`` for a condition of a
    query over ``model``); subqueries correlated to them leave them alone. A bare
    SELECT is restricted itself, every table of its FROM list included.
    """
    return _restrict(element, repo, frozenset(outer))
