"""The analytic model, each case computed by hand from policy-lab.md's formulas (the arithmetic is
in each test): p* = A / Σ(1/k_i), a_i = p*/k_i, least cost Σ k_i a_i² / 2, no trading Σ k_i g_i² / 2."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction as F

import pytest

from openets.core.errors import DomainError
from openets.simulation.economics import Firm, Mac, Year, equilibrium, exact_sum, hotelling, intensity_allocation, tonnes, yuan


def firm(i: str, bau: int, alloc: int, k: str) -> Firm:
    return Firm(i, "cement", Mac(F(bau), slope=F(k)), F(alloc))


def test_two_firms_linear() -> None:
    # A: BAU 1,000 t, allocation 900, k = 0.5; B: BAU 1,000, allocation 800, k = 1
    # required = 2,000 − 1,700 = 300 t; Σ 1/k = 2 + 1 = 3; p* = 300 / 3 = 100 yuan
    # a_A = 100 / 0.5 = 200 t, a_B = 100 / 1 = 100 t
    # least cost = 0.5 × 200² / 2 + 1 × 100² / 2 = 10,000 + 5,000 = 15,000 yuan
    # alone: A abates its gap 100: 0.5 × 100² / 2 = 2,500; B its gap 200: 1 × 200² / 2 = 20,000 → 22,500
    e = equilibrium([firm("A", 1000, 900, "0.5"), firm("B", 1000, 800, "1")])
    assert e.price == 100
    assert e.abatement == {"A": 200, "B": 100}
    assert e.least_cost == 15_000 and e.no_trade_cost == 22_500 and e.gain == 7_500
    # firm level: A sells 1,000 − 200 − 900 = −100 t → 10,000 − 100 × 100 = 0; B buys 100 t → 5,000 + 10,000
    assert e.net_cost == {"A": 0, "B": 15_000}
    assert sum(e.net_cost.values()) == e.least_cost


def three() -> list[Firm]:
    # k = 0.01, 0.02, 0.04; BAU 10,000 each; allocations 8,000, 7,000, 8,000 → gaps 2,000, 3,000, 2,000
    return [firm("1", 10_000, 8_000, "0.01"), firm("2", 10_000, 7_000, "0.02"), firm("3", 10_000, 8_000, "0.04")]


def test_three_firms_linear() -> None:
    # required 7,000; Σ 1/k = 100 + 50 + 25 = 175; p* = 7,000 / 175 = 40 yuan; a = 4,000, 2,000, 1,000
    # least = 40² / 2 × 175 = 140,000 (0.01×4000²/2 = 80,000; 0.02×2000²/2 = 40,000; 0.04×1000²/2 = 20,000)
    # alone: 0.01×2000²/2 = 20,000; 0.02×3000²/2 = 90,000; 0.04×2000²/2 = 80,000 → 190,000; gain 50,000
    e = equilibrium(three())
    assert e.price == 40 and e.abatement == {"1": 4000, "2": 2000, "3": 1000}
    assert (e.least_cost, e.no_trade_cost, e.gain) == (140_000, 190_000, 50_000)
    assert not e.penalty_binds and e.shortfall == 0


def test_penalty_binds() -> None:
    # the same firms with a penalty of 30 yuan/t < 40: the price is 30, abatement 3,000 + 1,500 + 750
    # = 5,250 t, shortfall 7,000 − 5,250 = 1,750 t paid at 30 = 52,500
    # least = 0.01×3000²/2 + 0.02×1500²/2 + 0.04×750²/2 + 52,500 = 45,000 + 22,500 + 11,250 + 52,500 = 131,250
    # alone: 1 abates its 2,000 (a(30) = 3,000 ≥ gap): 20,000; 2 abates 1,500 (22,500) and pays 30 × 1,500;
    # 3 abates 750 (11,250) and pays 30 × 1,250 → 20,000 + 67,500 + 48,750 = 136,250
    e = equilibrium(three(), penalty=F(30))
    assert e.penalty_binds and e.price == 30 and e.total_abatement == 5250 and e.shortfall == 1750
    assert e.least_cost == 131_250 and e.no_trade_cost == 136_250
    # a penalty above the price changes nothing
    assert equilibrium(three(), penalty=F(50)).price == 40


def test_piecewise_curve() -> None:
    # points (1,000 t, 20 yuan), (3,000 t, 60 yuan) after (0, 0): at 40 yuan the firm abates
    # 1,000 + 2,000 × (40 − 20) / (60 − 20) = 2,000 t at a cost of (0 + 20)/2 × 1,000 + (20 + 40)/2 × 1,000 = 40,000
    c = Mac(F(10_000), points=((F(1000), F(20)), (F(3000), F(60))))
    assert c.abatement(F(40)) == 2000 and c.cost(F(2000)) == 40_000 and c.mac(F(2000)) == 40
    assert c.abatement(F(100)) == 3000  # past the last point: nothing more to abate
    # with a linear firm k = 0.02 (a = p / 0.02 = 50 p) and 4,500 t required: below 20 yuan the
    # piecewise firm gives 50 p, so 100 p = 4,500 → p = 45 > 20; between 20 and 60 it gives 1,000 + 50 (p − 20),
    # so 50 p + 1,000 + 50 p − 1,000 = 4,500 → p = 45 yuan
    e = equilibrium([Firm("P", "steel", c, F(5_500)), firm("L", 10_000, 10_000, "0.02")])
    assert e.price == 45 and e.abatement == {"P": 2250, "L": 2250}
    with pytest.raises(DomainError):
        Mac(F(10), points=((F(5), F(20)), (F(5), F(30))))


def test_cap_unreachable_without_penalty() -> None:
    c = Mac(F(100), points=((F(50), F(10)),))
    with pytest.raises(DomainError) as err:
        equilibrium([Firm("X", "s", c, F(0))])
    assert err.value.code == "cap_unreachable"
    # with a penalty: the price is the penalty, 50 t abated, 50 t short
    e = equilibrium([Firm("X", "s", c, F(0))], penalty=F(100))
    assert (e.price, e.total_abatement, e.shortfall) == (100, 50, 50)


def test_intensity_allocation() -> None:
    # cement clinker benchmark 0.8534 t/t × 1,000,000 t = 853,400 t; 0.8534 × 1,234,567 = 1,053,579.48… → 1,053,579
    assert intensity_allocation(Decimal("0.8534"), Decimal(1_000_000)) == 853_400
    assert intensity_allocation(Decimal("0.8534"), Decimal(1_234_567)) == 1_053_579


def test_banking_three_years_hotelling() -> None:
    # one firm k = 0.01 (a = 100 p), BAU 100,000 t; allocations leave 2,000, 4,000, 6,000 t to abate;
    # r = 5 %: 100 p0 (1 + 1.05 + 1.1025) = 12,000 → p0 = 12,000 / 315.25 = 38.07 yuan;
    # abatement 3,806.5, 3,996.8, 4,196.7 → bank 1,806.5, 1,803.3, 0
    f = [Year(2021 + t, (firm("F", 100_000, 100_000 - need, "0.01"),)) for t, need in enumerate((2000, 4000, 6000))]
    path = hotelling(f, F(5, 100))
    assert path.prices[0] == F(12_000) / F(31525, 100)
    assert yuan(path.prices[0]) == Decimal("38.07")
    assert path.prices[1] == path.prices[0] * F(105, 100) and path.prices[2] == path.prices[0] * F(105, 100) ** 2
    assert [tonnes(b) for b in path.bank] == [Decimal("1806.50"), Decimal("1803.33"), Decimal("0.00")]


def test_banking_no_borrowing_breaks_the_path() -> None:
    # needs 6,000, 2,000, 2,000: one path would give p0 = 10,000 / 315.25 = 31.72 and year 1 abates only
    # 3,172 < 6,000 (it would borrow); so year 1 alone: p = 6,000 / 100 = 60, bank 0. Years 2–3 together
    # would give 100 p1 (1 + 1.05) = 4,000 → p1 = 19.51, and year 2 abates 1,951 < 2,000 (borrowing again),
    # so year 2 alone needs 2,000 / 100 = 20 (the higher start binds), and year 3 alone 20 too
    f = [Year(2021 + t, (firm("F", 100_000, 100_000 - need, "0.01"),)) for t, need in enumerate((6000, 2000, 2000))]
    path = hotelling(f, F(5, 100))
    assert path.prices == [60, 20, 20] and path.bank == [0, 0, 0]
    # needs 2,000, 2,000, 6,000 instead: one Hotelling path, 10,000 / 315.25 = 31.72 → 31.72, 33.31, 34.97
    g = [Year(2021 + t, (firm("F", 100_000, 100_000 - need, "0.01"),)) for t, need in enumerate((2000, 2000, 6000))]
    assert [yuan(p) for p in hotelling(g, F(5, 100)).prices] == [Decimal("31.72"), Decimal("33.31"), Decimal("34.97")]


def test_independence_of_allocation() -> None:
    # the same three firms (k = 0.01, 0.02, 0.04, BAU 10,000 each) and the same total of 23,000 t,
    # allocated grandfathered (8,000 / 7,000 / 8,000) or all to firm 1 (10,000 / 6,500 / 6,500):
    # the price stays 7,000 / 175 = 40 and the abatement 4,000 / 2,000 / 1,000; only who pays whom moves.
    # firm 1's net cost: 80,000 + 40 × (10,000 − 4,000 − 8,000) = 0, and with 10,000 t: 80,000 − 40 × 4,000 = −80,000
    other = [firm("1", 10_000, 10_000, "0.01"), firm("2", 10_000, 6_500, "0.02"), firm("3", 10_000, 6_500, "0.04")]
    a, b = equilibrium(three()), equilibrium(other)
    assert a.price == b.price == 40 and a.abatement == b.abatement and a.least_cost == b.least_cost
    assert a.net_cost["1"] == 0 and b.net_cost["1"] == -80_000


def test_exact_sum_is_fractions_sum():
    # 1/6 + 1/10 + 2/15: over the lcm 30, 5/30 + 3/30 + 4/30 = 12/30 = 2/5 (reduced once, at the end)
    assert exact_sum([F(1, 6), F(1, 10), F(2, 15)]) == F(2, 5)
    assert exact_sum([]) == 0 and exact_sum([F(-3, 4), 1]) == F(1, 4)  # ints count as n/1
    xs = [F(7 * i + 1, 3 * i + 2) for i in range(50)]
    assert exact_sum(xs) == sum(xs, F(0))


def test_net_cost_is_computed_from_the_firms_it_was_solved_for():
    # A: MAC 2a, allocation 100 of BAU 100; B: MAC 2a, BAU 100, allocation 80. Price p with a_A + a_B = 20,
    # a = p/2 each: p = 20, 10 t each. A: cost 2·10²/2 = 100, sells 10 t at 20: 100 − 200 = −100;
    # B: 100 + 20 × (100 − 10 − 80) = 300; the total 200 is the least cost 100 + 100
    e = equilibrium([Firm("A", "s", Mac(F(100), slope=F(2)), F(100)),
                     Firm("B", "s", Mac(F(100), slope=F(2)), F(80))])
    assert e.price == 20 and e.total_abatement == 20
    assert e.net_cost == {"A": -100, "B": 300} and sum(e.net_cost.values()) == e.least_cost == 200
