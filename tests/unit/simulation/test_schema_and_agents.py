"""The simulation's pure parts without a database: the scenario file's checks (each problem named
with its place), the power units drawn from a seed, and an agent's order."""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from openets.core.actor import Actor, Role
from openets.core.errors import DomainError
from openets.market.orderbook import BUY, SELL
from openets.simulation.agents import agent_order
from openets.simulation.schema import BUNDLED, load_scenario
from openets.simulation.state import Company, Market
from openets.simulation.world import power_units


def test_the_bundled_scenario_loads_with_its_rule_file() -> None:
    sc, files = load_scenario(BUNDLED / "pilots-2016.toml")
    assert [m.code for m in sc.markets] == ["BJ", "SH", "HB", "CEA"]
    assert files == [(BUNDLED / "pilots-2016-rules.toml").resolve()]


@pytest.mark.parametrize(("text", "where"), [
    ("[scenario]\nname='x'\n", "markets"),
    ("[scenario]\nname='x'\nbogus=1\n[[markets]]\n", "scenario.bogus"),
    ("[scenario]\nname='x'\n[[markets]]\ncode='BJ'\nyear=2016\ncompanies=5\nprice_yuan='50'\nsectors=['a']\n"
     "emissions_t=[10, 5]\ntrading_days=1\norders_per_day=1\n", "markets.0"),
    ("[scenario]\nname='x'\n[[markets]]\ncode='BJ'\nyear=2016\ncompanies=5\nprice_yuan='50'\nsectors=['a']\n"
     "emissions_t=[1, 5]\ntrading_days=1\norders_per_day=1\nlate_share='0.6'\nnever_share='0.6'\n", "markets.0"),
    ("[scenario]\nname='x'\nrules=['missing.toml']\n[[markets]]\ncode='BJ'\nyear=2016\ncompanies=5\nprice_yuan='50'\n"
     "sectors=['a']\nemissions_t=[1, 5]\ntrading_days=1\norders_per_day=1\n", "scenario.rules"),
    # the harness's finding: a run overflowed the bigint columns half-way (now refused by the check)
    ("[scenario]\nname='x'\n[[markets]]\ncode='BJ'\nyear=2016\ncompanies=5\nprice_yuan='50'\nsectors=['a']\n"
     "emissions_t=[1, 5000000000000000000]\ntrading_days=1\norders_per_day=1\n",
     "markets.0: emissions_t: a company emits at most 1,000,000,000,000 t"),
    ("[scenario]\nname='x'\n[[markets]]\ncode='BJ'\nyear=2016\ncompanies=5\nprice_yuan='50'\nsectors=['a']\n"
     "emissions_t=[1, 5]\nemissions_change=['0', '1e20']\ntrading_days=1\norders_per_day=1\n", "high ≤ 1"),
    ("not = [toml", "s.toml, line 1, column 8: not a TOML scenario file (invalid value)"),
    ("[scenario]\nname = 'x'\nseed = \n", "s.toml, line 3, column 8: not a TOML scenario file (invalid value)"),
])
def test_a_bad_scenario_is_refused_with_its_place(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DomainError) as e:
        load_scenario(path)
    assert e.value.code == "scenario_invalid" and where in str(e.value)


def test_a_scenario_not_in_utf8_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_bytes("[scenario]\nname = '北京'\n".encode("gbk"))  # 北 in GBK is 0xb1 0xb1: line 2, offset 19
    with pytest.raises(DomainError) as e:
        load_scenario(path)
    assert e.value.code == "scenario_invalid"
    assert e.value.message == "s.toml, line 2: not UTF-8 text (byte 0xb1 at offset 19); save it as UTF-8"


def test_an_unreadable_scenario_is_named(tmp_path: Path) -> None:
    with pytest.raises(DomainError) as e:
        load_scenario(tmp_path / "none.toml")
    assert e.value.code == "scenario_unreadable"


def test_power_units_come_from_the_seed() -> None:
    a = power_units(random.Random(7), Decimal(5_000_000), Decimal("0.02"))
    b = power_units(random.Random(7), Decimal(5_000_000), Decimal("0.02"))
    assert a == b and 1 <= len(a) <= 4
    for u in a:
        assert u["fuel"] in ("coal", "gas") and u["mwh"] == (u["base_mwh"] * Decimal("1.02")).quantize(Decimal(1))



def test_power_units_load_factor_is_the_load_rate_while_running() -> None:
    """F = generation ÷ (rated MW × running hours) (issue 15: not hours ÷ 8760), to two decimals rounded
    down; e.g. 600 MW, 4,500 full-load hours (2,700,000 MWh), 6,000 running hours → 2,700,000 ÷ 3,600,000 = 0.75."""
    for seed in range(20):
        for u in power_units(random.Random(seed), Decimal(5_000_000), Decimal("0.02")):
            for mwh, running, f in ((u["base_mwh"], u["base_running_hours"], u["base_load_factor"]),
                                    (u["mwh"], u["running_hours"], u["load_factor"])):
                exact = mwh / (u["capacity_mw"] * running)
                assert f == exact.quantize(Decimal("0.01"), rounding="ROUND_FLOOR") and Decimal("0.6") <= f <= 1
                assert running <= 8760 and f > mwh / (u["capacity_mw"] * 8760)  # above the capacity factor

def _market(companies: list[Company]) -> Market:
    spec = SimpleNamespace(price_yuan=Decimal("50"))
    ex = SimpleNamespace(rules=SimpleNamespace(band_low=4500, band_high=5500))
    m = Market(cast(Any, spec), cast(Any, None), cast(Any, None), random.Random(1))
    m.exchange = cast(Any, ex)
    m.companies = companies
    return m


def _company(obligation: int) -> Company:
    return Company("BJC00001", 1, Actor("u", 1, Role.COMPANY), 11, "BJC00001-A", "heat", (Decimal(1),), Decimal(1),
                   obligation=obligation)


def test_a_short_company_buys_inside_the_band_and_counts_it_held() -> None:
    c = _company(10_000)
    held = {11: 4_000}
    order = agent_order(_market([c]), random.Random(3), 5000, 1.0, 1, held)
    assert order is not None and order.side == BUY and order.quantity == 6_000  # the whole gap on the last day
    assert 4500 <= (order.price_fen or 0) <= 5500
    assert held[11] == 10_000


def test_a_long_company_sells_part_of_its_surplus() -> None:
    c = _company(1_000)
    held = {11: 9_000}
    order = agent_order(_market([c]), random.Random(3), 5000, 0.5, 10, held)
    assert order is not None and order.side == SELL and 100 <= order.quantity <= 8_000
    assert (order.price_fen or 0) >= 4000  # never under 80 % of the scenario's price


def test_a_company_with_nothing_to_do_passes() -> None:
    assert agent_order(_market([_company(1_000)]), random.Random(3), 5000, 0.5, 10, {11: 1_000}) is None


def test_a_national_order_over_the_listed_cap_goes_in_slices() -> None:
    from datetime import date

    from openets.market.rules import parse_trading_rules
    from openets.rules.loader import default_rulebook
    from openets.simulation.agents import listed_slices

    cea = parse_trading_rules("CEA", default_rulebook().lookup("CEA", 2019, date(2021, 12, 1), "trading").raw["trading"])
    c = _company(10_000_000)
    m = _market([c])
    m.exchange = cast(Any, SimpleNamespace(rules=SimpleNamespace(band_low=4500, band_high=5500), trading=cea))
    held = {11: 9_450_530}
    order = agent_order(m, random.Random(3), 5000, 1.0, 1, held)  # the whole gap on the last day: 549,470 t
    assert order is not None and order.quantity == 549_470
    slices = listed_slices(m, order)
    assert [s.quantity for s in slices] == [99_999] * 5 + [49_475]  # each below 100,000 t; 5 × 99,999 + 49,475
    assert {(s.side, s.price_fen, s.account) for s in slices} == {(order.side, order.price_fen, order.account)}
    bj = SimpleNamespace(rules=SimpleNamespace(band_low=4500, band_high=5500), trading=None)
    m.exchange = cast(Any, bj)
    assert listed_slices(m, order) == [order]  # no trading rules given: the order as it is
