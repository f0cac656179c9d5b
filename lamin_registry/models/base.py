"""The declarative base of every registry: metadata, naming convention, constructor, sugar.

``BaseSQLRecord`` is the root (Space, User, Branch, link tables); ``SQLRecord`` adds the
branch/space/lock/aux columns that every other registry carries. Models stay plain SQLAlchemy
mapped classes: ``session.add(ULabel(name="x"))`` and ``select(ULabel)`` work as usual. The
lamindb-style methods (``ULabel.filter(...)``, ``label.save()``) delegate to the active
repository.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Self

import sqlalchemy as sa
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    declared_attr,
    mapped_column,
    relationship,
)
from sqlalchemy.orm import backref as orm_backref

from .._context import active_repository, current_repository
from ..errors import FieldValidationError, InvalidArgument, ValidationError
from ..uids import base62
from .related import ObjectsDescriptor, use_related_lists
from .types import JSONType, fk

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from ..curation.results import InspectResult, SearchResult
    from ..query.query import Query
    from .core import Branch, Space

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
"""The one MetaData of lamin_registry; host applications keep their own."""


@dataclass(slots=True)
class _InitSpec:
    """What a registry's constructor accepts and fills in, computed once per class."""

    allowed: frozenset[str]
    aliases: dict[str, str]
    required: list[tuple[str, str | None]]  # (column key, relationship that can satisfy it)
    scalar_defaults: list[tuple[str, Any]]
    checks: dict[str, tuple[type | tuple[type, ...], int | None]] = field(default_factory=dict)
    relations: dict[str, tuple[type, bool]] = field(default_factory=dict)  # key: (target, many)
    # Column attributes without attribute events: the constructor writes them straight into
    # ``__dict__`` (a flush inserts what is there); an instrumented set costs ~1 µs each.
    plain: frozenset[str] = frozenset()
    # what an unknown keyword's message lists: the constructor's own parameters, as
    # lamindb's signatures (not every column and relationship the constructor accepts)
    parameters: tuple[str, ...] = ()
    # Every plain column key, None, written first: each record's ``__dict__`` then has the
    # same keys in the same order from the start, so CPython keeps it a compact shared-key
    # dictionary when a save fills in ids, stamps and defaults (adding keys after
    # construction turns it into a full dictionary: +330 bytes a record, 0.3 GB for a bulk
    # save of 1,000,000). None reads, inserts and dedupes as an absent value does; columns
    # where None is a value (JSON ``null``) are left out.
    blank: dict[str, None] = field(default_factory=dict)
    # ``blank`` with the scalar defaults of plain columns in it (written before the keyword
    # arguments, which overwrite them); the scalar defaults of other columns, set afterwards
    initial: dict[str, Any] = field(default_factory=dict)
    set_defaults: list[tuple[str, Any]] = field(default_factory=list)


_NOT_PARAMETERS = frozenset({
    "id", "uid", "created_at", "updated_at", "created_by", "created_by_id", "run", "run_id",
    "created_on", "created_on_id", "branch_id", "space_id", "is_locked", "is_latest", "aux",
})


def _parameters(cls: type[BaseSQLRecord], mapper: Any, aliases: dict[str, str]) -> tuple[str, ...]:
    """The constructor's parameters: the name field, the other public columns (an alias
    instead of the column it renames), to-one relationships instead of their foreign keys,
    the registry's extra keywords, then ``branch`` and ``space``."""
    renamed = {column: alias for alias, column in aliases.items()}
    to_one = {
        rel.key: {str(c.key) for c in rel.local_columns}
        for rel in mapper.relationships
        if rel.direction.name == "MANYTOONE" and not rel.viewonly
    }
    foreign = set().union(*to_one.values()) if to_one else set()
    names: list[str] = []
    for prop in mapper.column_attrs:
        key = renamed.get(prop.key, prop.key)
        if key.startswith("_") or key in _NOT_PARAMETERS or prop.key in foreign:
            continue
        names.append(key)
    names += [key for key in to_one if key not in _NOT_PARAMETERS | {"branch", "space"}]
    for klass in reversed(cls.__mro__):
        names += sorted(vars(klass).get("_init_extra", ()))
    if "branch" in to_one:
        names.append("branch")
    if "space" in to_one:
        names.append("space")
    name_field = cls._name_field
    if name_field in names and isinstance(mapper.columns[name_field].type, sa.String):
        names.remove(name_field)
        names.insert(0, name_field)
    return tuple(dict.fromkeys(n for n in names if n not in _NOT_PARAMETERS))


_INIT_SPECS: dict[type, _InitSpec] = {}


class JSONValue:
    """The check of a JSON column (:func:`_python_type`): any value, its text checked by
    :func:`json_text_problem`."""


def _python_type(column: sa.Column[Any]) -> tuple[type | tuple[type, ...], int | None] | None:
    """The Python type(s) a column accepts and a size limit: characters for strings, bits
    for integers (32 for plain INTEGER, the width PostgreSQL gives it)."""
    col_type = column.type
    if isinstance(col_type, JSONType | sa.JSON):
        return JSONValue, None
    if isinstance(col_type, sa.types.TypeDecorator):
        col_type = col_type.impl_instance
    if isinstance(col_type, sa.String):
        return str, col_type.length
    if isinstance(col_type, sa.Boolean):
        return bool, None
    if isinstance(col_type, sa.Integer):
        bits = 64 if isinstance(col_type, sa.BigInteger) else 16 if isinstance(
            col_type, sa.SmallInteger
        ) else 32
        return int, bits
    if isinstance(col_type, sa.Float | sa.Numeric):
        return (int, float), None
    if isinstance(col_type, sa.DateTime):
        return dt.datetime, None
    if isinstance(col_type, sa.Date):
        return dt.date, None
    return None


def _constructor_field(cls: type[BaseSQLRecord], key: str) -> bool:
    """Whether column ``key`` is one the constructor takes (and checks): a public one, or a
    private one the registry lists in ``_init_private_fields``. Private columns are written
    by the registry's own properties (``aux`` -> ``_aux``), which check their values."""
    return not key.startswith("_") or key in cls._init_private_fields


def _build_init_spec(cls: type[BaseSQLRecord]) -> _InitSpec:
    mapper = sa.inspect(cls)
    allowed: set[str] = set()
    checks: dict[str, tuple[type | tuple[type, ...], int | None]] = {}
    fk_to_relationship: dict[str, str] = {}
    relations: dict[str, tuple[type, bool]] = {}
    for rel in mapper.relationships:
        allowed.add(rel.key)
        relations[rel.key] = (rel.mapper.class_, bool(rel.uselist))
        if rel.direction.name == "MANYTOONE":
            for local in rel.local_columns:
                fk_to_relationship.setdefault(str(local.key), rel.key)
    required: list[tuple[str, str | None]] = []
    scalar_defaults: list[tuple[str, Any]] = []
    for prop in mapper.column_attrs:
        column: Any = prop.columns[0]
        key = prop.key
        if not _constructor_field(cls, key):
            continue
        allowed.add(key)
        if column.primary_key:
            continue
        check = _python_type(column)
        if check is not None:
            checks[key] = check
        default = column.default
        if key in cls._filled_on_save:
            continue
        if default is not None and getattr(default, "is_scalar", False):
            scalar_defaults.append((key, default.arg))
        elif (
            not column.nullable
            and default is None
            and column.server_default is None
            and key != "uid"
        ):
            required.append((key, fk_to_relationship.get(key)))
    allowed.update(cls._init_aliases)
    for klass in cls.__mro__:  # mixins add their own (features=, revises=, ...)
        allowed.update(vars(klass).get("_init_extra", ()))
    allowed.discard("uid") if cls._uid_length == 0 else None
    plain = frozenset(
        prop.key for prop in mapper.column_attrs
        if len(mapper.class_manager[prop.key].dispatch.set)
        == (prop.key in _SET_CHECKED.get(cls, ()))  # only _add_set_checks' own listener
    )
    blank = {
        prop.key: None for prop in mapper.column_attrs
        if prop.key in plain and not prop.columns[0].type.should_evaluate_none
    }
    initial: dict[str, Any] = dict(blank)
    initial.update((key, default) for key, default in scalar_defaults if key in plain)
    return _InitSpec(
        initial=initial,
        set_defaults=[(key, value) for key, value in scalar_defaults if key not in plain],
        allowed=frozenset(allowed),
        aliases=dict(cls._init_aliases),
        required=required,
        scalar_defaults=scalar_defaults,
        checks=checks,
        relations=relations,
        parameters=_parameters(cls, mapper, dict(cls._init_aliases)),
        plain=plain,
        blank=blank,
    )


def _init_spec(cls: type[BaseSQLRecord]) -> _InitSpec:
    spec = _INIT_SPECS.get(cls)
    if spec is None:
        spec = _INIT_SPECS[cls] = _build_init_spec(cls)
    return spec


def check_field_value(cls: type[BaseSQLRecord], key: str, value: Any) -> None:
    """Raise FieldValidationError when ``value`` cannot be stored in column ``key``."""
    check = _init_spec(cls).checks.get(key)
    if check is None or value is None:
        return
    _check_value(cls, key, value, check)


def _check_value(
    cls: type[BaseSQLRecord],
    key: str,
    value: Any,
    check: tuple[type | tuple[type, ...], int | None],
) -> None:
    """:func:`check_field_value` for a value that is not None, its column's check known."""
    expected, max_length = check
    if type(value) is str and expected is str:  # the common case, without isinstance calls
        _check_text(cls, key, value, max_length)
        return
    if type(value) is int and expected is int:
        if max_length is not None and not -(1 << max_length - 1) <= value < 1 << max_length - 1:
            raise FieldValidationError(
                f"{cls.__name__}.{key} holds {max_length}-bit integers, got {value}"
            )
        return
    if expected is JSONValue:
        problem = json_text_problem(value)
        if problem is not None:
            raise FieldValidationError(f"{cls.__name__}.{key} {problem}")
        return
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        names = (
            expected.__name__
            if isinstance(expected, type)
            else " or ".join(t.__name__ for t in expected)
        )
        raise FieldValidationError(
            f"{cls.__name__}.{key} expects {names}, got {type(value).__name__}: {value!r}"
        )
    if isinstance(value, str):
        _check_text(cls, key, value, max_length)
    elif expected is int and max_length is not None:
        bound = 2 ** (max_length - 1)
        if not -bound <= value < bound:
            raise FieldValidationError(
                f"{cls.__name__}.{key} holds {max_length}-bit integers, got {value}"
            )


def _check_text(cls: type[BaseSQLRecord], key: str, value: str, max_length: int | None) -> None:
    """A text column's value: within its length, and text both backends store
    (:func:`text_problem`)."""
    if max_length is not None and len(value) > max_length:
        raise FieldValidationError(
            f"{cls.__name__}.{key} holds at most {max_length} characters, got {len(value)}"
        )
    problem = text_problem(value)
    if problem is not None:
        raise FieldValidationError(f"{cls.__name__}.{key} {problem}")


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text on both backends, or None: a NUL character
    (PostgreSQL refuses it in text and in JSON), a lone surrogate such as ``"\\ud800"`` (it
    has no UTF-8 form: both drivers fail with a raw ``UnicodeEncodeError``, and PostgreSQL's
    JSON refuses its escape)."""
    if "\x00" in value:
        return "cannot hold a NUL character"
    if not value.isascii():
        try:
            value.encode()
        except UnicodeEncodeError:
            return f"cannot hold text that is not valid Unicode: {value!r}"
    return None


def json_text_problem(value: Any) -> str | None:
    """:func:`text_problem` of the first string in a JSON-like value that has one (keys of
    dictionaries included), or None."""
    if isinstance(value, str):
        return text_problem(value)
    if isinstance(value, dict):
        for key, item in value.items():
            problem = (text_problem(key) if isinstance(key, str) else None) or (
                json_text_problem(item)
            )
            if problem is not None:
                return problem
    elif isinstance(value, list | tuple):
        for item in value:
            problem = json_text_problem(item)
            if problem is not None:
                return problem
    return None


def check_related_value(cls: type[BaseSQLRecord], key: str, value: Any) -> None:
    """Raise FieldValidationError unless ``value`` suits relationship ``key``."""
    relation = _init_spec(cls).relations.get(key)
    if relation is None or value is None:
        return
    target, many = relation
    if many:
        if isinstance(value, str | bytes) or not hasattr(value, "__iter__"):
            raise FieldValidationError(
                f"{cls.__name__}.{key} expects a list of {target.__name__} records, got {value!r}"
            )
        wrong = [item for item in value if not isinstance(item, target)]
        if wrong:
            raise FieldValidationError(
                f"{cls.__name__}.{key} expects {target.__name__} records, got {wrong[0]!r}"
            )
    elif not isinstance(value, target):
        hint = f"; pass {key}_id=... for an id" if isinstance(value, int) else ""
        raise FieldValidationError(
            f"{cls.__name__}.{key} expects a {target.__name__} record, got {value!r}{hint}"
        )


def _declares(cls: type, name: str) -> bool:
    return any(name in vars(k) or name in vars(k).get("__annotations__", {}) for k in cls.__mro__)


def _add_default_keys(cls: type[BaseSQLRecord]) -> None:
    """Give a user-defined registry lamindb's ``id`` (and ``uid``) when it declares none.

    Django adds an auto-increment ``id`` to every model; lamin_registry's own registries spell
    theirs out, a user's ``class Experiment(lr.SQLRecord): name: Mapped[str]`` need not.
    """
    if vars(cls).get("__abstract__") or "__table__" in vars(cls):
        return
    if any(hasattr(base, "__mapper__") for base in cls.__mro__[1:]):
        return  # inherits a mapped table
    if not _declares(cls, "id"):
        setattr(cls, "id", mapped_column(sa.Integer, primary_key=True))  # noqa: B010
    if cls._uid_length and not _declares(cls, "uid"):
        uid = mapped_column(sa.String(cls._uid_length), unique=True, nullable=False)
        setattr(cls, "uid", uid)  # noqa: B010


if TYPE_CHECKING:
    class_only = classmethod
else:

    class class_only(classmethod):
        """A class method that refuses to run on a record, as lamindb's curation methods do:
        ``label.validate(...)`` raises ``InvalidArgument`` (a ``TypeError``) naming the method.

        Looking the attribute up on a record works (``hasattr``, ``dir``, completion); calling
        it raises.
        """

        def __get__(self, obj: Any, owner: type | None = None) -> Any:
            if obj is None:
                return super().__get__(obj, owner)
            model = type(obj).__name__
            name = self.__func__.__name__

            def refused(*args: Any, **kwargs: Any) -> Any:
                raise InvalidArgument(
                    f"{model}.{name}() is a class method and must be called on the {model} "
                    f"class, not on a {model} object"
                )

            return refused


class BaseSQLRecord(DeclarativeBase):
    """Root of every lamin_registry model (no branch, space or lock columns).

    Subclasses declare columns with ``Mapped[...]`` annotations as in any SQLAlchemy model.
    Class attributes tune the registry: ``_uid_length`` (0 = no uid), ``_name_field`` (the
    column used for name lookups and idempotent saves).
    """

    metadata = metadata

    _uid_length: ClassVar[int] = 0
    _name_field: ClassVar[str | None] = "name"
    _dedupe_on_save: ClassVar[bool] = False
    _soft_delete: ClassVar[bool] = False
    _init_aliases: ClassVar[dict[str, str]] = {}
    _init_extra: ClassVar[frozenset[str]] = frozenset()
    _init_private_fields: ClassVar[frozenset[str]] = frozenset()
    _filled_on_save: ClassVar[frozenset[str]] = frozenset({"created_by_id", "branch_id"})
    _repr_skip: ClassVar[frozenset[str]] = frozenset()

    objects: ClassVar[ObjectsDescriptor] = ObjectsDescriptor()
    """Django's unfiltered manager: ``ULabel.objects.filter(...)`` (every branch)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        _add_default_keys(cls)
        super().__init_subclass__(**kwargs)

    @declared_attr.directive
    def __tablename__(cls) -> str:
        package = cls.__module__.split(".")[0]
        if package in ("lamin_registry", "__main__"):
            package = "lamindb" if package == "lamin_registry" else "main"
        return f"{package}_{cls.__name__.lower()}"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        cls = type(self)
        if args:
            raise FieldValidationError(
                "Use keyword arguments instead of positional arguments, e.g.: "
                f"{cls.__name__}({cls._name_field or 'name'}='...')."
            )
        spec = _init_spec(cls)
        if not spec.allowed.issuperset(kwargs):
            unknown = [key for key in kwargs if key not in spec.allowed]
            raise FieldValidationError(
                f"Unknown keyword argument(s) {', '.join(map(repr, unknown))} for "
                f"{cls.__name__}. Only {', '.join(spec.parameters)} are valid keyword "
                "arguments"
            )
        for alias, target in spec.aliases.items():
            if alias in kwargs:
                kwargs[target] = kwargs.pop(alias)
        self._prepare_kwargs(kwargs)
        state, plain, checks, relations = self.__dict__, spec.plain, spec.checks, spec.relations
        state.update(spec.initial)  # blank and the plain scalar defaults, in one shared order
        for key, value in kwargs.items():
            if value is not None:
                check = checks.get(key)
                if check is not None:
                    _check_value(cls, key, value, check)
                elif key in relations:
                    check_related_value(cls, key, value)
            if key in plain:
                state[key] = value
            else:  # relationships (backrefs), properties, columns with listeners
                setattr(self, key, value)
        for key, default in spec.set_defaults:
            if key not in kwargs:
                setattr(self, key, default)
        missing = [
            key
            for key, rel in spec.required
            if kwargs.get(key) is None and (rel is None or kwargs.get(rel) is None)
        ]
        if missing:
            raise FieldValidationError(f"{missing} are required.")
        if cls._uid_length:
            uid = kwargs.get("uid")
            if uid is None and "uid" in plain:
                state["uid"] = self._new_uid()
            elif uid is None:
                self.uid = self._new_uid()
            elif not isinstance(uid, str) or len(uid) not in self._valid_uid_lengths():
                raise ValidationError(
                    f"`uid` must be exactly {cls._uid_length} characters long, got "
                    f"{len(uid) if isinstance(uid, str) else repr(uid)}."
                )
            else:
                self._uid_given = True
        self._after_init(kwargs)

    # -- hooks for registries -------------------------------------------------------------

    def _prepare_kwargs(self, kwargs: dict[str, Any]) -> None:
        """Adjust constructor arguments before they are set (registry-specific rules)."""

    def _after_init(self, kwargs: dict[str, Any]) -> None:
        """Validate or derive fields after construction (registry-specific rules)."""

    def _new_uid(self) -> str:
        return base62(type(self)._uid_length)

    def _valid_uid_lengths(self) -> tuple[int, ...]:
        return (type(self)._uid_length,)

    # -- representation -------------------------------------------------------------------

    def __repr__(self) -> str:
        state = self.__dict__
        parts = []
        keys = [prop.key for prop in sa.inspect(type(self)).column_attrs]
        if "uid" in keys:
            keys.remove("uid")
            keys.insert(0, "uid")
        for key in keys:
            if key == "id" or key.startswith("_") or key in self._repr_skip:
                continue
            value = state.get(key)
            if value is None:
                continue
            if isinstance(value, dt.datetime):
                value = value.strftime("%Y-%m-%d %H:%M:%S %Z").rstrip()
                parts.append(f"{key}={value}")
            else:
                parts.append(f"{key}={value!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    # -- class-level sugar: delegates to the active repository ------------------------------

    @classmethod
    def filter(cls, *conditions: Any, **expressions: Any) -> Query[Self]:
        """``repo.filter(cls, ...)`` on the active repository."""
        return active_repository().filter(cls, *conditions, **expressions)

    @classmethod
    def exclude(cls, *conditions: Any, **expressions: Any) -> Query[Self]:
        """``repo.exclude(cls, ...)`` on the active repository."""
        return active_repository().exclude(cls, *conditions, **expressions)

    @classmethod
    def get(cls, idlike: int | str | None = None, **expressions: Any) -> Self:
        """``repo.get(cls, ...)`` on the active repository."""
        return active_repository().get(cls, idlike, **expressions)

    @classmethod
    def to_dataframe(cls, **kwargs: Any) -> pd.DataFrame:
        """``repo.to_dataframe(cls, ...)`` on the active repository."""
        return active_repository().to_dataframe(cls, **kwargs)

    @classmethod
    def df(cls, **kwargs: Any) -> pd.DataFrame:
        """Deprecated alias of :meth:`to_dataframe`."""
        return active_repository().filter(cls).df(**kwargs)

    @classmethod
    def search(cls, string: str, **kwargs: Any) -> SearchResult[Self]:
        """``repo.search(cls, ...)`` on the active repository."""
        return active_repository().search(cls, string, **kwargs)

    @classmethod
    def lookup(cls, field: str | None = None, **kwargs: Any) -> Any:
        """``repo.lookup(cls, ...)`` on the active repository."""
        return active_repository().lookup(cls, field, **kwargs)

    @class_only
    def validate(cls, values: Any, field: str | None = None, **kwargs: Any) -> np.ndarray[Any, Any]:
        """``repo.validate(cls, ...)`` on the active repository."""
        return active_repository().validate(cls, values, field, **kwargs)

    @class_only
    def inspect(cls, values: Any, field: str | None = None, **kwargs: Any) -> InspectResult:
        """``repo.inspect(cls, ...)`` on the active repository."""
        return active_repository().inspect(cls, values, field, **kwargs)

    @class_only
    def standardize(cls, values: Any, field: str | None = None, **kwargs: Any) -> Any:
        """``repo.standardize(cls, ...)`` on the active repository."""
        return active_repository().standardize(cls, values, field, **kwargs)

    @class_only
    def from_values(cls, values: Any, field: str | None = None, **kwargs: Any) -> list[Self]:
        """``repo.from_values(cls, ...)`` on the active repository."""
        return active_repository().from_values(cls, values, field, **kwargs)

    # -- instance-level sugar ---------------------------------------------------------------

    @property
    def pk(self) -> Any:
        """The primary key (lamindb's alias of ``id``)."""
        return self.__dict__.get("id") if "id" in self.__dict__ else getattr(self, "id", None)

    def save(self) -> Self:
        """Save through the active repository; returns the stored record (use it)."""
        return active_repository().save(self)

    def delete(self, permanent: bool = False) -> tuple[int, dict[str, int]] | None:
        """Move to trash, or remove for good with ``permanent=True`` (then lamindb's
        ``(count, {model label: n})``; None for Transform, Run and Artifact)."""
        return active_repository().delete(self, permanent=permanent)

    def restore(self) -> None:
        """Move back to main (branch 1)."""
        active_repository().restore(self)

    def refresh_from_db(self, fields: Sequence[str] | None = None) -> None:
        """Reload this record's fields from the database."""
        active_repository().refresh(self, fields)

    def add_synonym(self, synonym: str | Iterable[str], force: bool = False) -> None:
        """``repo.add_synonym(self, ...)`` on the active repository."""
        active_repository().add_synonym(self, synonym, force=force)

    def remove_synonym(self, synonym: str | Iterable[str]) -> None:
        """``repo.remove_synonym(self, ...)`` on the active repository."""
        active_repository().remove_synonym(self, synonym)

    def set_abbr(self, value: str) -> None:
        """``repo.set_abbr(self, value)`` on the active repository."""
        active_repository().set_abbr(self, value)

    def describe(self, return_str: bool = False, include: str | None = None) -> str | None:
        """lamindb's describe tree: general fields, then features (Record, Run, Artifact);
        ``include="comments"`` appends the readme (``Notes:``) and the comments."""
        from ..features.describe import describe_record

        text = describe_record(self, include=include)
        if return_str:
            return text
        print(text)
        return None

    def _repr_html_(self) -> str:
        import html

        from ..features.describe import describe_record

        return f"<pre>{html.escape(describe_record(self))}</pre>"

    # -- async sugar (lr.connect_async): delegates to the active async repository -----------

    async def asave(self) -> Self:
        """``await arepo.save(self)`` on the active async repository; returns the stored record."""
        from ..aio import asave

        return await asave(self)

    async def adelete(self, permanent: bool = False) -> None:
        """``await arepo.delete(self, permanent=...)`` on the active async repository."""
        from ..aio import adelete

        await adelete(self, permanent=permanent)

    async def arefresh_from_db(self, fields: Sequence[str] | None = None) -> None:
        """``await arepo.refresh(self, fields)`` on the active async repository."""
        from ..aio import arefresh_from_db

        await arefresh_from_db(self, fields)


_SET_CHECKED: dict[type, frozenset[str]] = {}  # class -> columns checked on attribute set
_SET_CHECKED_TYPES = (bool, dt.datetime, dt.date, str, JSONValue)


def _check_on_set(cls: type[BaseSQLRecord], key: str) -> Any:
    def check(target: Any, value: Any, oldvalue: Any, initiator: Any) -> None:
        if not isinstance(value, sa.sql.ClauseElement):  # SQL expressions are the user's call
            check_field_value(type(target), key, value)

    return check


# every to-many relationship holds a RelatedList (Django's related-manager methods)
sa.event.listen(BaseSQLRecord, "before_mapper_configured", use_related_lists, propagate=True)


@sa.event.listens_for(BaseSQLRecord, "mapper_configured", propagate=True)
def _add_set_checks(mapper: Any, cls: type[BaseSQLRecord]) -> None:
    """Check boolean, date/time, text and JSON columns when they are assigned, not only in
    the constructor.

    ``label.is_type = "yes"`` raises ``FieldValidationError`` naming the field at once,
    instead of a driver ``TypeError`` (or an ``AttributeError`` on SQLite) at the next flush
    that leaves the session needing a rollback; so do ``label.name = "a\\x00b"`` (PostgreSQL
    refuses NUL), a lone surrogate (no UTF-8 form: a raw ``UnicodeEncodeError`` in either
    driver), text beyond the column's length, and either kind of text inside a JSON value
    (``run.params = {"k": "a\\x00"}``: PostgreSQL's JSON refuses it, SQLite would store
    it). The constructor keeps writing these columns straight into ``__dict__`` (it checks
    them itself): see ``_InitSpec.plain``.
    """
    keys = []
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if column.primary_key or not _constructor_field(cls, prop.key):
            continue  # a private column's listener would find no check (check_field_value)
        check = _python_type(column)
        if check is not None and check[0] in _SET_CHECKED_TYPES:
            sa.event.listen(mapper.class_manager[prop.key], "set", _check_on_set(cls, prop.key))
            keys.append(prop.key)
    _SET_CHECKED[cls] = frozenset(keys)


def _current_branch_id() -> int:
    repo = current_repository()
    return 1 if repo is None else repo.current_branch_id


_SPACE_BACKREFS: dict[str, str] = {}  # Space's reverse collection -> the table it lists


def _space_backref(cls: Any) -> str:
    """The name of ``cls``'s reverse collection on Space: lamindb's ``<model>_set``.

    Two registries of one name (``Experiment`` in two packages) would both claim
    ``space.experiment_set``, and SQLAlchemy would then refuse to configure *any* mapper,
    breaking every query of the process. Refuse the second class instead, saying what to do.
    """
    name: str = getattr(cls, "_space_backref", None) or f"{cls.__name__.lower()}_set"
    table: str = getattr(cls, "__tablename__")  # noqa: B009 - set by the declarative base
    owner = _SPACE_BACKREFS.setdefault(name, table)
    if owner != table:
        raise InvalidArgument(
            f"{cls.__module__}.{cls.__name__} (table {table}) would add space.{name}, which "
            f"already lists table {owner}: rename the class, or give it another reverse "
            f"collection with `_space_backref = \"{table}_set\"`."
        )
    return name


class HasBranch:
    """``branch_id`` and ``created_on_id`` with their relationships (lamindb's ``HasBranch``).

    Every registry (:class:`SQLRecord`) has them, and so do the blocks attached to a record
    (``RecordBlock``, ...), which have no space (``access.has_branches``).
    """

    branch_id: Mapped[int] = mapped_column(
        fk("lamindb_branch.id"), index=True, default=1, server_default=sa.text("1")
    )
    created_on_id: Mapped[int] = mapped_column(
        fk("lamindb_branch.id"), index=True, default=1, server_default=sa.text("1")
    )

    @declared_attr
    def branch(cls) -> Mapped[Branch]:
        model: Any = cls
        return relationship("Branch", foreign_keys=lambda: [model.branch_id])

    @declared_attr
    def created_on(cls) -> Mapped[Branch]:
        """The branch the record was created on (never changes, not even on merge)."""
        model: Any = cls
        return relationship("Branch", foreign_keys=lambda: [model.created_on_id], viewonly=True)


class _SpaceLockAux:
    """``space_id``, ``is_locked`` and ``_aux`` of every registry; a mixin after
    :class:`HasBranch` so that tables keep lamindb's column order (``branch_id``,
    ``created_on_id``, ``space_id``, ``is_locked``, ``_aux``)."""

    space_id: Mapped[int] = mapped_column(
        sa.SmallInteger, fk("lamindb_space.id"), index=True, default=1, server_default=sa.text("1")
    )
    is_locked: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    _aux: Mapped[dict[str, Any] | None] = mapped_column("_aux", JSONType, default=None)

    @declared_attr
    def space(cls) -> Mapped[Space]:
        # passive_deletes="all": deleting a Space never loads every registry's collection
        # (a user-defined registry's table may not exist in this database); the repository
        # refuses the delete first if any row still refers to the space (RESTRICT).
        return relationship(
            "Space",
            backref=orm_backref(_space_backref(cls), lazy="select", passive_deletes="all"),
        )


class SQLRecord(HasBranch, _SpaceLockAux, BaseSQLRecord):
    """A registry with branches, spaces, a lock flag and an aux JSON column.

    Subclass it for your own registries::

        class Experiment(lr.SQLRecord):
            __tablename__ = "myapp_experiment"
            name: Mapped[str] = mapped_column(sa.String(150), index=True)
    """

    __abstract__ = True

    _uid_length: ClassVar[int] = 12
    _soft_delete: ClassVar[bool] = True
    _dedupe_on_save: ClassVar[bool] = True
    _init_extra: ClassVar[frozenset[str]] = frozenset({"aux"})
    _space_backref: ClassVar[str | None] = None  # Space's reverse collection; <model>_set

    @property
    def aux(self) -> dict[str, Any] | None:
        """The ``_aux`` JSON column as a dict (None when empty)."""
        return self._aux or None

    @aux.setter
    def aux(self, value: dict[str, Any] | None) -> None:
        problem = json_text_problem(value)
        if problem is not None:
            raise FieldValidationError(f"{type(self).__name__}.aux {problem}")
        self._aux = value or None

    def _prepare_kwargs(self, kwargs: dict[str, Any]) -> None:
        if "space" in kwargs and "space_id" in kwargs:
            raise FieldValidationError("Do not pass both Space and its id at the same time.")
        if "branch" in kwargs and kwargs["branch"] is not None:
            check_related_value(type(self), "branch", kwargs["branch"])
            kwargs["branch_id"] = kwargs.pop("branch").id
        if kwargs.get("branch_id") is None:
            kwargs.pop("branch_id", None)
            kwargs["branch_id"] = _current_branch_id()
        else:
            # a deliberate branch; otherwise the saving repository's branch applies
            self._branch_given = True
        kwargs.setdefault("created_on_id", kwargs["branch_id"])
        if "type" in kwargs or "type_id" in kwargs:
            # lamindb's name de-duplication: ``type=None`` means "no type", an omitted type
            # means "any type" (see Repository._dedupe)
            self._type_given = True
