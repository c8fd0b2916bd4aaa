"""A consultation's calendar: the one rule for upcoming / open / closed, the day count the site
shows, and the next moment at which a published page stops being true.

The API (chalicelib.validation) accepts a submission exactly when ``state`` says "open"; the site
build (plugins/consultations) shows the forms by the same function, so at any instant the two
agree. The publish step (chalicelib.publish) rebuilds when ``next_change`` of its last complete
build has passed: an opening, a closing, or the Athens midnight that changes a day count.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta

from chalicelib.clock import ATHENS

UPCOMING, OPEN, CLOSED = "upcoming", "open", "closed"


def state(opens: datetime, closes: datetime, now: datetime) -> str:
    """Open from ``opens`` (inclusive) until ``closes`` (exclusive). Compared in UTC: Python
    compares two datetimes of one zone by wall clock, which is wrong in the hour a DST change
    repeats."""
    opens, closes, now = (m.astimezone(UTC) for m in (opens, closes, now))
    if now < opens:
        return UPCOMING
    if now < closes:
        return OPEN
    return CLOSED


def days_left(closes: datetime, now: datetime) -> int:
    """Whole Athens calendar days from today to the last day open: 0 on the last day, so the
    count changes at Athens midnight, not at the hour the consultation happens to close."""
    last_day = (closes - timedelta(microseconds=1)).astimezone(ATHENS).date()
    return max((last_day - now.astimezone(ATHENS).date()).days, 0)


def next_midnight(now: datetime) -> datetime:
    """The next Athens midnight after ``now`` (a DST day is 23 or 25 hours long)."""
    tomorrow = now.astimezone(ATHENS).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), tzinfo=ATHENS)


def next_change(periods: Iterable[tuple[datetime, datetime]], now: datetime) -> datetime | None:
    """The first moment after ``now`` when a page built at ``now`` would show something else:
    a consultation opens or closes, or (while one is open) its day count ticks at midnight.
    ``periods`` are (opens, closes) pairs; None when nothing will ever change."""
    now = now.astimezone(UTC)
    moments = []
    for opens, closes in ((o.astimezone(UTC), c.astimezone(UTC)) for o, c in periods):
        moments += [m for m in (opens, closes) if m > now]
        if state(opens, closes, now) == OPEN:
            moments.append(min(next_midnight(now).astimezone(UTC), closes))
    return min(moments, default=None)
