"""``python -m lamin_registry``: the ``lamin-registry`` command line without the console script."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
