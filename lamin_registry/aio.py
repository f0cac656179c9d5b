"""Async access: ``lr.connect_async()``, ``AsyncInstance``, ``AsyncRepository``, ``AsyncQuery``.

>>> inst = await lr.connect_async("sqlite:///registry.db", user="alice")
>>> async with inst.session() as arepo:
...     label = await arepo.save(lr.ULabel(name="T cell"))
...     labels = await arepo.filter(lr.ULabel, name__startswith="T").order_by("name").all()

The async repository is a thin layer over the sync :class:`~lamin_registry.Repository`: each
``AsyncSession`` gets one sync ``Repository`` over its ``sync_session`` (created inside
``AsyncSession.run_sync`` and kept for the session's lifetime), and every coroutine runs the sync
method through ``run_sync``. So the async API has exactly the sync API's rules (visibility,
branches, spaces, idempotent saves, bulk inserts, curation) and the same errors.

Lazy loading does not work in async code: a record's columns are loaded when it comes back from
a query or a save, but a relationship (``label.type``, ``label.ulabels``) must be loaded
explicitly, e.g. ``await arepo.refresh(label, ["ulabels"])``. See ``docs/async.md``.

This module imports ``sqlalchemy.ext.asyncio``; ``import lamin_registry`` does not import it
until ``lr.connect_async`` (or another name of this module) is first used.
"""

from __future__ import annotations

import functools
import os
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar, Token
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, NoReturn, TypeVar, overload

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .dberrors import translated
from .errors import InvalidArgument, LaminRegistryError, NoActiveSession

try:
    from sqlalchemy.ext.asyncio import (
        AsyncEngine,
        AsyncSession,
        async_sessionmaker,
        create_async_engine,
    )
except ImportError as _error:  # SQLAlchemy's asyncio layer needs greenlet
    from .diagnostics import missing_driver as _missing_driver

    raise _missing_driver(None, _error) from None
from .instance import (
    DEFAULT_URL,
    URL_ENV,
    USER_ENV,
    configure_postgresql_engine,
    configure_sqlite_engine,
    logger,
    prepare,
)
from .models.base import BaseSQLRecord
from .query.query import Query
from .repository import Repository
from .runs import ErroredRun, write_errored_runs

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from .curation.results import InspectResult, SearchResult
    from .models.core import Space, Team, User
    from .models.features import Feature, FeatureValue
    from .models.tracking import Run, Transform

__all__ = [
    "AsyncInstance",
    "AsyncQuery",
    "AsyncReadOnlyInstance",
    "AsyncRepository",
    "active_async_repository",
    "adelete",
    "arefresh_from_db",
    "asave",
    "async_url",
    "connect_async",
    "current_async_repository",
    "sync_url",
]

T = TypeVar("T")
R = TypeVar("R", bound=BaseSQLRecord)

# -- URLs ------------------------------------------------------------------------------------

_SQLITE_DRIVERS = ("", "pysqlite", "aiosqlite")
_PSYCOPG_DRIVERS = ("", "psycopg", "psycopg2", "psycopg_async")


def _parse(url: str | sa.URL) -> tuple[sa.URL, str, str]:
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as error:
        raise InvalidArgument(f"Cannot use database URL {str(url)!r}: {error}") from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend == "postgres":
        backend = "postgresql"
    if backend not in ("sqlite", "postgresql"):
        raise InvalidArgument(f"lamin_registry supports SQLite and PostgreSQL, not {backend}")
    return parsed, backend, driver


def async_url(url: str | sa.URL) -> sa.URL:
    """The async-driver form of ``url``.

    ``sqlite:///x.db`` -> ``sqlite+aiosqlite:///x.db``; ``postgresql://``,
    ``postgresql+psycopg2://`` -> ``postgresql+psycopg://`` (psycopg 3, which is async-capable
    as is); ``postgresql+asyncpg://`` and already-async URLs are kept.
    """
    parsed, backend, driver = _parse(url)
    if backend == "sqlite":
        if driver not in _SQLITE_DRIVERS:
            raise InvalidArgument(
                f"No async driver for sqlite+{driver}; use sqlite:// or sqlite+aiosqlite://"
            )
        return parsed.set(drivername="sqlite+aiosqlite")
    if driver == "asyncpg":
        return parsed.set(drivername="postgresql+asyncpg")
    if driver not in _PSYCOPG_DRIVERS:
        raise InvalidArgument(
            f"No async driver for postgresql+{driver}; use postgresql+psycopg:// (psycopg 3) "
            "or postgresql+asyncpg://"
        )
    return parsed.set(drivername="postgresql+psycopg")


def sync_url(url: str | sa.URL) -> sa.URL:
    """The sync-driver form of ``url`` (for ``lr.connect``, Alembic, the command line)."""
    parsed, backend, driver = _parse(url)
    if backend == "sqlite":
        return parsed.set(drivername="sqlite")
    if driver not in (*_PSYCOPG_DRIVERS, "asyncpg"):
        raise InvalidArgument(f"Unknown PostgreSQL driver {driver!r}")
    return parsed.set(drivername="postgresql+psycopg")


def create_engine_async(url: str | sa.URL, **kwargs: Any) -> AsyncEngine:
    """An ``AsyncEngine`` configured like :func:`lamin_registry.instance.create_engine`.

    SQLite gets the same pragmas and ``BEGIN IMMEDIATE`` recipe, installed on the engine's
    ``sync_engine`` (aiosqlite's connection adapter accepts ``isolation_level = None`` and
    cursor ``execute`` like pysqlite).
    """
    from .diagnostics import missing_driver, require_url

    require_url(url)
    target = async_url(url)
    try:
        engine = create_async_engine(target, **kwargs)
    except ImportError as error:
        raise missing_driver(target, error) from None
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as error:
        raise InvalidArgument(
            f"Cannot use database URL {target.render_as_string(hide_password=True)!r}: {error}"
        ) from None
    if engine.dialect.name == "sqlite":
        configure_sqlite_engine(engine.sync_engine)
    else:
        configure_postgresql_engine(engine.sync_engine)
    return engine


# -- connecting ------------------------------------------------------------------------------


def _check_sqlite_directory(engine: AsyncEngine) -> None:
    """Refuse a SQLite file in a missing directory before aiosqlite tries to open it.

    sqlite3 cannot create the directory either, and a failed aiosqlite open leaves its worker
    thread to report into an event loop that may be closed by then; checking first gives the
    same ``InvalidArgument`` as ``lr.connect`` without that noise.
    """
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return
    if database.startswith("file:"):
        return  # a SQLite URI; sqlite3 parses it
    directory = Path(database).expanduser().absolute().parent
    if not directory.is_dir():
        shown = engine.url.render_as_string(hide_password=True)
        raise InvalidArgument(f"Cannot connect to {shown}: directory {str(directory)!r} not found")


async def connect_async(
    url: str | sa.URL | None = None,
    *,
    user: str | None = None,
    migrate: bool = True,
    **engine_kwargs: Any,
) -> AsyncInstance:
    """Connect to a lamin_registry database with an async driver: ``await lr.connect_async()``.

    Same rules as :func:`lamin_registry.connect` (URL from ``$LAMIN_REGISTRY_URL``, else
    ``sqlite:///lamin_registry.db``; schema upgrade, or ``SchemaOutOfDate`` with
    ``migrate=False``; seeding). Sync URLs are mapped to an async driver (see
    :func:`async_url`). The upgrade and seeding run on the async engine through ``run_sync``.
    """
    from .diagnostics import mask_passwords, missing_driver, require_existing_sqlite_file

    url = url or os.environ.get(URL_ENV) or DEFAULT_URL
    handle = user or os.environ.get(USER_ENV) or "anonymous"
    if not migrate:
        require_existing_sqlite_file(url, "connect_async(..., migrate=False) never creates one")
    engine = create_engine_async(url, **engine_kwargs)
    _check_sqlite_directory(engine)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(prepare, handle, migrate)
    except LaminRegistryError:
        await engine.dispose()
        raise
    except (sa.exc.OperationalError, sa.exc.InterfaceError, OSError) as error:
        await engine.dispose()
        shown = engine.url.render_as_string(hide_password=True)
        raise InvalidArgument(
            mask_passwords(f"Cannot connect to {shown}: {getattr(error, 'orig', None) or error}")
        ) from None
    except (ImportError, ValueError) as error:  # SQLAlchemy: "the greenlet library is required"
        await engine.dispose()
        if "greenlet" not in str(error) and not isinstance(error, ImportError):
            raise
        raise missing_driver(engine.url, error) from None
    await engine.dispose()  # new connections load the planner statistics
    return AsyncInstance(engine, handle)


class AsyncInstance:
    """A connected database with an async engine: ``async with inst.session() as arepo:``."""

    def __init__(self, engine: AsyncEngine, user: str) -> None:
        self.engine = engine
        self.user = user
        self._sessions = async_sessionmaker(bind=engine, expire_on_commit=False)
        self._using: dict[str, AsyncInstance] = {}  # URL -> read-only instance (using())

    @property
    def url(self) -> sa.URL:
        """The database URL with its async driver (password hidden in ``str()``)."""
        return self.engine.url

    def __repr__(self) -> str:
        url = self.engine.url.render_as_string(hide_password=True)
        return f"AsyncInstance({url!r}, user={self.user!r})"

    @asynccontextmanager
    async def session(self, user: str | None = None) -> AsyncIterator[AsyncRepository]:
        """An async repository over a new ``AsyncSession``.

        Commits on success, rolls back on an exception; inside the block it is the active
        async repository (``await record.asave()``).
        """
        handle = user or self.user
        errored: list[ErroredRun] = []
        try:
            async with self._sessions() as session:
                session.info[INSTANCE_KEY] = self  # arepo.using() shares our engines
                arepo = await AsyncRepository.open(session, user=handle)
                try:
                    async with arepo:
                        try:
                            yield arepo
                        except BaseException:
                            await session.rollback()
                            errored = arepo.sync_repository.errored_runs
                            raise
                        with translated("commit failed"):
                            await session.commit()
                finally:
                    await arepo._close_others()
        finally:
            if errored:  # as Instance.session(): the errored runs outlive the rollback
                await self._keep_errored_runs(handle, errored)

    async def _keep_errored_runs(self, handle: str, errored: list[ErroredRun]) -> None:
        """Write runs that errored in a rolled-back session again (``runs.py``); never raises."""
        try:
            async with self._sessions() as session:
                arepo = await AsyncRepository.open(session, user=handle)
                await arepo.run_sync(lambda repo: write_errored_runs(repo, errored))
                await session.commit()
        except Exception as error:  # the block's own exception is the one to see
            logger.warning("could not keep %d errored run(s): %s", len(errored), error)

    async def using(self, url_or_name: str | sa.URL) -> AsyncInstance:
        """Another instance opened for reading: ``other = await inst.using("prod")``.

        As :meth:`lamin_registry.Instance.using`: never migrated or seeded, read-only
        sessions acting as the same user handle, the engine cached per URL until ``close()``.
        """
        from .using import cache_key

        key = cache_key(url_or_name)
        found = self._using.get(key)
        if found is None:
            found = self._using[key] = await _open_read_instance(key, self.user)
        return found

    async def close(self) -> None:
        """Dispose of the engine's connections, and of the instances ``using()`` opened."""
        while self._using:
            _, other = self._using.popitem()
            await other.close()
        await self.engine.dispose()

    async def __aenter__(self) -> AsyncInstance:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


INSTANCE_KEY = "lamin_registry.instance"  # session.info: the instance that opened it
_OTHERS_KEY = "lamin_registry.using.async"  # session.info: {url: read-only AsyncRepository}


class AsyncReadOnlyInstance(AsyncInstance):
    """Another instance opened for reading; its sessions refuse writes and never commit."""

    @asynccontextmanager
    async def session(self, user: str | None = None) -> AsyncIterator[AsyncRepository]:
        """An async repository over a read-only repository of the other instance."""
        from .using import ReadOnlyRepository

        async with self._sessions() as session:
            repository = await session.run_sync(ReadOnlyRepository, user or self.user)
            arepo = AsyncRepository(session, repository)
            try:
                async with arepo:
                    yield arepo
            finally:
                await session.rollback()

    def __repr__(self) -> str:
        url = self.engine.url.render_as_string(hide_password=True)
        return f"AsyncReadOnlyInstance({url!r}, user={self.user!r})"


async def _open_read_instance(url: str, user: str) -> AsyncReadOnlyInstance:
    """A read-only async instance: checked at this library's head revision, never migrated."""
    from . import migrate as migrations
    from .using import (
        CONNECT_ERRORS,
        cannot_connect,
        check_revision,
        configure_sqlite_reader,
        read_target,
    )

    parsed, kwargs = read_target(sync_url(url).set(drivername=async_url(url).drivername), {})
    try:
        engine = create_async_engine(parsed, **kwargs)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as error:
        shown = parsed.render_as_string(hide_password=True)
        raise InvalidArgument(f"Cannot use database URL {shown!r}: {error}") from None
    if engine.dialect.name == "sqlite":
        configure_sqlite_reader(engine.sync_engine)
    else:
        configure_postgresql_engine(engine.sync_engine)
    try:
        async with engine.connect() as connection:
            current = await connection.run_sync(migrations.stored_revision)
        check_revision(engine.url, current)
    except LaminRegistryError:
        await engine.dispose()
        raise
    except CONNECT_ERRORS as error:
        await engine.dispose()
        raise cannot_connect(engine.url, error) from None
    return AsyncReadOnlyInstance(engine, user)


# -- the active async repository ---------------------------------------------------------------

_active: ContextVar[AsyncRepository | None] = ContextVar(
    "lamin_registry_active_async_repository", default=None
)


def current_async_repository() -> AsyncRepository | None:
    """The active async repository, or None outside any ``async with`` session block."""
    return _active.get()


def active_async_repository() -> AsyncRepository:
    """The repository of the innermost ``async with inst.session():`` / ``async with arepo:``."""
    arepo = _active.get()
    if arepo is None:
        raise NoActiveSession(
            "No active async repository. Open one with `inst = await "
            "lamin_registry.connect_async(url)` and `async with inst.session() as arepo:`, or "
            "wrap your own AsyncSession in `async with await "
            "lamin_registry.AsyncRepository.open(session):`; or call the repository directly, "
            "e.g. `await arepo.save(record)`. In sync code use record.save() inside "
            "`with inst.session():`."
        )
    return arepo


async def asave(record: R) -> R:
    """``await arepo.save(record)`` on the active async repository (``record.asave()``)."""
    return await active_async_repository().save(record)


async def adelete(
    record: BaseSQLRecord, permanent: bool = False
) -> tuple[int, dict[str, int]] | None:
    """``await arepo.delete(record, permanent)`` on the active async repository."""
    return await active_async_repository().delete(record, permanent=permanent)


async def arefresh_from_db(record: BaseSQLRecord, fields: Sequence[str] | None = None) -> None:
    """``await arepo.refresh(record, fields)`` on the active async repository."""
    await active_async_repository().refresh(record, fields)


# -- the async repository ----------------------------------------------------------------------


class AsyncRepository:
    """The :class:`~lamin_registry.Repository` API as coroutines, over one ``AsyncSession``.

    Get one from ``async with inst.session() as arepo:``, or wrap a host application's own
    ``AsyncSession`` with ``arepo = await AsyncRepository.open(session, user="bob")`` (it never
    commits that session; ``async with arepo:`` makes it the active async repository).
    """

    def __init__(self, session: AsyncSession, repository: Repository) -> None:
        if repository.session is not session.sync_session:
            raise InvalidArgument("The repository must wrap the AsyncSession's sync_session")
        self.session = session
        self.sync_repository = repository
        self._tokens: list[Token[AsyncRepository | None]] = []

    @classmethod
    async def open(cls, session: AsyncSession, user: str | User | None = None) -> AsyncRepository:
        """An async repository over ``session`` acting as ``user`` (registered if new)."""
        if not isinstance(session, AsyncSession):
            raise InvalidArgument(f"Expected a SQLAlchemy AsyncSession, got {session!r}")
        repository = await session.run_sync(Repository, user)
        return cls(session, repository)

    async def __aenter__(self) -> AsyncRepository:
        self._tokens.append(_active.set(self))
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        _active.reset(self._tokens.pop())

    def __repr__(self) -> str:
        return f"<AsyncRepository user={self.sync_repository.user.handle!r}>"

    # -- other instances -----------------------------------------------------------------------

    async def using(self, url_or_name: str | sa.URL) -> AsyncRepository:
        """A read-only async repository on another instance, as the same user handle.

        Only for repositories of ``inst.session()`` (the instance caches the engine); its
        session is closed when this repository's ``async with inst.session()`` block ends.
        """
        from .using import cache_key

        owner = self.session.info.get(INSTANCE_KEY)
        if not isinstance(owner, AsyncInstance):
            raise InvalidArgument(
                "AsyncRepository.using() needs a repository of `async with inst.session()`; "
                "for your own AsyncSession use `await (await lr.connect_async(url))"
                ".using(other)`"
            )
        key = cache_key(url_or_name)
        others: dict[str, AsyncRepository] = self.session.info.setdefault(_OTHERS_KEY, {})
        found = others.get(key)
        if found is None:
            from .using import ReadOnlyRepository

            other = await owner.using(key)
            session = AsyncSession(other.engine, expire_on_commit=False)
            repository = await session.run_sync(ReadOnlyRepository, self.user.handle)
            found = others[key] = AsyncRepository(session, repository)
        return found

    async def _close_others(self) -> None:
        for other in self.session.info.pop(_OTHERS_KEY, {}).values():
            await other.session.close()

    # -- identity and state (no I/O) ---------------------------------------------------------

    @property
    def user(self) -> User:
        """The user this repository acts as."""
        return self.sync_repository.user

    @property
    def user_id(self) -> int:
        """The id of the user this repository acts as."""
        return self.sync_repository.user_id

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.sync_repository.dialect

    @property
    def current_branch_id(self) -> int:
        """The branch new records land on (1 main, or a named branch)."""
        return self.sync_repository.current_branch_id

    # -- running sync work ---------------------------------------------------------------------

    async def run_sync(self, fn: Callable[[Repository], T]) -> T:
        """Run ``fn(sync_repository)`` in the session's greenlet; lazy loads work inside.

        The escape hatch for anything the coroutines do not cover, e.g.
        ``await arepo.run_sync(lambda repo: [u.name for u in label.ulabels])``.
        """
        repository = self.sync_repository

        def call(session: Session) -> T:
            with repository:  # the sync sugar works inside fn, as in a sync session
                return fn(repository)

        return await self.session.run_sync(call)

    # -- queries -------------------------------------------------------------------------------

    def filter(self, model: type[R], *conditions: Any, **expressions: Any) -> AsyncQuery[R]:
        """A lazy query of ``model`` records matching every condition (run it with ``await``)."""
        return AsyncQuery(self, self.sync_repository.filter(model, *conditions, **expressions))

    def exclude(self, model: type[R], *conditions: Any, **expressions: Any) -> AsyncQuery[R]:
        """A lazy query of ``model`` records that do not match the conditions."""
        return AsyncQuery(self, self.sync_repository.exclude(model, *conditions, **expressions))

    def related(self, record: BaseSQLRecord, field: str) -> AsyncQuery[Any]:
        """The members of ``record.<field>`` (``await arepo.related(r, "parents").all()``)."""
        return AsyncQuery(self, self.sync_repository.related(record, field))

    async def get(self, model: type[R], idlike: int | str | None = None, **expressions: Any) -> R:
        """One record by id, uid, unique uid prefix, or expressions."""
        return await self.run_sync(lambda repo: repo.get(model, idlike, **expressions))

    async def to_dataframe(
        self,
        model: type[BaseSQLRecord],
        include: str | Sequence[str] | None = None,
        features: bool | Sequence[str] = False,
        limit: int | None = 100,
        order_by: str | None = "-id",
    ) -> pd.DataFrame:
        """The visible records of ``model`` as a DataFrame (index ``id``, newest first)."""
        return await self.run_sync(
            lambda repo: repo.to_dataframe(
                model, include=include, features=features, limit=limit, order_by=order_by
            )
        )

    async def refresh(self, record: BaseSQLRecord, fields: Sequence[str] | None = None) -> None:
        """Reload ``record`` (or only ``fields``, relationships included) from the database."""
        await self.run_sync(lambda repo: repo.refresh(record, fields))

    # -- saving, deleting, moving ----------------------------------------------------------------

    @overload
    async def save(self, records: R) -> R: ...
    @overload
    async def save(self, records: Iterable[R]) -> list[R]: ...

    async def save(self, records: R | Iterable[R]) -> R | list[R]:
        """Insert new records, write changes of existing ones; returns the stored record(s)."""
        target: Any = records
        if not isinstance(target, BaseSQLRecord | str | bytes) and isinstance(target, Iterable):
            target = list(target)  # a generator is consumed here, not in the greenlet
        return await self.run_sync(lambda repo: repo.save(target))

    async def delete(
        self, target: BaseSQLRecord | AsyncQuery[Any] | Query[Any], permanent: bool = False
    ) -> tuple[int, dict[str, int]] | None:
        """Move to trash (branch -1), or remove rows for good with ``permanent=True``; a
        permanent delete of one record returns ``(count, {model label: n})`` as lamindb."""
        unwrapped = _unwrap(target)
        return await self.run_sync(lambda repo: repo.delete(unwrapped, permanent=permanent))

    async def restore(self, target: BaseSQLRecord | AsyncQuery[Any] | Query[Any]) -> None:
        """Move back to main (branch 1)."""
        unwrapped = _unwrap(target)
        await self.run_sync(lambda repo: repo.restore(unwrapped))

    async def archive(self, target: BaseSQLRecord | AsyncQuery[Any] | Query[Any]) -> None:
        """Move to the archive (branch 0): hidden from queries, kept, read-only."""
        unwrapped = _unwrap(target)
        await self.run_sync(lambda repo: repo.archive(unwrapped))

    async def get_or_create_feature_value(
        self, feature: Feature | None, value: Any
    ) -> tuple[FeatureValue, bool]:
        """``(record, existed)``: the FeatureValue of ``feature`` with ``value``'s hash."""
        return await self.run_sync(lambda repo: repo.get_or_create_feature_value(feature, value))

    @asynccontextmanager
    async def track(self, transform: Transform) -> AsyncIterator[Run]:
        """``async with arepo.track(transform) as run:`` -- see ``Repository.track``."""
        manager = self.sync_repository.track(transform)
        run = await self.run_sync(lambda repo: manager.__enter__())
        try:
            yield run
        except BaseException as error:
            error_info = (type(error), error, error.__traceback__)
            suppressed = await self.run_sync(lambda repo: manager.__exit__(*error_info))
            if not suppressed:
                raise
        else:
            await self.run_sync(lambda repo: manager.__exit__(None, None, None))

    # -- spaces and access ---------------------------------------------------------------------

    async def grant(self, grantee: User | Team | str, space: Space | int | str, role: str) -> None:
        """Give a user or team ``read``, ``write`` or ``admin`` on ``space`` (admins only)."""
        await self.run_sync(lambda repo: repo.grant(grantee, space, role))

    async def revoke(self, grantee: User | Team | str, space: Space | int | str) -> None:
        """Remove a user's or team's role on ``space`` (admins only)."""
        await self.run_sync(lambda repo: repo.revoke(grantee, space))

    # -- curation ------------------------------------------------------------------------------

    async def search(
        self,
        model: type[R],
        string: str,
        *,
        field: str | Sequence[str] | None = None,
        limit: int | None = 20,
        case_sensitive: bool = False,
        query: AsyncQuery[R] | Query[R] | None = None,
    ) -> SearchResult[R]:
        """Records whose name (or synonyms, or ``field``) match ``string``, best first."""
        sync_query = _unwrap_query(query)
        return await self.run_sync(
            lambda repo: repo.search(
                model,
                string,
                field=field,
                limit=limit,
                case_sensitive=case_sensitive,
                query=sync_query,
            )
        )

    async def lookup(
        self,
        model: type[BaseSQLRecord],
        field: str | None = None,
        return_field: str | None = None,
        keep: str | bool = "first",
        query: AsyncQuery[Any] | Query[Any] | None = None,
    ) -> Any:
        """An auto-complete object: one attribute per (sanitised) value of ``field``."""
        sync_query = _unwrap_query(query)
        return await self.run_sync(
            lambda repo: repo.lookup(
                model, field, return_field=return_field, keep=keep, query=sync_query
            )
        )

    async def validate(
        self,
        model: type[BaseSQLRecord],
        values: Any,
        field: str | None = None,
        *,
        mute: bool = False,
        query: AsyncQuery[Any] | Query[Any] | None = None,
    ) -> np.ndarray[Any, Any]:
        """For each value, whether a record has exactly that ``field`` value."""
        sync_query = _unwrap_query(query)
        return await self.run_sync(
            lambda repo: repo.validate(model, values, field, mute=mute, query=sync_query)
        )

    async def inspect(
        self,
        model: type[BaseSQLRecord],
        values: Any,
        field: str | None = None,
        *,
        mute: bool = False,
        query: AsyncQuery[Any] | Query[Any] | None = None,
    ) -> InspectResult:
        """Validated and non-validated values, with a synonyms mapper."""
        sync_query = _unwrap_query(query)
        return await self.run_sync(
            lambda repo: repo.inspect(model, values, field, mute=mute, query=sync_query)
        )

    async def standardize(
        self,
        model: type[BaseSQLRecord],
        values: Any,
        field: str | None = None,
        *,
        return_field: str | None = None,
        return_mapper: bool = False,
        case_sensitive: bool = False,
        keep: str | bool = "first",
        synonyms_field: str = "synonyms",
        mute: bool = False,
        query: AsyncQuery[Any] | Query[Any] | None = None,
    ) -> Any:
        """Map values to their standard names (exact, case-insensitive, synonym)."""
        sync_query = _unwrap_query(query)
        return await self.run_sync(
            lambda repo: repo.standardize(
                model,
                values,
                field,
                return_field=return_field,
                return_mapper=return_mapper,
                case_sensitive=case_sensitive,
                keep=keep,
                synonyms_field=synonyms_field,
                mute=mute,
                query=sync_query,
            )
        )

    async def from_values(
        self,
        model: type[R],
        values: Any,
        field: str | None = None,
        create: bool = False,
        mute: bool = False,
    ) -> list[R]:
        """Records for ``values``: the stored ones, plus new unsaved ones with ``create``."""
        return await self.run_sync(
            lambda repo: repo.from_values(model, values, field, create=create, mute=mute)
        )

    async def add_synonym(
        self, record: BaseSQLRecord, synonym: str | Iterable[str], force: bool = False
    ) -> None:
        """Add synonyms to ``record`` (refused if another record has one, unless ``force``)."""
        await self.run_sync(lambda repo: repo.add_synonym(record, synonym, force=force))

    async def remove_synonym(self, record: BaseSQLRecord, synonym: str | Iterable[str]) -> None:
        """Remove synonyms from ``record``."""
        await self.run_sync(lambda repo: repo.remove_synonym(record, synonym))

    async def set_abbr(self, record: BaseSQLRecord, value: str) -> None:
        """Set ``abbr`` (and add it as a synonym where the registry has synonyms)."""
        await self.run_sync(lambda repo: repo.set_abbr(record, value))


def _unwrap(target: BaseSQLRecord | AsyncQuery[Any] | Query[Any]) -> Any:
    return target.query if isinstance(target, AsyncQuery) else target


def _unwrap_query(query: AsyncQuery[T] | Query[T] | None) -> Query[T] | None:
    return query.query if isinstance(query, AsyncQuery) else query


# -- the async query -----------------------------------------------------------------------------


class AsyncQuery(Generic[T]):
    """A lazy query whose terminals are coroutines: ``await q.all()``, ``async for r in q``.

    ``filter``, ``exclude``, ``order_by`` and ``limit`` build a new query without I/O, as on
    :class:`~lamin_registry.Query`.
    """

    def __init__(self, arepo: AsyncRepository, query: Query[T]) -> None:
        self.arepo = arepo
        self.query = query

    @property
    def model(self) -> type[T]:
        """The registry class this query returns."""
        return self.query.model

    def __repr__(self) -> str:
        return f"<AsyncQuery {self.model.__name__}>"

    # -- building (sync, no I/O) -----------------------------------------------------------------

    def _wrap(self, query: Query[T]) -> AsyncQuery[T]:
        return AsyncQuery(self.arepo, query)

    def filter(self, *conditions: Any, **expressions: Any) -> AsyncQuery[T]:
        """Add conditions (AND); ``lr.Q``, SQLAlchemy expressions or Django-style lookups."""
        return self._wrap(self.query.filter(*conditions, **expressions))

    def exclude(self, *conditions: Any, **expressions: Any) -> AsyncQuery[T]:
        """Drop the records that match all given conditions."""
        return self._wrap(self.query.exclude(*conditions, **expressions))

    def order_by(self, *fields: Any) -> AsyncQuery[T]:
        """Order by field names (``"-name"`` descending) or SQLAlchemy expressions."""
        return self._wrap(self.query.order_by(*fields))

    def limit(self, n: int | None) -> AsyncQuery[T]:
        """At most ``n`` records (None: no limit)."""
        return self._wrap(self.query.limit(n))

    # -- running -------------------------------------------------------------------------------

    async def _run(self, fn: Callable[[Query[T]], Any]) -> Any:
        query = self.query
        return await self.arepo.run_sync(lambda repo: fn(query))

    async def all(self) -> list[T]:
        """Every matching record."""
        records: list[T] = await self._run(lambda q: q.all())
        return records

    async def __aiter__(self) -> AsyncIterator[T]:
        for record in await self.all():
            yield record

    def __iter__(self) -> NoReturn:
        raise TypeError("An AsyncQuery is iterated with `async for`, or `await query.all()`")

    def __len__(self) -> NoReturn:
        raise TypeError("Use `await query.count()` (or `await query.exists()`) on an AsyncQuery")

    async def count(self) -> int:
        """The number of matching records (one ``COUNT`` query)."""
        return int(await self._run(lambda q: q.count()))

    async def exists(self) -> bool:
        """True if at least one record matches."""
        return bool(await self._run(lambda q: q.exists()))

    async def first(self) -> T | None:
        """The first record (by id if unordered), or None."""
        record: T | None = await self._run(lambda q: q.first())
        return record

    async def one(self) -> T:
        """Exactly one record; DoesNotExist / MultipleResultsFound otherwise."""
        record: T = await self._run(lambda q: q.one())
        return record

    async def one_or_none(self) -> T | None:
        """One record, None for none; MultipleResultsFound for several."""
        record: T | None = await self._run(lambda q: q.one_or_none())
        return record

    async def to_list(self, field: str | None = None) -> list[Any]:
        """The records, or the values of one field."""
        values: list[Any] = await self._run(lambda q: q.to_list(field))
        return values

    async def to_dataframe(
        self,
        include: str | Sequence[str] | None = None,
        features: bool | Sequence[str] = False,
        limit: int | None = 100,
        order_by: str | None = "-id",
    ) -> pd.DataFrame:
        """A DataFrame of the records (index ``id``)."""
        frame: pd.DataFrame = await self._run(
            lambda q: q.to_dataframe(
                include=include, features=features, limit=limit, order_by=order_by
            )
        )
        return frame

    async def delete(self, permanent: bool = False) -> None:
        """Move every matching record to trash, or remove them with ``permanent=True``."""
        await self._run(lambda q: q.delete(permanent=permanent))

    async def restore(self) -> None:
        """Move every matching record back to main."""
        await self._run(lambda q: q.restore())

    async def archive(self) -> None:
        """Move every matching record to the archive (branch 0)."""
        await self.arepo.archive(self)

    # -- curation on this query --------------------------------------------------------------------

    async def search(self, string: str, **kwargs: Any) -> SearchResult[T]:
        """Search within this query's records."""
        result: SearchResult[T] = await self._run(lambda q: q.search(string, **kwargs))
        return result

    async def lookup(self, field: str | None = None, **kwargs: Any) -> Any:
        """Auto-complete object over this query's records."""
        return await self._run(lambda q: q.lookup(field, **kwargs))

    async def validate(
        self, values: Any, field: str | None = None, **kwargs: Any
    ) -> np.ndarray[Any, Any]:
        """Validate values against this query's records."""
        result: np.ndarray[Any, Any] = await self._run(
            lambda q: q.validate(values, field, **kwargs)
        )
        return result

    async def inspect(self, values: Any, field: str | None = None, **kwargs: Any) -> InspectResult:
        """Inspect values against this query's records."""
        result: InspectResult = await self._run(lambda q: q.inspect(values, field, **kwargs))
        return result

    async def standardize(self, values: Any, field: str | None = None, **kwargs: Any) -> Any:
        """Standardize values against this query's records."""
        return await self._run(lambda q: q.standardize(values, field, **kwargs))


# -- methods derived from Repository ----------------------------------------------------------

DERIVED = (
    "create_branch",
    "switch_branch",
    "merge_branch",
    "add_feature_values",
    "set_feature_values",
    "update_feature_values",
    "remove_feature_values",
    "get_feature_values",
    "describe",
    "add_related",
    "remove_related",
    "set_related",
    "clear_related",
    "add_block",
    "notes",
)
"""Repository methods the async facade takes over as they are: same signature and
docstring, run in the session's greenlet. A new Repository method joins by adding its name
(tests/test_async.py checks every public Repository method has an async counterpart)."""


def _derived(name: str) -> Any:
    method = getattr(Repository, name)

    @functools.wraps(method)
    async def call(self: AsyncRepository, *args: Any, **kwargs: Any) -> Any:
        return await self.run_sync(lambda repo: getattr(repo, name)(*args, **kwargs))

    return call


for _name in DERIVED:
    setattr(AsyncRepository, _name, _derived(_name))
