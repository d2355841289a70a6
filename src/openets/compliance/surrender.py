"""Which units a company surrenders first. Pure."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SurrenderStep:
    unit_class: str | int  # an offset credit by its code; an allowance class by its id
    quantity: int
    restriction: int | None = None  # None: an offset credit (no restriction named)
    offset: bool = False


def surrender_plan(need: int, credits: Mapping[str, int], holdings: Sequence[tuple[int, int, int]], *,
                   allowance_class: int, offset_classes: Collection[int]) -> list[SurrenderStep]:
    """Offsets first (``credits``: credit code → tonnes that count, in order), then the market's
    allowances of ``allowance_class`` held under a restriction (compliance-only auction units, which
    may only be surrendered), then the unrestricted ones (restriction 0) — each by unit class id —
    until ``need`` tonnes are planned. ``holdings``: (unit class, restriction, available > 0)."""
    steps = []
    for credit, qty in credits.items():
        take = min(qty, need)
        if take > 0:
            steps.append(SurrenderStep(credit, take, offset=True))
            need -= take
    for uc, rid, avail in sorted(holdings, key=lambda x: (x[1] == 0, x[0])):
        if uc in offset_classes or uc != allowance_class or need <= 0:
            continue
        take = min(avail, need)
        steps.append(SurrenderStep(uc, take, rid))
        need -= take
    return steps
