"""The simulation's pure parts without a database: the scenario file's checks (each problem named
with its place), the power units drawn from a seed, and an agent's order."""

from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from openets.core.actor import Actor, Role
from openets.core.errors import DomainError
from openets.market.orderbook import BUY, SELL
from openets.simulation.agents import Economy, agent_order
from openets.simulation.economics import Mac
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
    ("[scenario]\nname='x'\n[[markets]]\ncode='BJ'\nyear=2016\ncompanies=5\nprice_yuan='50'\nsectors=['a']\n"
     "emissions_t=[1, 5]\ntrading_days=1\norders_per_day=1\nmac_yuan={a=['300', '100']}\n", "mac_yuan.a"),
    ("[scenario]\nname='x'\n[[markets]]\ncode='BJ'\nyear=2016\ncompanies=5\nprice_yuan='50'\nsectors=['a']\n"
     "emissions_t=[1, 5]\ntrading_days=1\norders_per_day=1\nrush='-1'\n", "markets.0.rush"),
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

def _market(companies: list[Company], investors: list[Company] | None = None) -> Market:
    spec = SimpleNamespace(price_yuan=Decimal("50"), discount_rate=Decimal("0.05"), listing_cost_yuan=Decimal(0))
    ex = SimpleNamespace(rules=SimpleNamespace(band_low=4500, band_high=5500))
    m = Market(cast(Any, spec), cast(Any, None), cast(Any, None), random.Random(1))
    m.exchange = cast(Any, ex)
    m.companies = companies
    m.investors = investors or []
    return m


def _company(obligation: int, *, abated: int = 40_000, slope: Fraction = Fraction(1, 800)) -> Company:
    """BAU 100,000 t; MAC(a) = a / 800 yuan (50 yuan at 40,000 t abated)."""
    return Company("BJC00001", 1, Actor("u", 1, Role.COMPANY), 11, "BJC00001-A", "heat", (Decimal(1),), Decimal(1),
                   obligation=obligation, mac=Mac(Fraction(100_000), slope=slope), bau=100_000, abated=abated)


def _eco(m: Market, multiple: str | None = "3", fixed_fen: int | None = None) -> Economy:
    e = Economy.of(m, None, random.Random(1))
    e.multiple = None if multiple is None else Fraction(multiple)
    e.fixed_fen = fixed_fen
    return e


def test_a_short_company_bids_at_most_what_the_slice_is_worth() -> None:
    """Obligation 10,000 t, holds 4,000, abated 40,000: to need nothing more it would abate 46,000 t. A
    slice of q tonnes is worth MAC at 46,000 − q + 1 (its least valuable tonne); on a middle day the bid
    is drawn between the band's floor (45.00) and that."""
    c = _company(10_000)
    m = _market([c])
    for seed in range(30):
        held = {11: 4_000}
        order = agent_order(m, random.Random(seed), 5000, 0.5, 10, held, _eco(m))
        assert order is not None and order.side == BUY
        q = order.quantity
        worth = int(Fraction(46_000 - q + 1, 800) * 100)  # fen, rounded down; e.g. q = 1,200: 5,601.25 → 5,601
        assert 4500 <= (order.price_fen or 0) <= min(worth, 5500)
        assert held[11] == 4_000 + q


def test_on_the_last_days_a_short_company_bids_up_to_the_penalty() -> None:
    """The whole gap (6,000 t) at the penalty, 3 × 50.00 = 150 yuan, within the band: 55.00."""
    c = _company(10_000)
    m = _market([c])
    held = {11: 4_000}
    order = agent_order(m, random.Random(3), 5000, 1.0, 1, held, _eco(m))
    assert order is not None and order.side == BUY and order.quantity == 6_000 and order.price_fen == 5500
    assert held[11] == 10_000


def test_a_short_company_whose_tonnes_are_worth_less_than_the_band_does_not_buy() -> None:
    """Shanghai-like: a fixed fine of 50,000 yuan for 1,000,000 t short is 5,000,000 / 1,000,000 = 5 fen a
    tonne, no listing cost; on the last day a tonne is worth the larger of that and a banked tonne,
    5,000 / 1.05 = 4,761 fen — below the band's floor of 60.00 yuan: it does not buy (and will be short)."""
    c = _company(1_100_000, abated=0, slope=Fraction(1, 1_250_000))
    m = _market([c])
    m.exchange = cast(Any, SimpleNamespace(rules=SimpleNamespace(band_low=6000, band_high=7000)))
    assert agent_order(m, random.Random(3), 6500, 1.0, 1, {11: 100_000}, _eco(m, None, 5_000_000)) is None


def test_a_long_company_never_sells_below_a_banked_tonne() -> None:
    """Holds 9,000 against 1,000: each tonne it sells it would have to abate instead, at MAC ≤ 50 yuan,
    but a banked tonne is worth 50 ÷ 1.05 = 47.619… yuan: it asks at least 4,762 fen."""
    c = _company(1_000)
    m = _market([c])
    for seed in range(30):
        order = agent_order(m, random.Random(seed), 5000, 0.5, 10, {11: 9_000}, _eco(m))
        assert order is not None and order.side == SELL and 100 <= order.quantity <= 8_000
        assert 4762 <= (order.price_fen or 0) <= 5500


def test_a_company_with_nothing_to_do_passes() -> None:
    m = _market([_company(1_000)])
    assert agent_order(m, random.Random(3), 5000, 0.5, 10, {11: 1_000}, _eco(m)) is None


def test_an_investor_sells_only_what_it_holds() -> None:
    inv = Company("BJI00001", 2, Actor("i", 2, Role.INVESTOR), 12, "BJI00001-A", "investment", (Decimal(1),), Decimal(0))
    m = _market([_company(1_000)], [inv])
    eco = _eco(m)
    for seed in range(40):
        order = agent_order(m, random.Random(seed), 5000, 0.5, 10, {11: 1_000, 12: 0}, eco)
        if order is not None and order.account == "BJI00001-A":
            assert order.side == BUY and 4500 <= (order.price_fen or 0) <= min(eco.views[12], 5500)


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
    order = agent_order(m, random.Random(3), 5000, 1.0, 1, held, _eco(m))  # the whole gap on the last day: 549,470 t
    assert order is not None and order.quantity == 549_470
    slices = listed_slices(m, order)
    assert [s.quantity for s in slices] == [99_999] * 5 + [49_475]  # each below 100,000 t; 5 × 99,999 + 49,475
    assert {(s.side, s.price_fen, s.account) for s in slices} == {(order.side, order.price_fen, order.account)}
    bj = SimpleNamespace(rules=SimpleNamespace(band_low=4500, band_high=5500), trading=None)
    m.exchange = cast(Any, bj)
    assert listed_slices(m, order) == [order]  # no trading rules given: the order as it is


def test_block_trades_pair_the_shortest_with_the_longest_inside_the_block_band() -> None:
    """National rules: at least 100,000 t, ±30 % of 50.00 (35.00–65.00). The buyer lacks 300,000 t (abated
    40,000: worth MAC at 340,000 − 250,000 + 1 → capped by the band at 65.00); the seller has 250,000 to
    spare (its cost: the most costly tonne it would abate instead, MAC at 40,000 − 250,000 + 250,000 =
    40,000 t: 50.00 yuan, above the banked 47.62). The middle: (5,000 + 6,500) // 2 = 5,750 fen, for
    min(300,000, 250,000) = 250,000 t."""
    from datetime import date

    from openets.market.rules import parse_trading_rules
    from openets.rules.loader import default_rulebook
    from openets.simulation.agents import block_trades

    cea = parse_trading_rules("CEA", default_rulebook().lookup("CEA", 2019, date(2021, 12, 1), "trading").raw["trading"])
    buyer = _company(1_000_000)
    seller = Company("BJC00002", 2, Actor("s", 2, Role.COMPANY), 12, "BJC00002-A", "heat", (Decimal(1),), Decimal(1),
                     obligation=100_000, mac=Mac(Fraction(100_000), slope=Fraction(1, 800)), bau=100_000, abated=40_000)
    made: list[tuple[str, str, int, int]] = []

    def block_trade(s: Actor, s_acc: str, b: Actor, b_acc: str, *, price_fen: int, quantity: int) -> int:
        made.append((s_acc, b_acc, price_fen, quantity))
        return 1

    m = _market([buyer, seller])
    m.exchange = cast(Any, SimpleNamespace(trading=cea, block_trade=block_trade))
    held = {11: 700_000, 12: 350_000}
    assert block_trades(m, 5000, held, _eco(m)) == 1
    assert made == [("BJC00002-A", "BJC00001-A", 5750, 250_000)]
    assert held == {11: 950_000, 12: 100_000}
    assert block_trades(m, 5000, held, _eco(m)) == 0  # 50,000 t short, none to spare: below block size


def test_the_law_s_sanction_is_the_penalty_a_company_weighs() -> None:
    """The national market (Decree 775): a tonne short costs 5 × the price (the range's lowest, 5–10,
    when the data state no default) plus the tonne taken from next year's allocation, worth a banked
    tonne. Reference 50.00 yuan, discount 5 %: bank = 5,000 ÷ 1.05 = 4,761 + 19/21 fen; at a price of
    80.00 yuan a tonne short is worth 5 × 8,000 + 4,761.90… = 44,761.90… fen. With a stated default of
    7: 7 × 8,000 + 4,761.90… = 60,761.90…. Without the sanction (no compliance rules) it is only the
    listing cost: 0."""
    from openets.compliance.sanctions import SurrenderSanction

    m = _market([_company(10_000)])
    bank = Fraction(5000, 1) / Fraction(105, 100)
    law = SurrenderSanction("price_multiple", (Decimal(5), Decimal(10)), None, deduct_next_year=True)
    assert Economy.of(m, None, random.Random(1), law).penalty(1_000, 8000) == 5 * 8000 + bank
    stated = SurrenderSanction("price_multiple", (Decimal(5), Decimal(10)), Decimal(7), deduct_next_year=True)
    assert Economy.of(m, None, random.Random(1), stated).penalty(1_000, 8000) == 7 * 8000 + bank
    # the Measures (2019–2020): a fixed 20,000–30,000 yuan shared by the tonnes short, + next year's deduction
    fixed = SurrenderSanction("fixed", fixed_fen=(2_000_000, 3_000_000), deduct_next_year=True)
    assert Economy.of(m, None, random.Random(1), fixed).penalty(50_000, 8000) == Fraction(2_000_000, 50_000) + bank
    assert Economy.of(m, None, random.Random(1)).penalty(1_000, 8000) == 0
