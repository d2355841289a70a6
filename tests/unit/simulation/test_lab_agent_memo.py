"""An agent's valuations are remembered per need for the (penalty, bank) they were computed with, and
computed afresh for another bank (a new year): the memo never changes an answer."""

from __future__ import annotations

from fractions import Fraction as F

from openets.core.actor import Actor, Role
from openets.core.ids import AccountId, PartyId
from openets.simulation.economics import Mac
from openets.simulation.lab_agents import Agent


def agent() -> Agent:
    return Agent("F1", "cement", Mac(F(100), slope=F(2)), 100, Actor("u", PartyId(1), Role.COMPANY), AccountId(1), "A", 1)


def test_valuations_remembered_per_need_and_recomputed_for_another_bank() -> None:
    a = agent()
    penalty, none = F(300), F(0)
    # MAC 2a: needing 10 t, the tonne is worth 2 × 10 = 20 yuan (below the penalty 300); needing 0: the bank, 0
    assert a.value(10, penalty, none) == 20 and a.value(0, penalty, none) == 0
    assert a._values == {10: 20, 0: 0}
    assert a.value(10, penalty, none) == 20  # remembered
    # a bank worth 25: never less than that — max(20, 25) = 25; the memo starts afresh for it
    bank = F(25)
    assert a.value(10, penalty, bank) == 25 and a._values == {10: 25}
    # needing 200 t is past the curve's 100 t: its last value 2 × 100 = 200 (still below the penalty)
    assert a.value(200, penalty, bank) == 200
    # an equal bank in another object: recomputed, the same answers
    assert a.value(10, penalty, F(25)) == 25 and a._values == {10: 25}
    fresh = agent()
    for need in (-5, 0, 1, 37, 99, 150):
        assert a.value(need, penalty, bank) == fresh._value(need, penalty, bank)
