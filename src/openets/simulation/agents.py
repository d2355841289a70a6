"""The trading agents: each order is one agent's decision from what it holds, what it owes and what a
tonne is worth to it (:mod:`.abatement`: its own MAC curve, the penalty for a tonne short, a banked
tonne's value) — the policy lab's budget-constrained traders (Gode & Sunder, policy-lab.md §2). The
book finds the price: the scenario gives the starting reference price and no corridor. Investors
trade around views of their own. Drawn from the market's random generator, so a seed gives the same
orders."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from fractions import Fraction

from openets.compliance.rules import ComplianceRules
from openets.compliance.sanctions import SurrenderSanction
from openets.core.errors import DomainError
from openets.market.checks import split_listed
from openets.market.orderbook import BUY, SELL
from openets.market.rules import band
from openets.services.exchange import OrderRequest
from openets.simulation.abatement import ask_floor_fen, bank_value_fen, bid_cap_fen, penalty_fen
from openets.simulation.economics import Mac
from openets.simulation.state import Company, Market

NO_PENALTY = Fraction(10**9)  # a long company's tonnes are not short: no penalty bounds what it asks


@dataclass
class Economy:
    """What a market's agents know when they quote: a banked tonne's value (fen), the penalty rules for a
    tonne short, what being listed costs, and each investor's view of the price (fen)."""

    bank_fen: Fraction
    multiple: Fraction | None = None
    fixed_fen: int | None = None
    cap_fen: int | None = None
    deduction: Fraction | None = None
    listing_fen: int = 0
    views: dict[int, int] = field(default_factory=dict)  # investor account → its view, fen
    blocks: int = 0  # block trades made

    @classmethod
    def of(cls, m: Market, rules: ComplianceRules | None, rng: random.Random,
           sanction: SurrenderSanction | None = None) -> Economy:
        """The market's economy: banked tonnes at the starting reference price discounted a year (the
        price the companies expected while they emitted), the penalty from the market's compliance rules
        (their default multiple or fixed fine, a next-year deduction), the scenario's listing cost, and
        each investor's view drawn log-normally around the reference (σ = 10 %). ``sanction``: where the
        law sanctions a failure to surrender (the national market: the Measures, Decree 775), its fine is
        the penalty instead of the compliance rules' — the multiple the data state as the default, else
        the range's lowest (what a company can count on at least), or the fixed fine's lowest — and the
        shortfall taken from next year's allocation where it says so."""
        start = int(m.spec.price_yuan * 100)
        e = cls(bank_value_fen(start, Fraction(m.spec.discount_rate)), listing_fen=int(m.spec.listing_cost_yuan * 100))
        if rules is not None:
            mult = rules.default_multiplier
            fixed = rules.default_fixed_fine
            e.multiple = None if mult is None else Fraction(mult[0])
            e.fixed_fen = None if fixed is None else fixed[0]
            e.cap_fen = rules.fine_cap
            e.deduction = None if rules.next_year_deduction is None else Fraction(rules.next_year_deduction)
        if sanction is not None:
            e.multiple, e.fixed_fen, e.cap_fen = None, None, None
            if sanction.kind == "price_multiple" and sanction.multiple is not None:
                e.multiple = Fraction(sanction.default_multiple if sanction.default_multiple is not None
                                      else sanction.multiple[0])
            elif sanction.fixed_fen is not None:
                e.fixed_fen = sanction.fixed_fen[0]
            e.deduction = Fraction(1) if sanction.deduct_next_year else None  # as Consequences.decide deducts
        e.views = {int(c.account): int(start * math.exp(rng.gauss(0, 0.1))) for c in m.investors}
        return e

    def penalty(self, gap: int, ref: int) -> Fraction:
        return penalty_fen(gap, ref, multiple=self.multiple, fixed_fen=self.fixed_fen, cap_fen=self.cap_fen,
                           deduction=self.deduction, bank_fen=self.bank_fen, listing_fen=self.listing_fen)


def _curve(c: Company) -> Mac | None:
    return c.mac  # None: the scenario gives its sector no curve (it abates nothing)


NEAR = 0.03  # agents quote within 3 % of the previous close where their values let them (else anywhere they do)


def _near(ref: int, lo: int, hi: int, *, below: bool) -> tuple[int, int]:
    """The range a quote is drawn from: a buyer's [lo, hi] cut to prices no lower than 3 % under the
    previous close, a seller's to prices no higher than 3 % over it — the book's side the agent is on,
    near where it last traded — unless its value lies beyond that (then [lo, hi] as it is). Every price
    stays within the agent's budget constraint (ZI-C) and the band."""
    if below:
        return (max(lo, int(ref * (1 - NEAR))), hi) if int(ref * (1 - NEAR)) <= hi else (lo, hi)
    return (lo, min(hi, int(ref * (1 + NEAR)))) if int(ref * (1 + NEAR)) >= lo else (lo, hi)


def agent_order(m: Market, rng: random.Random, ref: int, urgency: float, days_left: int,
                held: dict[int, int], eco: Economy, today: Fraction | None = None) -> OrderRequest | None:
    """One agent's order, or None. A short company buys a slice of its gap (the whole of it on the last
    two days) at a price drawn between the band's floor and what the slice is worth to it (its MAC
    beyond what it abated, at most the penalty; on the last two days at that value): a company whose
    tonnes are worth less than the band's floor does not buy — its non-compliance comes out of the
    model. A long one sells part of its surplus at a price drawn between the cost of the tonnes it
    would have to abate instead (never below a banked tonne) and the band's top. An investor buys below
    its view and sells above it, never more than it holds. On the last two days a short company can no
    longer weigh abating against buying (the year is past): a tonne is worth the penalty to it. ``today``
    is the share of what is left to buy that the day's orders buy (``1 / days_left`` unless the orders
    crowd towards the deadline: ``trading.rush_weights``); ``held`` (units per account) is updated with
    what the order asks for. ``urgency`` (0–1, the share of the window gone) is kept for callers."""
    share = Fraction(1, days_left) if today is None else today
    ex = m.ex
    low, high = ex.rules.band_low or 1, ex.rules.band_high or ref * 2
    c: Company
    for _ in range(4):  # a company with nothing to do passes its turn to another agent
        if m.investors and rng.random() < 0.2:
            c = rng.choice(m.investors)
            view = eco.views.get(int(c.account), ref)
            qty = rng.randint(1, 20) * 100
            if rng.random() < 0.5 or held.get(c.account, 0) < qty:
                if min(view, high) < low:
                    continue
                side, price = BUY, rng.randint(low, min(view, high))
            else:
                if max(view, low) > high:
                    continue
                side, price = SELL, rng.randint(max(view, low), high)
            break
        c = rng.choice(m.companies)
        gap = c.obligation - held.get(c.account, 0)
        need = c.abated + gap  # what it would have to abate to need no allowance beyond those it holds
        if gap > 0:  # short: buy a slice of the gap, the whole of it on the last days
            qty = gap if days_left <= 2 else min(max(int(gap * rng.randint(1, 3) * share), 100), gap)
            penalty = eco.penalty(gap, ref)
            cap = (int(max(penalty, eco.bank_fen)) if days_left <= 2
                   else bid_cap_fen(_curve(c), need, qty, penalty, eco.bank_fen))
            if cap < low:
                continue  # the tonnes are worth less to it than the market asks: it does not buy
            side = BUY
            price = min(cap, high) if days_left <= 2 else rng.randint(*_near(ref, low, min(cap, high), below=True))
            break
        if gap < -100:  # long: sell part of the surplus
            qty = max(-gap * rng.randint(1, 2) // (2 * days_left), 100)  # sellers do not wait for the rush
            floor = ask_floor_fen(_curve(c), need, qty, NO_PENALTY, eco.bank_fen)
            if max(floor, low) > high:
                continue  # worth more to it than the band lets anyone pay today
            side, price = SELL, rng.randint(*_near(ref, max(floor, low), high, below=False))
            break
    else:
        return None
    # an agent counts what it has asked for today as done: never oversell or overbuy
    held[c.account] = held.get(c.account, 0) + (qty if side == BUY else -qty)
    return OrderRequest(c.actor, c.number, side, int(qty), int(price))


def listed_slices(m: Market, req: OrderRequest) -> list[OrderRequest]:
    """An agent's order as listed orders the market accepts: on the national market a listed order is
    below 100,000 t (``listed_max``), so a larger one goes in as several slices at the same price
    (one after another in the batch, so they keep its time priority); elsewhere the order as it is."""
    rules = m.ex.trading
    if rules is None:
        return [req]
    return [OrderRequest(req.actor, req.account, req.side, q, req.price_fen) for q in split_listed(rules, req.quantity)]


def block_trades(m: Market, ref: int, held: dict[int, int], eco: Economy, most: int = 2, *,
                 last_days: bool = False) -> int:
    """Block agreement trades (大宗协议) where the market's rules have them (``block_min``, the block band
    and session; national: ≥ 100,000 t, afternoon, ±30 %): the shortest companies meet the longest, each
    pair agreeing on ``block_min`` tonnes or more when the buyer's value of them is at least the
    seller's cost (on the ``last_days`` the buyer's value is the penalty, as for its listed orders), for all
    the two can agree on or else the smallest block; at the middle of the two, inside the block band.
    At most ``most`` a day, the caller
    having set the clock inside the block session. ``held`` is updated; returns the trades made."""
    rules = m.ex.trading
    if rules is None or not rules.block_min or ref <= 0:
        return 0
    low, high = band(ref, rules.block_band, rules.tick)
    short = sorted((c for c in m.companies if c.obligation - held.get(c.account, 0) >= rules.block_min),
                   key=lambda c: held.get(c.account, 0) - c.obligation)
    long = sorted((c for c in m.companies if held.get(c.account, 0) - c.obligation >= rules.block_min),
                  key=lambda c: c.obligation - held.get(c.account, 0))
    made = 0
    for buyer, seller in zip(short, long):
        if made >= most:
            break
        gap, spare = buyer.obligation - held.get(buyer.account, 0), held.get(seller.account, 0) - seller.obligation
        penalty = eco.penalty(gap, ref)
        for q in dict.fromkeys((min(gap, spare) // rules.lot * rules.lot, -(-rules.block_min // rules.lot) * rules.lot)):
            # all they can agree on, else the smallest block (its least valuable tonne is worth more to the buyer)
            cap = (int(max(penalty, eco.bank_fen)) if last_days
                   else bid_cap_fen(_curve(buyer), buyer.abated + gap, q, penalty, eco.bank_fen))
            floor = ask_floor_fen(_curve(seller), seller.abated - spare, q, NO_PENALTY, eco.bank_fen)
            lo, hi = max(floor, low), min(cap, high)
            if rules.block_min <= q <= min(gap, spare) and lo <= hi:
                break
        else:
            continue
        price = (lo + hi) // 2 // rules.tick * rules.tick
        price = max(price, lo + (-lo) % rules.tick)
        if price > hi:
            continue
        try:
            m.ex.block_trade(seller.actor, seller.number, buyer.actor, buyer.number, price_fen=price, quantity=q)
        except DomainError:
            continue  # cash or units not there (e.g. still to be delivered T+1): no agreement today
        held[buyer.account] = held.get(buyer.account, 0) + q
        held[seller.account] = held.get(seller.account, 0) - q
        made += 1
    eco.blocks += made
    return made
