"""The policy lab's economic agents: one per covered firm, trading allowances for what they are worth
to it (Gode & Sunder's budget-constrained traders, policy-lab.md §2).

A firm that holds ``h`` allowances against business-as-usual emissions ``E`` must abate ``E − h`` (or
pay the penalty on what abating would cost more than the penalty). So one more allowance is worth the
MAC of the last tonne it would otherwise abate, never more than the penalty; and a tonne it does not
need is worth what it can be banked for — the discounted expected price of next year (the analytic
path: agents have rational expectations) — or nothing if it expires with this year. A buyer of ``q``
tonnes never bids above the value of the least valuable of them; a seller never asks below the cost
of the most costly of them (the tonnes it would have to abate instead). Within those bounds each quote
is drawn uniformly (ZI-C) inside the market's price band around the previous close: the market finds
the price, the lab file never gives a corridor.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from fractions import Fraction

from openets.core.actor import Actor
from openets.core.ids import AccountId
from openets.market.orderbook import BUY, SELL
from openets.market.rules import TradingRules, band
from openets.simulation.economics import Mac


@dataclass(eq=False)  # one agent is one object (kept in sets by identity)
class Agent:
    firm_id: str
    sector: str
    curve: Mac
    bau: int  # this year's emissions without abatement, tonnes
    actor: Actor
    account_id: AccountId
    number: str
    party: int
    position: int = 0  # allowances it owns (any vintage it may surrender this year), trades counted at once
    open_buy: int = 0  # today's open orders, counted as done while they may fill
    open_sell: int = 0
    pending: int = 0  # allowances it will be issued after trading (the true-up of a pre-allocation)
    paid_fen: int = 0  # this year: bought − sold, in fen, fees included
    slice_t: int = 1  # tonnes per order
    orders: dict[int, list[int]] = field(default_factory=dict)  # open order id → [side is buy, remaining]
    offset_share: Fraction = Fraction(0)  # offsets it may surrender, a share of its verified emissions
    offset_price: Fraction = Fraction(0)  # yuan per offset (bought outside the allowance market)
    bank_limit: int | None = None  # the most it may carry into the next year (None: no limit)
    # value()'s answers by need, for the (penalty, bank) objects they were computed with: they depend on
    # nothing else of the agent that changes in a run (a quote at an unchanged holding, most of them,
    # is then no Fraction arithmetic); other objects (a new year's bank) start afresh — by identity, as
    # hashing an exact price of thousands of digits would cost more than it saves
    _values: dict[int, Fraction] = field(default_factory=dict, repr=False)
    _values_for: tuple[object, object] = (None, None)

    def _abated_for(self, held: Fraction) -> Fraction:
        """With offsets used to the cap, holding ``held`` allowances the firm must abate a with
        (1 − s)(BAU − a) = held: a = BAU − held / (1 − s)."""
        return self.bau - held / (1 - self.offset_share)

    def value(self, need: int, penalty: Fraction, bank: Fraction) -> Fraction:
        """What the tonne that would make the firm abate ``need`` tonnes is worth: its MAC there (not
        above the penalty), but never less than a bankable tonne's value — where abating is cheaper
        than that, the firm abates more and banks the tonne (so the bank value when it needs nothing)."""
        if self._values_for[0] is not penalty or self._values_for[1] is not bank:
            self._values, self._values_for = {}, (penalty, bank)
        got = self._values.get(need)
        if got is None:
            got = self._values[need] = self._value(need, penalty, bank)
        return got

    def _value(self, need: int, penalty: Fraction, bank: Fraction) -> Fraction:
        if bank and self.bank_limit is not None and not self.offset_share:
            # it abates every tonne cheaper than a banked one, but banks at most the limit: its
            # abatement lies between ``need`` and ``need + limit``, and one more allowance spares
            # the tonne abated there (worth nothing when even that is no abatement)
            a = min(max(self.curve.abatement(bank), Fraction(need)), Fraction(need + self.bank_limit))
            return min(self.curve.mac(a), penalty) if a > 0 else Fraction(0)
        if self.offset_share:
            # one more allowance spares 1/(1 − s) t of abatement and needs s/(1 − s) more offsets
            s, a = self.offset_share, self._abated_for(Fraction(self.bau - need))
            if a <= 0:
                return bank
            return max(min((self.curve.mac(a) - self.offset_price * s) / (1 - s), penalty), bank)
        if need <= 0:
            return bank
        return max(min(self.curve.mac(Fraction(need)), penalty), bank)

    def quote(self, rng: random.Random, ref: int, low: int, high: int, penalty: Fraction,
              bank: Fraction) -> tuple[str, int, int] | None:
        """(side, tonnes, limit fen) or None: the order this firm places now, if any trade is worth it.

        The slice is ``slice_t`` tonnes, halved (down to one tonne) while the spread of its tonnes'
        values — the first tonne it would buy against the last it would sell, ``value(need − q + 1) −
        value(need + q)`` — is wider than half the day's band: along a MAC of slope k that spread is
        about 2·k·q, so where the price is low (a ±10 % band of ~4 yuan at 20 yuan) a thick slice's
        bid cap lies below the band and its ask floor above it once the firm is near its optimum, and
        nobody could quote (the offset_cap stall); a thinner slice quotes closer to its marginal tonne."""
        owned = self.position + self.open_buy - self.open_sell
        need = self.bau - owned - self.pending
        q = self.slice_t
        while True:
            bid_cap, ask_floor = self.limits(need, q, penalty, bank)
            if owned < q:  # nothing to sell beyond what it owns (not what it is still to be issued)
                ask_floor = high + 1
            if q == 1 or bid_cap >= low or ask_floor <= high:
                break
            q //= 2
        can_buy, can_sell = bid_cap >= low, ask_floor <= high
        if not (can_buy or can_sell):
            return None
        side = (BUY if rng.random() < 0.5 else SELL) if can_buy and can_sell else (BUY if can_buy else SELL)
        if side == BUY:  # ZI-C: uniform between the band's floor and what the slice is worth (within the band)
            return BUY, q, rng.randint(low, min(bid_cap, high))
        return SELL, q, rng.randint(max(ask_floor, low), high)

    def limits(self, need: int, q: int, penalty: Fraction, bank: Fraction) -> tuple[int, int]:
        """(bid cap, ask floor) in fen for a slice of ``q`` tonnes at ``need``: a buyer never bids above
        the least it gains per tonne (the value of the last tonne the slice spares, ``need − q + 1``),
        rounded DOWN to the fen; a seller never asks below the most it gives up (the value of the
        costliest tonne it would have to abate instead, ``need + q``), rounded UP to the fen. Exact:
        ``math.floor`` / ``math.ceil`` of the Fraction (``-int(-x)``, used before, truncates toward zero,
        which for a positive value rounds down: an ask a fraction of a fen below what the seller gives up)."""
        return (math.floor(self.value(need - q + 1, penalty, bank) * 100),
                math.ceil(self.value(need + q, penalty, bank) * 100))

    def abatement(self, penalty: Fraction, bank: Fraction) -> tuple[int, int, int]:
        """At the year's end: (tonnes abated, tonnes left uncovered, offsets surrendered). It abates what
        it lacks, up to where abating costs more than the penalty, and beyond that every tonne cheaper
        to abate than a banked tonne is worth (whole tonnes: the abatement rounded down). With an
        offset cap it first covers its lack with offsets up to the cap (share × verified emissions,
        rounded down) and abates the rest, each tonne abated then saving 1 − s allowances and s
        offsets: its MAC against (1 − s) × penalty + s × offset price."""
        lack = max(self.bau - self.position, 0)
        s, po = self.offset_share, self.offset_price
        if not s:
            least = min(lack, int(self.curve.abatement(penalty)))
            a = max(least, int(self.curve.abatement(bank)))
            if self.bank_limit is not None:  # abate for the bank only up to what the limit lets it carry
                a = max(least, min(a, self.bank_limit + lack))
            return a, max(lack - a, 0), 0
        need = self._abated_for(Fraction(self.position))
        a = min(max(math.ceil(need), 0), int(self.curve.abatement((1 - s) * penalty + s * po)))
        if bank:
            a = max(a, int(self.curve.abatement((1 - s) * bank + s * po)))
        a = min(a, self.bau)
        if 0 < self.bau - a - self.position > int(s * (self.bau - a)) and a < need + 1:
            a += 1  # whole tonnes: the offsets' cap rounds down, so one more tonne abated closes the gap
        offsets = min(int(s * (self.bau - a)), max(self.bau - a - self.position, 0))
        return a, max(self.bau - a - self.position - offsets, 0), offsets


@dataclass(eq=False)
class Investor(Agent):
    """A non-covered holder (投资机构, a holding account, no obligation) trading on its view of the
    price: a tonne is worth the view of this year's price discounted to today (set each trading day in
    ``view_now``); it bids up to that value rounded down to the fen and asks at least that value
    rounded up — the firms' ZI-C quoting — within its cash; the exchange applies the holding limit."""

    cash_fen: int = 0  # deposited at the start
    view_now: Fraction = Fraction(0)  # yuan a tonne, today
    view_year: Fraction = Fraction(0)  # its expected price of this year (the lab file's view)
    carried: int = 0  # earlier vintages it holds (not tradable on this year's instrument)

    def value(self, need: int, penalty: Fraction, bank: Fraction) -> Fraction:
        return self.view_now

    def quote(self, rng: random.Random, ref: int, low: int, high: int, penalty: Fraction,
              bank: Fraction) -> tuple[str, int, int] | None:
        owned = self.position + self.open_buy - self.open_sell
        bid_cap, ask_floor = math.floor(self.view_now * 100), math.ceil(self.view_now * 100)
        # cash left: the deposit less what it paid, less its open bids at the band's top (a bid reserves
        # its price, fees a margin of 1 %)
        free = self.cash_fen - self.paid_fen - self.open_buy * high * 101 // 100
        buy_q = min(self.slice_t, max(free, 0) * 100 // (101 * max(min(bid_cap, high), 1)))
        sell_q = min(self.slice_t, max(owned, 0))
        can_buy, can_sell = buy_q > 0 and bid_cap >= low, sell_q > 0 and ask_floor <= high
        if not (can_buy or can_sell):
            return None
        side = (BUY if rng.random() < 0.5 else SELL) if can_buy and can_sell else (BUY if can_buy else SELL)
        if side == BUY:
            return BUY, buy_q, rng.randint(low, min(bid_cap, high))
        return SELL, sell_q, rng.randint(max(ask_floor, low), high)


def block_deals(agents: list[Agent], rules: TradingRules | None, ref: int, penalty: Fraction, bank: Fraction,
                most: int = 2) -> list[tuple[Agent, Agent, int, int]]:
    """Block agreements (大宗协议) proposed today where the market's rules have them (``block_min``; the
    national market: ≥ 100,000 t, ±30 % of the previous close, afternoon only): the firms lacking the most
    meet those with the most to spare, largest first, each pair for everything the two can agree on (in
    lots) or else the smallest block, when the buyer's bid cap for those tonnes is at least the seller's
    ask floor (:meth:`Agent.limits`); at the middle of the two inside the block band, on the tick. At most
    ``most`` a day. (buyer, seller, tonnes, price fen); the exchange's block path checks and settles them."""
    if rules is None or not rules.block_min or ref <= 0:
        return []
    low, high = band(ref, rules.block_band, rules.tick)
    smallest = -(-rules.block_min // rules.lot) * rules.lot

    def need(a: Agent) -> int:
        return a.bau - (a.position + a.open_buy - a.open_sell) - a.pending

    short = sorted((a for a in agents if need(a) >= smallest), key=lambda a: -need(a))
    long = sorted((a for a in agents if a.position - a.open_sell >= smallest and need(a) < 0), key=need)
    out: list[tuple[Agent, Agent, int, int]] = []
    for buyer, seller in zip(short, long):
        if len(out) >= most:
            break
        most_q = min(need(buyer), -need(seller), seller.position - seller.open_sell) // rules.lot * rules.lot
        for q in dict.fromkeys((most_q, smallest)):
            if not smallest <= q <= min(need(buyer), seller.position - seller.open_sell):
                continue
            cap = buyer.limits(need(buyer), q, penalty, bank)[0]
            floor = seller.limits(need(seller), q, penalty, bank)[1]
            lo, hi = max(floor, low), min(cap, high)
            lo += -lo % rules.tick  # on the tick, inside [lo, hi]
            hi -= hi % rules.tick
            if lo <= hi:
                price = max(lo, (lo + hi) // 2 // rules.tick * rules.tick)
                out.append((buyer, seller, q, price))
                break
    return out
