"""Greek dates (and amounts) for the templates, through Babel's CLDR data: the C library's
locales are not installed in Lambda, and strftime gives "Νοέμβριος" where Greek wants
"Νοεμβρίου"."""

from datetime import date, datetime
from functools import cache

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from chalicelib.clock import ATHENS

LOCALE = "el"


def to_athens(value: datetime) -> datetime:
    """An aware datetime in Athens time (naive values are taken as already Athens time)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=ATHENS)
    return value.astimezone(ATHENS)


def parse_utc(value: str) -> datetime:
    """Parse the snapshot's ``...Z`` timestamps."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def greek_date(value: date | datetime | str) -> str:
    """``26 Νοεμβρίου 2026``."""
    if isinstance(value, str):
        value = parse_utc(value)
    if isinstance(value, datetime):
        value = to_athens(value).date()
    return _format_day(value)


@cache
def _format_day(day: date) -> str:
    # Every comment shows its date: 20,000 Babel calls for a few hundred distinct days.
    return format_date(day, "d MMMM y", locale=LOCALE)


def greek_datetime(value: datetime | str) -> str:
    """``26 Νοεμβρίου 2026, 14:30`` in Athens time."""
    if isinstance(value, str):
        value = parse_utc(value)
    return format_datetime(to_athens(value), "d MMMM y, HH:mm", tzinfo=ATHENS, locale=LOCALE)


def iso(value: datetime | str) -> str:
    """Machine-readable value for ``<time datetime>``."""
    if isinstance(value, str):
        value = parse_utc(value)
    return to_athens(value).isoformat(timespec="minutes")


def greek_count(value: int) -> str:
    """A count the Greek way (1.234), as the charts and the results write it."""
    return str(format_decimal(value, format="#,##0", locale=LOCALE))


def euros(value: int | float) -> str:
    """``450.000 €``: Greek grouping, whole euros."""
    return f"{format_decimal(value, format='#,##0', locale=LOCALE)} €"
