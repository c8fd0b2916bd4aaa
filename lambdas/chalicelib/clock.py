"""The platform's one clock and time zone.

Everything that asks "what time is it" (intake, the guards, moderation, publish, retention) asks
here, so tests move time with ``frozen`` instead of sleeping, and every stored stamp has the same
shape: UTC, milliseconds, ``Z``, which sorts as text. Dates shown to people are in ``ATHENS``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

TIMEZONE = "Europe/Athens"
ATHENS = ZoneInfo(TIMEZONE)

_source: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    """The current moment, timezone-aware (UTC unless a test froze another)."""
    return _source()


def iso(moment: datetime) -> str:
    """UTC ISO-8601 with milliseconds and ``Z``: the stamp format of every stored item."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def now_iso() -> str:
    return iso(now())


def epoch() -> int:
    """Whole seconds since the epoch (TTL attributes and guard windows count in these)."""
    return int(now().timestamp())


@contextmanager
def frozen(moment: datetime | Callable[[], datetime]) -> Iterator[None]:
    """Let ``now()`` answer ``moment`` (or call it) inside the block; for tests and benchmarks
    that need a window to start, a consultation to close or a lease to run out on cue."""
    global _source
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise ValueError("a frozen moment needs a time zone")
        fixed = moment
        source: Callable[[], datetime] = lambda: fixed  # noqa: E731
    else:
        source = moment
    previous, _source = _source, source
    try:
        yield
    finally:
        _source = previous
