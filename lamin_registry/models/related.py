"""The collection class of every to-many relationship, and ``Model.objects``.

lamindb users type Django's related-manager spellings (``record.parents.add(p)``,
``label.artifacts.count()``); SQLAlchemy users expect a list (iteration, ``len``, indexing,
``append``, assignment, eager loading). :class:`RelatedList` is both: it *is* the list
SQLAlchemy keeps for the relationship (a subclass of its ``InstrumentedList``, installed as
``collection_class`` on every to-many relationship of every registry, backrefs and
user-defined registries included), with the manager methods added. The class attribute
(``ULabel.parents``) stays SQLAlchemy's own, so ``ULabel.parents.any(...)``,
``selectinload(ULabel.parents)`` and ``filter(parents__name=...)`` are untouched.

Three list methods share a name with a manager method; each keeps the list meaning for the
list's own arguments:

* ``count(x)`` counts ``x`` in the list; ``count()`` asks the database (visible rows);
* ``remove(x)``, ``clear()``: on a stored record of a repository (the record's session is a
  repository's, or it has none and a repository is active) they write at once through the
  repository, checked like every link write; otherwise (an unsaved record, a host
  application's plain session) they change the list and the next flush writes it, as before.
  SQLAlchemy's own bookkeeping uses a separate, list-only remover.

The work is done by :mod:`lamin_registry.managers`, imported on first use.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlalchemy.orm.collections import InstrumentedList, collection

if TYPE_CHECKING:
    import pandas as pd

    from ..managers import Objects
    from ..query.query import Query

T = TypeVar("T")


class QueryReads(Generic[T]):
    """The read methods of a Django manager, each ``self.all()`` followed by the Query
    method of the same name: shared by :class:`RelatedList` (the members) and
    ``Model.objects`` (:class:`~lamin_registry.managers.Objects`, the registry)."""

    __slots__ = ()

    def all(self) -> Query[T]:
        raise NotImplementedError

    def filter(self, *conditions: Any, **expressions: Any) -> Query[T]:
        """``all().filter(...)``."""
        return self.all().filter(*conditions, **expressions)

    def exclude(self, *conditions: Any, **expressions: Any) -> Query[T]:
        """``all().exclude(...)``."""
        return self.all().exclude(*conditions, **expressions)

    def order_by(self, *fields: Any) -> Query[T]:
        """``all().order_by(...)``."""
        return self.all().order_by(*fields)

    def get(self, idlike: int | str | None = None, **expressions: Any) -> T:
        """One record of ``all()`` by id, uid or expressions (``DoesNotExist`` if none)."""
        return self.all().get(idlike, **expressions)

    def count(self) -> int:
        """The number of records of ``all()`` (one ``COUNT``)."""
        return self.all().count()

    def exists(self) -> bool:
        """Whether ``all()`` has at least one record."""
        return self.all().exists()

    def first(self) -> T | None:
        """The first record by id, or None."""
        return self.all().first()

    def last(self) -> T | None:
        """The last record by id, or None."""
        return self.all().last()

    def to_list(self, field: str | None = None) -> list[Any]:
        """The records, or the values of one field."""
        return self.all().to_list(field)

    def values_list(self, *fields: str, flat: bool = False) -> list[Any]:
        """Tuples of field values (``flat=True``: the values)."""
        return self.all().values_list(*fields, flat=flat)

    def to_dataframe(self, *args: Any, **kwargs: Any) -> pd.DataFrame:
        """A DataFrame of the records (see ``Query.to_dataframe``)."""
        return self.all().to_dataframe(*args, **kwargs)


class RelatedList(InstrumentedList[T], QueryReads[T]):
    """A to-many relationship: a list, plus Django's related-manager methods."""

    # -- SQLAlchemy's remover: the list's own, whatever ``remove`` means here ----------------

    @collection.remover  # type: ignore[untyped-decorator]
    @collection.internally_instrumented  # type: ignore[untyped-decorator]
    def _sa_remove_one(self, value: Any, _sa_initiator: Any = None) -> None:
        InstrumentedList.remove(self, value, _sa_initiator)  # type: ignore[call-arg]

    # -- the owner --------------------------------------------------------------------------

    def __setattr__(self, name: str, value: Any) -> None:
        # SQLAlchemy's collection points at its owner through a weak reference only, so in
        # ``repo.get(Space, 1).ulabel_set.add(x)`` the Space would be gone before ``add``
        # runs. The list keeps its owner alive (a reference cycle the collector frees).
        if name == "_sa_adapter" and value is not None:
            super().__setattr__("_lr_owner", value.owner_state.obj())
        super().__setattr__(name, value)

    def __copy__(self) -> list[T]:
        """A plain list: ``copy.copy`` of an instrumented list would replay its items as
        appends into the original relationship (SQLAlchemy's own pitfall)."""
        return list(self)

    def _owner(self) -> tuple[Any, str]:
        adapter: Any = getattr(self, "_sa_adapter", None)
        owner = self.__dict__.get("_lr_owner")
        if adapter is None or owner is None:
            from ..errors import InvalidArgument

            raise InvalidArgument(
                "This list is not a record's relationship (it was copied or built by hand); "
                "use record.<relationship> itself"
            )
        return owner, adapter._key

    def _managed(self) -> Any:
        """The repository that writes at once, or None for plain list behaviour."""
        from ..managers import writing_repository

        host, _ = self._owner()
        return writing_repository(host)

    # -- writes -----------------------------------------------------------------------------

    def add(self, *objs: Any) -> None:
        """Link ``objs`` (records or ids); already linked ones are skipped. Written at once."""
        from ..managers import repository_for

        host, key = self._owner()
        repository_for(host, key, "add to").add_related(host, key, *objs)

    @collection.internally_instrumented  # type: ignore[untyped-decorator]
    def remove(self, *objs: Any) -> None:
        """Unlink ``objs`` (Django's ``remove``; written at once under a repository).

        Outside a repository (an unsaved record, a plain session) it is ``list.remove``.
        """
        repo = self._managed()
        if repo is None:
            if len(objs) != 1:
                raise TypeError(f"list.remove() takes exactly one argument ({len(objs)} given)")
            self._sa_remove_one(objs[0])
            return
        host, key = self._owner()
        repo.remove_related(host, key, *objs)

    @collection.internally_instrumented  # type: ignore[untyped-decorator]
    def clear(self) -> None:
        """Unlink every visible member (written at once under a repository)."""
        repo = self._managed()
        if repo is None:
            for item in list(self):
                self._sa_remove_one(item)
            return
        host, key = self._owner()
        repo.clear_related(host, key)

    def set(self, objs: Iterable[Any], *, clear: bool = False) -> None:
        """Make ``objs`` the members: unlink the others, link the new ones (``clear=True``:
        unlink all first). Written at once."""
        from ..managers import repository_for

        host, key = self._owner()
        repository_for(host, key, "set").set_related(host, key, objs, clear=clear)

    # -- reads: a Query with the repository's visibility ----------------------------------------

    def all(self) -> Query[T]:
        """The members as a lazy :class:`~lamin_registry.Query` (visible branches and spaces)."""
        from ..managers import repository_for

        host, key = self._owner()
        query: Query[T] = repository_for(host, key, "query", write=False).related(host, key)
        return query

    def count(self, *value: Any) -> int:
        """``count()``: the number of members in the database (one ``COUNT``);
        ``count(x)``: how often ``x`` is in this list (``list.count``)."""
        if value:
            return list.count(self, *value)
        return self.all().count()


def use_related_lists(mapper: Any, cls: type) -> None:
    """``before_mapper_configured``: :class:`RelatedList` for every to-many relationship.

    Relationships declared on ``cls`` (``Mapped[list[X]]`` gives ``list``, a plain
    ``relationship()`` gives None) and the backrefs they create on other classes; a backref
    added to a class configured earlier would miss its own hook, so it is given the class
    through its ``backref=`` arguments here. A custom ``collection_class`` (set, dict) stays.
    """
    for prop in mapper._props.values():
        if not hasattr(prop, "backref"):
            continue  # columns, synonyms
        if prop.collection_class in (None, list) and prop.uselist is not False:
            prop.collection_class = RelatedList
        backref = prop.backref
        if backref is not None:
            name, kwargs = (backref, {}) if isinstance(backref, str) else backref
            if kwargs.get("collection_class") in (None, list):
                prop.backref = (name, {**kwargs, "collection_class": RelatedList})


class ObjectsDescriptor:
    """``Model.objects``: the registry's unfiltered manager (see :class:`managers.Objects`).

    Reached on the class only, as in Django (``record.objects`` raises ``AttributeError``);
    the repository is looked up when a method runs, so ``Model.objects`` itself never fails.
    """

    def __get__(self, obj: Any, owner: type[T]) -> Objects[T]:
        if obj is not None:
            raise AttributeError(
                f"Manager isn't accessible via {owner.__name__} instances; "
                f"use {owner.__name__}.objects"
            )
        from ..managers import Objects

        return Objects(owner)


__all__ = ["ObjectsDescriptor", "RelatedList", "use_related_lists"]
