"""What a company owes for a year, from its verified emissions and the market's compliance rules, and
how many of its surrendered offsets count. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from openets.compliance.core import Surrendered, gap_capped, obligation, unit_obligation
from openets.compliance.rules import ComplianceRules


def is_gas_unit(unit: Mapping[str, Any]) -> bool:
    """A generating unit fired by gas: its fuel or its category names gas (the allocation plan's
    categories: ``gas``, ``gas_chp`` …)."""
    return "gas" in f"{unit.get('fuel', '')}{unit.get('category', '')}"


def per_unit_obligation(owed: int, units: Sequence[Mapping[str, Any]], allocation: Mapping[str, Decimal],
                        rules: ComplianceRules) -> int:
    """The national power market's obligation (国环规气候〔2020〕3号): first the gas rule per unit (a gas
    unit owes at most its free allocation), then the gap cap per company: at most the company's free
    allocation + cap × its verified emissions. Both are the power plans' and cover only the rows of the
    sectors the rule set names (``gap_cap_sectors``: ["power"]): a company with a steel, cement or
    aluminium row beside its generating units has the cap applied to its power part alone — power
    allocation + cap × power VE — and owes its other rows' emissions in full, ``owed`` − power VE.

    ``owed``: the company's whole verified emissions, rounded; ``units``: the verified output's rows, each
    with its ``sector`` and, for a generating unit, its ``emissions`` (and ``source_id``, ``fuel``,
    ``category``); ``allocation``: each generating unit's free allocation (exact; the part's is their
    sum rounded half-up, as issued; another sector's row's allocation is not counted). Without a covered
    row, or without every covered row's emissions, the company's total obligation ``owed`` stands."""
    covered = [x for x in units if x.get("sector") in rules.gap_cap_sectors]
    if not covered or any("emissions" not in x for x in covered):
        return owed
    total = 0
    for x in covered:
        ve = obligation(Decimal(str(x["emissions"])), rounding=rules.rounding)
        free = int(allocation.get(str(x.get("source_id")), Decimal(0)).to_integral_value(rounding=ROUND_HALF_UP))
        total += unit_obligation(ve, free, gas=rules.gas_capped_at_allocation and is_gas_unit(x))
    others = {str(x.get("source_id")) for x in units if x.get("sector") not in rules.gap_cap_sectors}
    part_allocation = int(sum((v for k, v in allocation.items() if k not in others), Decimal(0))
                          .to_integral_value(rounding=ROUND_HALF_UP))
    if not others:  # a power company: its whole verified emissions are the part's
        return gap_capped(total, owed, part_allocation, rules.company_gap_cap)
    part_ve = obligation(sum((Decimal(str(x["emissions"])) for x in covered), Decimal(0)), rounding=rules.rounding)
    return gap_capped(total, part_ve, part_allocation, rules.company_gap_cap) + max(0, owed - part_ve)


def company_obligation(verified: Decimal, rules: ComplianceRules, *, units: Sequence[Mapping[str, Any]] = (),
                       allocation: Mapping[str, Decimal] | None = None) -> int:
    """Whole tonnes owed: the verified emissions rounded by the rule, or, where the rules need the
    generating units (the national power market), the gas rule per unit and the gap cap per company."""
    owed = obligation(verified, rounding=rules.rounding)
    if rules.per_unit:
        owed = per_unit_obligation(owed, units, allocation or {}, rules)
    return owed


def count_offsets(events: Iterable[tuple[Surrendered, bool]], cap: int, exchange_rate: Decimal) -> list[Surrendered]:
    """Surrenders as they count towards the obligation: allowances in full; offsets (flag True), in the
    order surrendered, at the exchange rate, up to ``cap`` tonnes (``offsets.rules.offset_cap``) —
    beyond it they do not count. A reversal takes back at most what was counted."""
    counted, out = 0, []
    for e, off in sorted(events, key=lambda x: x[0].at):
        if not off:
            out.append(e)
            continue
        worth = int(e.quantity * exchange_rate)
        take = -min(-worth, counted) if worth < 0 else max(0, min(worth, cap - counted))
        counted += take
        out.append(Surrendered(e.at, take))
    return out
