"""An agent's quote limits (issue 16, brief labmore items 1 and 2): the ask floor rounded UP to the fen
(a seller never asks below the value it gives up), the bid cap DOWN (a buyer never bids above what it
gains); and a slice thinned while neither of its limits lies inside the day's band."""

from __future__ import annotations

import random
from fractions import Fraction as F

from openets.core.actor import Actor, Role
from openets.core.ids import AccountId, PartyId
from openets.simulation.economics import Mac
from openets.simulation.lab_agents import Agent


def agent(slope: F, bau: int = 1000, position: int = 0, slice_t: int = 1) -> Agent:
    """A linear MAC slope × a up to 10 × BAU t (so a need beyond BAU is still on the line)."""
    return Agent("F1", "cement", Mac(F(10 * bau), slope=slope), bau, Actor("u", PartyId(1), Role.COMPANY), AccountId(1), "A",
                 1, position=position, slice_t=slice_t)


def test_the_old_idiom_truncates() -> None:
    # why the limits changed: -int(-x) is int(x), truncation toward zero — for 12.345 it gives 12 (down), for
    # -12.345 it gives -12 (up): never a ceiling; math.ceil gives 13 and -12
    assert -int(-F(12345, 1000)) == 12 and -int(-F(-12345, 1000)) == -12
    assert -int(-F(12345, 1000) * 100) == 1234  # the old ask floor of a 12.345-yuan tonne: 12.34, below its value


def test_ask_floor_up_bid_cap_down_to_the_fen() -> None:
    # MAC 0.012345 × a yuan: needing 1,000 t, the tonne is worth 12.345 yuan
    a = agent(F(12345, 1_000_000))
    penalty, bank = F(300), F(0)
    assert a.value(1000, penalty, bank) == F(12345, 1000)
    # at need 1,000, one tonne: bought, it spares the tonne at 1,000 − 1 + 1 = 1,000, worth 12.345 yuan =
    # 1,234.5 fen; sold, the firm must abate the tonne at 1,000 + 1 = 1,001: 0.012345 × 1,001 = 12.357345
    # yuan = 1,235.7345 fen
    bid, ask = a.limits(1000, 1, penalty, bank)
    assert bid == 1234  # 1,234.5 rounded down
    assert ask == 1236  # 1,235.7345 rounded up (the old truncation gave 1,235: 0.73 fen below its value)
    # at need 400: the tonne at 400 is worth 4.938 yuan (493.8 fen → 493), at 401 4.950345 (495.0345 → 496)
    assert a.limits(400, 1, penalty, bank) == (493, 496)
    # a value whole in fen is not moved: slope 0.01, the tonne at 200 is worth 2.00 yuan, at 201 2.01 yuan
    assert agent(F(1, 100)).limits(200, 1, penalty, bank) == (200, 201)


def test_negative_values_round_the_same_way() -> None:
    # a negative value (a tonne worth less than nothing: math.floor/ceil, not truncation) — through limits'
    # rounding alone: -12.345 yuan is -1,234.5 fen, a bid cap of -1,235 and an ask floor of -1,234
    import math
    assert (math.floor(F(-12345, 1000) * 100), math.ceil(F(-12345, 1000) * 100)) == (-1235, -1234)


def test_a_thick_slice_is_thinned_to_quote_inside_the_band() -> None:
    # MAC 0.05 × a yuan, BAU 1,000 t, owning 600: needs 400 t, its marginal tonne is worth 20 yuan. A
    # slice of 200 t: bid cap = value(400 − 200 + 1) = 0.05 × 201 = 10.05 yuan, ask floor = value(600) =
    # 30 yuan — both outside a ±10 % band around 20 (18–22 yuan): it could not quote at all. Halved to
    # 100: 15.05 / 25 — still out; to 50: 17.55 / 22.50 — still out; to 25: bid cap 0.05 × 376 = 18.80
    # yuan ≥ 18: it quotes 25 t.
    a = agent(F(1, 20), position=600, slice_t=200)
    got = a.quote(random.Random(1), 2000, 1800, 2200, F(300), F(0))
    assert got is not None
    side, q, price = got
    assert q == 25  # and its ask floor, value(400 + 25) = 21.25 yuan, is inside the band too
    assert 1800 <= price <= 1880 if side == "buy" else 2125 <= price <= 2200
    for seed in range(20):  # every quote at this holding is a 25-t slice within its limits
        side, q, price = a.quote(random.Random(seed), 2000, 1800, 2200, F(300), F(0))  # type: ignore[misc]
        assert q == 25 and (1800 <= price <= 1880 if side == "buy" else 2125 <= price <= 2200)
    # with a ±50 % band (10–30 yuan) the 200-t slice's bid cap 10.05 yuan is inside: nothing is thinned
    assert a.quote(random.Random(1), 2000, 1000, 3000, F(300), F(0))[1] == 200  # type: ignore[index]
