"""Command-line set-up: ``alembic-ini``, the data-loss guard of ``downgrade``, masked messages.

Kept apart from :mod:`lamin_registry.cli` (which registers these commands) to keep that file
readable. Nothing here loads Alembic or SQLAlchemy before a command runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlalchemy as sa

PROG = "lamin-registry"

# What undoing each revision deletes. A revision must be listed here or in NO_DATA_LOSS
# (``tests/test_cli_setup.py`` fails otherwise); an unlisted one asks for the flag too.
DATA_DROPPED = {
    "0001_baseline": "every lamin_registry table (lamindb_*) with every record in it",
    "0002_access": (
        "the tables lamindb_spaceaccess and lamindb_teamuser: every space grant and team "
        "membership"
    ),
    "0006_lamindb_columns": (
        "the columns created_at, created_by_id and run_id of lamindb_schemacomponent"
    ),
    "0007_blocks": (
        "the block tables (lamindb_block, lamindb_<registry>block, lamindb_blockproject): "
        "every readme and comment"
    ),
}
NO_DATA_LOSS = {
    "0003_search_indexes": "search indexes only (rebuilt from the records on upgrade)",
    "0004_rls": "row-level security policies only (PostgreSQL)",
    "0005_visibility_indexes": "indexes only",
    "0008_feature_value_indexes": "an index only",
}
CONFIRM_FLAG = "--yes-drop-data"

ALEMBIC_INI = """\
# Alembic configuration for lamin_registry's migrations, written by `lamin-registry alembic-ini`.
#
# The database comes from `-x url=URL`, else $LAMIN_REGISTRY_URL, else ./lamin_registry.db:
#
#   alembic -x url=sqlite:///registry.db upgrade head
#   alembic -x url=postgresql+psycopg://user:pw@host/db current
#   alembic -x url=sqlite:///registry.db upgrade head --sql      # print the SQL only
#
# A downgrade that drops tables deletes their data: prefer `lamin-registry downgrade`, which
# says what it drops and asks for --yes-drop-data.

[alembic]
script_location = {location}
path_separator = os

[loggers]
keys = root,sqlalchemy,alembic

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARNING
handlers = console
qualname =

[logger_sqlalchemy]
level = WARNING
handlers =
qualname = sqlalchemy.engine

[logger_alembic]
level = INFO
handlers =
qualname = alembic

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(levelname)-5.5s [%(name)s] %(message)s
datefmt = %H:%M:%S
"""


def script_location_option() -> str:
    """``lamin_registry:_alembic`` in an installed wheel; the scripts' path in a checkout."""
    from .migrate import script_location

    location = script_location()
    if location.name == "_alembic" and location.parent == Path(__file__).resolve().parent:
        return "lamin_registry:_alembic"
    return str(location).replace("%", "%%")


def cmd_alembic_ini(args: argparse.Namespace) -> int:
    """Write an ``alembic.ini`` that runs lamin_registry's migrations from the installed package."""
    from .cli import OK, CommandError, _print

    path = Path(args.output)
    if path.is_dir():
        raise CommandError(f"{str(path)!r} is a directory; name the file to write with -o")
    if path.exists() and not args.force:
        raise CommandError(f"{str(path)!r} exists; pass --force to overwrite it")
    if not path.resolve().parent.is_dir():
        raise CommandError(f"The directory of {str(path)!r} does not exist")
    path.write_text(ALEMBIC_INI.format(location=script_location_option()), encoding="utf-8")
    config = "" if path.name == "alembic.ini" else f"-c {path} "
    _print(f"Wrote {path}. Upgrade a database with:")
    _print(f"  alembic {config}-x url=sqlite:///registry.db upgrade head")
    return OK


def add_alembic_ini_command(command: Any) -> None:
    """Register ``alembic-ini`` through ``cli.build_parser``'s ``command`` helper."""
    sub = command(
        "alembic-ini", cmd_alembic_ini, "write an alembic.ini for lamin_registry's migrations",
        "Write an alembic.ini (default: ./alembic.ini) whose script_location is the "
        "migration history shipped inside the installed package, so that `alembic -x "
        "url=URL upgrade head` works from any folder. Refuses to overwrite an existing file "
        "without --force.",
    )
    sub.add_argument("-o", "--output", default="alembic.ini", metavar="PATH",
                     help="the file to write (default: ./alembic.ini)")
    sub.add_argument("--force", action="store_true", help="overwrite an existing file")


# -- downgrade ---------------------------------------------------------------------------------


def undone_revisions(url: str | sa.URL, revision: str) -> list[str]:
    """The revisions a downgrade of ``url`` to ``revision`` undoes, newest first.

    Empty when there is nothing to undo or ``revision`` cannot be resolved (the downgrade
    itself then reports that).
    """
    from . import migrate

    current = migrate.current(url)
    if current is None or migrate.is_newer(current):
        return []
    script = migrate._script()
    try:
        steps = script.revision_map.iterate_revisions(
            current, revision, select_for_downgrade=True
        )
        return [step.revision for step in steps if step is not None]
    except Exception:  # an unknown revision: migrate.downgrade says which ones exist
        return []


def data_loss(revisions: list[str]) -> list[str]:
    """One line per undone revision that deletes data, saying what it deletes."""
    return [
        f"{revision}: {DATA_DROPPED.get(revision, 'what its downgrade drops (see its script)')}"
        for revision in revisions
        if revision not in NO_DATA_LOSS
    ]


def confirm_downgrade(url: str | sa.URL, revision: str, confirmed: bool) -> None:
    """Refuse a downgrade that deletes data unless ``--yes-drop-data`` was given."""
    from .cli import CommandError, _shown

    losses = data_loss(undone_revisions(url, revision))
    if losses and not confirmed:
        lines = "\n".join(f"  - {line}" for line in losses)
        raise CommandError(
            f"Downgrading {_shown(url)} to {revision!r} deletes data:\n{lines}\n"
            f"Back the database up first, then run the command again with {CONFIRM_FLAG}."
        )


def add_downgrade_options(downgrade: argparse.ArgumentParser) -> None:
    downgrade.add_argument(
        CONFIRM_FLAG, dest="yes_drop_data", action="store_true",
        help="confirm a downgrade that deletes data (to 0001_baseline: every space grant "
        "and team membership; to base: everything)",
    )
