"""The ``lamin-registry`` command line: create, migrate, inspect and curate an instance.

Every command takes the database from ``--url URL_OR_NAME`` (a URL, or a named instance of
:mod:`lamin_registry.config`), else ``$LAMIN_REGISTRY_URL``, else ``./lamin_registry.db``: the
rule of ``lr.connect()``. Only ``init`` and ``upgrade`` change the schema; ``init`` is the only
command that may create a database file. The read commands (``current``, ``check``, ``info``,
``search``, ``standardize``) never write to the database: their session is rolled back.

Exit codes (a shell script may rely on them):

* 0: success;
* 1: the command ran but found a problem: the schema is behind or differs (``check``,
  ``info``, any command that needs a current schema), the server is unreachable, or the
  database refused an operation;
* 2: a usage or input error: bad option, unknown registry, field or revision, a SQLite file
  or CSV file that does not exist, a missing CSV column;
* 130: interrupted (Ctrl-C).

Errors print ``lamin-registry: error: <message>`` to stderr, never a traceback. argparse and
this module are all that load before a command runs; alembic loads only in the migration
commands, and no command needs pandas.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

if TYPE_CHECKING:
    import sqlalchemy as sa

    from .curation.results import SearchResult
    from .repository import Repository

PROG = "lamin-registry"

OK, PROBLEM, USAGE = 0, 1, 2
INTERRUPTED = 130


class CommandError(Exception):
    """A failure the command line reports itself, with the exit code to use."""

    def __init__(self, message: str, code: int = USAGE) -> None:
        super().__init__(message)
        self.code = code


# -- databases ---------------------------------------------------------------------------------


def _target_url(args: argparse.Namespace) -> str | sa.URL:
    """The database of this invocation: ``--url`` (URL or instance name), env, default."""
    return _resolve(args.url)


def _resolve(url_or_name: str | None) -> str | sa.URL:
    """A URL from a URL, an instance name or None, refused unless SQLite or PostgreSQL."""
    import sqlalchemy as sa

    from .config import resolve
    from .errors import InvalidArgument

    url = resolve(url_or_name)
    try:
        backend = sa.make_url(url).get_backend_name()
    except sa.exc.ArgumentError as error:
        raise InvalidArgument(f"Cannot use database URL {_shown(url)!r}: {error}") from None
    if backend not in ("sqlite", "postgresql"):
        raise InvalidArgument(
            f"lamin_registry supports SQLite and PostgreSQL, not {backend} ({_shown(url)})"
        )
    return url


def _shown(url: str | sa.URL) -> str:
    from .config import hide_password

    return hide_password(url)


def _sqlite_path(url: str | sa.URL) -> Path | None:
    """The file a SQLite URL names, or None (another backend, in-memory, a ``file:`` URI)."""
    import sqlalchemy as sa

    from .errors import InvalidArgument

    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as error:
        raise InvalidArgument(f"Cannot use database URL {_shown(url)!r}: {error}") from None
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _require_database(url: str | sa.URL) -> None:
    """Refuse to go on when ``url`` names a SQLite file that does not exist.

    The SQLite driver creates a missing file on first connect; a typo in a path must not
    leave an empty database behind and report "no schema" for it.
    """
    path = _sqlite_path(url)
    if path is not None and not path.is_file():
        raise CommandError(
            f"The SQLite database {str(path)!r} does not exist. Create it with "
            f"`{PROG} init {_shown(url)}`, or name another one with --url."
        )


@contextlib.contextmanager
def _read_only_repository(url: str | sa.URL, user: str | None) -> Iterator[Repository]:
    """A repository on ``url`` whose session is always rolled back.

    The schema must be at head (``SchemaOutOfDate`` otherwise, as ``lr.connect(...,
    migrate=False)`` raises): nothing is migrated or seeded behind the user's back, and a
    new ``user`` is registered only inside the rolled-back transaction. Without ``user`` the
    repository acts as the instance's creator (user 1).
    """
    from sqlalchemy.orm import Session

    from . import migrate
    from .errors import DoesNotExist, SchemaOutOfDate
    from .instance import create_engine
    from .repository import Repository

    _require_database(url)
    engine = create_engine(url)
    try:
        _require_head(engine, url, migrate.current(engine), migrate.head())
        with Session(engine) as session:
            try:
                repo = Repository(session, user=user)
            except DoesNotExist:
                raise SchemaOutOfDate(
                    f"The database {_shown(url)} has a schema but no users: run "
                    f"`{PROG} init {_shown(url)}` to seed it."
                ) from None
            try:
                with repo:
                    yield repo
            finally:
                session.rollback()
    finally:
        engine.dispose()


def _require_head(engine: sa.Engine, url: str | sa.URL, current: str | None, head: str) -> None:
    from .errors import SchemaOutOfDate

    if current is None:
        raise SchemaOutOfDate(
            f"The database {_shown(url)} has no lamin_registry schema: run "
            f"`{PROG} init {_shown(url)}`."
        )
    if current != head:
        from .migrate import is_newer, newer_schema_message

        if is_newer(current):
            raise SchemaOutOfDate(newer_schema_message(_shown(url), current))
        raise SchemaOutOfDate(
            f"The database {_shown(url)} is at revision {current!r}, this version of "
            f"lamin_registry needs {head!r}: run `{PROG} --url {_shown(url)} upgrade`."
        )


def _default_user(args: argparse.Namespace) -> str | None:
    """``--user``, else ``$LAMIN_REGISTRY_USER``, else None (the instance's creator)."""
    from .instance import USER_ENV

    return args.user or os.environ.get(USER_ENV) or None


# -- registries --------------------------------------------------------------------------------


def registries() -> dict[str, type]:
    """``{lower-cased public name: registry class}`` (aliases such as ``jsonvalue`` included)."""
    import lamin_registry

    from .models import BaseSQLRecord

    found: dict[str, type] = {}
    for name in lamin_registry._MODELS:
        candidate = getattr(lamin_registry, name)
        if (
            isinstance(candidate, type)
            and issubclass(candidate, BaseSQLRecord)
            and "__table__" in vars(candidate)
        ):
            found[name.lower()] = candidate
    return found


def _registry(name: str) -> type:
    """The registry class called ``name`` (case-insensitive), or a usage error listing them."""
    known = registries()
    model = known.get(name.lower())
    if model is None:
        names = sorted({model.__name__ for model in known.values()})
        raise CommandError(
            f"Unknown registry {name!r}. Available registries (case-insensitive): "
            f"{', '.join(names)}"
        )
    return model


def _counted_registries() -> list[type]:
    """Each registry once, in the order of the public names (aliases dropped)."""
    return list(dict.fromkeys(registries().values()))


# -- output --------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    """A value for a one-line table cell: None empty, control characters escaped."""
    if value is None:
        return ""
    text = str(value)
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns separated by two spaces, a header and a dashed rule."""
    widths = [len(header) for header in headers]
    for row in rows:
        widths = [max(width, len(cell)) for width, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))

    rule = ["-" * width for width in widths]
    return "\n".join(line(cells).rstrip() for cells in [headers, rule, *rows])


def _print(text: str = "", *, file: TextIO | None = None) -> None:
    print(text, file=sys.stdout if file is None else file)


# -- commands ------------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace) -> int:
    """Create or upgrade the schema of ``URL`` and seed the built-in rows (``lr.connect``)."""
    from . import migrate
    from .instance import connect

    url = _resolve(args.init_url)
    if args.url is not None and _resolve(args.url) != url:
        raise CommandError("init takes the database as its argument; drop --url or make them equal")
    path = _sqlite_path(url)
    existed = path is None or path.is_file()
    before = migrate.current(url) if existed else None
    instance = connect(url, user=args.user)
    try:
        after = migrate.current(instance.engine)
        from sqlalchemy.orm import Session

        from .models.core import User

        with Session(instance.engine) as session:
            creator = session.get(User, 1)
            creator_handle = creator.handle if creator is not None else "?"
    finally:
        instance.close()
    if before == after:
        _print(f"{_shown(url)} is already initialized at revision {after} (creator: "
               f"{creator_handle}).")
    elif before is None:
        _print(f"Initialized {_shown(url)} at revision {after} (creator: {creator_handle}).")
    else:
        _print(f"Upgraded {_shown(url)} from revision {before} to {after} and checked the "
               f"built-in rows (creator: {creator_handle}).")
    return OK


def _move(args: argparse.Namespace, down: bool) -> int:
    """Run ``migrate.upgrade``/``downgrade`` to ``args.revision`` and say what changed."""
    from . import migrate

    url = _target_url(args)
    _require_database(url)
    before = migrate.current(url)
    (migrate.downgrade if down else migrate.upgrade)(url, args.revision)
    after = migrate.current(url)
    if before == after:
        _print(f"{_shown(url)} is already at revision {after}.")
    else:
        verb = "Downgraded" if down else "Upgraded"
        _print(f"{verb} {_shown(url)} from revision {before} to {after}.")
    return OK


def cmd_upgrade(args: argparse.Namespace) -> int:
    """Migrate the database up to ``REV`` (default: head)."""
    return _move(args, down=False)


def cmd_downgrade(args: argparse.Namespace) -> int:
    """Migrate the database down to ``REV`` (``base`` drops every lamin_registry table).

    A downgrade that deletes data (grants, or everything) needs ``--yes-drop-data``.
    """
    from .cli_setup import confirm_downgrade

    url = _target_url(args)
    _require_database(url)
    confirm_downgrade(url, args.revision, args.yes_drop_data)
    return _move(args, down=True)


def cmd_current(args: argparse.Namespace) -> int:
    """Print the revision id (``None`` for a database without lamin_registry's schema)."""
    from . import migrate

    url = _target_url(args)
    _require_database(url)
    revision = migrate.current(url)
    _print(str(revision))
    if revision is None:
        _print(f"{_shown(url)} has no lamin_registry schema; create it with `{PROG} init URL`.",
               file=sys.stderr)
    return OK


def cmd_check(args: argparse.Namespace) -> int:
    """Exit 0 when the schema matches the models, else 1 with the differences."""
    from . import migrate

    url = _target_url(args)
    _require_database(url)
    migrate.check(url)  # SchemaOutOfDate -> exit 1 with the listed differences
    _print(f"{_shown(url)} is up to date (revision {migrate.head()}).")
    return OK


def cmd_info(args: argparse.Namespace) -> int:
    """The database, its revision against head, the acting user, and counts per registry."""
    import sqlalchemy as sa

    from . import migrate
    from .models.core import User

    url = _target_url(args)
    _require_database(url)
    current, newest = migrate.current(url), migrate.head()
    _print(f"url:       {_shown(url)}")
    _print(f"backend:   {sa.make_url(url).get_backend_name()}")
    status = "up to date" if current == newest else "out of date"
    _print(f"revision:  {current} (head: {newest}, {status})")
    if current != newest:
        from .migrate import is_newer, newer_schema_message

        if is_newer(current):
            _print(f"{PROG}: {newer_schema_message(_shown(url), str(current))}", file=sys.stderr)
            return PROBLEM
        fix = f"`{PROG} init URL`" if current is None else f"`{PROG} upgrade`"
        _print(f"lamin-registry: the schema is {status}; run {fix} first.", file=sys.stderr)
        return PROBLEM
    with _read_only_repository(url, _default_user(args)) as repo:
        creator = repo.session.get(User, 1)
        _print(f"user:      {repo.user.handle} (id {repo.user_id}; instance creator: "
               f"{creator.handle if creator is not None else '?'})")
        rows = [
            [model.__name__, str(repo.filter(model).count())] for model in _counted_registries()
        ]
    _print()
    _print(format_table(["registry", "records"], rows))
    _print("(records the user can see on the visible branches; trash and archive not counted)")
    return OK


def cmd_search(args: argparse.Namespace) -> int:
    """Print the records of REGISTRY that match QUERY, best first."""
    from .curation._common import resolve_field

    model = _registry(args.registry)
    url = _target_url(args)
    with _read_only_repository(url, _default_user(args)) as repo:
        result: SearchResult[Any] = repo.search(
            model, args.query, field=args.field, limit=args.limit
        )
        name = resolve_field(model, None, purpose="search")
        shown = [name]
        if args.field and args.field != name and args.field != "all":
            shown.append(args.field)
        key = "uid" if hasattr(model, "uid") else "id"
        rows = [
            [*(_cell(getattr(record, field)) for field in shown), _cell(getattr(record, key)),
             f"{score:.1f}"]
            for record, score in zip(result, result.scores, strict=True)
        ]
    if not rows:
        _print(f"No {model.__name__} record matches {args.query!r}.", file=sys.stderr)
        return OK
    _print(format_table([*shown, key, "score"], rows))
    return OK


def _read_csv(path: Path) -> tuple[list[str], list[list[str]], str]:
    """The header, the rows and the line ending of a UTF-8 CSV file (cells kept as text)."""
    if not path.exists():
        raise CommandError(f"The CSV file {str(path)!r} does not exist")
    if not path.is_file():
        raise CommandError(f"{str(path)!r} is not a file")
    try:
        with path.open(newline="", encoding="utf-8-sig") as file:
            text = file.read()
    except UnicodeDecodeError as error:
        raise CommandError(f"{str(path)!r} is not UTF-8 text: {error}") from None
    except OSError as error:
        raise CommandError(f"Cannot read {str(path)!r}: {error.strerror}") from None
    try:
        table = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise CommandError(f"{str(path)!r} is not a valid CSV file: {error}") from None
    if not table:
        raise CommandError(f"The CSV file {str(path)!r} is empty (no header row)")
    ending = "\r\n" if "\r\n" in text else "\n"
    return table[0], table[1:], ending


def _column_index(header: list[str], column: str, path: Path) -> int:
    positions = [index for index, name in enumerate(header) if name == column]
    if not positions:
        raise CommandError(
            f"The CSV file {str(path)!r} has no column {column!r}. Its columns: "
            f"{', '.join(map(repr, header))}"
        )
    if len(positions) > 1:
        raise CommandError(f"The CSV file {str(path)!r} has {len(positions)} columns {column!r}")
    return positions[0]


def _destination(args: argparse.Namespace, source: Path) -> Path | None:
    """Where the standardized CSV goes: a file, or None for stdout. Never the input unasked."""
    if args.in_place:
        if args.output is not None:
            raise CommandError("--in-place and --output exclude each other")
        return source
    if args.output is None or args.output == "-":
        return None
    output = Path(args.output)
    if output.exists() and source.exists() and output.resolve() == source.resolve():
        raise CommandError(
            f"--output {args.output!r} is the input file; pass --in-place to overwrite it"
        )
    if output.is_dir():
        raise CommandError(f"--output {args.output!r} is a directory")
    return output


def _write_csv(
    header: list[str], rows: list[list[str]], ending: str, destination: Path | None
) -> None:
    """Write the CSV to stdout or, atomically (temporary file + rename), to ``destination``."""
    if destination is None:
        writer = csv.writer(sys.stdout, lineterminator=ending)
        writer.writerow(header)
        writer.writerows(rows)
        return
    directory = destination.resolve().parent
    if not directory.is_dir():
        raise CommandError(f"The directory {str(directory)!r} of the output does not exist")
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{destination.name}.", suffix=".tmp", dir=directory
    )
    try:
        with os.fdopen(descriptor, "w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file, lineterminator=ending)
            writer.writerow(header)
            writer.writerows(rows)
        if destination.exists():
            os.chmod(temporary, destination.stat().st_mode & 0o7777)
        os.replace(temporary, destination)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _require_standardizable(model: type, field: str | None) -> None:
    """Refuse what ``repo.standardize`` would silently return unchanged.

    Only the name field of a registry with ``synonyms`` is standardized (lamindb's rule);
    writing an unchanged copy of the file would look like success.
    """
    from .curation._common import has_column, name_field, resolve_field

    able = sorted(
        {m.__name__ for m in registries().values() if has_column(m, "synonyms") and name_field(m)}
    )
    if not has_column(model, "synonyms") or name_field(model) is None:
        raise CommandError(
            f"{model.__name__} cannot be standardized: it has no synonyms. Registries that "
            f"can: {', '.join(able)}"
        )
    name = name_field(model)
    if field is not None and resolve_field(model, field, purpose="standardize") != name:
        raise CommandError(
            f"Only the name field {name!r} of {model.__name__} can be standardized, not {field!r}"
        )


def cmd_standardize(args: argparse.Namespace) -> int:
    """Standardize a CSV column against a registry and write the result.

    The values of COLUMN are replaced by their standard names (``--new-column NAME`` writes
    them to a new column instead, keeping COLUMN). The result goes to stdout unless
    ``--output OUT.csv`` or ``--in-place`` is given; the input file is never overwritten
    without ``--in-place``. Files are replaced atomically, so a failure leaves them as they
    were. Every other cell is written back as the same text.
    """
    model = _registry(args.registry)
    _require_standardizable(model, args.field)
    source = Path(args.file)
    destination = _destination(args, source)
    header, rows, ending = _read_csv(source)
    index = _column_index(header, args.column, source)
    if args.new_column is not None and args.new_column in header:
        raise CommandError(f"The CSV file {str(source)!r} already has a column {args.new_column!r}")
    values = [row[index] if index < len(row) else "" for row in rows]
    url = _target_url(args)
    with _read_only_repository(url, _default_user(args)) as repo:
        standardized = repo.standardize(model, values, field=args.field, mute=True)
        unique = list(dict.fromkeys(value for value in standardized if value))
        known: list[bool] = (
            list(repo.validate(model, unique, field=args.field, mute=True)) if unique else []
        )
    unmatched = [value for value, ok in zip(unique, known, strict=True) if not ok]
    changes = {old: new for old, new in zip(values, standardized, strict=True) if old != new}
    changed = sum(1 for old, new in zip(values, standardized, strict=True) if old != new)
    if args.new_column is not None:
        header = [*header, args.new_column]
        rows = [
            [*row, *([""] * (len(header) - 1 - len(row))), new]
            for row, new in zip(rows, standardized, strict=True)
        ]
    else:
        for row, new in zip(rows, standardized, strict=True):
            if index < len(row):
                row[index] = new
    _write_csv(header, rows, ending, destination)
    report = sys.stderr if destination is None else sys.stdout
    target = "stdout" if destination is None else str(destination)
    column = args.new_column or args.column
    _print(f"standardized {changed} of {len(values)} values ({len(changes)} distinct) of "
           f"column {args.column!r} against {model.__name__}; wrote column {column!r} to "
           f"{target}", file=report)
    for old, new in list(changes.items())[:10]:
        _print(f"  {old!r} -> {new!r}", file=report)
    if len(changes) > 10:
        _print(f"  ... and {len(changes) - 10} more", file=report)
    if unmatched:
        listed = ", ".join(map(repr, unmatched[:10])) + (" ..." if len(unmatched) > 10 else "")
        are = "value is" if len(unmatched) == 1 else "values are"
        _print(f"{len(unmatched)} distinct {are} not in {model.__name__}: {listed}", file=report)
    return OK


# -- parser --------------------------------------------------------------------------------


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    from .query.limits import MAX_LIMIT

    if value > MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"must be at most 2**63 - 1 = {MAX_LIMIT}, got {value}")
    return value


EPILOG = """\
The database: --url URL_OR_NAME, else $LAMIN_REGISTRY_URL, else sqlite:///lamin_registry.db.
Exit codes: 0 success, 1 a problem found (schema behind or different, database unreachable),
2 usage or input error. See docs/cli.md."""


class _Parser(argparse.ArgumentParser):
    """argparse, with the error format of the rest of the command line."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(USAGE, f"{PROG}: error: {message}\n")


def _global_options(default: Any) -> _Parser:
    """``--url``, ``--user``, ``-v``: a fresh parser per use, since argparse shares actions.

    The top level gets ``default=None``; each command ``argparse.SUPPRESS``, so an option
    given before the command is not reset by the command's own parser.
    """
    options = _Parser(add_help=False)
    options.add_argument(
        "--url",
        default=default,
        metavar="URL_OR_NAME",
        help="database URL or named instance (default: $LAMIN_REGISTRY_URL, else "
        "sqlite:///lamin_registry.db)",
    )
    options.add_argument(
        "--user",
        default=default,
        help="act as this user handle (default: $LAMIN_REGISTRY_USER; read commands: the "
        "instance's creator; init: 'anonymous')",
    )
    options.add_argument(
        "-v", "--verbose", action="store_true",
        default=False if default is None else default,
        help="log what lamin_registry does (INFO) to stderr",
    )
    return options


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command (``--url``/``--user``/``-v`` before or after the command)."""
    from .cli_setup import add_alembic_ini_command, add_downgrade_options

    parser = _Parser(
        prog=PROG,
        description="Create, migrate, inspect and curate a lamin_registry database.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[_global_options(None)],
    )
    parser.set_defaults(func=None)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, func: Callable[[argparse.Namespace], int], summary: str,
                description: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name, help=summary, description=description, epilog=EPILOG,
            parents=[_global_options(argparse.SUPPRESS)],
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.set_defaults(func=func)
        return sub

    init = command(
        "init", cmd_init, "create (or upgrade) a database and seed it",
        "Create the schema of URL (or bring it to head) and seed the built-in rows: space "
        "'all', branches trash/archive/main/locked/template and the creator (--user). Safe "
        "to run again.",
    )
    init.add_argument("init_url", metavar="URL", help="database URL or named instance")

    upgrade = command(
        "upgrade", cmd_upgrade, "migrate the schema up (default: to head)",
        "Migrate the database up to REV (default: head). An existing SQLite file is "
        "required: create new databases with `init`.",
    )
    upgrade.add_argument("revision", metavar="REV", nargs="?", default="head",
                         help="target revision (default: head)")

    downgrade = command(
        "downgrade", cmd_downgrade, "migrate the schema down to REV",
        "Migrate the database down to REV; 'base' drops every lamin_registry table. A "
        "downgrade that deletes data (to 0001_baseline: the space grants and team "
        "memberships; to base: everything) says what it deletes and runs only with "
        "--yes-drop-data.",
    )
    downgrade.add_argument("revision", metavar="REV",
                           help="target revision: an id, 'base', or a relative step like -1")
    add_downgrade_options(downgrade)

    add_alembic_ini_command(command)
    from .cli_adopt import add_adopt_command

    add_adopt_command(command)
    command(
        "current", cmd_current, "print the schema revision",
        "Print the database's revision id, or None (and a hint on stderr) when it has no "
        "lamin_registry schema. Exit 0 in both cases.",
    )
    command(
        "check", cmd_check, "compare the schema with the models",
        "Exit 0 and print 'up to date' when the database is at head and its schema matches "
        "the models; else exit 1 listing the differences on stderr.",
    )
    command(
        "info", cmd_info, "show the database, revision, user and counts",
        "Show the URL (password hidden), the revision against head, the acting user and the "
        "number of records per registry. Exit 1 when the schema is not at head.",
    )

    search = command(
        "search", cmd_search, "search a registry",
        "Print the records of REGISTRY matching QUERY best first (name, uid, score 0-100).",
    )
    search.add_argument("registry", metavar="REGISTRY",
                        help="registry name, case-insensitive (ulabel, Feature, ...)")
    search.add_argument("query", metavar="QUERY", help="the search string (taken literally)")
    search.add_argument("--limit", type=_positive_int, default=20,
                        help="at most this many results (default: 20)")
    search.add_argument("--field", help="search this field (default: name and synonyms; "
                        "'all': every text field)")

    standardize = command(
        "standardize", cmd_standardize, "standardize a CSV column against a registry",
        "Replace the values of COLUMN in FILE.csv by their standard names in REGISTRY "
        "(exact, case-insensitive, synonym). Writes the CSV to stdout unless --output or "
        "--in-place is given; the input is never overwritten without --in-place. The "
        "summary goes to stdout (stderr when the CSV does).",
    )
    standardize.add_argument("registry", metavar="REGISTRY",
                             help="registry name, case-insensitive (ulabel, Feature, ...)")
    standardize.add_argument("file", metavar="FILE.csv", help="a UTF-8 CSV file with a header row")
    standardize.add_argument("--column", required=True, help="the column to standardize")
    standardize.add_argument("--field", help="registry field to match (default: the name)")
    destination = standardize.add_mutually_exclusive_group()
    destination.add_argument("--output", "-o", metavar="OUT.csv",
                             help="write the result here ('-': stdout, the default)")
    destination.add_argument("--in-place", action="store_true",
                             help="overwrite FILE.csv with the result")
    standardize.add_argument("--new-column", metavar="NAME",
                             help="write the standardized values to a new column NAME and "
                             "keep COLUMN as it is")
    return parser


def _exit_code(error: Exception) -> int:
    """1 for a problem found in or by the database, 2 for bad input."""
    from .errors import FieldValidationError, InvalidArgument, ValidationError

    if isinstance(error, CommandError):
        return error.code
    if isinstance(error, InvalidArgument | FieldValidationError | ValidationError):
        return USAGE
    return PROBLEM


def main(argv: list[str] | None = None) -> int:
    """Run ``lamin-registry`` with ``argv`` (default: ``sys.argv[1:]``); returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, or a usage error argparse already printed
        return exit_.code if isinstance(exit_.code, int) else USAGE
    if args.func is None:
        parser.print_help(sys.stderr)
        return USAGE
    if args.verbose:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        from .diagnostics import PASSWORD_FILTER

        handler.addFilter(PASSWORD_FILTER)
        logger = logging.getLogger("lamin_registry")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    import sqlalchemy as sa

    from .diagnostics import mask_passwords, missing_driver
    from .errors import LaminRegistryError

    def fail(message: str, code: int) -> int:  # every message: passwords as ***
        print(mask_passwords(f"{PROG}: error: {message}", args.url), file=sys.stderr)
        return code

    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:  # `lamin-registry search ... | head`
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return PROBLEM
    except (CommandError, LaminRegistryError) as error:
        return fail(str(error), _exit_code(error))
    except ImportError as error:  # a database driver that is not installed
        from .config import default_url

        url = getattr(args, "init_url", None) or args.url or default_url()
        return fail(str(missing_driver(url, error)), USAGE)
    except OSError as error:  # a file named on the command line: unwritable, vanished, ...
        where = f": {error.filename}" if error.filename else ""
        return fail(f"{error.strerror or error}{where}", USAGE)
    except sa.exc.SQLAlchemyError as error:  # e.g. a permission the database refused
        detail = getattr(error, "orig", None) or error
        return fail(f"the database refused the operation: {detail}", PROBLEM)
