"""``lamin-registry adopt URL [--dry-run]``: adopt a database that lamindb created.

Kept out of ``cli.py``; ``cli.build_parser`` registers it through :func:`add_adopt_command`.
"""

from __future__ import annotations

import argparse
from typing import Any


def cmd_adopt(args: argparse.Namespace) -> int:
    """Adopt the lamindb database ``URL`` in place (or, with ``--dry-run``, list the steps)."""
    from . import adopt
    from .cli import OK, CommandError, _print, _require_database, _resolve, _shown

    url = _resolve(args.adopt_url)
    if args.url is not None and _resolve(args.url) != url:
        raise CommandError("adopt takes the database as its argument; drop --url or make them "
                           "equal")
    _require_database(url)
    steps = adopt.adopt(url, dry_run=args.dry_run)
    if not steps:
        _print(f"{_shown(url)} is already adopted: nothing to add.")
        return OK
    verb = "Would add" if args.dry_run else "Adopted; added"
    _print(f"{verb} to {_shown(url)} (lamindb's tables, columns and rows stay as they are):")
    for step in steps:
        _print(f"  - {step}")
    return OK


def add_adopt_command(command: Any) -> None:
    """Register ``adopt`` through ``cli.build_parser``'s ``command`` helper."""
    sub = command(
        "adopt", cmd_adopt, "adopt a database that lamindb created, in place",
        "Adopt the lamindb database URL: add lamin_registry's version table, its team and "
        "access tables and its search and query indexes. Additive only: no lamindb table, "
        "column, constraint or row is altered, renamed or dropped, and lamindb keeps working "
        "on the database. lr.connect(URL) does the same on first connect. --dry-run lists "
        "what would be added and writes nothing. An unknown lamindb migration level is "
        "refused (exit 1).",
    )
    sub.add_argument("adopt_url", metavar="URL", help="database URL or named instance")
    sub.add_argument("--dry-run", action="store_true",
                     help="list what adoption would add; write nothing")
