"""The national power plans of 2021–2022 and 2023–2024 (mechanisms.md §8.3): benchmarks per year, the
balance value, allocation on generation without the heat-supply factor. Every case by hand."""

from dataclasses import replace
from datetime import date
from decimal import Decimal as D

import pytest

from openets.allocation.balance import balance_value
from openets.allocation.methods import PowerAllowance, PowerRules, PowerUnitOutput, power_allowance, to_tonnes
from openets.allocation.rules import allocation_rules
from openets.core.errors import DomainError
from openets.rules.loader import default_rulebook


def power(year: int, on: date) -> PowerRules:
    p = allocation_rules(default_rulebook().lookup("CEA", year, on, "allocation")).power
    assert p is not None
    return p


def test_2021_and_2022_benchmarks_differ_by_year() -> None:
    """600 MW water-cooled coal, pure-condensing, 3,000,000 MWh supplied, F = 0.82.
    2021: 0.8218 × 3,000,000 = 2,465,400; × load 1 + 0.0014 × (85 − 82) = 1.0042 → 2,475,754.68 → 2,475,755 t.
    2022: 0.8177 × 3,000,000 = 2,453,100 × 1.0042 = 2,463,403.02 → 2,463,403 t."""
    unit = PowerUnitOutput("U1", "coal_300_plus", "water", D(3_000_000), D(0), D(0), D("0.82"))
    assert to_tonnes(power_allowance(unit, power(2021, date(2023, 3, 15))).total) == 2_475_755
    assert to_tonnes(power_allowance(unit, power(2022, date(2023, 6, 1))).total) == 2_463_403
    with pytest.raises(DomainError, match="no allocation rules for compliance year 2021 on 2023-03-14"):
        default_rulebook().lookup("CEA", 2021, date(2023, 3, 14), "allocation")  # before the plan: one clear error


def test_balance_value_is_the_intensity_where_allocation_meets_emissions() -> None:
    """Two units of one category at benchmark 0.8: A corrected supply 1,000,000 MWh (electricity part
    800,000), no heat, VE 850,000 t; B corrected supply 525,000 MWh (420,000), heat part 10,000 t, VE
    440,000 t. B = (850,000 + 440,000 − 10,000) ÷ (1,000,000 + 525,000) = 1,280,000 ÷ 1,525,000
    = 0.83934… tCO2/MWh: at that benchmark Σ allocation = 0.83934 × 1,525,000 + 10,000 = 1,290,000 = Σ VE."""
    a = PowerAllowance("A", "coal_300_plus", D(800_000), D(0), D(1), D(1), D(1))
    b = PowerAllowance("B", "coal_300_plus", D(420_000), D(10_000), D("1.05"), D(1), D(1))
    got = balance_value([(a, D(850_000)), (b, D(440_000))], D("0.8"))
    assert got == D(1_280_000) / D(1_525_000)
    assert (got * 1_525_000 + 10_000).quantize(D(1)) == 1_290_000
    with pytest.raises(DomainError):
        balance_value([], D("0.8"))


def test_2023_allocates_on_generation_without_the_heat_factor() -> None:
    """2023–2024: output basis generation, heat-supply factor removed, benchmark values not shipped.
    With a user's benchmark 0.80 for a 600 MW air-cooled CHP unit, generation 2,000,000 MWh (supply
    1,900,000), heat ratio 0.2: 0.80 × 2,000,000 × cooling 1.05 × heat factor (1 − 0 × 0.2 = 1) × load 1
    (it supplies heat: not pure-condensing) = 1,680,000 t of the electricity part."""
    p = power(2023, date(2024, 10, 15))
    assert p.output_basis == "generation"
    unit = PowerUnitOutput("C1", "coal_300_plus", "air", D(1_900_000), D(100_000), D("0.2"), D("0.9"),
                           generation_mwh=D(2_000_000))
    with pytest.raises(DomainError, match="no published benchmark"):
        power_allowance(unit, p)  # the values are user-supplied: a clear error, never a silent default

    cat = replace(p.categories["coal_300_plus"], electricity=D("0.80"), heat=D(0))
    mine = replace(p, categories={**p.categories, "coal_300_plus": cat})
    got = power_allowance(unit, mine)
    assert (got.heat_factor, got.cooling_factor, got.electricity_part) == (1, D("1.05"), D("1680000.0000"))
    with pytest.raises(DomainError, match="generated is not given"):
        power_allowance(PowerUnitOutput("C2", "coal_300_plus", "air", D(1), D(0), D(0), D("0.9")), mine)
