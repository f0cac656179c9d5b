"""Driver errors translated into lamin_registry errors that say what went wrong."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy.exc as sa_exc

from .errors import BranchAlreadyExists, IntegrityError, InvalidArgument, LaminRegistryError

_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (?P<what>[^\n(]+)")
_PG_UNIQUE = re.compile(r'unique constraint "(?P<name>[^"]+)"')
# the unique index on lower(lamindb_branch.name): both backends name it in their message
_BRANCH_NAME_INDEX = "unique_branch_name_lower"
_PG_DETAIL = re.compile(r"DETAIL:\s*(?P<detail>[^\n]+)")


def _first_line(error: BaseException) -> str:
    original = getattr(error, "orig", None) or error
    return str(original).strip().splitlines()[0] if str(original).strip() else repr(original)


def describe_integrity_error(error: sa_exc.IntegrityError) -> str:
    """A one-paragraph account of a constraint violation, from either backend's message."""
    text = str(getattr(error, "orig", error))
    unique = _SQLITE_UNIQUE.search(text)
    if unique:
        return f"UNIQUE constraint failed: {unique.group('what').strip()}"
    unique = _PG_UNIQUE.search(text)
    if unique:
        detail = _PG_DETAIL.search(text)
        suffix = f" ({detail.group('detail').strip()})" if detail else ""
        return f"UNIQUE constraint failed: index '{unique.group('name')}'{suffix}"
    if "FOREIGN KEY" in text.upper():
        detail = _PG_DETAIL.search(text)
        suffix = f" ({detail.group('detail').strip()})" if detail else ""
        return f"FOREIGN KEY constraint failed{suffix}"
    return _first_line(error)


def unique_column(error: sa_exc.IntegrityError) -> str | None:
    """The column named by a unique violation (``uid``, ``root``, ...), if one can be told."""
    text = str(getattr(error, "orig", error))
    match = _SQLITE_UNIQUE.search(text)
    if match:
        columns = [part.strip().split(".")[-1] for part in match.group("what").split(",")]
        return columns[0] if len(columns) == 1 else None
    match = re.search(r"Key \((?P<cols>[^)]+)\)=", text)
    if match and "," not in match.group("cols"):
        return match.group("cols").strip()
    return None


@contextmanager
def translated(action: str) -> Iterator[None]:
    """Re-raise driver errors met while doing ``action`` as lamin_registry errors."""
    try:
        yield
    except LaminRegistryError:
        raise
    except sa_exc.IntegrityError as error:
        if _BRANCH_NAME_INDEX in str(getattr(error, "orig", error)):
            raise BranchAlreadyExists(
                f"{action}: a branch of that name already exists (names compare case-insensitively)"
            ) from error
        raise IntegrityError(f"{action}: {describe_integrity_error(error)}") from error
    except (sa_exc.DataError, sa_exc.ProgrammingError) as error:
        raise InvalidArgument(f"{action}: {_first_line(error)}") from error
    except sa_exc.StatementError as error:
        if isinstance(error, sa_exc.OperationalError):
            raise
        raise InvalidArgument(f"{action}: {_first_line(error)}") from error
