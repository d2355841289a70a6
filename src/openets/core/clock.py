"""Time is passed in, never read inside the domain. All instants are timezone-aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

MARKET_TZ = ZoneInfo("Asia/Shanghai")


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


def parse_instant(text: str) -> datetime:
    """ISO date or datetime; a naive value is read in the markets' zone (Asia/Shanghai)."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=MARKET_TZ)
    return value.astimezone(UTC)


@lru_cache(maxsize=64)  # a batch stamps every transaction and line with the same instant
def to_us(at: datetime) -> int:
    """Microseconds since the Unix epoch (UTC): how instants are stored."""
    delta = at.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(us: int) -> datetime:
    """The aware UTC instant of a stored microsecond count (inverse of `to_us`)."""
    return datetime.fromtimestamp(us // 1_000_000, UTC).replace(microsecond=us % 1_000_000)
