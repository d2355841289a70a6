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
from openets.core.prices import yuan_text


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
          multiplier: Decimal | None = None, cap_fen: int | None = None) -> list[Fine]:
    """One fine per (company, shortfall): multiplier × the window's average price × the shortfall, at
    most ``cap_fen`` where the rules cap it (Hubei). The multiplier is the regulator's for the case,
    inside the range, or else the rules' stated ``default`` (multiplier, its source), which the basis names."""
    low, high = multiplier_range
    m, why = (default[0], f"the rules' default multiple: {default[1]}") if multiplier is None else \
        (multiplier, "multiple set by the regulator")
    start, end = window
    out = []
    for company, short in late:
        amount = fine(short, m, price_fen, low=low, high=high)
        basis = f"{m} × {yuan_text(price_fen)} yuan (VWAP of listed trades {start}–{end}) × {short:,} t ({why})"
        if cap_fen is not None and amount > cap_fen:
            amount, basis = cap_fen, f"{basis}, capped at {yuan_text(cap_fen, grouped=True)} yuan"
        out.append(Fine(company, short, amount, basis))
    return out


def fixed_fines(late: Sequence[tuple[str, int]], range_fen: tuple[int, int], default: tuple[int, str],
                amount_fen: int | None = None) -> list[Fine]:
    """A fixed fine per company whatever its shortfall (national Measures 2020: 20,000–30,000 yuan): the
    regulator's amount for the case inside the range, or else the rules' stated default."""
    low, high = range_fen
    amount, why = (default[0], f"the rules' default: {default[1]}") if amount_fen is None else \
        (amount_fen, "set by the regulator")
    if not low <= amount <= high:
        raise DomainError("fine_outside_range", f"the fine is set between {yuan_text(low, grouped=True)} and "
                                                f"{yuan_text(high, grouped=True)} yuan")
    return [Fine(company, short, amount, f"fixed fine {yuan_text(amount, grouped=True)} yuan ({why}); {short:,} t short")
            for company, short in late]


def next_year_deduction(shortfall: int, multiple: Decimal) -> int:
    """Tonnes owed against next year's allocation: shortfall × multiple, a fraction of a tonne rounded up
    (national Measures 2020: the shortfall; Hubei: twice it)."""
    from decimal import ROUND_CEILING

    return int((multiple * shortfall).to_integral_value(rounding=ROUND_CEILING))


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
