"""The main job's economic companies (simulation/abatement.py): curves drawn per sector, abatement at
the expected price, the penalty per tonne short, a banked tonne, the deadline rush — each by hand."""

from __future__ import annotations

import random
from fractions import Fraction

from openets.core.actor import Actor, Role
from openets.simulation.abatement import (
    abated_at,
    ask_floor_fen,
    bank_value_fen,
    bid_cap_fen,
    draw_mac,
    penalty_fen,
    rush_weights,
    tonne_value,
)
from openets.simulation.economics import Mac
from openets.simulation.lab_agents import Agent


def test_a_curve_is_drawn_in_its_sectors_range_and_abates_below_the_price() -> None:
    """MAC at 10 % of 200,000 t (20,000 t) in [100, 400] yuan: k = m / 20,000, so at 50 yuan a company
    abates 50 / k = 1,000,000 / m tonnes: between 2,500 and 10,000 t."""
    for seed in range(50):
        c = draw_mac(random.Random(seed), 200_000, (Fraction(100), Fraction(400)), Fraction(1, 10))
        assert 100 <= c.mac(Fraction(20_000)) <= 400
        assert 2_500 <= abated_at(c, Fraction(50)) <= 10_000
    assert draw_mac(random.Random(1), 5, (Fraction(1), Fraction(2)), Fraction(1, 10)) == \
        draw_mac(random.Random(1), 5, (Fraction(1), Fraction(2)), Fraction(1, 10))
    assert abated_at(Mac(Fraction(100_000), slope=Fraction(1, 1000)), Fraction(40)) == 40_000  # 40 / 0.001


def test_the_penalty_per_tonne_short() -> None:
    # Beijing: 3 × 50.00 yuan = 150 yuan a tonne
    assert penalty_fen(10_000, 5000, multiple=Fraction(3)) == 15_000
    # Hubei: 1 × 17.00, at most 150,000 yuan in all: for 100,000 t short 15,000,000 / 100,000 = 150 fen a tonne;
    # and 2 × the shortfall from next year's allocation, each banked tonne 16.19: 150 + 3,238 = 3,388 fen
    assert penalty_fen(100_000, 1700, multiple=Fraction(1), cap_fen=15_000_000, deduction=Fraction(2),
                       bank_fen=Fraction(1619)) == 3_388
    # national: 20,000 yuan fine + 1 × 45.00 for 50,000 t: 2,000,000 / 50,000 + 4,500 = 4,540 fen; listed at a
    # cost of 10,000,000 yuan: + 1,000,000,000 / 50,000 = 20,000 fen
    assert penalty_fen(50_000, 4800, fixed_fen=2_000_000, deduction=Fraction(1), bank_fen=Fraction(4500)) == 4_540
    assert penalty_fen(50_000, 4800, fixed_fen=2_000_000, deduction=Fraction(1), bank_fen=Fraction(4500),
                       listing_fen=1_000_000_000) == 24_540


def test_a_banked_tonne_and_the_rush() -> None:
    assert bank_value_fen(5000, Fraction(5, 100)) == Fraction(5000 * 100, 105)  # 4,761.9 fen
    assert rush_weights(3, Fraction(2)) == [Fraction(6, 11), Fraction(9, 11), Fraction(18, 11)]  # 1, 1.5, 3 × 3 / 5.5
    assert sum(rush_weights(30, Fraction(3))) == 30 and rush_weights(4, Fraction(0)) == [1, 1, 1, 1]


def test_reservation_prices_are_the_lab_agents_values() -> None:
    """The same value as the policy lab's agent (no offsets, no banking limit): MAC at the tonnes it would
    abate, at most the penalty, at least a banked tonne. MAC(a) = a / 800: a slice of 2,000 t when it would
    abate 46,000 is worth MAC(44,001) = 55.00125 → 5,500 fen (down); selling 2,000 with 30,000 to abate
    costs MAC(32,000) = 40 yuan, below the banked 47.62 → 4,762 fen (up)."""
    curve = Mac(Fraction(100_000), slope=Fraction(1, 800))
    bank, penalty = Fraction(5000 * 100, 105), Fraction(15_000)
    assert bid_cap_fen(curve, 46_000, 2_000, penalty, bank) == 5_500
    assert ask_floor_fen(curve, 30_000, 2_000, penalty, bank) == 4_762
    assert bid_cap_fen(curve, 100_000, 1, Fraction(6_000), bank) == 6_000  # MAC 125 yuan, the penalty 60 caps it
    agent = Agent("f", "s", curve, 100_000, Actor("u", 1, Role.COMPANY), 1, "A", 1)  # type: ignore[arg-type]
    for need in (-5, 0, 10_000, 38_000, 46_000, 99_000):
        for pen, bk in ((Fraction(150), Fraction(0)), (Fraction(60), Fraction(4762, 100))):
            assert tonne_value(curve, Fraction(need), pen, bk) == agent.value(need, pen, bk)


def test_without_a_curve_a_tonne_lacking_is_worth_the_penalty() -> None:
    """A sector the scenario gives no curve abates nothing: a tonne it lacks is worth the penalty (here
    60 yuan, above the banked 47.62), one it has to spare the banked tonne."""
    bank = Fraction(4762, 100)
    assert tonne_value(None, Fraction(10), Fraction(60), bank) == 60
    assert tonne_value(None, Fraction(10), Fraction(20), bank) == bank  # a penalty below a banked tonne
    assert tonne_value(None, Fraction(0), Fraction(60), bank) == bank
    assert bid_cap_fen(None, 5_000, 1_000, Fraction(6_000), Fraction(4_762)) == 6_000
