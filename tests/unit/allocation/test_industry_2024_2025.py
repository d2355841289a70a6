"""Steel, cement and aluminium in the national market (mechanisms.md §8.4): 2024 allowances = verified
2024 emissions; 2025 benchmark × actual output, 70 % of 2024's verified emissions pre-allocated, then
trued up; and the sector MRV streams (BF-BOF carbon balance and fluxes, clinker, anode, CF4 and C2F6)."""

from datetime import datetime
from decimal import Decimal as D

import pytest

from openets.allocation.industry import allocation, pre_allocation, true_up
from openets.core.clock import MARKET_TZ
from openets.core.errors import DomainError
from openets.mrv.accounting import Stream, emissions, resolve, totals
from openets.mrv.factors import default_factors
from openets.mrv.sectors import sector_coverage
from openets.services.rulebook import default_rulebook, industry_rules

T = default_factors()
WHEN = datetime(2025, 12, 1, tzinfo=MARKET_TZ)


def test_2024_allowances_are_the_verified_emissions() -> None:
    """A cement line verified at 1,234,567.5 t for 2024: 1,234,568 t (half up)."""
    r = industry_rules(default_rulebook(), "CEA", 2024, WHEN)
    assert r.method == "verified_emissions"
    assert allocation(r, "cement", verified=D("1234567.5")) == 1_234_568
    with pytest.raises(DomainError, match="the verified emissions; none given"):
        allocation(r, "cement", output=D(1))


def test_2025_pre_allocation_then_intensity_true_up() -> None:
    """An aluminium smelter: 2024 verified 2,000,001 t → 2025 pre-allocation 70 % = 1,400,000.7 →
    1,400,001 t. Final: a user's benchmark 1.5 tCO2e/t × 1,300,000 t liquid aluminium = 1,950,000 t;
    true-up +549,999 t. With output 900,000 t: 1,350,000 t, and 50,001 t taken back."""
    r = industry_rules(default_rulebook(), "CEA", 2025, WHEN)
    assert (r.method, r.pre_allocation_share) == ("intensity", D("0.70"))
    pre = pre_allocation(r, D(2_000_001))
    assert pre == 1_400_001
    final = allocation(r, "aluminium", output=D(1_300_000), benchmark=D("1.5"))
    assert (final, true_up(final, pre)) == (1_950_000, 549_999)
    assert true_up(allocation(r, "aluminium", output=D(900_000), benchmark=D("1.5")), pre) == -50_001
    with pytest.raises(DomainError, match="benchmark is not shipped"):
        allocation(r, "steel", output=D(1))  # the 2025 benchmarks are `?` in the references
    with pytest.raises(DomainError, match="no 'glass'"):
        allocation(r, "glass", output=D(1), benchmark=D(1))
    with pytest.raises(DomainError, match="pre-allocates nothing"):
        pre_allocation(industry_rules(default_rulebook(), "CEA", 2024, WHEN), D(1))


def test_bf_bof_carbon_balance_and_fluxes_by_hand() -> None:
    """BF-BOF: coke 500,000 t at 0.86 t C/t in; crude steel 1,000,000 t at 0.002 t C/t out; limestone
    100,000 t and dolomite 20,000 t decomposed. (500,000 × 0.86 − 1,000,000 × 0.002) × 44/12
    = 428,000 × 3.6667 = 1,569,333.33 t; limestone 100,000 × 0.4397 = 43,970; dolomite 20,000 × 0.4773
    = 9,546: 1,622,849.33 tCO2."""
    coke = resolve(Stream("S", "coke", "carbon", "t", parameters={"carbon": D("0.86")}), T, year=2024)
    steel = resolve(Stream("S", "steel", "carbon", "t", parameters={"carbon": D("0.002"), "output": D(1)}), T, year=2024)
    lime = resolve(Stream("S", "lime", "carbonate", "t", fuel="limestone"), T, year=2024)
    dolo = resolve(Stream("S", "dolo", "carbonate", "t", fuel="dolomite"), T, year=2024)
    rows = [emissions(coke, {1: D(500_000)}), emissions(steel, {1: D(1_000_000)}),
            emissions(lime, {1: D(100_000)}), emissions(dolo, {1: D(20_000)})]
    got = totals(rows)["S"].direct
    assert round(got, 2) == D("1622849.33")
    with pytest.raises(DomainError, match="no process factor for 'chalk'"):
        resolve(Stream("S", "x", "carbonate", "t", fuel="chalk"), T, year=2024)


def test_aluminium_pfc_and_sector_coverage() -> None:
    """Aluminium 100,000 t with CF4 0.034 and C2F6 0.0034 kg/t (SAR: 6,500 and 9,200): (221 + 31.28)
    ÷ 1,000 = 0.25228 tCO2e/t → 25,228 tCO2e. A report with only combustion and anode misses the pfc
    stream and the gases CF4 and C2F6; an electricity stream is flagged as outside the obligation."""
    pfc = resolve(Stream("A", "cells", "pfc", "t", parameters={"ef_cf4": D("0.034"), "ef_c2f6": D("0.0034")}), T,
                  year=2025)
    assert emissions(pfc, {1: D(100_000)}).emissions == D("25228.0000")
    s = industry_rules(default_rulebook(), "CEA", 2025, WHEN).sector("aluminium")
    found = sector_coverage("A", "aluminium", gases=s.gases, streams=s.streams,
                            reported=["combustion", "anode", "electricity"])
    assert [(x.check, x.message) for x in found] == [
        ("sector_stream_missing", "the aluminium plan covers pfc streams; the report has none"),
        ("sector_gas_missing", "no stream reports C2F6, which the aluminium plan covers"),
        ("sector_gas_missing", "no stream reports CF4, which the aluminium plan covers"),
        ("indirect_not_covered", "electricity stream: indirect emissions are outside the aluminium obligation (direct only)"),
    ]
    assert sector_coverage("A", "aluminium", gases=s.gases, streams=s.streams,
                           reported=["combustion", "anode", "pfc"]) == []
