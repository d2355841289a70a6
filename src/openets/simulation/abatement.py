"""The main job's economic companies (issue 16 item 7): each covered company's marginal abatement cost
(MAC) curve, drawn per sector from the scenario's data; what it abates at the price it expects; and
what an allowance is worth to it when it trades — the same logic as the policy lab's agents
(:mod:`.lab_agents`, policy-lab.md §2–§4). Pure: fractions and whole fen, no I/O.

A company's curve is linear, ``MAC(a) = k·a``: the scenario gives, per sector, the range ``[low,
high]`` (yuan per tonne) of what the tonne abated at ``share`` of its business-as-usual emissions
costs, and each company's value is drawn log-uniformly in it, so ``k = m / (share × BAU)``.

Holding ``h`` allowances against business-as-usual emissions ``B`` a company would have to abate
``B − h``: one more allowance is worth the MAC there, never more than the penalty for a tonne short,
and never less than a banked tonne (the discounted expected price). A buyer of ``q`` tonnes never bids
above the value of the least valuable of them, a seller never asks below the cost of the most costly
of them (Gode & Sunder's budget constraint). In the main job the year's emissions are past when its
market trades (trading runs in the months before the surrender deadline), so the company abated at
the price it expected while it emitted — the starting reference price — and its curve then prices
the tonnes it lacks or has to spare.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction

from openets.simulation.economics import Mac


def draw_mac(rng: random.Random, bau_t: int, mac_yuan: tuple[Fraction, Fraction], share: Fraction) -> Mac:
    """A company's linear curve: the MAC at abating ``share`` of ``bau_t`` drawn log-uniformly in
    ``mac_yuan`` (yuan per tonne); ``k = m / (share × BAU)`` yuan per tonne per tonne abated."""
    lo, hi = mac_yuan
    m = Fraction(math.exp(rng.uniform(math.log(lo), math.log(hi)))).limit_denominator(100)
    return Mac(Fraction(bau_t), slope=m / (share * max(bau_t, 1)))


def abated_at(curve: Mac, price_yuan: Fraction) -> int:
    """Whole tonnes a company abates at a price: every tonne whose MAC is at most the price (rounded down).
    E.g. k = 0.001 yuan/t², price 40 yuan → 40 / 0.001 = 40,000 t."""
    return int(curve.abatement(price_yuan))


def penalty_fen(gap_t: int, price_fen: int, *, multiple: Fraction | None = None, fixed_fen: int | None = None,
                cap_fen: int | None = None, deduction: Fraction | None = None, bank_fen: Fraction = Fraction(0),
                listing_fen: int = 0) -> Fraction:
    """What each of ``gap_t`` tonnes short costs a company (fen per tonne), from its market's rules:
    a fine of ``multiple`` × the price per tonne (at most ``cap_fen`` in all), or a fixed fine
    ``fixed_fen`` shared by the tonnes short; the shortfall × ``deduction`` taken from next year's
    allocation (each such tonne worth a banked tonne, ``bank_fen``); and ``listing_fen``, what being
    published as non-compliant costs it (the scenario's figure), shared by the tonnes short.
    E.g. Beijing, 3 × 50.00 yuan: 15,000 fen/t; national, 20,000 yuan fine + 1 × 45 yuan for 50,000 t:
    2,000,000 / 50,000 + 4,500 = 4,540 fen/t."""
    g = max(gap_t, 1)
    fine = Fraction(0)
    if multiple is not None:
        fine = multiple * price_fen
        if cap_fen is not None:
            fine = min(fine, Fraction(cap_fen, g))
    if fixed_fen is not None:
        fine += Fraction(fixed_fen, g)
    return fine + (deduction or 0) * bank_fen + Fraction(listing_fen, g)


def tonne_value(curve: Mac | None, need: Fraction, penalty: Fraction, bank: Fraction) -> Fraction:
    """What the allowance that would leave a company ``need`` tonnes to abate is worth to it (the unit
    of ``penalty`` and ``bank``): its MAC there, not above the penalty, never below a banked tonne —
    the lab agents' value (``lab_agents.Agent.value`` without offsets or a banking limit). Without a
    curve (the scenario gives none for its sector) it abates nothing: a tonne it lacks is worth the
    penalty, one it has to spare a banked tonne."""
    if need <= 0:
        return bank
    return max(penalty if curve is None else min(curve.mac(need), penalty), bank)


def bid_cap_fen(curve: Mac | None, need: int, q: int, penalty_fen_t: Fraction, bank_fen: Fraction) -> int:
    """The most a company bids per tonne for ``q`` tonnes when it would otherwise have to abate
    ``need``: the value of the least valuable of them (the q-th, at ``need − q + 1``), rounded down.
    The curve is in yuan: MAC × 100 fen."""
    return math.floor(tonne_value(curve, Fraction(need - q + 1), penalty_fen_t / 100, bank_fen / 100) * 100)


def ask_floor_fen(curve: Mac | None, need: int, q: int, penalty_fen_t: Fraction, bank_fen: Fraction) -> int:
    """The least a company asks per tonne for ``q`` tonnes: the cost of the most costly tonne it would
    have to abate instead (at ``need + q``), rounded up."""
    return math.ceil(tonne_value(curve, Fraction(need + q), penalty_fen_t / 100, bank_fen / 100) * 100)


def bank_value_fen(expected_fen: int, rate: Fraction) -> Fraction:
    """A bankable tonne: the price expected for the next compliance year (today's reference: the market
    is a martingale to its traders), discounted a year at ``rate``. E.g. 50.00 yuan at 5 %:
    5,000 / 1.05 = 4,761.9 fen."""
    return Fraction(expected_fen) / (1 + rate)


def rush_weights(days: int, rush: Fraction) -> list[Fraction]:
    """Each trading day's share of the orders when they crowd towards the deadline (the national
    market's December rush): weight ``1 + rush × (n / (days − 1))²`` for day n, normalised to sum to
    ``days`` (so the year's orders stay ``days × orders_per_day``). E.g. 3 days, rush 2: 1, 1.5, 3 →
    × 3 / 5.5 = 0.545…, 0.818…, 1.636…"""
    if days <= 1 or rush == 0:
        return [Fraction(1)] * days
    raw = [1 + rush * Fraction(n * n, (days - 1) ** 2) for n in range(days)]
    total = sum(raw, Fraction(0))
    return [w * days / total for w in raw]
