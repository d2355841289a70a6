"""Whole-tonne splits that add up exactly (largest remainder, ties broken by id)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_FLOOR, Decimal
from typing import TypeVar

from openets.core.errors import DomainError

K = TypeVar("K", int, str)


def largest_remainder(total: int, weights: Mapping[K, Decimal | int]) -> dict[K, int]:
    """Split ``total`` whole tonnes in proportion to ``weights``.

    Each part gets the floor of its exact share; the tonnes left over go one each to the largest
    remainders, ties to the smaller id. The parts always sum to ``total`` exactly.
    """
    if total < 0:
        raise DomainError("total_negative", f"cannot split a negative total ({total})")
    if not weights:
        if total:
            raise DomainError("nothing_to_split_into", f"{total} t cannot be split among no one")
        return {}
    bad = {k: w for k, w in weights.items() if Decimal(w) < 0}
    if bad:
        raise DomainError("weight_negative", f"negative weights: {bad}")
    wsum = sum((Decimal(w) for w in weights.values()), Decimal(0))
    if wsum == 0:
        raise DomainError("weights_zero", "all weights are zero")
    parts: dict[K, int] = {}
    remainders: list[tuple[Decimal, K]] = []
    for k, w in weights.items():
        exact = Decimal(total) * Decimal(w) / wsum
        whole = int(exact.to_integral_value(rounding=ROUND_FLOOR))
        parts[k] = whole
        remainders.append((exact - whole, k))
    left = total - sum(parts.values())
    # largest remainder first; equal remainders: smaller id first
    for _, k in sorted(remainders, key=lambda rk: (-rk[0], rk[1]))[:left]:
        parts[k] += 1
    return parts
