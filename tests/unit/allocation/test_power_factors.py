"""Power allocation's correction factors per category (issue 15): coal's cooling, heat and load
factors are not gas's; F is the load rate while running; the 2017 draft has a calorific-value factor
and no load term. Every case by hand from the rule's text."""

from dataclasses import replace
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest

from openets.allocation.methods import PowerRules, PowerUnitOutput, load_rate, power_allowance, to_tonnes
from openets.allocation.rules import allocation_rules
from openets.core.errors import DomainError
from openets.rules.loader import default_rulebook


def power(year: int, on: date) -> PowerRules:
    p = allocation_rules(default_rulebook().lookup("CEA", year, on, "allocation")).power
    assert p is not None
    return p


def test_conventional_coal_pure_condensing_gets_cooling_and_load() -> None:
    """600 MW air-cooled coal, pure-condensing (no heat), 2,000,000 MWh supplied, F = 0.78:
    0.877 × 2,000,000 = 1,754,000; × cooling 1.05 = 1,841,700; × heat factor (1 − 0.22 × 0) = 1;
    × load 1.007 + 0.0016 × (80 − 78) = 1.0102 → 1,860,485.34 → 1,860,485 t."""
    p = power(2019, date(2021, 1, 1))
    got = power_allowance(PowerUnitOutput("U1", "coal_300_plus", "air", D(2_000_000), D(0), D(0), D("0.78")), p)
    assert (got.cooling_factor, got.heat_factor, got.load_factor_correction) == (D("1.05"), 1, D("1.0102"))
    assert to_tonnes(got.total) == 1_860_485


def test_gas_gets_its_own_heat_factor_and_no_cooling_or_load() -> None:
    """400 MW air-cooled gas unit, 1,000,000 MWh, 500,000 GJ heat, heat ratio 0.10, F = 0.60:
    electricity 0.392 × 1,000,000 = 392,000 × cooling 1 (coal only) × (1 − 0.6 × 0.10 = 0.94) × load 1
    (coal only) = 368,480; heat 0.059 × 500,000 = 29,500; total 397,980 t (with coal's factors it
    would have been 392,000 × 1.05 × 0.978 × 1.015^(16 − 12) … : more)."""
    p = power(2020, date(2021, 1, 1))
    assert p.category_for("gas", 400).code == "gas"
    got = power_allowance(PowerUnitOutput("G1", "gas", "air", D(1_000_000), D(500_000), D("0.10"), D("0.60")), p)
    assert (got.cooling_factor, got.heat_factor, got.load_factor_correction) == (1, D("0.94"), 1)
    assert got.total == D("397980.000")
    # a pure-condensing gas unit at a low load: still no load correction
    pure = power_allowance(PowerUnitOutput("G2", "gas", "water", D(1_000_000), D(0), D(0), D("0.50")), p)
    assert pure.total == D("392000.000")


def test_unconventional_coal_keeps_cooling_but_no_load_correction() -> None:
    """A 300 MW air-cooled CFB unit, pure-condensing, 1,500,000 MWh, F = 0.70:
    1.146 × 1,500,000 = 1,719,000 × 1.05 = 1,804,950 × 1 × load 1 (conventional coal only) = 1,804,950 t."""
    p = power(2019, date(2021, 1, 1))
    assert p.category_for("cfb", 300).code == "coal_unconventional"
    got = power_allowance(PowerUnitOutput("C1", "coal_unconventional", "air", D(1_500_000), D(0), D(0), D("0.70")), p)
    assert got.load_factor_correction == 1 and to_tonnes(got.total) == 1_804_950


def test_the_load_factor_is_the_load_rate_while_running() -> None:
    """F = generation ÷ (rated MW × running hours): 600 MW, 6,000 h running, 2,880,000 MWh →
    2,880,000 ÷ 3,600,000 = 0.80 (the annual capacity factor 2,880,000 ÷ (600 × 8,760) = 0.548 is not F)."""
    assert load_rate(D(2_880_000), D(600), D(6000)) == D("0.8")
    for args in ((D(1), D(0), D(10)), (D(1), D(600), D(0)), (D(1), D(600), D(9000)), (D(700), D(1), D(600))):
        with pytest.raises(DomainError) as e:
            load_rate(*args)
        assert e.value.code == "load_rate_invalid"
    p = power(2019, date(2021, 1, 1))
    with pytest.raises(DomainError) as e:  # an F above 1 is refused even where no load correction applies
        power_allowance(PowerUnitOutput("G", "gas", "air", D(1), D(0), D(0), D("1.2")), p)
    assert e.value.code == "load_factor_invalid"


def test_draft_2017_has_a_calorific_factor_and_no_load_term() -> None:
    """The 2017 draft: supply × benchmark × cooling × heat-supply × calorific-value factor. With a
    user's benchmark 0.9 and calorific factor 1.02 for a 600 MW air-cooled unit, 1,000,000 MWh, heat
    ratio 0: 0.9 × 1,000,000 = 900,000 × 1.05 = 945,000 × 1 × 1.02 = 963,900 t, whatever its F."""
    p = power(2017, date(2017, 6, 1))
    f = p.factors["draft"]
    assert f.load is False and f.calorific == {}  # no load term; calorific values not shipped
    cat = replace(p.categories["ultra_supercritical_600"], electricity=D("0.9"), heat=D("0.1"))
    unit = PowerUnitOutput("U1", cat.code, "air", D(1_000_000), D(0), D(0), D("0.50"), calorific="low")
    shipped = replace(p, categories={cat.code: cat})
    with pytest.raises(DomainError) as e:
        power_allowance(unit, shipped)
    assert e.value.code == "calorific_factor_missing"
    mine = replace(shipped, factors={"draft": replace(f, calorific={"standard": D(1), "low": D("1.02")})})
    got = power_allowance(unit, mine)
    assert got.load_factor_correction == 1 and got.calorific_factor == D("1.02") and got.total == D("963900.0000")
    assert power_allowance(replace(unit, load_factor=D("0.95")), mine).total == got.total
    with pytest.raises(DomainError) as e:
        power_allowance(replace(unit, calorific="unknown"), mine)
    assert e.value.code == "calorific_unknown"


def test_the_year_boundary_between_the_draft_and_the_2019_plan() -> None:
    """2018 (the draft): no load term; 2019 (国环规气候〔2020〕3号): conventional coal pure-condensing
    units get the load correction."""
    assert not any(f.load for f in power(2018, date(2018, 6, 1)).factors.values())
    p2019 = power(2019, date(2021, 1, 1))
    assert p2019.factors["coal_conventional"].load and not p2019.factors["gas"].load
    assert p2019.factors["gas"].heat_ratio_coefficient == D("0.6") and p2019.factors["gas"].cooling is None


def test_one_set_of_factors_for_every_category_is_refused(tmp_path: Path) -> None:
    own = tmp_path / "old.toml"
    own.write_text("""[[ruleset]]
market = "CEA"
compliance_years = [2019]
document = "old shape"
valid_from = 2022-01-01
[ruleset.allocation.power]
heat_ratio_coefficient = "0.22"
categories = [{ code = "gas", fuels = ["gas"], electricity = "0.392", heat = "0.059" }]
""", encoding="utf-8")
    with pytest.raises(DomainError) as e:
        allocation_rules(default_rulebook().with_file(own).lookup("CEA", 2019, date(2022, 6, 1), "allocation"))
    assert "per category" in e.value.message
