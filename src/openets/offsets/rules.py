"""A rule set's ``offsets`` section as a typed record, parsed once when the rule book loads, and the
quantitative cap on offsets (one implementation: the eligibility check and compliance status both
use ``offset_cap``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from openets.core.errors import DomainError
from openets.rules.fields import Fields, to_date
from openets.rules.loader import FieldError, RuleSet

CAP_BASES = ("obligation", "initial_allocation")


@dataclass(frozen=True, slots=True)
class OffsetRules:
    market: str
    compliance_year: int
    document: str
    counts_as: dict[str, str]  # accepted standard → what it counts as (PHCER → CCER in Guangdong)
    cap_share: Decimal  # no default: every offset rule states its cap
    provinces: frozenset[str] | None = None
    counties: frozenset[str] | None = None
    required_tag: str | None = None  # a region the project must lie in, by tag
    project_types: frozenset[str] | None = None
    period: tuple[date, date] | None = None  # the reductions must lie within
    outside_boundary: bool = True
    cap_basis: str = "obligation"  # obligation, initial_allocation
    exchange_rate: Decimal = Decimal(1)  # tonnes of allowance per tonne of credit
    apply_by: date | None = None
    # standard → the last day its credits may be surrendered (national: legacy CCERs until 31 Dec 2024)
    usable_until: dict[str, date] = field(default_factory=dict)
    # standard → the methodologies its projects must follow (the restarted CCER: the published ones)
    methodologies: dict[str, frozenset[str]] = field(default_factory=dict)
    # no project inside any covered company's boundary (the restarted CCER), not only the surrendering one's
    exclude_covered: bool = False


def offset_cap(basis: int, share: Decimal) -> int:
    """Whole tonnes of offsets that may count: ``share`` × ``basis`` (the initial annual allocation or
    the obligation), rounded down."""
    if basis < 0:
        raise DomainError("basis_invalid", "the cap basis cannot be negative")
    return int((Decimal(basis) * share).to_integral_value(rounding=ROUND_FLOOR))


def for_year(rules: OffsetRules, year: int) -> OffsetRules:
    """A rule set's offset rules as they govern one of its compliance years."""
    return rules if rules.compliance_year == year else replace(rules, compliance_year=year)


def read_offset_rules(market: str, year: int, document: str, data: Mapping[str, Any]) -> OffsetRules | list[FieldError]:
    f = Fields(data)
    given: dict[str, Any] = {"market": market, "compliance_year": year, "document": document}
    if f.required("counts_as"):
        given["counts_as"] = {str(k): str(v) for k, v in f.table("counts_as").items()}
    if f.required("cap_share"):
        given["cap_share"] = f.decimal("cap_share", Decimal(0))
    for key in ("provinces", "counties", "project_types"):
        given[key] = f.strings(key)
    if f.has("required_tag"):
        given["required_tag"] = f.text("required_tag", None)
    if f.has("period"):
        value = data["period"]
        ends = [to_date(x) for x in value] if isinstance(value, list) else []
        if len(ends) != 2 or ends[0] is None or ends[1] is None:
            f.error("period", f"{value!r} is not a pair of dates [first, last]")
        else:
            given["period"] = (ends[0], ends[1])
    if f.has("outside_boundary"):
        given["outside_boundary"] = f.boolean("outside_boundary", True)
    if f.has("cap_basis"):
        given["cap_basis"] = f.one_of("cap_basis", CAP_BASES, "obligation")
    if f.has("exchange_rate"):
        given["exchange_rate"] = f.decimal("exchange_rate", Decimal(1))
    if f.has("apply_by"):
        given["apply_by"] = f.date("apply_by", None)
    if f.has("usable_until"):
        u = Fields(f.table("usable_until"), "usable_until.")
        given["usable_until"] = {str(k): d for k in u.data if (d := u.date(k, None)) is not None}
        f.errors.extend(u.errors)
    if f.has("methodologies"):
        m = Fields(f.table("methodologies"), "methodologies.")
        given["methodologies"] = {str(k): got for k in m.data if (got := m.strings(k)) is not None}
        f.errors.extend(m.errors)
    for key in ("usable_until", "methodologies"):
        unknown = sorted(set(given.get(key, {})) - set(given.get("counts_as", {})))
        if unknown:
            f.error(key, f"{', '.join(unknown)}: not an accepted standard (counts_as)")
    if f.has("exclude_covered"):
        given["exclude_covered"] = f.boolean("exclude_covered", False)
    if f.errors:
        return f.errors
    return OffsetRules(**given)


def parse_offset_section(rs: RuleSet, data: Mapping[str, Any]) -> OffsetRules | list[FieldError]:
    """The section parser the rule book runs at load (for the rule set's first compliance year; see
    ``for_year``)."""
    return read_offset_rules(rs.market, rs.compliance_years[0], rs.document, data)


def parse_offset_rules(market: str, year: int, document: str, data: Mapping[str, Any]) -> OffsetRules:
    """``read_offset_rules`` for one section, raising on the first problem (callers outside a rule book)."""
    got = read_offset_rules(market, year, document, data)
    if isinstance(got, list):
        raise DomainError("rule_set_invalid", f"{market} offset rules: " + "; ".join(f"{e.field}: {e.message}" for e in got))
    return got
