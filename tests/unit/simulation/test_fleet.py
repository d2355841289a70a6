"""A scenario's power ``fleet``: the kinds of generating unit a national scenario draws its companies'
units from (fuel, share, capacities, intensity, full-load hours, load rate, cooling), checked at load,
and the draws staying inside what the file says; without a fleet the default draws are unchanged."""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

import pytest

from openets.core.errors import DomainError
from openets.simulation.schema import BUNDLED, UnitKind, load_scenario
from openets.simulation.world import power_units

HEAD = ("[scenario]\nname='x'\n[[markets]]\ncode='CEA'\nyear=2023\ncompanies=5\nprice_yuan='80'\nsectors=['power']\n"
        "emissions_t=[1000000, 2000000]\ntrading_days=1\norders_per_day=1\n")
COAL = "{ fuel = 'coal', share = '0.8', capacity_mw = [600], intensity = ['0.80', '0.85'] }"
GAS = "{ fuel = 'gas', share = '0.2', capacity_mw = [400], intensity = ['0.36', '0.40'], cooling = ['air'] }"


def _load(tmp_path: Path, text: str) -> object:
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    return load_scenario(path)[0]


def test_a_fleet_is_read_compactly(tmp_path: Path) -> None:
    sc = _load(tmp_path, HEAD + f"power = true\nfleet = [{COAL}, {GAS}]\n")
    (m,) = sc.markets  # type: ignore[attr-defined]
    assert [k.fuel for k in m.fleet] == ["coal", "gas"]
    coal, gas = m.fleet
    # what the file leaves out: 3,800–5,600 full-load hours, a load rate of 65–90 %, air or water cooled
    assert coal.hours == (3800, 5600) and coal.load_rate == (Decimal("0.65"), Decimal("0.90"))
    assert coal.cooling == ["air", "water"] and gas.cooling == ["air"]


@pytest.mark.parametrize(("fleet", "power", "says"), [
    (f"[{COAL}]", True, "add up to 1"),  # 0.8 alone
    (f"[{COAL}, {GAS}]", False, "power = true"),  # a fleet on a market without units
    ("[{ fuel = 'oil', share = '1', capacity_mw = [300], intensity = ['0.8', '0.9'] }]", True, "fleet.0.fuel"),
    ("[{ fuel = 'coal', share = '1', capacity_mw = [300], intensity = ['0.9', '0.8'] }]", True, "intensity"),
    ("[{ fuel = 'coal', share = '1', capacity_mw = [300], intensity = ['0.8', '0.9'], load_rate = ['0.7', '1.2'] }]",
     True, "load_rate"),
    ("[{ fuel = 'coal', share = '1', capacity_mw = [], intensity = ['0.8', '0.9'] }]", True, "capacity_mw"),
    # 8,500 h grown by the default change of up to 5 %: 8,925 h, more than a year has
    ("[{ fuel = 'coal', share = '1', capacity_mw = [300], intensity = ['0.8', '0.9'], hours = [8000, 8500] }]",
     True, "8,760 hours"),
])
def test_a_bad_fleet_is_refused_with_its_place(tmp_path: Path, fleet: str, power: bool, says: str) -> None:
    with pytest.raises(DomainError) as e:
        _load(tmp_path, HEAD + f"power = {'true' if power else 'false'}\nfleet = {fleet}\n")
    assert e.value.code == "scenario_invalid" and says in str(e.value)


def test_the_units_drawn_stay_inside_the_fleet() -> None:
    fleet = [UnitKind(fuel="coal", share=Decimal("0.5"), capacity_mw=[1000], intensity=(Decimal("0.78"), Decimal("0.80")),
                      hours=(4000, 4400), load_rate=(Decimal("0.80"), Decimal("0.85")), cooling=["water"]),
             UnitKind(fuel="gas", share=Decimal("0.5"), capacity_mw=[400], intensity=(Decimal("0.36"), Decimal("0.38")),
                      hours=(3000, 3200), cooling=["air"])]
    seen = set()
    for seed in range(40):
        units = power_units(random.Random(seed), Decimal(6_000_000), Decimal("0.02"), fleet)
        assert units == power_units(random.Random(seed), Decimal(6_000_000), Decimal("0.02"), fleet)  # from the seed
        for u in units:
            seen.add(u["fuel"])
            if u["fuel"] == "coal":
                assert u["capacity_mw"] == 1000 and u["cooling"] == "water"
                assert Decimal("0.78") <= u["intensity"] <= Decimal("0.80")
                # base-year generation = MW × full-load hours: 1,000 MW × 4,000–4,400 h
                assert 4_000_000 <= u["base_mwh"] <= 4_400_000
                # F = generation ÷ (MW × running hours), running hours = full-load hours ÷ the drawn rate
                # (rounded up): F just under the rate drawn, floored to two decimals, so 0.79–0.85
                assert Decimal("0.79") <= u["base_load_factor"] <= Decimal("0.85")
            else:
                assert u["capacity_mw"] == 400 and u["cooling"] == "air"
                assert Decimal("0.36") <= u["intensity"] <= Decimal("0.38")
                assert 1_200_000 <= u["base_mwh"] <= 1_280_000  # 400 MW × 3,000–3,200 h
            # this year: base × (1 + change), emissions = generation × intensity
            assert u["mwh"] == (u["base_mwh"] * Decimal("1.02")).quantize(Decimal(1))
            assert u["emissions"] == (u["mwh"] * u["intensity"]).quantize(Decimal("0.01"))
    assert seen == {"coal", "gas"}


def test_without_a_fleet_the_default_draws_are_unchanged() -> None:
    """The pilots' demo and any scenario without ``fleet`` draw exactly as before the field existed:
    seed 7's first unit (pinned from the code before the change)."""
    a = power_units(random.Random(7), Decimal(5_000_000), Decimal("0.02"))
    assert a == power_units(random.Random(7), Decimal(5_000_000), Decimal("0.02"), None)
    assert [(u["fuel"], u["capacity_mw"], u["cooling"], u["base_mwh"]) for u in a] == PINNED


PINNED = [("coal", 300, "air", Decimal(1382400)), ("coal", 300, "air", Decimal(1364400)),
          ("gas", 400, "air", Decimal(1875200)), ("gas", 400, "air", Decimal(1867600))]


@pytest.mark.parametrize("year", [2023, 2024])
def test_the_bundled_national_scenarios_describe_their_fleet(year: int) -> None:
    sc, _ = load_scenario(BUNDLED / f"national-{year}.toml")
    (m,) = sc.markets
    assert m.power and m.fleet is not None and sum(k.share for k in m.fleet) == 1
