"""chalicelib.timeline: the one rule for a consultation's state, its Athens day count and the
next moment a published page stops being true."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import timeline
from chalicelib.clock import ATHENS

OPENS = datetime(2026, 11, 1, 9, 0, tzinfo=ATHENS)
CLOSES = datetime(2026, 12, 20, 23, 59, tzinfo=ATHENS)
TICK = timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (OPENS - TICK, "upcoming"),
        (OPENS, "open"),  # opening time included
        (CLOSES - TICK, "open"),
        (CLOSES, "closed"),  # closing time excluded
        (CLOSES.astimezone(UTC), "closed"),  # the zone of "now" does not matter
    ],
)
def test_state_at_the_edges(now: datetime, expected: str) -> None:
    assert timeline.state(OPENS, CLOSES, now) == expected


@pytest.mark.parametrize(
    ("now", "days"),
    [
        (datetime(2026, 12, 10, 0, 0, tzinfo=ATHENS), 10),
        (datetime(2026, 12, 10, 23, 59, 59, tzinfo=ATHENS), 10),  # the same Athens day
        (datetime(2026, 12, 10, 22, 30, tzinfo=UTC), 9),  # 00:30 on the 11th in Athens
        (datetime(2026, 12, 19, 12, 0, tzinfo=ATHENS), 1),
        (datetime(2026, 12, 20, 0, 0, tzinfo=ATHENS), 0),  # the last day
        (datetime(2026, 12, 20, 23, 58, tzinfo=ATHENS), 0),
    ],
)
def test_days_left_count_athens_calendar_days(now: datetime, days: int) -> None:
    assert timeline.days_left(CLOSES, now) == days


def test_a_consultation_closing_at_midnight_ends_the_day_before() -> None:
    closes = datetime(2026, 12, 21, 0, 0, tzinfo=ATHENS)
    assert timeline.days_left(closes, datetime(2026, 12, 20, 8, 0, tzinfo=ATHENS)) == 0
    assert timeline.days_left(closes, datetime(2026, 12, 19, 8, 0, tzinfo=ATHENS)) == 1


def test_next_midnight_is_athens_midnight_across_a_dst_change() -> None:
    # Greece leaves summer time on 25 October 2026: that day has 25 hours.
    before = datetime(2026, 10, 25, 1, 0, tzinfo=ATHENS)
    midnight = timeline.next_midnight(before)
    assert midnight.astimezone(ATHENS).replace(tzinfo=None) == datetime(2026, 10, 26, 0, 0)
    assert midnight.astimezone(UTC) == datetime(2026, 10, 25, 22, 0, tzinfo=UTC)
    start_of_day = datetime(2026, 10, 25, 0, 0, tzinfo=ATHENS).astimezone(UTC)
    assert midnight.astimezone(UTC) - start_of_day == timedelta(hours=25)


def test_next_change_of_an_upcoming_consultation_is_its_opening() -> None:
    now = OPENS - timedelta(days=3)
    assert timeline.next_change([(OPENS, CLOSES)], now) == OPENS


def test_next_change_while_open_is_the_next_midnight() -> None:
    now = datetime(2026, 12, 10, 15, 0, tzinfo=ATHENS)
    assert timeline.next_change([(OPENS, CLOSES)], now) == datetime(
        2026, 12, 11, 0, 0, tzinfo=ATHENS
    )


def test_next_change_on_the_last_day_is_the_closing() -> None:
    now = datetime(2026, 12, 20, 15, 0, tzinfo=ATHENS)
    assert timeline.next_change([(OPENS, CLOSES)], now) == CLOSES


def test_next_change_is_the_earliest_of_every_consultation() -> None:
    later = (datetime(2027, 1, 10, 9, 0, tzinfo=ATHENS), datetime(2027, 3, 1, tzinfo=ATHENS))
    closed = (datetime(2026, 1, 1, tzinfo=ATHENS), datetime(2026, 2, 1, tzinfo=ATHENS))
    after_close = CLOSES + timedelta(hours=1)
    assert timeline.next_change([closed, (OPENS, CLOSES), later], after_close) == later[0]
    assert timeline.next_change([closed], after_close) is None  # nothing will change
    at_opening = timeline.next_change([closed, (OPENS, CLOSES)], OPENS - TICK)
    assert at_opening == OPENS
