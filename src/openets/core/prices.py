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
