"""Reading a section's fields for the section parsers of the capabilities: each read returns the
value (or the default) and records what is wrong instead of raising, so a parser reports every bad
field of a section at once. Generic: no domain knowledge here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from openets.rules.loader import FieldError

T = TypeVar("T")


class Fields:
    def __init__(self, data: Mapping[str, Any], prefix: str = "") -> None:
        self.data = data
        self.prefix = prefix
        self.errors: list[FieldError] = []

    def error(self, key: str, message: str) -> None:
        self.errors.append(FieldError(self.prefix + key, message))

    def has(self, key: str) -> bool:
        return key in self.data

    def required(self, key: str) -> bool:
        if key not in self.data:
            self.error(key, "missing")
            return False
        return True

    def decimal(self, key: str, default: T) -> Decimal | T:
        if key not in self.data:
            return default
        got = to_decimal(self.data[key])
        if got is None:
            self.error(key, f"{self.data[key]!r} is not a number")
            return default
        return got

    def integer(self, key: str, default: T) -> int | T:
        if key not in self.data:
            return default
        value = self.data[key]
        try:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            return int(value)
        except (TypeError, ValueError):
            self.error(key, f"{value!r} is not a whole number")
            return default

    def boolean(self, key: str, default: bool) -> bool:
        if key not in self.data:
            return default
        value = self.data[key]
        if not isinstance(value, bool):
            self.error(key, f"{value!r} is not true or false")
            return default
        return value

    def date(self, key: str, default: T) -> dt.date | T:
        if key not in self.data:
            return default
        got = to_date(self.data[key])
        if got is None:
            self.error(key, f"{self.data[key]!r} is not a date")
            return default
        return got

    def time(self, key: str, default: T) -> dt.time | T:
        if key not in self.data:
            return default
        value = self.data[key]
        if isinstance(value, dt.time):
            return value
        try:
            return dt.time.fromisoformat(str(value))
        except ValueError:
            self.error(key, f"{value!r} is not a time of day")
            return default

    def text(self, key: str, default: T) -> str | T:
        if key not in self.data:
            return default
        return str(self.data[key])

    def table(self, key: str) -> Mapping[str, Any]:
        value = self.data.get(key, {})
        if not isinstance(value, Mapping):
            self.error(key, "is not a table")
            return {}
        return value

    def strings(self, key: str) -> frozenset[str] | None:
        if key not in self.data:
            return None
        value = self.data[key]
        if not isinstance(value, list):
            self.error(key, f"{value!r} is not a list")
            return None
        return frozenset(str(x) for x in value)

    def decimal_pair(self, key: str) -> tuple[Decimal, Decimal] | None:
        if key not in self.data:
            return None
        value = self.data[key]
        pair = [to_decimal(x) for x in value] if isinstance(value, list) else []
        if len(pair) != 2 or pair[0] is None or pair[1] is None:
            self.error(key, f"{value!r} is not a pair of numbers [low, high]")
            return None
        return pair[0], pair[1]

    def one_of(self, key: str, allowed: tuple[str, ...], default: str) -> str:
        value = str(self.data.get(key, default))
        if value not in allowed:
            self.error(key, f"{value!r} is not one of {', '.join(allowed)}")
            return default
        return value


def to_decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def to_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None
