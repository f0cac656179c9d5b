"""Messages a user meets while setting up: masked passwords, missing drivers, bad paths and files.

* :func:`mask_passwords` hides every password of a database URL in a message as ``***``
  (``connect`` errors, missing-driver messages, the command line, log lines);
* :func:`missing_driver` names the extra that installs a missing driver
  (``pip install 'lamin_registry[postgres]'``, ``[async]``);
* :func:`require_url` refuses a plain path such as ``"registry.db"`` and says which URL to
  write instead (``sqlite:///registry.db``);
* :func:`translate_sqlite_errors` turns SQLite's "database or disk is full" into
  :class:`~lamin_registry.errors.StorageFull` and "file is not a database" into
  :class:`~lamin_registry.errors.InvalidArgument`, both naming the file.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from .errors import InvalidArgument, SchemaOutOfDate, StorageFull

MASK = "***"

# ``scheme://user:password@host`` anywhere in a text (also inside quotes or reprs)
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@'\"]*:)[^\s@'\"]*@")
# ``password=secret`` / ``password: secret`` (libpq connection strings, driver messages)
_KEYWORD_PASSWORD = re.compile(
    r"(?P<head>\bpassword\s*[=:]\s*)(?P<quote>['\"]?)[^\s'\"]+(?P=quote)", re.IGNORECASE
)

__all__ = [
    "MASK",
    "PASSWORD_FILTER",
    "mask_passwords",
    "missing_driver",
    "require_existing_sqlite_file",
    "require_url",
    "shown_url",
    "sqlite_file",
    "translate_sqlite_errors",
]


def _password(url: str | sa.URL | None) -> str | None:
    if url is None:
        return None
    try:
        password = sa.make_url(url).password
    except (sa.exc.ArgumentError, ValueError, TypeError):
        return None
    return str(password) if password else None


def mask_passwords(text: str, *urls: str | sa.URL | None) -> str:
    """``text`` with every password shown as ``***``: those inside URLs
    (``scheme://user:password@``), ``password=...`` pairs, and, written on their own, the
    passwords of ``urls`` when they are long enough (8+ characters) not to be a common word.
    """
    text = _URL_PASSWORD.sub(lambda m: f"{m.group('head')}{MASK}@", text)
    text = _KEYWORD_PASSWORD.sub(lambda m: f"{m.group('head')}{MASK}", text)
    for url in urls:
        password = _password(url)
        if password and len(password) >= 8:
            from urllib.parse import quote_plus

            for spelling in {password, quote_plus(password)}:
                text = text.replace(spelling, MASK)
    return text


def shown_url(url: str | sa.URL) -> str:
    """``url`` as a string with its password shown as ``***`` (even when it does not parse)."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except (sa.exc.ArgumentError, ValueError, TypeError):
        return mask_passwords(str(url))


class PasswordFilter(logging.Filter):
    """Masks URL passwords in every record it sees: it sits on the ``lamin_registry`` logger
    (every log line of the library) and on the command line's ``-v`` handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_passwords(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


PASSWORD_FILTER = PasswordFilter()
logging.getLogger("lamin_registry").addFilter(PASSWORD_FILTER)


# -- URLs and drivers --------------------------------------------------------------------------


def require_url(url: str | sa.URL) -> None:
    """Refuse a value that is no URL (``"registry.db"``), saying which URL to write instead.

    A plain path is not taken for a SQLite file: ``lr.using("prod")`` and the command line
    read names without ``://`` as named instances, and one rule for all is easier to
    remember. The message spells out the ``sqlite:///`` URL of that path.
    """
    if isinstance(url, sa.URL) or "://" in url:
        return
    path = Path(url).expanduser()
    suggestion = f"sqlite:///{path}"  # an absolute path adds the fourth slash itself
    raise InvalidArgument(
        f"{url!r} is not a database URL. For a SQLite file write {suggestion!r} "
        "(three slashes, then the path: sqlite:////abs/path.db for an absolute one); for "
        "PostgreSQL postgresql+psycopg://user:password@host/db."
    )


def sqlite_file(url: str | sa.URL) -> Path | None:
    """The file a SQLite URL names; None for another backend, in-memory or ``file:`` URIs."""
    try:
        parsed = sa.make_url(url)
    except (sa.exc.ArgumentError, ValueError, TypeError):
        return None
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        return None
    return Path(database).expanduser()


def require_existing_sqlite_file(url: str | sa.URL, why: str) -> None:
    """Refuse a SQLite URL whose file does not exist (the driver would create it empty).

    ``SchemaOutOfDate``, as for an existing database without the schema (what
    ``connect(migrate=False)`` raises there), saying that the file is missing.
    """
    require_url(url)
    path = sqlite_file(url)
    if path is not None and not path.is_file():
        raise SchemaOutOfDate(
            f"The SQLite database {str(path)!r} does not exist ({why}). Create it with "
            f"lr.connect({shown_url(url)!r}) or `lamin-registry init {shown_url(url)}`, or "
            "check the path."
        )


_EXTRAS = {
    "psycopg": "postgres",
    "psycopg_binary": "postgres",
    "psycopg2": "postgres",
    "aiosqlite": "async",
    "greenlet": "async",
    "asyncpg": "async",
}


def _module_name(error: BaseException) -> str | None:
    name = getattr(error, "name", None)
    if isinstance(name, str) and name:
        return name.split(".")[0]
    match = re.search(r"No module named '([^'.]+)", str(error))
    if match:
        return match.group(1)
    if "greenlet" in str(error):
        return "greenlet"
    return None


def _cannot_use(shown: str) -> str:
    return f"Cannot use database URL {shown!r}: " if shown else ""


def missing_driver(url: str | sa.URL | None, error: BaseException) -> InvalidArgument:
    """The error for a database driver (or greenlet) that is not installed, naming the extra."""
    shown = shown_url(url) if url is not None else ""
    module = _module_name(error)
    extra = _EXTRAS.get(module or "")
    if module == "psycopg2":
        return InvalidArgument(
            f"{_cannot_use(shown)}it names the psycopg2 driver, which is not "
            "installed. lamin_registry uses psycopg 3: write postgresql+psycopg://... and "
            "install it with `pip install 'lamin_registry[postgres]'`."
        )
    if extra == "async":
        also = (
            " (and `lamin_registry[postgres]` for PostgreSQL: `pip install "
            "'lamin_registry[postgres,async]'`)"
        )
        return InvalidArgument(
            f"{_cannot_use(shown)}the module {module!r} that "
            "lr.connect_async needs is not installed; install it with `pip install "
            f"'lamin_registry[async]'`{also if module != 'aiosqlite' else ''}."
        )
    if extra == "postgres":
        return InvalidArgument(
            f"{_cannot_use(shown)}the PostgreSQL driver {module!r} is not "
            "installed; install it with `pip install 'lamin_registry[postgres]'`."
        )
    detail = mask_passwords(str(error), url)
    return InvalidArgument(f"{_cannot_use(shown)}a module is missing: {detail}")


# -- SQLite files --------------------------------------------------------------------------


def _sqlite_file(engine: sa.Engine) -> str:
    database = engine.url.database
    if not database or database == ":memory:":
        return ":memory:"
    return str(Path(database).expanduser().absolute())


_FULL = "lamin_registry.disk_full"  # connection.info: SQLite rolled back on a full disk


def translate_sqlite_errors(engine: sa.Engine) -> None:
    """Raise lamin_registry errors naming the file for a full disk and a non-database file.

    ``database or disk is full`` (no room on the disk, or ``PRAGMA max_page_count`` reached):
    :class:`StorageFull`; the failed transaction was rolled back, nothing earlier was lost.
    ``file is not a database`` / ``database disk image is malformed``: :class:`InvalidArgument`
    naming the path (the driver's message does not).
    """
    from sqlalchemy import event

    @event.listens_for(engine, "handle_error")
    def _on_error(context: sa.engine.ExceptionContext) -> Any:
        message = str(context.original_exception)
        path = _sqlite_file(engine)
        info = context.connection.info if context.connection is not None else {}
        full = "database or disk is full" in message
        # SQLite rolls the whole transaction back when the disk is full, so the savepoint
        # that a bulk save then releases is gone: report the full disk, not that.
        if full or ("no such savepoint" in message and info.pop(_FULL, False)):
            if full:
                info[_FULL] = True
            raise StorageFull(
                f"The SQLite database {path!r} is full: the disk (or the database's size "
                "limit) has no room for this write. The transaction was rolled back; what was "
                "committed before is intact. Free some space and try again."
            ) from context.sqlalchemy_exception
        if "file is not a database" in message or "disk image is malformed" in message:
            raise InvalidArgument(
                f"The file {path!r} is not a SQLite database, or it is corrupted "
                f"(SQLite: {message}). Check the path of the URL, or restore the file from a "
                "backup."
            ) from context.sqlalchemy_exception
        return None
