"""Which offset credits a company may surrender, and how many: a pure function that says for each
credit why it is or is not usable. Rules are data, each rule set naming the compliance year it
governs (Hubei's 2017 notice 鄂发改委气候〔2017〕281号 governs credits surrendered in 2017 for 2016).

Checks, in order: credit type (and what it counts as), location (province; counties or a region tag
such as Hubei's national key poverty counties), outside the company's own organisational boundary,
project type, crediting-period window, application window; then the quantitative cap (a share of the
initial annual allocation, or of the obligation) over all the company's usable credits, and the
exchange rate (1 t credit = 1 t allowance unless a rule says otherwise)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from openets.core.errors import DomainError


@dataclass(frozen=True, slots=True)
class Credit:
    id: str
    standard: str  # CCER, PHCER, FFCER, VCS
    project_id: str
    project_type: str  # rural_biogas, forestry, wind, pv, inclusion …
    province: str  # GB/T 2260 two-digit province code, e.g. "42" Hubei
    county: str  # GB/T 2260 six-digit county code
    period_start: date  # when the reductions happened (crediting / monitoring period)
    period_end: date
    quantity: int
    boundary_of: frozenset[str] = frozenset()  # companies whose organisational boundary includes the project
    tags: frozenset[str] = frozenset()  # e.g. "hubei_key_poverty_county"


@dataclass(frozen=True, slots=True)
class OffsetRules:
    market: str
    compliance_year: int
    document: str
    counts_as: dict[str, str]  # accepted standard → what it counts as (PHCER → CCER in Guangdong)
    provinces: frozenset[str] | None = None
    counties: frozenset[str] | None = None
    required_tag: str | None = None  # a region the project must lie in, by tag
    project_types: frozenset[str] | None = None
    period: tuple[date, date] | None = None  # the reductions must lie within
    outside_boundary: bool = True
    cap_basis: str = "initial_allocation"  # initial_allocation, obligation
    cap_share: Decimal = Decimal("0.10")
    exchange_rate: Decimal = Decimal(1)  # tonnes of allowance per tonne of credit
    apply_by: date | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    credit_id: str
    usable: int  # tonnes of credit that may be surrendered
    counts_for: Decimal  # tonnes of obligation they cover (× exchange rate)
    reasons: tuple[str, ...]  # why not, or why only part


def check(credits: Sequence[Credit], company: str, rules: OffsetRules, *, basis: int,
          applied_on: date | None = None) -> list[Verdict]:
    """``basis``: the company's initial annual allocation or its obligation (per ``rules.cap_basis``)."""
    if basis < 0:
        raise DomainError("basis_invalid", "the cap basis cannot be negative")
    cap_left = int((Decimal(basis) * rules.cap_share).to_integral_value(rounding=ROUND_FLOOR))
    out = []
    for c in credits:
        reasons = _reasons(c, company, rules, applied_on)
        if reasons:
            out.append(Verdict(c.id, 0, Decimal(0), tuple(reasons)))
            continue
        usable = min(c.quantity, cap_left)
        cap_left -= usable
        why = () if usable == c.quantity else (
            f"over the cap of {rules.cap_share:.0%} of the {rules.cap_basis.replace('_', ' ')} "
            f"({c.quantity - usable} t not usable)",)
        out.append(Verdict(c.id, usable, usable * rules.exchange_rate, why))
    return out


def _reasons(c: Credit, company: str, r: OffsetRules, applied_on: date | None) -> list[str]:
    out = []
    if c.standard not in r.counts_as:
        out.append(f"{c.standard} credits are not accepted ({', '.join(sorted(r.counts_as))} are)")
    if r.provinces is not None and c.province not in r.provinces:
        out.append(f"generated outside {', '.join(sorted(r.provinces))} (province {c.province})")
    if r.counties is not None and c.county not in r.counties:
        out.append(f"county {c.county} is not a listed county")
    if r.required_tag is not None and r.required_tag not in c.tags:
        out.append(f"the project does not lie in {r.required_tag.replace('_', ' ')}")
    if r.outside_boundary and company in c.boundary_of:
        out.append("the project lies within the company's own organisational boundary")
    if r.project_types is not None and c.project_type not in r.project_types:
        out.append(f"project type {c.project_type} is not eligible ({', '.join(sorted(r.project_types))} are)")
    if r.period is not None and not (r.period[0] <= c.period_start and c.period_end <= r.period[1]):
        out.append(f"reductions of {c.period_start}–{c.period_end} outside {r.period[0]}–{r.period[1]}")
    if r.apply_by is not None and applied_on is not None and applied_on > r.apply_by:
        out.append(f"applied on {applied_on}, after the deadline {r.apply_by}")
    return out


def parse_offset_rules(market: str, year: int, document: str, data: dict[str, Any]) -> OffsetRules:
    def opt_set(key: str) -> frozenset[str] | None:
        return frozenset(str(x) for x in data[key]) if key in data else None

    try:
        period = (date.fromisoformat(str(data["period"][0])), date.fromisoformat(str(data["period"][1]))) \
            if "period" in data else None
        return OffsetRules(
            market=market, compliance_year=year, document=document, counts_as=dict(data["counts_as"]),
            provinces=opt_set("provinces"), counties=opt_set("counties"), required_tag=data.get("required_tag"),
            project_types=opt_set("project_types"), period=period,
            outside_boundary=bool(data.get("outside_boundary", True)), cap_basis=data.get("cap_basis", "obligation"),
            cap_share=Decimal(str(data["cap_share"])), exchange_rate=Decimal(str(data.get("exchange_rate", "1"))),
            apply_by=date.fromisoformat(str(data["apply_by"])) if "apply_by" in data else None)
    except (KeyError, ValueError, IndexError) as exc:
        raise DomainError("rule_set_invalid", f"{market} offset rules: {exc}") from None


def total_usable(verdicts: Iterable[Verdict]) -> int:
    return sum(v.usable for v in verdicts)
