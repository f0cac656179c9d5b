"""``lr.Repository``: every query, save, delete and curation call over one SQLAlchemy Session.

The repository is *given* a session and never commits it (``Instance.session()`` does that);
it enforces branch visibility in one place (:meth:`Repository._visibility`) and stamps new
records through one ``before_flush`` hook (:mod:`lamin_registry.hooks`).
"""

from __future__ import annotations

import logging
import sys
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from contextvars import Token
from typing import TYPE_CHECKING, Any, TypeVar, overload

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import instance_state

from . import _context, access, concurrency, dedupe, hooks, managers, session_state, versioning
from .bulk import gc_paused, insert_records, stamp_and_check
from .dberrors import translated
from .errors import (
    DoesNotExist,
    IntegrityError,
    InvalidArgument,
    MultipleResultsFound,
)
from .models.base import BaseSQLRecord
from .models.core import Branch, Space, SpaceAccess, Team, User
from .query import prepared
from .query.lookups import ID_KEYS, Condition
from .query.query import Query, build_conditions
from .runs import ErroredRun
from .uids import is_base62

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from .curation.results import InspectResult, SearchResult
    from .models.features import Feature, FeatureValue
    from .models.tracking import Run, Transform

logger = logging.getLogger("lamin_registry")

R = TypeVar("R", bound=BaseSQLRecord)

MAIN_BRANCH = 1
LOCKED_BRANCH = 2
TEMPLATE_BRANCH = 3
ARCHIVE_BRANCH = 0
_CHUNK = 500  # values per IN (...) list: well under SQLite's parameter limit
_PENDING_BACKREF_WARNING = r"Object of type <\w+> not in session, (add|delete) operation along"


def chunks(values: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    """``values`` in slices of at most ``size``."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


class Repository:
    """Query, save, delete and curate records through one SQLAlchemy ``Session``.

    ``Repository(session, user="bob")`` acts as ``bob`` (registered if new, without committing:
    the session's owner commits). ``with repo:`` makes it the active repository for the
    record-level sugar (``ULabel.filter(...)``).
    """

    def __init__(self, session: Session, user: str | User | None = None) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name
        self.current_branch_id = MAIN_BRANCH
        self.run_id: int | None = None
        self._run_inputs: set[tuple[type, int]] = set()
        # runs whose block raised, as column snapshots: Instance.session() writes them again
        # after rolling back, so an errored run outlives the transaction it errored in
        self.errored_runs: list[ErroredRun] = []
        self._permissions: access.Permissions | None = None
        self._tokens: list[Token[Repository | None]] = []
        self._table_names: set[str] | None = None  # see _has_table
        # branch codes per instance: lamin_registry's 2 locked / 3 template, or none of them
        # on an adopted lamindb database, whose user branches are numbered from 2 (adopt.py)
        from .adopt import is_lamindb_database

        lamindb = is_lamindb_database(session.get_bind())
        self.lamindb_database = lamindb  # no ON DELETE in the database: see cascade.py
        self.locked_branch_id: int | None = None if lamindb else LOCKED_BRANCH
        self.template_branch_id: int | None = None if lamindb else TEMPLATE_BRANCH
        if self.dialect == "sqlite":  # before any savepoint: see hooks.begin_sqlite_transaction
            hooks.begin_sqlite_transaction(session.connection())
        self.user = self._resolve_user(user)
        session.info[hooks.REPOSITORY_KEY] = self
        if self.dialect == "postgresql":
            connection = session.connection()  # begins the transaction if need be
            transaction = session.get_nested_transaction() or session.get_transaction()
            hooks.set_database_user(connection, self.user_id, transaction)

    # -- identity -------------------------------------------------------------------------

    def _resolve_user(self, user: str | User | None) -> User:
        if isinstance(user, User):
            return user
        if user is None:
            found = self.session.get(User, 1)
            if found is None:
                raise DoesNotExist(
                    "This database has no users yet; connect with lr.connect(url) first "
                    "(it creates the schema and seeds the built-in rows)."
                )
            return found
        if not isinstance(user, str) or not user:
            raise InvalidArgument(f"user must be a handle (str) or a User, got {user!r}")
        found = self.session.scalars(sa.select(User).where(User.handle == user)).first()
        if found is None:  # lock the handle, then look again: a concurrent session may have won
            concurrency.lock_names(self.session, User.__tablename__, [user])
            found = self.session.scalars(sa.select(User).where(User.handle == user)).first()
        if found is None:
            found = User(handle=user)
            with translated(f"registering user {user!r}"), self.session.begin_nested():
                self.session.add(found)
                self.session.flush()
            logger.info("registered user %r", user)
        return found

    @property
    def user_id(self) -> int:
        """The id of the user this repository acts as.

        Read from the identity key, not the attribute: after a rollback the user is expired,
        and loading it from inside a transaction-begin hook would re-enter the session.
        """
        identity = sa.inspect(self.user).identity
        return int(identity[0] if identity else self.user.id)

    @property
    def permissions(self) -> access.Permissions:
        """The acting user's roles per space (loaded once, refreshed after grant/revoke)."""
        if self._permissions is None:
            with self.session.no_autoflush:
                self._permissions = access.load_permissions(self.session, self.user_id)
                self._permissions.locked_branch = self.locked_branch_id
        return self._permissions

    def using(self, url_or_name: str | sa.URL) -> Repository:
        """A read-only repository on another instance (URL or name), as the same user handle.

        Writes through it raise ``NoWriteAccess``; its session closes when this repository's
        transaction ends. See ``docs/instances.md``.
        """
        from .using import repository_using

        return repository_using(self, url_or_name)

    def __enter__(self) -> Repository:
        self._tokens.append(_context._active.set(self))
        return self

    def __exit__(self, *exc_info: object) -> None:
        _context._active.reset(self._tokens.pop())

    # -- visibility: the one place that decides what a query may see --------------------------

    @property
    def visible_branch_ids(self) -> list[int]:
        """Branches a default query shows: main, locked, and the current named branch."""
        ids = [MAIN_BRANCH] if self.locked_branch_id is None else [MAIN_BRANCH, LOCKED_BRANCH]
        if self.current_branch_id not in ids:
            ids.append(self.current_branch_id)
        return ids

    def _visibility(self, model: type, *, branches: bool = True) -> list[Condition]:
        """Conditions every read of ``model`` gets: readable spaces, and visible branches
        unless ``branches=False`` (get by id/uid, queries that name a branch)."""
        return prepared.visibility_conditions(model, self._visibility_key(model, branches))

    def _visibility_key(self, model: type, branches: bool = True) -> prepared.Visibility:
        """What :meth:`_visibility` filters on, as values: (branch ids, space ids), None for
        no filter. Prepared statements are cached under it, so any change of branch, user
        or grants (``_permissions`` reloaded) picks another statement."""
        branch_ids = tuple(self.visible_branch_ids) if branches else None
        if not access.has_branches(model):
            branch_ids = None  # Space, User, Branch, Team have no branches
        return branch_ids, access.readable_spaces(model, self.permissions)

    # -- execution helpers (errors translated) -------------------------------------------------

    def _execute(self, stmt: sa.Executable, params: dict[str, Any] | None = None) -> sa.Result[Any]:
        with translated("query failed"):
            return self.session.execute(stmt, params)

    def _scalars(self, stmt: sa.Select[Any], params: dict[str, Any] | None = None) -> list[Any]:
        with translated("query failed"):
            return list(self.session.scalars(stmt, params).all())

    def _scalar(self, stmt: sa.Select[Any]) -> Any:
        with translated("query failed"):
            return self.session.scalar(stmt)

    @contextmanager
    def _atomic(self, action: str) -> Iterator[None]:
        """A savepoint: on any error nothing of ``action`` stays in the database.

        Opening a savepoint flushes the session. New records that sit in a persistent
        record's backref collection (``ULabel(type=t)`` is in ``t.ulabels``) but are inserted
        by the bulk path inside the savepoint would make that flush warn; they are not lost,
        so that one warning is silenced here.
        """
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message=_PENDING_BACKREF_WARNING, category=sa.exc.SAWarning
            )
            concurrency.acquire_write_lock(self.session)  # SQLite: before reading to write
            # pending changes are flushed inside the savepoint: a failure rolls back only it
            with translated(action), session_state.savepoint(self.session):
                yield

    # -- queries ------------------------------------------------------------------------

    def filter(self, model: type[R], *conditions: Any, **expressions: Any) -> Query[R]:
        """A lazy query of ``model`` records matching every condition."""
        _check_model(model)
        return Query(self, model).filter(*conditions, **expressions)

    def exclude(self, model: type[R], *conditions: Any, **expressions: Any) -> Query[R]:
        """A lazy query of ``model`` records that do not match the conditions."""
        _check_model(model)
        return Query(self, model).exclude(*conditions, **expressions)

    def get(self, model: type[R], idlike: int | str | None = None, **expressions: Any) -> R:
        """One record by id, uid, unique uid prefix, or expressions.

        By id or uid every branch is searched (trash and archive included), as in lamindb;
        expressions see the visible branches only.
        """
        _check_model(model)
        if idlike is None:
            if not expressions:
                raise InvalidArgument(
                    f"get() needs an id, a uid or expressions, e.g. "
                    f"{model.__name__}.get(name='...')"
                )
            return self._get_by_expressions(model, expressions)
        if expressions:
            raise InvalidArgument("Pass either an id/uid or expressions to get(), not both")
        if isinstance(idlike, bool) or not isinstance(idlike, int | str):
            raise InvalidArgument(f"get() takes an int id or a str uid, got {idlike!r}")
        if isinstance(idlike, int):
            if not _fits_primary_key(model, idlike):
                raise DoesNotExist(f"No {model.__name__} with id {idlike}.")
            records = self._get_prepared(model, {"id": idlike}, branches=False)
            if not records:
                raise DoesNotExist(f"No {model.__name__} with id {idlike}.")
            return records[0]
        return self._get_by_uid(model, idlike)

    def _get_by_expressions(self, model: type[R], expressions: dict[str, Any]) -> R:
        versioned = hasattr(model, "is_latest") and "is_latest" not in expressions
        query: Query[R] | None = None
        records = self._get_exact(model, expressions, versioned)
        if records is None:  # lookups beyond field=value: the general query path
            query = self.filter(model, **expressions)
            records = (query.filter(is_latest=True) if versioned else query).limit(2).all()
        if not records and versioned:
            query = query or self.filter(model, **expressions)
            records = query.order_by("-created_at", "-id").limit(1).all()
        if not records:
            raise DoesNotExist(f"{model.__name__} matching query does not exist.")
        if len(records) > 1:
            query = query or self.filter(model, **expressions)
            count = (query.filter(is_latest=True) if versioned else query).count()
            raise MultipleResultsFound(
                f"get() returned more than one {model.__name__} -- it returned {count}! "
                "Narrow the expressions or use filter()."
            )
        return records[0]

    def _get_exact(
        self, model: type[R], expressions: dict[str, Any], versioned: bool
    ) -> list[R] | None:
        """``get(field=value, ...)`` through a prepared statement; None when an expression
        needs the general path (lookups, relationships, aliases, None values).

        The values are checked exactly as the general path checks them (same errors), and
        the statement is the same SQL, so only the per-call building is saved.
        """
        values = prepared.exact_values(model, expressions, self.dialect)
        if values is None:
            return None
        # lamindb: an exact id, uid or hash looks at every branch
        branches = not any(key in ID_KEYS for key in values)
        return self._get_prepared(model, values, branches=branches, latest=versioned, limit=2)

    def _get_prepared(
        self,
        model: type[R],
        values: dict[str, Any],
        *,
        branches: bool,
        latest: bool = False,
        limit: int | None = None,
    ) -> list[R]:
        """The visible records with these exact field values (see :mod:`.query.prepared`)."""
        stmt = prepared.select_by(
            model,
            tuple(values),
            self._visibility_key(model, branches),
            latest=latest,
            limit=limit,
        )
        params = {prepared.parameter(key): value for key, value in values.items()}
        records = prepared.load(self.session, stmt, params)  # None: the ORM path
        return self._scalars(stmt, params) if records is None else records

    def _get_by_uid(self, model: type[R], uid: str) -> R:
        if not hasattr(model, "uid"):
            raise InvalidArgument(f"{model.__name__} has no uid; get it by id or expressions")
        if not is_base62(uid):
            raise _uid_not_found(model, uid)
        full_length = getattr(model, "_uid_length", 0)
        stem_length = getattr(model, "_uid_stem_length", None)
        if len(uid) >= full_length:
            records = self._get_prepared(model, {"uid": uid}, branches=False)
        elif stem_length is not None and len(uid) <= stem_length:
            # a version family: the latest version, else the newest one
            column = sa.inspect(model).local_table.c.uid
            stmt = (
                sa.select(model)
                .where(
                    self._uid_prefix(column, uid), *self._visibility(model, branches=False)
                )
                .order_by(model.is_latest.desc(), model.created_at.desc(), model.id.desc())  # type: ignore[attr-defined]
                .limit(1)
            )
            records = self._scalars(stmt)
        else:
            stmt = prepared.select_uid_prefix(
                model, self._visibility_key(model, branches=False), self.dialect
            )
            params = prepared.uid_prefix_pattern(uid, self.dialect)
            found = prepared.load(self.session, stmt, params)  # None: the ORM path
            records = self._scalars(stmt, params) if found is None else found
            if len(records) > 1:
                raise MultipleResultsFound(
                    f"uid prefix {uid!r} matches several {model.__name__} records; "
                    "pass more characters of the uid"
                )
        if not records:
            raise _uid_not_found(model, uid)
        return records[0]

    def _uid_prefix(self, column: Any, prefix: str) -> Condition:
        """A case-sensitive, index-friendly ``uid`` prefix match on either backend."""
        if self.dialect == "sqlite":
            return column.op("GLOB")(f"{prefix}*")  # type: ignore[no-any-return]
        return column.like(f"{prefix}%")  # type: ignore[no-any-return]

    def to_dataframe(
        self,
        model: type[BaseSQLRecord],
        include: str | Sequence[str] | None = None,
        features: bool | Sequence[str] = False,
        limit: int | None = 100,
        order_by: str | None = "-id",
    ) -> pd.DataFrame:
        """The visible records of ``model`` as a DataFrame (index ``id``, newest first)."""
        return self.filter(model).to_dataframe(
            include=include, features=features, limit=limit, order_by=order_by
        )

    def refresh(self, record: BaseSQLRecord, fields: Sequence[str] | None = None) -> None:
        """Reload ``record`` (or only ``fields``) from the database."""
        state = sa.inspect(record)
        if state.identity is None:
            raise InvalidArgument(f"{record!r} is not saved yet; nothing to refresh")
        if fields is not None:
            names = [fields] if isinstance(fields, str) else list(fields)
            known = set(sa.inspect(type(record)).attrs.keys())
            unknown = [name for name in names if name not in known]
            if unknown:
                raise InvalidArgument(
                    f"Unknown field(s) {unknown} of {type(record).__name__}. "
                    f"Available fields: {', '.join(sorted(known))}"
                )
            fields = names
        self._require_readable(record)
        if state.session is not self.session:
            _check_attachable(self.session, record)
            record = self.session.merge(record, load=False)
        try:
            with translated("refresh failed"):
                self.session.refresh(record, attribute_names=fields)
        except sa.exc.InvalidRequestError:  # the row vanished (or RLS hides it) meanwhile
            raise _not_readable(record) from None

    def _require_readable(self, record: BaseSQLRecord) -> None:
        """DoesNotExist unless ``record``'s row exists in a space this user can read (any
        branch, as a get by id): a record loaded by another session or user is no way in."""
        identity = sa.inspect(record).identity
        with self.session.no_autoflush:  # pending edits are not this question's business
            found = identity is not None and self._get_prepared(
                type(record), {"id": identity[0]}, branches=False
            )
        if not found:
            raise _not_readable(record)

    def _own(self, record: R) -> R:
        """``record`` as an object of this repository's session, so changes are written here.

        A record loaded by an earlier, now closed session is attached as it is; one of another
        open session (or whose row this session already holds) is merged into this session's
        copy, which is returned. A record read from another instance through ``using()`` is
        refused: its ids mean rows of another database.
        """
        state = sa.inspect(record)
        if state.session is self.session or state.key is None:  # new records: _save's job
            return record
        _check_attachable(self.session, record)
        self._require_readable(record)
        with translated(f"loading {_label(record)} into this session failed"):
            if state.session is None and self.session.identity_map.get(state.key) is None:
                self.session.add(record)
                return record
            return self.session.merge(record)

    # -- saving ---------------------------------------------------------------------------

    @overload
    def save(self, records: R) -> R: ...
    @overload
    def save(self, records: Iterable[R]) -> list[R]: ...

    def save(self, records: R | Iterable[R]) -> R | list[R]:
        """Insert new records and write changes of existing ones; returns the stored records.

        A *new* record whose name (and type) already exists on a visible branch is not
        inserted: the stored record is returned instead. A list is saved set-based (one
        statement per batch) and atomically: if one row fails, none of the batch is kept.
        """
        if isinstance(records, BaseSQLRecord):
            return self._save([records])[0]
        if isinstance(records, str | bytes) or not isinstance(records, Iterable):
            raise InvalidArgument(f"save() takes a record or a list of records, got {records!r}")
        items = list(records)
        for item in items:
            if not isinstance(item, BaseSQLRecord):
                raise InvalidArgument(f"save() takes lamin_registry records, got {item!r}")
        return self._save(items)

    def _save(self, records: list[R]) -> list[R]:
        result: list[R] = records  # copied when a stored record replaces a new one
        new_by_model, existing = _new_by_model(records)
        from .features.api import joining

        moved = joining(records, existing)  # Records whose type changes (sheets), pre-flush
        with self._atomic(f"saving {_describe(records)} failed"), gc_paused():
            for model, indexes in new_by_model.items():
                # all of the save (the bulk case): no copy of the list (8 bytes a record)
                group = records if len(indexes) == len(records) else [records[i] for i in indexes]
                with self.session.no_autoflush:
                    stored = self._dedupe(model, group)
                none_stored = stored.count(None) == len(stored)
                if none_stored:
                    stored = []  # 8 bytes a record less while the records are registered
                fresh = group if none_stored else [
                    record for record, match in zip(group, stored, strict=True) if match is None
                ]
                _check_related(self.session, fresh)
                stamp_and_check(self, model, fresh)  # stamps each, checks once per case
                if fresh and hasattr(model, "is_latest"):
                    versioning.prepare_new_versions(self, model, fresh)
                if fresh:
                    insert_records(self, model, fresh)
                if model is Space or model is SpaceAccess:
                    self._permissions = None
                if not none_stored:
                    result = list(result) if result is records else result
                    for i, match in zip(indexes, stored, strict=True):
                        if match is not None:
                            result[i] = match
                del stored, group, fresh
            if existing:
                _check_related(self.session, [records[i] for i in existing])
                result = list(result) if result is records else result
                for i in existing:
                    result[i] = self._own(records[i])
                self.session.flush()
            if moved or _features_pending(records, new_by_model):  # features={...}, sheets
                from .features.api import after_save

                after_save(self, records, result, new_by_model, moved)
        return result

    def _dedupe(self, model: type, records: list[Any]) -> list[Any | None]:
        """For each new record, the stored record with the same name (and type), or None
        (:func:`lamin_registry.dedupe.stored_matches`)."""
        return dedupe.stored_matches(self, model, records)

    # -- deleting and moving (lamin_registry.deletion, lamin_registry.branches) ----------------

    def delete(
        self, target: BaseSQLRecord | Query[Any], permanent: bool = False
    ) -> tuple[int, dict[str, int]] | None:
        """Move to trash (branch -1), or remove rows for good with ``permanent=True``.

        Returns None, except for a permanent delete of one record: lamindb's ``(count,
        {model label: n})`` with the cascaded rows (None for Transform, Run and Artifact).
        """
        from .deletion import delete

        return delete(self, target, permanent)

    def _has_table(self, table: Any) -> bool:
        """Whether this database holds ``table``.

        lamin_registry's own tables (``lamindb_*``) exist once the schema is migrated; a
        user-defined registry mapped in this process exists only where its host migrated it
        (another instance may lack it), and a missing table holds no rows to protect or move.
        """
        if table.name.startswith("lamindb_"):
            return True
        if self._table_names is None:
            self._table_names = set(sa.inspect(self.session.connection()).get_table_names())
        return table.name in self._table_names

    def restore(self, target: BaseSQLRecord | Query[Any]) -> None:
        """Move back to main (branch 1) from trash, archive or any other branch."""
        from .branches import move_target

        move_target(self, target, MAIN_BRANCH)

    def archive(self, target: BaseSQLRecord | Query[Any]) -> None:
        """Move to the archive (branch 0): hidden from queries, kept, read-only."""
        from .branches import move_target

        move_target(self, target, ARCHIVE_BRANCH)

    # -- feature values -------------------------------------------------------------------

    def get_or_create_feature_value(
        self, feature: Feature | None, value: Any
    ) -> tuple[FeatureValue, bool]:
        """``(record, existed)``: the FeatureValue of ``feature`` with ``value``'s hash."""
        from .models.features import Feature, FeatureValue, has_hash, hash_lookup, hash_value

        feature_id: int | None = None
        if feature is not None:
            if not isinstance(feature, Feature):
                raise InvalidArgument(f"Expected a Feature or None, got {feature!r}")
            identity = sa.inspect(feature).identity
            if identity is None:
                raise InvalidArgument(f"Save {feature!r} before creating values of it")
            feature_id = identity[0]
        digest = hash_value(value)

        def stored() -> list[FeatureValue]:
            found = self._scalars(
                sa.select(FeatureValue).where(
                    FeatureValue.feature_id == feature_id,
                    hash_lookup(FeatureValue.hash, digest),  # lamindb leaves some hashes NULL
                    *self._visibility(FeatureValue, branches=False),
                ).order_by(FeatureValue.hash.is_(None), FeatureValue.id)
            )
            return [row for row in found if has_hash(row.hash, row.value, digest)]

        if feature_id is not None:
            found = stored()
            if found:
                return found[0], True
        record = FeatureValue(feature_id=feature_id, value=value, hash=digest)
        concurrency.acquire_write_lock(self.session)  # SQLite: not inside the savepoint below
        try:
            with self.session.begin_nested():
                self.session.add(record)
                self.session.flush()
        except sa.exc.IntegrityError:
            found = stored()
            if found:  # written by a concurrent session meanwhile
                return found[0], True
            raise IntegrityError(
                f"The value {value!r} of this feature is stored in a space you cannot read; "
                "ask an admin of that space for access."
            ) from None
        return record, False

    # -- feature annotation (implemented in lamin_registry.features) ---------------------------

    def add_feature_values(self, target: Any, values: Mapping[Any, Any]) -> None:
        """Add feature values to a record, a list of records or every record of a query."""
        from .features.api import annotate

        annotate(self, target, values, "add")

    def set_feature_values(self, target: Any, values: Mapping[Any, Any]) -> None:
        """Replace all feature annotations of the target's records with ``values``."""
        from .features.api import annotate

        annotate(self, target, values, "set")

    def update_feature_values(self, target: Any, values: Mapping[Any, Any]) -> None:
        """Replace the values of the given features (None removes a feature's values)."""
        from .features.api import annotate

        annotate(self, target, values, "update")

    def remove_feature_values(self, target: Any, feature: Any = None, *, value: Any = None) -> None:
        """Remove feature values (all of them when ``feature`` is None)."""
        from .features.api import remove

        remove(self, target, feature, value=value)

    def get_feature_values(self, record: Any, *, objects: bool = False) -> dict[str, Any]:
        """``{feature name: value}`` of a Record, Run or Artifact."""
        from .features.api import get_values

        return get_values(self, record, objects=objects)

    def from_dataframe(self, sheet: Any, frame: pd.DataFrame) -> list[Any]:
        """Validate every row of ``frame`` against the sheet's schema and save them all, or
        none (columns: member feature names, and ``name``)."""
        from .features.sheets import import_dataframe

        return import_dataframe(self, sheet, frame)

    def describe(self, record: BaseSQLRecord, include: str | None = None) -> str:
        """lamindb's describe tree of ``record`` (general fields, features) as text;
        ``include="comments"`` appends its readme and comments."""
        from .features.describe import describe

        return describe(self, record, fields=True, include=include)

    # -- blocks (implemented in lamin_registry.blocks) --------------------------------------

    def add_block(
        self, owner: BaseSQLRecord, content: str, kind: str = "readme", version: str | None = None
    ) -> BaseSQLRecord:
        """Attach a markdown ``readme`` (versioned per owner) or ``comment`` to ``owner`` (a
        Record, ULabel, Space, Branch, ...); returns the stored block (``RecordBlock``, ...)."""
        from .blocks import add_block

        return add_block(self, owner, content, kind, version)

    def notes(self, owner: BaseSQLRecord) -> str | None:
        """The content of ``owner``'s latest readme block, or None (lamindb's ``obj.notes``)."""
        from .blocks import notes

        return notes(self, owner)

    # -- run tracking ---------------------------------------------------------------------

    @contextmanager
    def track(self, transform: Transform) -> Iterator[Run]:
        """Start a Run of ``transform``; records saved inside get its ``run_id``.

        The run is ``completed`` when the block ends, ``errored`` when it raises (the
        exception is re-raised).
        """
        from .models.tracking import Run, Transform
        from .models.types import utcnow

        if not isinstance(transform, Transform):
            raise InvalidArgument(f"track() takes a Transform, got {transform!r}")
        if sa.inspect(transform).key is None:
            transform = self.save(transform)
        run = Run(transform=transform)
        run.status = "started"
        with self._atomic("starting a run failed"):
            self.session.add(run)
            self.session.flush()
        previous = self.run_id
        self.run_id = run.id
        try:
            yield run
        except BaseException as error:
            run.status = "errored"
            run.finished_at = utcnow()
            run._aux = {"error": f"{type(error).__name__}: {error}"}
            self.errored_runs.append(ErroredRun.of(run))
            # the block's own error is what matters; a broken transaction must not mask it
            with suppress(sa.exc.SQLAlchemyError):
                self._write_run_inputs()
                self.session.flush()
            raise
        else:
            run.status = "completed"
            run.finished_at = utcnow()
            self._write_run_inputs()
            self.session.flush()
        finally:
            self.run_id = previous

    def _write_run_inputs(self) -> None:
        """Link the artifacts and collections loaded inside ``track()`` to the run."""
        if not self._run_inputs or self.run_id is None:
            return
        pending, self._run_inputs = self._run_inputs, set()
        connection = self.session.connection()
        tables = BaseSQLRecord.metadata.tables
        for model in {model for model, _ in pending}:
            name = model.__name__.lower()
            link = tables[f"lamindb_{name}_input_of_runs"]
            ids = sorted(record_id for kind, record_id in pending if kind is model)
            known = set(
                connection.execute(
                    sa.select(link.c[f"{name}_id"]).where(
                        link.c.run_id == self.run_id, link.c[f"{name}_id"].in_(ids)
                    )
                ).scalars()
            )
            rows = [{f"{name}_id": i, "run_id": self.run_id} for i in ids if i not in known]
            if rows:
                connection.execute(sa.insert(link), rows)

    # -- spaces and access ----------------------------------------------------------------

    def grant(self, grantee: User | Team | str, space: Space | int | str, role: str) -> None:
        """Give a user or team ``read``, ``write`` or ``admin`` on ``space`` (admins only)."""
        if role not in access.LEVELS:
            raise InvalidArgument(f"role must be one of 'read', 'write', 'admin', got {role!r}")
        target = access.resolve_space(self.session, space)
        self.permissions.require(target.id, access.ADMIN, f"granting a role on '{target.name}'")
        kind, grantee_id = access.resolve_grantee(self.session, grantee)
        column = SpaceAccess.user_id if kind == "user" else SpaceAccess.team_id
        with self._atomic(f"granting {role} on '{target.name}' failed"):
            existing = self.session.scalars(
                sa.select(SpaceAccess).where(
                    SpaceAccess.space_id == target.id, column == grantee_id
                )
            ).first()
            if existing is None:
                self.session.add(
                    SpaceAccess(space_id=target.id, role=role, **{f"{kind}_id": grantee_id})
                )
            else:
                existing.role = role
            self.session.flush()
        self._permissions = None

    def revoke(self, grantee: User | Team | str, space: Space | int | str) -> None:
        """Remove a user's or team's role on ``space`` (admins only)."""
        target = access.resolve_space(self.session, space)
        self.permissions.require(target.id, access.ADMIN, f"revoking a role on '{target.name}'")
        kind, grantee_id = access.resolve_grantee(self.session, grantee)
        column = SpaceAccess.user_id if kind == "user" else SpaceAccess.team_id
        with self._atomic(f"revoking access to '{target.name}' failed"):
            self.session.execute(
                sa.delete(SpaceAccess).where(
                    SpaceAccess.space_id == target.id, column == grantee_id
                ),
                execution_options=hooks.CHECKED,
            )
        self._permissions = None

    # -- named branches (lamin_registry.branches) -----------------------------------------

    def create_branch(self, name: str, description: str | None = None) -> Branch:
        """A new named branch (id > 3), status ``standalone``; a taken name raises
        ``BranchAlreadyExists``."""
        from .branches import create

        return create(self, name, description)

    def switch_branch(self, branch: Branch | str | int, create: bool = False) -> Branch:
        """Make ``branch`` (a Branch, id, name or uid) current for this repository: new
        records land on it and queries see it besides main. ``create=True`` creates it."""
        from .branches import switch

        return switch(self, branch, create)

    def merge_branch(
        self, source: Branch | str | int, target: Branch | str | int | None = None
    ) -> Branch:
        """Move every record of ``source`` to ``target`` (default: the current branch), keep
        one ``is_latest`` per version family there, mark ``source`` merged. The current
        branch does not change; merging a branch into itself does nothing."""
        from .branches import merge

        return merge(self, source, target)

    # -- curation (implemented in lamin_registry.curation) -----------------------------------

    def search(
        self,
        model: type[R],
        string: str,
        *,
        field: str | Sequence[str] | None = None,
        limit: int | None = 20,
        case_sensitive: bool = False,
        query: Query[R] | None = None,
    ) -> SearchResult[R]:
        """Records whose name (or synonyms, or ``field``) match ``string``, best first."""
        from .curation.search import search

        return search(
            self,
            model,
            string,
            field=field,
            limit=limit,
            case_sensitive=case_sensitive,
            query=query,
        )

    def lookup(
        self,
        model: type[BaseSQLRecord],
        field: str | None = None,
        return_field: str | None = None,
        keep: str | bool = "first",
        query: Query[Any] | None = None,
    ) -> Any:
        """An auto-complete object: one attribute per (sanitised) value of ``field``."""
        from .curation.lookup import lookup

        return lookup(self, model, field, return_field=return_field, keep=keep, query=query)

    def validate(
        self,
        model: type[BaseSQLRecord],
        values: Any,
        field: str | None = None,
        *,
        mute: bool = False,
        query: Query[Any] | None = None,
    ) -> np.ndarray[Any, Any]:
        """For each value, whether a record has exactly that ``field`` value."""
        from .curation.validate import validate

        result: np.ndarray[Any, Any] = validate(self, model, values, field, mute=mute, query=query)
        return result

    def inspect(
        self,
        model: type[BaseSQLRecord],
        values: Any,
        field: str | None = None,
        *,
        mute: bool = False,
        query: Query[Any] | None = None,
    ) -> InspectResult:
        """Validated and non-validated values, with a synonyms mapper."""
        from .curation.validate import inspect

        return inspect(self, model, values, field, mute=mute, query=query)

    def standardize(
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
        query: Query[Any] | None = None,
    ) -> Any:
        """Map values to their standard names (exact, case-insensitive, synonym)."""
        from .curation.standardize import standardize

        return standardize(
            self,
            model,
            values,
            field,
            return_field=return_field,
            return_mapper=return_mapper,
            case_sensitive=case_sensitive,
            keep=keep,
            synonyms_field=synonyms_field,
            mute=mute,
            query=query,
        )

    def from_values(
        self,
        model: type[R],
        values: Any,
        field: str | None = None,
        create: bool = False,
        mute: bool = False,
    ) -> list[R]:
        """Records for ``values``: the stored ones, plus new unsaved ones with ``create``."""
        from .curation.standardize import from_values

        return from_values(self, model, values, field, create=create, mute=mute)

    def add_synonym(
        self, record: BaseSQLRecord, synonym: str | Iterable[str], force: bool = False
    ) -> None:
        """Add synonyms to ``record`` (refused if another record has one, unless ``force``)."""
        from .curation.synonyms import add_synonym

        add_synonym(self, record, synonym, force=force)

    def remove_synonym(self, record: BaseSQLRecord, synonym: str | Iterable[str]) -> None:
        """Remove synonyms from ``record``."""
        from .curation.synonyms import remove_synonym

        remove_synonym(self, record, synonym)

    def set_abbr(self, record: BaseSQLRecord, value: str) -> None:
        """Set ``abbr`` (and add it as a synonym where the registry has synonyms)."""
        from .curation.synonyms import set_abbr

        set_abbr(self, record, value)

    # -- related managers (managers.py): record.<relationship>.add/remove/set/clear/all --------

    def related(self, record: BaseSQLRecord, field: str) -> Query[Any]:
        """The members of ``record``'s to-many relationship ``field`` (a Query, visibility
        applied): ``record.parents.all()``."""
        return managers.related(self, record, field)

    def add_related(self, record: BaseSQLRecord, field: str, *objs: Any) -> None:
        """Link records (or ids) to ``record.<field>``, written and checked at once."""
        managers.add(self, record, field, objs)

    def remove_related(self, record: BaseSQLRecord, field: str, *objs: Any) -> None:
        """Unlink records (or ids) from ``record.<field>``, written and checked at once."""
        managers.remove(self, record, field, objs)

    def set_related(
        self, record: BaseSQLRecord, field: str, objs: Iterable[Any], *, clear: bool = False
    ) -> None:
        """Make ``objs`` the members of ``record.<field>`` (``clear=True``: unlink all first)."""
        managers.set_(self, record, field, objs, clear)

    def clear_related(self, record: BaseSQLRecord, field: str) -> None:
        """Unlink every member of ``record.<field>`` this user can see."""
        managers.clear(self, record, field)

    # -- conditions for other modules -----------------------------------------------------

    def conditions(
        self, model: type, *conditions: Any, **expressions: Any
    ) -> tuple[list[Condition], bool]:
        """Resolve filter arguments without building a query (for curation helpers)."""
        return build_conditions(model, conditions, expressions, self.dialect, repo=self)


_REGISTRIES: set[type] = set()  # classes _check_model accepted (checked once: get() loops)
_PK_BITS: dict[type, int] = {}


READ_FROM_MARK = "_lamin_registry_read_from"
"""Attribute ``using()`` sets on the records its read sessions load (see ``using.py``)."""


def _check_attachable(session: Session, record: object) -> None:
    """Refuse a record read from another instance through ``using()`` (see ``using.py``)."""
    if READ_FROM_MARK in getattr(record, "__dict__", {}):
        from .using import check_attachable

        check_attachable(session, record)


def _check_related(session: Session, records: Sequence[Any]) -> None:
    """Refuse records pointing at records read through ``using()`` (another database's ids).

    Free until ``using()`` has loaded a record in this process (bulk saves stay cheap).
    """
    using = sys.modules.get("lamin_registry.using")
    if using is None or not using.READ_ANYTHING:
        return
    for record in records:
        state = sa.inspect(record)
        for relationship in state.mapper.relationships:
            value = state.dict.get(relationship.key)
            if value is None:
                continue
            for item in value if relationship.uselist else (value,):
                _check_attachable(session, item)


def _new_by_model(records: list[Any]) -> tuple[dict[type, Sequence[int]], list[int]]:
    """The indexes of the new records of each registry, and of the stored ones. A save of
    new records of one registry gets a ``range``: no index object a record (36 bytes each,
    36 MB for a bulk save of 1,000,000)."""
    if records and all(instance_state(record).key is None for record in records):
        models = set(map(type, records))
        if len(models) == 1:
            return {models.pop(): range(len(records))}, []
    new_by_model: dict[type, list[int]] = {}
    existing: list[int] = []
    for index, record in enumerate(records):
        if instance_state(record).key is None:
            new_by_model.setdefault(type(record), []).append(index)
        else:
            existing.append(index)
    return dict(new_by_model), existing


def _features_pending(records: Sequence[Any], new_by_model: dict[type, Sequence[int]]) -> bool:
    """Whether a save has feature work: ``features={...}``, or new Records with a type (a
    sheet checks its members); written with the records or not at all."""
    if any("_pending_features" in record.__dict__ for record in records):
        return True
    return any(
        model.__name__ == "Record" and any(
            records[i].__dict__.get("type_id") or records[i].__dict__.get("type")
            for i in indexes
        )
        for model, indexes in new_by_model.items()
    )


def _check_model(model: object) -> None:
    if isinstance(model, type) and model in _REGISTRIES:
        return
    is_registry = isinstance(model, type) and issubclass(model, BaseSQLRecord)
    if not is_registry or "__table__" not in dir(model):
        raise InvalidArgument(
            f"Expected a registry class such as lr.ULabel as first argument, got {model!r}"
        )
    _REGISTRIES.add(model)  # type: ignore[arg-type]


def _fits_primary_key(model: type, value: int) -> bool:
    """Whether ``value`` fits the primary key column (so the database is never asked)."""
    bits = _PK_BITS.get(model)
    if bits is None:
        column_type: Any = sa.inspect(model).primary_key[0].type
        bits = _PK_BITS[model] = 64 if isinstance(column_type, sa.BigInteger) else 16 if (
            isinstance(column_type, sa.SmallInteger)
        ) else 32
    return bool(-(2 ** (bits - 1)) <= value < 2 ** (bits - 1))


def _uid_not_found(model: type, uid: str) -> DoesNotExist:
    hint = getattr(model, "_name_field", None) or "name"
    return DoesNotExist(
        f"No record found with uid {uid!r}. Did you forget a keyword as in "
        f"{model.__name__}.get({hint}={uid!r})?"
    )


def _type_id(record: Any) -> Any:
    related = record.__dict__.get("type")
    if related is not None:
        identity = sa.inspect(related).identity
        return identity[0] if identity else None
    return record.__dict__.get("type_id")


def _apply_changes(new: Any, stored: Any) -> None:
    """Copy non-None constructor values of ``new`` onto the stored record (lamindb's rule)."""
    protected = {
        "uid",
        "_dtype_str",
        "otype",
        "hash",
        "id",
        "created_at",
        "updated_at",
        "created_by_id",
        "branch_id",
        "created_on_id",
        "space_id",
        "run_id",
        "is_locked",
        "is_type",
        "type_id",
        "_aux",
        "array_rank",
        "array_size",
        "nullable",
        "kind",
        "suffix",
        "is_latest",
        "_key_is_virtual",
        "_overwrite_versions",
        "minimal_set",
        "ordered_set",
        "maximal_set",
    }
    if new is stored:
        return
    for key, value in new.__dict__.items():
        if key.startswith("_sa_") or key in protected or value is None:
            continue
        if key not in sa.inspect(type(new)).column_attrs:
            continue
        if getattr(stored, key) != value:
            logger.warning("updated %s from %r to %r", key, getattr(stored, key), value)
            setattr(stored, key, value)


def _detach_from_related(record: Any) -> None:
    """Forget the collection appends a discarded duplicate made through its backrefs.

    ``ULabel(name="x", type=t)`` appends the new object to ``t.ulabels``; when the save
    returns the stored record instead, expiring that collection drops the pending append.
    """
    for rel in sa.inspect(type(record)).relationships:
        related = record.__dict__.get(rel.key) if rel.direction.name == "MANYTOONE" else None
        if related is None:
            continue
        state = sa.inspect(related)
        reverse = [prop.key for prop in rel._reverse_property]
        if state.session is not None and reverse:
            state.session.expire(related, reverse)


def _not_readable(record: Any) -> DoesNotExist:
    return DoesNotExist(f"{_label(record)} does not exist or is not readable for this user.")


def _label(record: Any) -> str:
    uid = record.__dict__.get("uid")
    return f"{type(record).__name__} {uid}" if uid else repr(record)


def _describe(records: Sequence[Any]) -> str:
    if len(records) == 1:
        return _label(records[0])
    return f"{len(records)} records"
