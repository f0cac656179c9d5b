"""Random base62 uids, lamindb's alphabet, drawn from the OS's cryptographic RNG.

``os.urandom`` and a byte translation, 256 uids at a time: drawing character by character with
``secrets.choice`` would cost as much as inserting the rows of a bulk save.
"""

from __future__ import annotations

import os
from collections import deque

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BASE = len(ALPHABET)

# Bytes 0..247 map onto the alphabet four times over (248 = 4 * 62), so dropping bytes
# 248..255 keeps every character equally likely.
_KEEP = 4 * _BASE
_TABLE = bytes(ord(ALPHABET[i % _BASE]) for i in range(_KEEP)) + bytes(256 - _KEEP)
_REJECT = bytes(range(_KEEP, 256))


def base62(n_char: int) -> str:
    """A random base62 string of ``n_char`` characters.

    Drawn from a per-length pool that one ``os.urandom`` call fills with 256 uids: a syscall
    and a translation per uid cost a fifth of constructing a record. ``deque.popleft`` is
    atomic, so threads never share a uid; a forked child empties the pools it inherited
    (it would otherwise hand out its parent's next uids).
    """
    pool = _POOLS.get(n_char)
    if pool is None:
        pool = _POOLS.setdefault(n_char, deque())
    try:
        return pool.popleft()
    except IndexError:
        pass
    drawn = _draw(n_char * _POOL_SIZE)
    pool.extend(drawn[i : i + n_char] for i in range(n_char, len(drawn), n_char))
    return drawn[:n_char]


_POOL_SIZE = 256
_POOLS: dict[int, deque[str]] = {}


def _draw(count: int) -> str:
    """``count`` random characters of the alphabet, each equally likely."""
    while True:
        drawn = os.urandom(count + count // 16 + 4).translate(_TABLE, _REJECT)
        if len(drawn) >= count:
            return drawn[:count].decode("ascii")


def _forget_pools() -> None:
    _POOLS.clear()


os.register_at_fork(after_in_child=_forget_pools)


def decode_base62(text: str) -> int:
    """The number a base62 string encodes (``"000A"`` -> 10), for ordering version suffixes."""
    value = 0
    for char in text:
        value = value * _BASE + ALPHABET.index(char)
    return value


def encode_base62(value: int, width: int) -> str:
    """``value`` in base62, left-padded with ``0`` to ``width`` characters (longer if needed)."""
    digits = []
    while value:
        value, rest = divmod(value, _BASE)
        digits.append(ALPHABET[rest])
    return "".join(reversed(digits)).rjust(width, "0")


def is_base62(text: str) -> bool:
    """True when every character of ``text`` is in the alphabet (and it is not empty)."""
    return bool(text) and all(char in _ALPHABET_SET for char in text)


_ALPHABET_SET = frozenset(ALPHABET)
