"""Which offset credits a company may surrender, and how many: a pure function that says for each
credit why it is or is not usable. Rules are data, each rule set naming the compliance year it
governs (Hubei's 2017 notice 鄂发改委气候〔2017〕281号 governs credits surrendered in 2017 for 2016).

Checks, in order: credit type (and what it counts as), location (province; counties or a region tag
such as Hubei's national key poverty counties), outside the company's own organisational boundary,
project type, crediting-period window, application window; then the quantitative cap (a share of the
initial annual allocation, or of the obligation) over all the company's usable credits, and the
exchange rate (1 t credit = 1 t allowance unless a rule says otherwise). The restarted CCER (2023): a
standard usable only until a day (legacy CCERs: 31 Dec 2024), methodologies as data, and no project
inside any covered company."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from openets.offsets.rules import OffsetRules, offset_cap, parse_offset_rules


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
    methodology: str = ""  # the project's methodology code (CCER-14-001-V01 …)


@dataclass(frozen=True, slots=True)
class Verdict:
    credit_id: str
    usable: int  # tonnes of credit that may be surrendered
    counts_for: Decimal  # tonnes of obligation they cover (× exchange rate)
    reasons: tuple[str, ...]  # why not, or why only part


def check(credits: Sequence[Credit], company: str, rules: OffsetRules, *, basis: int,
          applied_on: date | None = None, covered: frozenset[str] = frozenset()) -> list[Verdict]:
    """``basis``: the company's initial annual allocation or its obligation (per ``rules.cap_basis``);
    ``applied_on``: the day of the application or surrender (a standard usable only until a day needs
    it); ``covered``: the market's covered companies (where projects inside any of them are excluded)."""
    cap_left = offset_cap(basis, rules.cap_share)
    out = []
    for c in credits:
        reasons = _reasons(c, company, rules, applied_on, covered)
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


def _reasons(c: Credit, company: str, r: OffsetRules, applied_on: date | None, covered: frozenset[str]) -> list[str]:
    out = []
    if c.standard not in r.counts_as:
        out.append(f"{c.standard} credits are not accepted ({', '.join(sorted(r.counts_as))} are)")
    until = r.usable_until.get(c.standard)
    if until is not None and (applied_on is None or applied_on > until):
        out.append(f"{c.standard} credits are usable only until {until}"
                   + (f" (surrendered on {applied_on})" if applied_on else " (no surrender date given)"))
    allowed = r.methodologies.get(c.standard)
    if allowed is not None and c.methodology not in allowed:
        out.append(f"methodology {c.methodology or '(none)'} is not one of the {c.standard} methodologies "
                   f"({', '.join(sorted(allowed))})")
    inside = sorted((c.boundary_of & covered) - {company}) if r.exclude_covered else []
    if inside:
        out.append(f"the project lies within covered compan{'ies' if len(inside) > 1 else 'y'} {', '.join(inside)}")
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


__all__ = ["Credit", "OffsetRules", "Verdict", "check", "parse_offset_rules", "total_usable"]


def total_usable(verdicts: Iterable[Verdict]) -> int:
    return sum(v.usable for v in verdicts)
