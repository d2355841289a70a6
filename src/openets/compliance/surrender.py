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
                   allowance_class: int, offset_classes: Collection[int],
                   banked: Mapping[int, int] | None = None, limited: Collection[int] = (),
                   limit_left: int | None = None) -> list[SurrenderStep]:
    """Offsets first (``credits``: credit code → tonnes that count, in order), then the banked allowances
    (``banked``: earlier-vintage allowance class id → vintage, oldest vintage first), then the market's
    allowances of ``allowance_class`` — each class's units held under a restriction (compliance-only
    auction units, which may only be surrendered) before its unrestricted ones (restriction 0) — until
    ``need`` tonnes are planned. Of the ``limited`` banked classes (those a carry-over limit counts) at
    most ``limit_left`` tonnes together (None: no limit). ``holdings``: (unit class, restriction, available > 0)."""
    steps = []
    for credit, qty in credits.items():
        take = min(qty, need)
        if take > 0:
            steps.append(SurrenderStep(credit, take, offset=True))
            need -= take
    order = dict(banked or {})
    left = limit_left
    for uc, rid, avail in sorted(holdings, key=lambda x: (x[0] not in order, order.get(x[0], 0), x[1] == 0, x[0])):
        if uc in offset_classes or (uc != allowance_class and uc not in order) or need <= 0:
            continue
        take = min(avail, need)
        if uc in limited and left is not None:
            take = min(take, left)
            left -= take
        if take > 0:
            steps.append(SurrenderStep(uc, take, rid))
            need -= take
    return steps
