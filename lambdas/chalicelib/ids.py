"""Submission ids and references.

Ids are ULID-like (48-bit millisecond time + 80 random bits, Crockford base32, lowercase), so
sorting them sorts by creation time and the GSI sort keys stay ordered. References are the short
code a citizen can quote to the municipality (``NS-7K2QXD``); they are not keys, just labels.
"""

from __future__ import annotations

import secrets
import time

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ID_LENGTH = 26
REFERENCE_PREFIX = "NS-"
REFERENCE_CHARS = 6


def _encode(number: int, length: int) -> str:
    chars = []
    for _ in range(length):
        number, digit = divmod(number, 32)
        chars.append(CROCKFORD[digit])
    return "".join(reversed(chars))


def is_reference(value: str) -> bool:
    """A reference as ``new_reference`` makes them (the API's pages echo nothing else)."""
    body = value[len(REFERENCE_PREFIX) :]
    return (
        value.startswith(REFERENCE_PREFIX)
        and len(body) == REFERENCE_CHARS
        and all(c in CROCKFORD for c in body)
    )


def new_id(now_ms: int | None = None) -> str:
    """A 26-character, lowercase, time-ordered id."""
    millis = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    return (_encode(millis, 10) + _encode(secrets.randbits(80), 16)).lower()


def new_reference() -> str:
    """``NS-`` plus six random Crockford base32 characters (about a billion values)."""
    return REFERENCE_PREFIX + _encode(secrets.randbits(5 * REFERENCE_CHARS), REFERENCE_CHARS)
