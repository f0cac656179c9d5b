"""The error classes of lamin_registry.

Every mistake a user can make (a bad field, a bad value, a duplicate, a missing row, a
forbidden write) surfaces as one of these classes, never as a raw driver or SQLAlchemy error.
All derive from :class:`LaminRegistryError`, so ``except LaminRegistryError`` catches them all.
"""

from __future__ import annotations


class LaminRegistryError(Exception):
    """Base class of every error raised by lamin_registry."""


class DoesNotExist(LaminRegistryError):
    """No record matches the given id, uid or expressions."""


class MultipleResultsFound(LaminRegistryError):
    """More than one record matches where exactly one was expected."""


class InvalidArgument(LaminRegistryError, ValueError, TypeError):
    """An argument is not understood: unknown field, unknown lookup, wrong value type, a
    class-only method called on a record.

    A ``ValueError`` and a ``TypeError``: lamindb raises one or the other for these
    mistakes, and ``except ValueError`` / ``except TypeError`` written for lamindb keeps
    working.
    """


class FieldValidationError(LaminRegistryError, TypeError, ValueError):
    """A constructor got unknown, positional or missing arguments, or an invalid field value.

    A ``TypeError`` and a ``ValueError``, as lamindb raises both for these (a bad
    ``Transform(key="a/../b")`` or ``version=0`` is a ``ValueError`` there).
    """


class ValidationError(LaminRegistryError, ValueError):
    """A value breaks a registry rule (uid length, synonym syntax or conflict, dtype)."""


class NoWriteAccess(LaminRegistryError, PermissionError):
    """The acting user may not create, change, move or delete this record."""


class NoActiveSession(LaminRegistryError, RuntimeError):
    """Record-level sugar was used outside ``with inst.session():``."""


class SchemaOutOfDate(LaminRegistryError, RuntimeError):
    """The database schema does not match this version of lamin_registry."""


class IntegrityError(LaminRegistryError):
    """A write would break a database constraint (uniqueness, a protected reference)."""


class BranchAlreadyExists(IntegrityError):
    """A branch with this name (case-insensitively) exists already (lamindb's
    ``lamindb.errors.BranchAlreadyExists``)."""


class DatabaseLocked(LaminRegistryError, TimeoutError):
    """SQLite: another session or process held the write lock longer than the busy timeout."""


class ConcurrentWrite(LaminRegistryError, RuntimeError):
    """Another session wrote at the same time and this transaction cannot go on: retryable.

    SQLite: a session that read first and then wrote inside a savepoint it opened itself
    (elsewhere the session takes the write lock before its first write) found the database
    changed or locked by another writer. PostgreSQL: a deadlock or serialization failure.
    Nothing of the session was written. Recipe: leave the ``with inst.session()`` block (it
    rolls back) and run it again::

        for attempt in range(5):
            try:
                with inst.session() as repo:
                    ...
                break
            except lr.errors.ConcurrentWrite:
                time.sleep(0.05 * 2**attempt)
    """


class StorageFull(LaminRegistryError, OSError):
    """SQLite: the disk, or the database's size limit, has no room for a write."""


__all__ = [
    "BranchAlreadyExists",
    "ConcurrentWrite",
    "DatabaseLocked",
    "DoesNotExist",
    "FieldValidationError",
    "IntegrityError",
    "InvalidArgument",
    "LaminRegistryError",
    "MultipleResultsFound",
    "NoActiveSession",
    "NoWriteAccess",
    "SchemaOutOfDate",
    "StorageFull",
    "ValidationError",
]
