"""The balance value (平衡值) the 2021–2022 power plan introduced: for a category, the electricity
carbon intensity at which its allocated allowances equal its verified emissions — the reference the
plan sets benchmarks against. Pure.

With each unit's allocation = B × corrected supply + heat part (corrected supply: supply × its
category's correction factors), Σ allocation = Σ verified emissions gives
B = (Σ verified emissions − Σ heat parts) ÷ Σ corrected supply."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from openets.allocation.methods import PowerAllowance
from openets.core.errors import DomainError


def balance_value(rows: Sequence[tuple[PowerAllowance, Decimal]], benchmark: Decimal) -> Decimal:
    """``rows``: each unit's allowance under ``benchmark`` (its category's electricity benchmark: the
    corrected supply is its electricity part ÷ the benchmark) and its verified emissions, tCO2.
    Returns tCO2/MWh, unrounded (a publication rounds it as it says)."""
    if not rows:
        raise DomainError("sector_empty", "a balance value needs the category's units")
    if benchmark <= 0:
        raise DomainError("benchmark_invalid", f"a benchmark is positive, got {benchmark}")
    corrected = sum((a.electricity_part / benchmark for a, _ in rows), Decimal(0))
    if corrected <= 0:
        raise DomainError("output_invalid", "the category supplied no electricity")
    emissions = sum((ve for _, ve in rows), Decimal(0))
    heat = sum((a.heat_part for a, _ in rows), Decimal(0))
    return (emissions - heat) / corrected
