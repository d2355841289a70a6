"""The rule book as the services use it: every capability's section parsed once, at load, by the
parser its own package defines. This is the one place the parsers are bound to section names (the
registry below is written out, not filled by imports), so a bad rule file fails here with the file,
the rule set and the field, not in the middle of a run."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TypeVar

from openets.allocation.industry import IndustryRules, parse_industry
from openets.allocation.rules import AllocationRules, parse_allocation_section
from openets.compliance.coverage import Coverage, parse_coverage
from openets.compliance.plan import PlanTerms, parse_plan_terms
from openets.compliance.rules import ComplianceRules, parse_compliance_rules
from openets.compliance.sanctions import Sanctions, parse_sanctions
from openets.market.rules import TradingRules, parse_trading_section
from openets.mrv.evidence import EvidenceRules, parse_evidence
from openets.mrv.rules import MrvRules, parse_mrv_rules
from openets.offsets.issuance import Suspension, parse_issuance
from openets.offsets.rules import OffsetRules, for_year, parse_offset_section
from openets.rules.loader import RuleBook, RuleSet, SectionParser, load_rulebook, parse_sections

__all__ = ["SECTION_PARSERS", "RuleBook", "RuleSet", "default_rulebook", "load", "typed", "section",
           "compliance_rules", "offset_rules", "allocation_rules", "mrv_rules", "trading_rules",
           "plan_terms", "sanctions", "industry_rules",
           "evidence_rules", "issuance_suspensions", "coverage_rules"]

SECTION_PARSERS: Mapping[str, SectionParser] = {
    "compliance": parse_compliance_rules,
    "offsets": parse_offset_section,
    "allocation": parse_allocation_section,
    "mrv": parse_mrv_rules,
    "trading": parse_trading_section,
    "plan": parse_plan_terms,
    "sanctions": parse_sanctions,
    "industry": parse_industry,
    "evidence": parse_evidence,
    "issuance": parse_issuance,
    "coverage": parse_coverage,
}

S = TypeVar("S")


def load(folder: Path | None = None) -> RuleBook:
    return load_rulebook(folder, SECTION_PARSERS)


@cache
def default_rulebook() -> RuleBook:
    """The shipped rule sets, every section typed."""
    return load()


def typed(book: RuleBook) -> RuleBook:
    """``book`` with every known section parsed (a book loaded by ``openets.rules`` alone has none)."""
    if all(name in book.parsers for name in SECTION_PARSERS):
        return book
    return book.with_parsers(SECTION_PARSERS)


def section(rs: RuleSet, name: str, kind: type[S]) -> S:
    """The typed section ``name`` of ``rs``; a rule set from an untyped rule book is parsed on first use
    (and fails as it would at load)."""
    if name in rs.raw and name not in rs.sections:
        parse_sections(rs, {name: SECTION_PARSERS[name]})
    return rs.section(name, kind)


def _at(book: RuleBook, market: str, year: int, moment: datetime, name: str) -> RuleSet:
    return book.lookup_at(market, year, moment, name)


def compliance_rules(book: RuleBook, market: str, year: int, moment: datetime) -> ComplianceRules:
    return section(_at(book, market, year, moment, "compliance"), "compliance", ComplianceRules)


def offset_rules(book: RuleBook, market: str, year: int, moment: datetime) -> OffsetRules:
    return for_year(section(_at(book, market, year, moment, "offsets"), "offsets", OffsetRules), year)


def allocation_rules(book: RuleBook, market: str, year: int, moment: datetime) -> AllocationRules:
    return section(_at(book, market, year, moment, "allocation"), "allocation", AllocationRules)


def mrv_rules(book: RuleBook, market: str, year: int, moment: datetime) -> MrvRules:
    return section(_at(book, market, year, moment, "mrv"), "mrv", MrvRules)


def trading_rules(rs: RuleSet) -> TradingRules:
    return section(rs, "trading", TradingRules)


def plan_terms(book: RuleBook, market: str, year: int, moment: datetime) -> PlanTerms:
    """The plan's staged surrender, borrowing, banking limit and scope (national market, 2021 on)."""
    return section(_at(book, market, year, moment, "plan"), "plan", PlanTerms)


def sanctions(book: RuleBook, market: str, year: int, moment: datetime) -> Sanctions:
    """The sanctions in force at ``moment`` (the event's time: Decree 775 from 1 May 2024)."""
    return section(_at(book, market, year, moment, "sanctions"), "sanctions", Sanctions)


def industry_rules(book: RuleBook, market: str, year: int, moment: datetime) -> IndustryRules:
    """Steel, cement and aluminium allocation (national market, 2024 on)."""
    return section(_at(book, market, year, moment, "industry"), "industry", IndustryRules)


def evidence_rules(book: RuleBook, market: str, year: int, moment: datetime) -> EvidenceRules:
    """The monthly evidence window and items (national market, 2022 on)."""
    return section(_at(book, market, year, moment, "evidence"), "evidence", EvidenceRules)


def issuance_suspensions(book: RuleBook) -> list[Suspension]:
    """Every issuance suspension in the book (a standard's, whatever market holds the project): each
    says itself which dates and projects it covers."""
    return [section(rs, "issuance", Suspension) for rs in book.rule_sets if "issuance" in rs.raw]


def coverage_rules(book: RuleBook, market: str, year: int, moment: datetime) -> Coverage:
    """Who ``market`` covers for ``year``: its sectors and energy-use threshold."""
    return section(_at(book, market, year, moment, "coverage"), "coverage", Coverage)
