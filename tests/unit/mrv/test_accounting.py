"""Each formula by hand (the arithmetic is written out), units checked, factors with their sources."""

from decimal import Decimal as D

import pytest

from openets.core.errors import DomainError
from openets.mrv.accounting import Stream, display, emissions, resolve, totals
from openets.mrv.factors import Factor, default_factors
from openets.mrv.units import factor

T = default_factors()


def test_units_resolved_once_and_never_guessed() -> None:
    assert factor("tC/TJ", "tC/GJ") == D("0.001")
    assert factor("万Nm3", "Nm3") == 10_000
    assert factor("%", "fraction") == D("0.01")
    assert factor("kgCO2/kWh", "tCO2/MWh") == 1
    for a, b in [("t", "GJ"), ("tC/TJ", "tCO2/TJ"), ("GJ/t", "GJ/(10**4 Nm3)")]:
        with pytest.raises(DomainError) as e:
            factor(a, b)
        assert e.value.code == "unit_mismatch"


def test_natural_gas_combustion_by_hand() -> None:
    """100 ×10⁴ Nm³ of natural gas: 100 × 389.31 GJ/10⁴Nm³ = 38,931 GJ; × 15.32 tC/TJ = 0.01532 tC/GJ
    → 596.42292 tC; × 99 % = 590.4586908 tC; × 44/12 = 2,165.0152 tCO2."""
    r = resolve(Stream("I1", "gas-1", "combustion", "10**4 Nm3", fuel="natural_gas"), T, year=2021)
    got = emissions(r, {m: D(100) / 12 for m in range(1, 13)})
    assert display(got.emissions) == D("2165.02")
    assert abs(got.emissions - D("38931") * D("0.01532") * D("0.99") * 44 / 12) < D("1e-20")
    assert "verified" in r.factors["ncv"] and "389.31 GJ/(10**4 Nm3)" in r.factors["ncv"]


def test_coal_needs_measured_values() -> None:
    with pytest.raises(DomainError) as e:  # coal's NCV is always measured: no default for it
        resolve(Stream("I1", "coal-1", "combustion", "t", fuel="bituminous"), T, year=2021)
    assert e.value.code == "factor_missing" and "NCV must be measured" in e.value.message
    with pytest.raises(DomainError) as e:  # a year the table gives no high default for: measure everything
        resolve(Stream("I1", "coal-1", "combustion", "t", fuel="bituminous"), T, year=2015)
    assert e.value.code == "fuel_unknown"
    measured = {"ncv": Factor(D("20.908"), "GJ/t", "lab, monthly", "measured"),
                "carbon_content": Factor(D("26.18"), "tC/TJ", "lab", "measured"),
                "oxidation": Factor(D("98"), "percent", "lab", "measured")}
    r = resolve(Stream("I1", "coal-1", "combustion", "t", fuel="bituminous", measured=measured), T, year=2021)
    # 1,000 t × 20.908 GJ/t = 20,908 GJ × 0.02618 tC/GJ = 547.37144 tC × 0.98 = 536.4240112 tC × 44/12 = 1,966.888 t
    assert display(emissions(r, {1: D(1000)}).emissions) == D("1966.89")
    with pytest.raises(DomainError) as e:  # a unit that does not fit: NCV per tonne, activity in Nm³
        resolve(Stream("I1", "coal-1", "combustion", "Nm3", fuel="bituminous", measured=measured), T, year=2021)
    assert e.value.code == "unit_mismatch"


def test_unmeasured_coal_carbon_takes_the_high_default() -> None:
    """The national power guidelines: coal whose carbon content is not measured takes a high default
    (2021: 0.03356 tC/GJ; 2022 revision: 0.03085 tC/GJ; oxidation 99 %), marked unverified with its source.
    2022: 1,000 t × 20.908 GJ/t = 20,908 GJ × 0.03085 tC/GJ = 645.0118 tC × 0.99 = 638.561682 tC × 44/12
    = 2,341.392834 t. 2021: 20,908 × 0.03356 = 701.67248 tC × 0.99 = 694.6557552 × 44/12 = 2,547.071102 t."""
    ncv = {"ncv": Factor(D("20.908"), "GJ/t", "lab, monthly", "measured")}
    r22 = resolve(Stream("I1", "coal-1", "combustion", "t", fuel="bituminous", measured=ncv), T, year=2022)
    assert display(emissions(r22, {1: D(1000)}).emissions) == D("2341.39")
    assert "unverified" in r22.factors["carbon_content"] and "485号" in r22.factors["carbon_content"]
    r21 = resolve(Stream("I1", "coal-1", "combustion", "t", fuel="bituminous", measured=ncv), T, year=2021)
    assert display(emissions(r21, {1: D(1000)}).emissions) == D("2547.07")
    # the default is high: a typical measured bituminous coal (26.18 tC/TJ, 98 %) gives 1,966.89 t above
    measured = {**ncv, "carbon_content": Factor(D("26.18"), "tC/TJ", "lab", "measured")}
    mixed = resolve(Stream("I1", "coal-1", "combustion", "t", fuel="bituminous", measured=measured), T, year=2022)
    assert "measured" in mixed.factors["carbon_content"] and "unverified" in mixed.factors["oxidation"]


def test_clinker_anode_pfc_gas_by_hand() -> None:
    clinker = resolve(Stream("K", "kiln", "clinker", "t",
                             parameters={"cao": D("0.65"), "cao_nc": D("0.01"), "mgo": D("0.02"), "mgo_nc": D("0")}),
                      T, year=2021)
    # per t: (0.65 − 0.01) × 44/56 = 0.502857… ; 0.02 × 44/40.3 = 0.021836… ; sum 0.524693…
    assert round(clinker.per_unit, 6) == D("0.524693")
    anode = resolve(Stream("A", "anode", "anode", "t", parameters={"sulphur": D("0.02"), "ash": D("0.004")}), T,
                    year=2021)
    assert anode.per_unit == (1 - D("0.02") - D("0.004")) * 44 / D(12)  # 3.578666… t per t of anode
    pfc = resolve(Stream("A", "cells", "pfc", "t", parameters={"ef_cf4": D("0.034"), "ef_c2f6": D("0.0034")}), T,
                  year=2021, gwp_set="SAR")
    assert pfc.per_unit == (D("0.034") * 6500 + D("0.0034") * 9200) / 1000  # 0.25228 tCO2e per t aluminium
    ch4 = resolve(Stream("A", "ch4", "gas", "t", gas="CH4"), T, year=2021, gwp_set="AR5")
    assert ch4.per_unit == 28


def test_indirect_apart_and_by_reporting_year() -> None:
    power = resolve(Stream("I1", "grid", "electricity", "MWh"), T, year=2021)
    heat = resolve(Stream("I1", "steam", "heat", "GJ"), T, year=2021)
    gas = resolve(Stream("I1", "gas-1", "combustion", "10**4 Nm3", fuel="natural_gas"), T, year=2021)
    rows = [emissions(power, {1: D(1000)}), emissions(heat, {1: D(100)}), emissions(gas, {1: D(1)})]
    got = totals(rows)["I1"]
    assert got.indirect == D("581.0") + D("11.0")  # 1,000 MWh × 0.5810 + 100 GJ × 0.11
    assert got.direct == rows[2].emissions and got.total == got.direct + got.indirect
    assert resolve(Stream("I1", "grid", "electricity", "MWh"), T, year=2022).per_unit == D("0.5703")
    later = resolve(Stream("I1", "grid", "electricity", "MWh"), T, year=2024)  # 2023+: the 2023–2025 notice's
    assert later.per_unit == D("0.5703") and "unverified" in later.factors["grid"]
    assert "unverified" in heat.factors["heat"]  # never shown as verified
    with pytest.raises(DomainError):
        resolve(Stream("I1", "grid", "electricity", "MWh"), T, year=2015)
