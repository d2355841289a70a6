"""A rule set's ``mrv`` section as a typed record, parsed once when the rule book loads: the
regulator's determination rule (when a report is missing or rejected) and the plausible intensity
ranges per sector."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from openets.rules.fields import Fields
from openets.rules.loader import FieldError, RuleSet


@dataclass(frozen=True, slots=True)
class Determination:
    method: str  # max_of_last: the highest of the last ``years`` confirmed years × ``factor``
    years: int = 3
    factor: Decimal = Decimal(1)
    status: str = ""


@dataclass(frozen=True, slots=True)
class MrvRules:
    determination: Determination | None = None
    intensity_ranges: Mapping[str, tuple[Decimal, Decimal]] = field(default_factory=dict)  # sector → (low, high)


def parse_mrv_rules(rs: RuleSet, data: Mapping[str, Any]) -> MrvRules | list[FieldError]:
    f = Fields(data)
    determination = None
    if f.has("determination"):
        d = Fields(f.table("determination"), "determination.")
        given: dict[str, Any] = {"method": d.text("method", "")}
        if d.has("years"):
            given["years"] = d.integer("years", 0)
        if d.has("factor"):
            given["factor"] = d.decimal("factor", Decimal(0))
        if d.has("status"):
            given["status"] = d.text("status", "")
        f.errors.extend(d.errors)
        determination = Determination(**given)
    ranges: dict[str, tuple[Decimal, Decimal]] = {}
    r = Fields(f.table("intensity_ranges"), "intensity_ranges.")
    for sector in r.data:
        pair = r.decimal_pair(sector)
        if pair is not None:
            ranges[str(sector)] = pair
    f.errors.extend(r.errors)
    return f.errors or MrvRules(determination, ranges)
