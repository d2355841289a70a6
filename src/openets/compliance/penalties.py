"""What follows non-compliance, as pure functions: the window of the fine's price, the fines, and
Shenzhen's deduction of the shortfall from the account."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from openets.compliance.core import fine


def fine_window(deadline_day: date, months: int) -> tuple[date, date]:
    """The fine's price window: from the first of the month ``months`` months before the deadline's
    month, up to the deadline day."""
    end = deadline_day
    start = date(end.year - (1 if end.month <= months else 0), (end.month - months - 1) % 12 + 1, 1)
    return start, end


@dataclass(frozen=True, slots=True)
class Fine:
    company: str
    shortfall: int
    amount_fen: int
    basis: str


def fines(late: Sequence[tuple[str, int]], price_fen: Decimal, window: tuple[date, date],
          multiplier_range: tuple[Decimal, Decimal], multiplier: Decimal | None = None) -> list[Fine]:
    """One fine per (company, shortfall): multiplier (the range's low end unless the regulator sets
    one inside it) × the window's average price × the shortfall."""
    low, high = multiplier_range
    m = low if multiplier is None else multiplier
    start, end = window
    return [Fine(company, short, fine(short, m, price_fen, low=low, high=high),
                 f"{m} × {price_fen / 100:.2f} yuan (VWAP of listed trades {start}–{end}) × {short:,} t")
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
