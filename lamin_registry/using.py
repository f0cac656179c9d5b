"""Reading another instance: ``inst.using(url_or_name)`` and ``repo.using(url_or_name)``.

lamindb's ``ULabel.using("laminlabs/cellxgene")`` queries someone else's instance. Here the
other instance is opened *for reading only*:

- it is never migrated or seeded (its schema must be at this library's head revision,
  else ``SchemaOutOfDate``), so reading cannot change a database someone else runs;
- the connections are read-only at the database level too (PostgreSQL
  ``default_transaction_read_only``, SQLite ``PRAGMA query_only`` with deferred ``BEGIN``, so
  a reader never holds the write lock);
- the repository acts as the user with the *same handle* in the other instance (their spaces
  and grants there apply); a handle unknown there reads as an unregistered user, who sees
  what every user sees (space ``all``), and is not registered;
- every write method raises ``NoWriteAccess``; records read there carry a mark, and attaching
  one to another session (``repo.save(foreign)``, ``session.add(foreign)``) raises
  ``InvalidArgument`` instead of writing the other database's row into this one.

Engines are cached per URL: an ``Instance`` keeps the read instances it opened and
``inst.close()`` disposes of them; ``repo.using`` inside ``inst.session()`` shares that cache.
A bare ``lr.Repository(session)`` shares one process-wide cache (:func:`close_shared`, also
run at exit). A repository's read sessions are closed whenever its own transaction ends
(commit, rollback, close); records read through them stay loaded but detached, so load the
relationships you need inside the block.
"""

from __future__ import annotations

import atexit
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from . import config
from .errors import InvalidArgument, LaminRegistryError, NoWriteAccess, SchemaOutOfDate
from .instance import Instance, configure_postgresql_engine, configure_sqlite_engine
from .models.base import BaseSQLRecord
from .models.core import User
from .repository import READ_FROM_MARK, Repository

INSTANCE_KEY = "lamin_registry.instance"
"""``session.info`` key: the :class:`Instance` whose ``session()`` opened the session."""

READ_FROM_KEY = "lamin_registry.read_from"
"""``session.info`` key of a read session: the URL (password hidden) it reads."""

_OTHERS_KEY = "lamin_registry.using"
_MARK = READ_FROM_MARK  # attribute on records loaded by a read session
UNREGISTERED_USER_ID = 0  # no row has id 0: an unknown handle has no roles anywhere

__all__ = [
    "INSTANCE_KEY",
    "READ_FROM_KEY",
    "ReadOnlyInstance",
    "ReadOnlyRepository",
    "cache_key",
    "check_attachable",
    "close_shared",
    "configure_sqlite_reader",
    "create_read_engine",
    "instance_using",
    "open_read_instance",
    "repository_using",
]


# -- engines -------------------------------------------------------------------------------------


def configure_sqlite_reader(engine: sa.Engine) -> None:
    """SQLite pragmas for a reader: no write lock, no writes, and no WAL switch (a write)."""
    configure_sqlite_engine(engine, read_only=True)


def read_target(url: str | sa.URL, kwargs: dict[str, Any]) -> tuple[sa.URL, dict[str, Any]]:
    """The parsed URL and engine arguments of a read-only engine (sync or async).

    A SQLite file must exist already: opening a missing file would create an empty one.
    """
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as error:
        raise InvalidArgument(f"Cannot use database URL {str(url)!r}: {error}") from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise InvalidArgument(f"lamin_registry supports SQLite and PostgreSQL, not {backend}")
    database = parsed.database or ""
    is_file = backend == "sqlite" and database not in ("", ":memory:")
    if is_file and not database.startswith("file:") and not Path(database).expanduser().is_file():
        raise InvalidArgument(
            f"No SQLite database at {database!r}; using() reads existing instances only "
            "(create one with lr.connect(url))"
        )
    kwargs = dict(kwargs)
    if backend == "postgresql":
        connect_args = dict(kwargs.pop("connect_args", {}))
        if parsed.get_driver_name() == "asyncpg":
            settings = dict(connect_args.get("server_settings", {}))
            settings["default_transaction_read_only"] = "on"
            connect_args["server_settings"] = settings
        else:
            options = connect_args.get("options", "")
            connect_args["options"] = f"{options} -c default_transaction_read_only=on".strip()
        kwargs["connect_args"] = connect_args
    return parsed, kwargs


def create_read_engine(url: str | sa.URL, **kwargs: Any) -> sa.Engine:
    """An engine whose connections cannot write (see the module docstring)."""
    parsed, kwargs = read_target(url, kwargs)
    try:
        engine = sa.create_engine(parsed, **kwargs)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as error:
        shown = config.hide_password(url)
        raise InvalidArgument(f"Cannot use database URL {shown!r}: {error}") from None
    if engine.dialect.name == "sqlite":
        configure_sqlite_reader(engine)
    else:
        configure_postgresql_engine(engine)
    return engine


def check_revision(engine_url: sa.URL, current: str | None) -> None:
    """``SchemaOutOfDate`` unless ``current`` (the database's revision) is this library's head."""
    from . import migrate as migrations

    shown = engine_url.render_as_string(hide_password=True)
    head = migrations.HEAD
    if current is None:
        raise SchemaOutOfDate(
            f"{shown} has no lamin_registry schema; using() reads existing instances only "
            "(create one with lr.connect(url))."
        )
    if current != head and migrations.is_newer(current):
        raise SchemaOutOfDate(migrations.newer_schema_message(shown, current))
    if current != head:
        raise SchemaOutOfDate(
            f"The schema of {shown} is at revision {current!r}, this version of "
            f"lamin_registry reads {head!r}. using() never upgrades another instance; its "
            "owner can run `lamin-registry upgrade` (or lr.migrate.upgrade(url))."
        )


def cannot_connect(engine_url: sa.URL, error: BaseException) -> InvalidArgument:
    """The error for an unreachable database (the driver's message, password hidden)."""
    from .diagnostics import mask_passwords

    shown = engine_url.render_as_string(hide_password=True)
    detail = getattr(error, "orig", None) or error
    return InvalidArgument(mask_passwords(f"Cannot connect to {shown}: {detail}", engine_url))


CONNECT_ERRORS = (sa.exc.OperationalError, sa.exc.InterfaceError, OSError)


def _check_schema(engine: sa.Engine) -> None:
    from . import migrate as migrations

    try:
        with engine.connect() as connection:
            current = migrations.stored_revision(connection)
    except LaminRegistryError:
        raise
    except CONNECT_ERRORS as error:
        raise cannot_connect(engine.url, error) from None
    check_revision(engine.url, current)


def open_read_instance(url_or_name: str | sa.URL, user: str) -> ReadOnlyInstance:
    """A new read-only instance for a URL or instance name (see :func:`config.resolve`)."""
    url = config.resolve(url_or_name)
    engine = create_read_engine(url)
    try:
        _check_schema(engine)
    except BaseException:
        engine.dispose()
        raise
    return ReadOnlyInstance(engine, user)


def cache_key(url_or_name: str | sa.URL) -> str:
    """The resolved URL as a string: names and URLs of one instance share an engine."""
    resolved = config.resolve(url_or_name)
    try:
        return sa.make_url(resolved).render_as_string(hide_password=False)
    except sa.exc.ArgumentError as error:
        raise InvalidArgument(f"Cannot use database URL {str(resolved)!r}: {error}") from None


def _cached(cache: dict[str, ReadOnlyInstance], url_or_name: str | sa.URL, user: str) -> Any:
    """The cached read instance of that URL, opened (as ``user``) on first use.

    ``repo.using`` only borrows its engine and acts as the repository's own user.
    """
    key = cache_key(url_or_name)
    found = cache.get(key)
    if found is None:
        found = cache[key] = open_read_instance(key, user)
    return found


# -- instances -----------------------------------------------------------------------------------


class ReadOnlyInstance(Instance):
    """Another instance opened for reading: ``session()`` yields a :class:`ReadOnlyRepository`.

    Its sessions never commit (they roll back at the end of the block).
    """

    @contextmanager
    def session(self, user: str | None = None) -> Iterator[ReadOnlyRepository]:
        """A read-only repository over a new session of the other instance."""
        with self._sessions() as session:
            repo = ReadOnlyRepository(session, user=user or self.user)
            with repo:
                try:
                    yield repo
                finally:
                    session.rollback()

    def __repr__(self) -> str:
        url = self.engine.url.render_as_string(hide_password=True)
        return f"ReadOnlyInstance({url!r}, user={self.user!r})"


def instance_using(inst: Instance, url_or_name: str | sa.URL) -> ReadOnlyInstance:
    """``inst.using(url_or_name)``: the cached read-only instance for that URL or name."""
    cache: dict[str, ReadOnlyInstance] = inst._using
    found: ReadOnlyInstance = _cached(cache, url_or_name, inst.user)
    return found


_shared: dict[str, ReadOnlyInstance] = {}


def close_shared() -> None:
    """Dispose of the engines opened by ``repo.using`` on repositories without an Instance."""
    while _shared:
        _, inst = _shared.popitem()
        inst.close()


atexit.register(close_shared)


# -- repositories --------------------------------------------------------------------------------


READ_ANYTHING = False
"""Whether any record was read through ``using()`` in this process (see ``_check_related``)."""


def _mark_loaded(session: Session, instance: object) -> None:
    global READ_ANYTHING
    if isinstance(instance, BaseSQLRecord):
        instance.__dict__[_MARK] = session.info[READ_FROM_KEY]
        READ_ANYTHING = True


def _refuse_flush(session: Session, flush_context: object, instances: object) -> None:
    if session.new or session.dirty or session.deleted:
        raise NoWriteAccess(
            f"This session reads {session.info[READ_FROM_KEY]} through using(), which is "
            "read-only; connect to it with lr.connect(url) to write there"
        )


def check_attachable(session: Session, record: object) -> None:
    """Refuse attaching a record read through ``using()`` to any other session."""
    source = getattr(record, "__dict__", {}).get(_MARK)
    if source is not None and session.info.get(READ_FROM_KEY) != source:
        raise InvalidArgument(
            f"{type(record).__name__} {getattr(record, 'uid', '')!r} was read from {source} "
            "through using(); it cannot be saved, refreshed or linked in another instance. "
            "Create a new record with the same fields instead."
        )


@event.listens_for(Session, "before_attach")
def _before_attach(session: Session, instance: object) -> None:
    check_attachable(session, instance)


class ReadOnlyRepository(Repository):
    """A :class:`Repository` over a session of another instance that refuses every write.

    Queries, ``get``, ``to_dataframe``, search and curation work as usual (visibility by
    branch and space included); ``switch_branch`` reads a named branch of that instance.
    """

    def __init__(self, session: Session, user: str | User | None = None) -> None:
        source = session.get_bind().engine.url.render_as_string(hide_password=True)
        session.info[READ_FROM_KEY] = source
        event.listen(session, "loaded_as_persistent", _mark_loaded)
        event.listen(session, "before_flush", _refuse_flush, insert=True)
        super().__init__(session, user)

    @property
    def user_id(self) -> int:
        """The id of the user this repository acts as there (0: not registered there)."""
        return self._user_id

    def _resolve_user(self, user: str | User | None) -> User:
        """The user with the same handle there; never registers one."""
        handle = user.handle if isinstance(user, User) else user
        if handle is None:
            found = self.session.get(User, 1)
        elif not isinstance(handle, str) or not handle:
            raise InvalidArgument(f"user must be a handle (str) or a User, got {user!r}")
        else:
            found = self.session.scalars(sa.select(User).where(User.handle == handle)).first()
        if found is None:
            found = User(handle=handle or "anonymous")
            found.id = UNREGISTERED_USER_ID
        self._user_id = int(found.id)  # a rollback expires the User; reads still need the id
        return found

    @property
    def source(self) -> str:
        """The URL (password hidden) of the instance this repository reads."""
        return str(self.session.info[READ_FROM_KEY])

    def __repr__(self) -> str:
        return f"<ReadOnlyRepository {self.source} user={self.user.handle!r}>"

    def close(self) -> None:
        """Close the session (records stay loaded, detached); the repository can be reused."""
        self.session.close()

    def __exit__(self, *exc_info: object) -> None:
        """Leave the block (no longer the active repository) and close the session."""
        super().__exit__(*exc_info)
        if not self._tokens:
            self.session.rollback()
            self.close()

    def _refuse(self, action: str) -> NoReturn:
        raise NoWriteAccess(
            f"Cannot {action}: this repository reads {self.source} through using(), which is "
            "read-only; connect to it with lr.connect(url) to write there"
        )


WRITES = {
    "save": "save",
    "delete": "delete",
    "restore": "restore",
    "archive": "archive",
    "get_or_create_feature_value": "create feature values",
    "add_feature_values": "annotate records with features",
    "add_block": "attach blocks to records",
    "set_feature_values": "annotate records with features",
    "update_feature_values": "annotate records with features",
    "remove_feature_values": "remove feature values",
    "track": "track a run",
    "grant": "grant",
    "revoke": "revoke",
    "create_branch": "create a branch",
    "merge_branch": "merge a branch",
    "add_synonym": "add a synonym",
    "remove_synonym": "remove a synonym",
    "set_abbr": "set an abbreviation",
    "add_related": "link records",
    "remove_related": "unlink records",
    "set_related": "link records",
    "clear_related": "unlink records",
}
"""Every Repository method that writes, with what the refusal says (one table, so a new
write method is refused by adding one line; tests/test_using.py checks it is complete)."""


def _refusing(action: str) -> Any:
    def refused(self: ReadOnlyRepository, *args: Any, **kwargs: Any) -> NoReturn:
        self._refuse(action)

    refused.__doc__ = f"Refused: read-only (it would {action})."
    return refused


for _name, _action in WRITES.items():
    setattr(ReadOnlyRepository, _name, _refusing(_action))


def _close_others(session: Session, transaction: Any) -> None:
    """When a repository's own transaction ends, close the read sessions it opened."""
    if transaction.parent is None:
        for other in session.info.get(_OTHERS_KEY, {}).values():
            other.close()


def repository_using(repo: Repository, url_or_name: str | sa.URL) -> ReadOnlyRepository:
    """``repo.using(url_or_name)``: a read-only repository on that instance, same user handle.

    One per URL per repository session, closed whenever that session's transaction ends.
    """
    session = repo.session
    owner = session.info.get(INSTANCE_KEY)
    cache: dict[str, ReadOnlyInstance] = owner._using if isinstance(owner, Instance) else _shared
    other: ReadOnlyInstance = _cached(cache, url_or_name, repo.user.handle)
    others: dict[str, ReadOnlyRepository] = session.info.setdefault(_OTHERS_KEY, {})
    key = cache_key(url_or_name)
    found = others.get(key)
    if found is None or found.session.get_bind() is not other.engine:
        if not others:
            event.listen(session, "after_transaction_end", _close_others)
        found = others[key] = ReadOnlyRepository(
            Session(bind=other.engine, expire_on_commit=False), user=repo.user.handle
        )
    return found
