"""What follows non-compliance, as pure functions: the window of the fine's price, the fines, and
Shenzhen's deduction of the shortfall from the account."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from openets.compliance.core import fine
from openets.core.errors import DomainError


def _months_back(day: date, months: int) -> date:
    """The same day ``months`` months earlier, the month's last day where it is shorter (31 Aug → 28 Feb)."""
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(y, m + 1, min(day.day, calendar.monthrange(y, m + 1)[1]))


def fine_window(deadline_day: date, months: int, kind: str = "to_deadline") -> tuple[date, date]:
    """The fine's price window, both ends included. ``to_deadline`` (Beijing): exactly ``months``
    months up to the deadline day — the day after the same date ``months`` months before, to the
    deadline. ``months_before_deadline_month`` (Shenzhen): the ``months`` whole calendar months before
    the deadline's month (the compliance month)."""
    if kind == "to_deadline":
        return _months_back(deadline_day, months) + timedelta(days=1), deadline_day
    if kind == "months_before_deadline_month":
        first = deadline_day.replace(day=1)
        return _months_back(first, months), first - timedelta(days=1)
    raise DomainError("price_window_unknown", f"unknown fine price window {kind!r}")


@dataclass(frozen=True, slots=True)
class Fine:
    company: str
    shortfall: int
    amount_fen: int
    basis: str


def fines(late: Sequence[tuple[str, int]], price_fen: Decimal, window: tuple[date, date],
          multiplier_range: tuple[Decimal, Decimal], default: tuple[Decimal, str],
          multiplier: Decimal | None = None) -> list[Fine]:
    """One fine per (company, shortfall): multiplier × the window's average price × the shortfall. The
    multiplier is the regulator's for the case, inside the range, or else the rules' stated ``default``
    (multiplier, its source), which the basis names."""
    low, high = multiplier_range
    m, why = (default[0], f"the rules' default multiple: {default[1]}") if multiplier is None else \
        (multiplier, "multiple set by the regulator")
    start, end = window
    return [Fine(company, short, fine(short, m, price_fen, low=low, high=high),
                 f"{m} × {price_fen / 100:.2f} yuan (VWAP of listed trades {start}–{end}) × {short:,} t ({why})")
            for company, short in late]


def deduction(holdings: Sequence[tuple[int, int]], need: int) -> tuple[list[tuple[int, int]], int]:
    """Shenzhen: what to take from the account for a shortfall of ``need``: from ``holdings`` (unit
    class, available tonnes), oldest vintage first as given, as much as each holds. Returns the takes
    (unit class, tonnes) and what is still missing (withheld from the next allocation)."""
    takes, taken = [], 0
    for unit_class, available in holdings:
        take = min(int(available), need - taken)
        if take > 0:
            takes.append((unit_class, take))
            taken += take
    return takes, need - taken
