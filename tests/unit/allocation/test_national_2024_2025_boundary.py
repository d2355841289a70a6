"""The national market across the 2024/2025 boundary: rules looked up by (market, compliance year, event
date) on both sides — steel/cement/aluminium allocate verified emissions for 2024 and by intensity for
2025 (70 % pre-allocated); 2024 is surrendered by 31 Dec 2025 and 2025 by 31 Dec 2026 (both unverified,
each its own rule set); the sanction is Decree 775 at either deadline; before the industrial plan was
published (16 Nov 2025), and for a year no rule set covers, the lookup names what is missing."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest

from openets.allocation.methods import PowerUnitOutput, power_allowance, to_tonnes
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


# -- power 2025: no plan in the references, the 2023–2024 plan carried forward (every value an assumption) --

CARRIED = "assumption: 2023–2024 plan carried forward; no 2025 power plan in shared/reference"


@pytest.mark.parametrize("moment", [at(2025, 12, 31), at(2026, 1, 1), at(2026, 6, 30)])
def test_power_2024_and_2025_each_find_their_own_allocation_rules(moment: datetime) -> None:
    r24 = rulebook.allocation_rules(BOOK, "CEA", 2024, moment)
    r25 = rulebook.allocation_rules(BOOK, "CEA", 2025, moment)
    assert r24.rule_set.document == "国环规气候〔2024〕1号"
    assert r25.rule_set.document.startswith("assumption: 国环规气候〔2024〕1号 carried forward")
    assert r25.rule_set.source == CARRIED
    assert r24.power is not None and r25.power is not None
    # carried forward: the same structure, value for value (on generation, no heat factor, coal's cooling)
    # (only the status notes differ: each 2025 value says it is the assumption)
    assert (r25.power.categories, r25.power.load) == (r24.power.categories, r24.power.load)
    assert {k: replace(f, status="") for k, f in r25.power.factors.items()} == \
        {k: replace(f, status="") for k, f in r24.power.factors.items()}
    assert r25.power_values == r24.power_values == "user-supplied"
    assert r25.power.output_basis == "generation" and r25.rounding == r24.rounding == "half_up"
    assert r25.power.factors["coal_conventional"].cooling["air"] == Decimal("1.05")


def test_every_power_2025_value_is_marked_with_the_assumption() -> None:
    rs = BOOK.lookup_at("CEA", 2025, at(2026, 1, 1), "allocation")
    power = rs.raw["allocation"]["power"]
    assert CARRIED in power["status"]
    assert all(CARRIED in f["status"] for f in power["factors"].values())
    comp = BOOK.lookup_at("CEA", 2025, at(2026, 1, 1), "compliance")
    assert CARRIED in comp.source and CARRIED in comp.raw["plan"]["status"]


def test_power_2025_compliance_carries_the_gap_cap_and_gas_rule() -> None:
    r = rulebook.compliance_rules(BOOK, "CEA", 2025, at(2026, 1, 1))
    assert r.company_gap_cap == Decimal("0.20") and r.gas_capped_at_allocation and r.per_unit
    assert r.deadline == date(2026, 12, 31)
    plan = rulebook.plan_terms(BOOK, "CEA", 2025, at(2026, 1, 1))
    assert plan.scope == "direct"


def test_before_the_carried_forward_date_power_2025_has_no_allocation_rule() -> None:
    with pytest.raises(DomainError) as e:
        rulebook.allocation_rules(BOOK, "CEA", 2025, at(2024, 10, 14))
    assert e.value.code == "no_rule_set" and "allocation rules for compliance year 2025 on 2024-10-14" in str(e.value)
    with pytest.raises(DomainError) as e:
        rulebook.allocation_rules(BOOK, "CEA", 2026, at(2027, 1, 1))
    assert e.value.code == "no_rule_set" and "compliance year 2026" in str(e.value)


def test_one_unit_allocated_alike_in_2024_and_2025_by_hand() -> None:
    """The same 600 MW air-cooled pure-condensing coal unit, generation 3,000,000 MWh (supply 2,850,000),
    load rate F = 0.78, with a user's benchmark 0.80 tCO2/MWh in both years (the plans ship none):
    0.80 × 3,000,000 (generation, not supply) = 2,400,000 × cooling 1.05 = 2,520,000 × heat factor
    (1 − 0 × 0) = 1 × load 1.007 + 0.0016 × (80 − 78) = 1.0102 → 2,545,704 t — under 2024's plan and
    under 2025's carried-forward set alike, on either side of New Year 2026."""
    unit = PowerUnitOutput("U1", "coal_300_plus", "air", Decimal(2_850_000), Decimal(0), Decimal(0),
                           Decimal("0.78"), generation_mwh=Decimal(3_000_000))
    for year in (2024, 2025):
        for moment in (at(2025, 12, 31), at(2026, 1, 1)):
            p = rulebook.allocation_rules(BOOK, "CEA", year, moment).power
            assert p is not None
            cat = replace(p.categories["coal_300_plus"], electricity=Decimal("0.80"), heat=Decimal(0))
            got = power_allowance(unit, replace(p, categories={**p.categories, "coal_300_plus": cat}))
            assert (got.cooling_factor, got.heat_factor, got.load_factor_correction) == \
                (Decimal("1.05"), 1, Decimal("1.0102"))
            assert to_tonnes(got.total) == 2_545_704
