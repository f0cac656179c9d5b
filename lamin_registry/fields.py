"""lamindb's field spelling for user-defined registries: each helper returns a ``mapped_column``.

::

    from sqlalchemy.orm import Mapped
    from lamin_registry import fields
    from lamin_registry.core import Record

    class Experiment(Record):                      # table myapp_experiment (package myapp)
        name: Mapped[str] = fields.CharField(db_index=True)
        description: Mapped[str | None] = fields.TextField()
        n_samples: Mapped[int] = fields.IntegerField(default=0)
        protocol_id: Mapped[int | None] = fields.ForeignKey(Protocol, on_delete=fields.SET_NULL)

Defaults follow lamindb's fields (``lamindb.base.fields``), which follow Django's:

* ``null``: a column is NOT NULL unless ``null=True``. Left out, the ``Mapped[...]``
  annotation decides, as everywhere in SQLAlchemy: ``Mapped[str]`` is NOT NULL (lamindb's
  ``null=False``), ``Mapped[str | None]`` is nullable. An explicit ``null=`` always wins.
* ``default``: none (lamindb's ``default=None``), so a NOT NULL field without a default is
  required by the constructor (``FieldValidationError("['name'] are required.")``). A literal
  default (str, int, float, bool) is also written as the column's server default, so a later
  migration can add such a column to a table that already has rows.
* ``db_index``: off, as in lamindb, whose registries pass ``db_index=True`` on the fields they
  filter and search by (``name``): do the same. ``ForeignKey`` is indexed (Django's default).
* ``unique``: off; ``unique=True`` adds a named unique constraint (``uq_<table>_<column>``).
* ``CharField(max_length=255)``: lamindb's default length; the constructor refuses longer
  strings before the database is asked.

Anything else is passed on to :func:`sqlalchemy.orm.mapped_column` (``comment=...``,
``doc=...``), so plain ``mapped_column`` and these helpers mix freely in one registry.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.orm import MappedColumn, mapped_column

from .errors import InvalidArgument
from .models.types import JSONType, UTCDateTime

CASCADE: Final = "CASCADE"
"""``on_delete=CASCADE``: rows referring to a deleted row are deleted with it."""
PROTECT: Final = "PROTECT"
"""``on_delete=PROTECT`` (the default): a referenced row cannot be deleted permanently."""
SET_NULL: Final = "SET_NULL"
"""``on_delete=SET_NULL``: the reference becomes NULL (needs a nullable column)."""

_ON_DELETE = {CASCADE: "CASCADE", PROTECT: "RESTRICT", "RESTRICT": "RESTRICT", SET_NULL: "SET NULL"}

__all__ = [
    "CASCADE",
    "PROTECT",
    "SET_NULL",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "DateTimeField",
    "FloatField",
    "ForeignKey",
    "IntegerField",
    "JSONField",
    "TextField",
]


def _server_default(value: Any) -> Any:
    """The server default matching a literal Python default, or None."""
    if isinstance(value, bool):
        return sa.true() if value else sa.false()
    if isinstance(value, int | float):
        return sa.text(repr(value))
    if isinstance(value, str):
        return value
    return None


def _column(
    *args: Any,
    null: bool | None,
    db_index: bool,
    unique: bool,
    default: Any,
    **kw: Any,
) -> MappedColumn[Any]:
    if null is not None:
        kw["nullable"] = null
    if default is not None:
        kw["default"] = default
        server_default = _server_default(default)
        if server_default is not None:
            kw.setdefault("server_default", server_default)
    if db_index:
        kw["index"] = True
    if unique:
        kw["unique"] = True
    return mapped_column(*args, **kw)


def CharField(
    max_length: int = 255,
    *,
    null: bool | None = None,
    db_index: bool = False,
    unique: bool = False,
    default: str | None = None,
    **kw: Any,
) -> MappedColumn[Any]:
    """A ``VARCHAR(max_length)`` column (lamindb's ``CharField``, 255 characters by default)."""
    if not isinstance(max_length, int) or isinstance(max_length, bool) or max_length < 1:
        raise InvalidArgument(f"max_length must be a positive integer, got {max_length!r}")
    return _column(
        sa.String(max_length), null=null, db_index=db_index, unique=unique, default=default, **kw
    )


def TextField(
    *,
    null: bool | None = None,
    db_index: bool = False,
    unique: bool = False,
    default: str | None = None,
    **kw: Any,
) -> MappedColumn[Any]:
    """A ``TEXT`` column of unlimited length."""
    return _column(sa.Text, null=null, db_index=db_index, unique=unique, default=default, **kw)


def BooleanField(
    *,
    null: bool | None = None,
    db_index: bool = False,
    default: bool | None = None,
    **kw: Any,
) -> MappedColumn[Any]:
    """A ``BOOLEAN`` column."""
    return _column(sa.Boolean, null=null, db_index=db_index, unique=False, default=default, **kw)


def IntegerField(
    *,
    null: bool | None = None,
    db_index: bool = False,
    unique: bool = False,
    default: int | None = None,
    **kw: Any,
) -> MappedColumn[Any]:
    """A 32-bit ``INTEGER`` column (the constructor refuses values outside its range)."""
    return _column(sa.Integer, null=null, db_index=db_index, unique=unique, default=default, **kw)


def BigIntegerField(
    *,
    null: bool | None = None,
    db_index: bool = False,
    unique: bool = False,
    default: int | None = None,
    **kw: Any,
) -> MappedColumn[Any]:
    """A 64-bit ``BIGINT`` column."""
    return _column(
        sa.BigInteger, null=null, db_index=db_index, unique=unique, default=default, **kw
    )


def FloatField(
    *,
    null: bool | None = None,
    db_index: bool = False,
    unique: bool = False,
    default: float | None = None,
    **kw: Any,
) -> MappedColumn[Any]:
    """A double-precision floating point column."""
    return _column(
        sa.Float(precision=53), null=null, db_index=db_index, unique=unique, default=default, **kw
    )


def DateTimeField(
    *,
    null: bool | None = None,
    db_index: bool = False,
    unique: bool = False,
    default: Any = None,
    **kw: Any,
) -> MappedColumn[Any]:
    """A timezone-aware timestamp, stored in UTC and read back in UTC on either backend.

    ``default`` may be a callable (``default=lr.models.types.utcnow``) or a datetime; naive
    datetimes are taken as UTC.
    """
    if isinstance(default, dt.datetime) and default.tzinfo is None:
        default = default.replace(tzinfo=dt.UTC)
    return _column(
        UTCDateTime, null=null, db_index=db_index, unique=unique, default=default, **kw
    )


def JSONField(
    *,
    null: bool | None = None,
    db_index: bool = False,
    default: Any = None,
    **kw: Any,
) -> MappedColumn[Any]:
    """A JSON column: ``jsonb`` on PostgreSQL, ``JSON`` (text) on SQLite.

    A mutable ``default`` (a dict or list) is copied for every new record.
    """
    if isinstance(default, dict | list):
        template = default
        default = lambda: _copy_json(template)  # noqa: E731 - one expression
    return _column(JSONType, null=null, db_index=db_index, unique=False, default=default, **kw)


def _copy_json(value: Any) -> Any:
    import copy

    return copy.deepcopy(value)


def ForeignKey(
    to: type[Any] | str,
    on_delete: str = PROTECT,
    *,
    null: bool | None = None,
    db_index: bool = True,
    unique: bool = False,
    **kw: Any,
) -> MappedColumn[Any]:
    """A column referring to ``to``'s primary key; declare it as ``<name>_id``.

    ``to`` is a registry class (``lr.ULabel``, your own) or a table name
    (``"myapp_protocol"``, for a registry defined further down). The column takes the type of
    the referenced key (``BIGINT`` for ``lr.Run``). ``on_delete``: :data:`PROTECT` (default;
    a permanent delete of a referenced row raises ``IntegrityError``), :data:`CASCADE` or
    :data:`SET_NULL`. Declare the relationship next to it, as usual in SQLAlchemy::

        protocol_id: Mapped[int | None] = fields.ForeignKey(Protocol, on_delete=fields.SET_NULL)
        protocol: Mapped[Protocol | None] = relationship()
    """
    ondelete = _ON_DELETE.get(on_delete.upper() if isinstance(on_delete, str) else on_delete)
    if ondelete is None:
        raise InvalidArgument(
            f"on_delete must be one of {', '.join(sorted(_ON_DELETE))}, got {on_delete!r}"
        )
    if ondelete == "SET NULL" and null is False:
        raise InvalidArgument("on_delete=SET_NULL needs a nullable column (null=True)")
    args: list[Any] = []
    if isinstance(to, str):
        target = to if "." in to else f"{to}.id"
    else:
        table = getattr(to, "__table__", None)
        if not isinstance(table, sa.Table) or len(table.primary_key.columns) != 1:
            raise InvalidArgument(
                f"ForeignKey() takes a mapped registry class or a table name, got {to!r}"
            )
        key = next(iter(table.primary_key.columns))
        target = f"{table.fullname}.{key.name}"
        args.append(key.type)
    return _column(
        *args,
        sa.ForeignKey(target, ondelete=ondelete),
        null=null,
        db_index=db_index,
        unique=unique,
        default=None,
        **kw,
    )
