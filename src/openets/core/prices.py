"""Prices are integer fen; an average of trades is a Decimal, rounded only where a rule says how."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal


def vwap(trades: Iterable[tuple[int, int]]) -> Decimal | None:
    """Volume-weighted average price (fen) of (price fen, tonnes) pairs; None without volume."""
    value = volume = 0
    for price, quantity in trades:
        value += price * quantity
        volume += quantity
    return Decimal(value) / volume if volume else None


def yuan_text(fen: int | Decimal, *, grouped: bool = False) -> str:
    """Fen written as yuan with two decimals, exactly (a float's 53 bits would round a sum beyond ~90
    trillion yuan); ``grouped``: thousands separated by commas, as 1,234.50. An average price (a
    Decimal of fen) is shown to the fen as Decimal formats it (half-even): for display only, where a
    rule rounds an average it does so itself."""
    if isinstance(fen, Decimal):
        return format(fen / 100, ",.2f" if grouped else ".2f")
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{whole:,}.{cents:02d}" if grouped else f"{sign}{whole}.{cents:02d}"
