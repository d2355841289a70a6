"""Time is passed in, never read inside the domain. All instants are timezone-aware UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

from openets.core.errors import BadInput

MARKET_TZ = ZoneInfo("Asia/Shanghai")
# the instants a person may name: wide enough for any history or deadline, far from datetime's
# limits (year 9999 ± a zone offset overflows) and within microseconds in a BIGINT
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
MAX_TIME_TEXT = 64


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock for tests and replays: returns what it was set to."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self.at = at

    def now(self) -> datetime:
        return self.at


def parse_instant(text: object, what: str = "time") -> datetime:
    """ISO date or datetime; a naive value is read in the markets' zone (Asia/Shanghai). Refused
    (DomainError ``time_invalid`` / ``time_out_of_range``): anything else, and instants outside
    [EARLIEST, LATEST)."""
    if isinstance(text, datetime):
        value = text
    else:
        if not isinstance(text, str) or len(text) > MAX_TIME_TEXT:
            raise BadInput("time_invalid", f"{what}: {str(text)[:40]!r} is not an ISO date or time")
        try:
            value = datetime.fromisoformat(text.strip())
        except ValueError:
            raise BadInput("time_invalid", f"{what}: {text!r} is not an ISO date or time (e.g. 2024-06-30T15:00+08:00)") from None
    return check_instant(value, what)


def check_instant(value: datetime, what: str = "time") -> datetime:
    """``value`` as aware UTC, refused when outside [EARLIEST, LATEST) (naive: the markets' zone)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=MARKET_TZ)
    try:
        utc = value.astimezone(UTC)
    except (OverflowError, ValueError):
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        raise BadInput("time_out_of_range", f"{what}: {value.isoformat()} is outside "
                          f"{EARLIEST.year}-01-01 .. {LATEST.year}-01-01")
    return utc


def parse_day(text: object, what: str = "date") -> date:
    """An ISO date (YYYY-MM-DD) within the years of EARLIEST .. LATEST; DomainError ``date_invalid``."""
    if not isinstance(text, str) or len(text) > MAX_TIME_TEXT:
        raise BadInput("date_invalid", f"{what}: {str(text)[:40]!r} is not an ISO date (YYYY-MM-DD)")
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise BadInput("date_invalid", f"{what}: {text!r} is not a valid date (YYYY-MM-DD)") from None
    if not EARLIEST.year <= day.year < LATEST.year:
        raise BadInput("time_out_of_range", f"{what}: {day} is outside {EARLIEST.year} .. {LATEST.year - 1}")
    return day


@lru_cache(maxsize=64)  # a batch stamps every transaction and line with the same instant
def to_us(at: datetime) -> int:
    """Microseconds since the Unix epoch (UTC): how instants are stored. An instant datetime cannot
    put in UTC (year 9999 with a negative offset) is refused, not an OverflowError."""
    try:
        utc = at.astimezone(UTC)
    except (OverflowError, ValueError):
        raise BadInput("time_out_of_range", f"{at.isoformat()} is outside the range of times kept") from None
    delta = utc - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(us: int) -> datetime:
    """The aware UTC instant of a stored microsecond count (inverse of `to_us`)."""
    return datetime.fromtimestamp(us // 1_000_000, UTC).replace(microsecond=us % 1_000_000)
