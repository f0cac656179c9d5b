"""The one rule for ``limit`` arguments (``Query.limit``, ``to_dataframe``, ``search``)."""

from __future__ import annotations

from typing import Any

from ..errors import InvalidArgument

MAX_LIMIT = 2**63 - 1
"""The largest LIMIT both backends accept (a signed 64-bit integer)."""


def check_limit(limit: Any, *, name: str = "limit") -> int | None:
    """``limit`` if it is None or an integer in ``0..MAX_LIMIT``; else ``InvalidArgument``."""
    if limit is None:
        return None
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
        raise InvalidArgument(f"{name} must be a non-negative integer or None, got {limit!r}")
    if limit > MAX_LIMIT:
        raise InvalidArgument(
            f"{name}={limit} is larger than any database accepts (at most 2**63 - 1 = "
            f"{MAX_LIMIT}); pass {name}=None for no limit"
        )
    return limit


def clamp(value: int) -> int:
    """``value`` cut to :data:`MAX_LIMIT` (for limits computed from a user's limit)."""
    return min(value, MAX_LIMIT)
