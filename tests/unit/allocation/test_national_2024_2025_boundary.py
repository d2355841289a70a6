"""The national market across the 2024/2025 boundary: rules looked up by (market, compliance year, event
date) on both sides — steel/cement/aluminium allocate verified emissions for 2024 and by intensity for
2025 (70 % pre-allocated); 2024 is surrendered by 31 Dec 2025 and 2025 by 31 Dec 2026 (both unverified,
each its own rule set); the sanction is Decree 775 at either deadline; before the industrial plan was
published (16 Nov 2025), and for a year no rule set covers, the lookup names what is missing."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from openets.core.clock import MARKET_TZ
from openets.core.errors import DomainError
from openets.services import rulebook

BOOK = rulebook.default_rulebook()


def at(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 12, tzinfo=MARKET_TZ)


@pytest.mark.parametrize("moment", [at(2025, 12, 31), at(2026, 1, 1)])
def test_industry_method_by_year_on_both_sides_of_new_year(moment: datetime) -> None:
    r24 = rulebook.industry_rules(BOOK, "CEA", 2024, moment)
    r25 = rulebook.industry_rules(BOOK, "CEA", 2025, moment)
    assert (r24.method, r24.pre_allocation_share) == ("verified_emissions", None)
    assert (r25.method, r25.pre_allocation_share) == ("intensity", Decimal("0.70"))
    assert set(r24.sectors) == set(r25.sectors) == {"steel", "cement", "aluminium"}


def test_before_the_plan_was_published_there_is_no_industrial_rule() -> None:
    for year in (2024, 2025):
        with pytest.raises(DomainError) as e:
            rulebook.industry_rules(BOOK, "CEA", year, at(2025, 11, 15))
        assert e.value.code == "no_rule_set" and f"industry rules for compliance year {year} on 2025-11-15" in str(e.value)
    assert rulebook.industry_rules(BOOK, "CEA", 2025, at(2025, 11, 16)).method == "intensity"


@pytest.mark.parametrize(("year", "deadline", "document"), [
    (2024, date(2025, 12, 31), "国环规气候〔2024〕1号"),
    (2025, date(2026, 12, 31), "2024、2025年度全国碳排放权交易钢铁、水泥、铝冶炼行业配额总量和分配方案 (number unverified)"),
])
def test_each_year_its_own_deadline(year: int, deadline: date, document: str) -> None:
    for moment in (at(2025, 12, 31), at(2026, 1, 1)):
        rs = BOOK.lookup_at("CEA", year, moment, "compliance")
        assert rs.document == document
        r = rulebook.compliance_rules(BOOK, "CEA", year, moment)
        assert r.deadline == deadline
        # from 2024 the national market covers the industrial sectors (the pilots cede them)
        assert r.takes_over is not None and {"steel", "cement", "aluminium"} <= set(r.takes_over.sectors)
    # the 2025 deadline is marked as not read, with where it came from
    if year == 2025:
        assert "unverified" in BOOK.lookup_at("CEA", 2025, at(2026, 1, 1), "compliance").source


@pytest.mark.parametrize(("year", "deadline"), [(2024, at(2025, 12, 31)), (2025, at(2026, 12, 31))])
def test_decree_775_governs_both_deadlines(year: int, deadline: datetime) -> None:
    assert BOOK.lookup_at("CEA", year, deadline, "sanctions").document == "国务院令第775号"
    assert rulebook.sanctions(BOOK, "CEA", year, deadline).surrender.kind == "price_multiple"


def test_a_year_no_rule_set_covers_is_named() -> None:
    with pytest.raises(DomainError) as e:
        rulebook.compliance_rules(BOOK, "CEA", 2026, at(2027, 1, 1))
    assert e.value.code == "no_rule_set" and "compliance rules for compliance year 2026" in str(e.value)
