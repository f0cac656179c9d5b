"""Random base62 uids, lamindb's alphabet, drawn from the OS's cryptographic RNG.

One ``os.urandom`` call per uid and a byte translation: drawing character by character with
``secrets.choice`` would cost as much as inserting the rows of a bulk save.
"""

from __future__ import annotations

import os

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BASE = len(ALPHABET)

# Bytes 0..247 map onto the alphabet four times over (248 = 4 * 62), so dropping bytes
# 248..255 keeps every character equally likely.
_KEEP = 4 * _BASE
_TABLE = bytes(ord(ALPHABET[i % _BASE]) for i in range(_KEEP)) + bytes(256 - _KEEP)
_REJECT = bytes(range(_KEEP, 256))


def base62(n_char: int) -> str:
    """A random base62 string of ``n_char`` characters."""
    while True:
        drawn = os.urandom(n_char + 4).translate(_TABLE, _REJECT)
        if len(drawn) >= n_char:
            return drawn[:n_char].decode("ascii")


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
