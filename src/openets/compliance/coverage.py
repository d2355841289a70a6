"""Who a market covers (纳入标准): a sector list and an energy-use threshold reached in any year of a
window (national phase 1: ≥ 10,000 tce in any year of 2013–2015, 发改办气候〔2016〕57号; Fujian adds
ceramics and lowers the threshold to 5,000 tce from 2017). Pure: a rule set's ``coverage`` section and
a company's energy use in, a verdict with its reason out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from openets.rules.fields import Fields
from openets.rules.loader import FieldError, RuleSet


@dataclass(frozen=True, slots=True)
class Coverage:
    document: str
    threshold_tce: Decimal  # total energy use (综合能源消费总量), tonnes of standard coal equivalent, inclusive
    years: tuple[int, int]  # reached in any year of this window (both ends included)
    sectors: frozenset[str] | None  # None: every industrial sector
    status: str = ""


@dataclass(frozen=True, slots=True)
class CoverageVerdict:
    covered: bool
    reason: str


def parse_coverage(rs: RuleSet, data: Mapping[str, Any]) -> Coverage | list[FieldError]:
    f = Fields(data)
    threshold = f.decimal("threshold_tce", None) if f.required("threshold_tce") else None
    years = data.get("years")
    if not (isinstance(years, list) and len(years) == 2 and all(isinstance(y, int) for y in years)
            and years[0] <= years[1]):
        f.error("years", f"{years!r}: the first and last year of the window, e.g. [2013, 2015]")
    sectors = data.get("sectors", "all")
    if sectors != "all" and not (isinstance(sectors, list) and all(isinstance(s, str) for s in sectors)):
        f.error("sectors", f"{sectors!r}: a list of sector codes, or \"all\"")
    if f.errors or threshold is None or not isinstance(years, list):
        return f.errors
    return Coverage(rs.document, threshold, (years[0], years[1]), None if sectors == "all" else frozenset(sectors),
                    f.text("status", ""))


def check_coverage(rule: Coverage, sector: str, energy_tce: Mapping[int, Decimal]) -> CoverageVerdict:
    """Covered if the sector is listed and the energy use reached the threshold in any year of the
    window; a year outside the window does not count, a year not given is not assumed."""
    first, last = rule.years
    if rule.sectors is not None and sector not in rule.sectors:
        return CoverageVerdict(False, f"sector {sector!r} is not covered ({', '.join(sorted(rule.sectors))})")
    inside = {y: e for y, e in energy_tce.items() if first <= y <= last}
    reached = sorted(y for y, e in inside.items() if e >= rule.threshold_tce)
    if reached:
        return CoverageVerdict(True, f"{inside[reached[0]]} tce in {reached[0]} ≥ {rule.threshold_tce} tce")
    if not inside:
        return CoverageVerdict(False, f"no energy use given for {first}–{last}")
    top = max(inside, key=lambda y: inside[y])
    return CoverageVerdict(False, f"below {rule.threshold_tce} tce in every year of {first}–{last} "
                                  f"(highest {inside[top]} tce in {top})")
