"""The trading agents: each order is one agent's decision from what it holds, what it owes and the
reference price. Drawn from the market's random generator, so a seed gives the same orders."""

from __future__ import annotations

import random

from openets.market.checks import split_listed
from openets.market.orderbook import BUY, SELL
from openets.services.exchange import OrderRequest
from openets.simulation.state import Company, Market


def agent_order(m: Market, rng: random.Random, ref: int, urgency: float, days_left: int,
                held: dict[int, int]) -> OrderRequest | None:
    """One agent's order: a short company buys a slice of its gap at up to a few % over the
    reference (more as the deadline nears); a long one sells part of its surplus; an investor
    trades both ways around the reference. Prices stay inside the band. ``held`` (units per
    account) is updated with what the order asks for."""
    ex = m.ex
    low, high = ex.rules.band_low or 1, ex.rules.band_high or ref * 2
    c: Company
    for _ in range(4):  # a company with nothing to do passes its turn to another agent
        if m.investors and rng.random() < 0.2:
            c = rng.choice(m.investors)
            side = rng.choice([BUY, SELL])
            price = ref + int(ref * rng.uniform(-0.03, 0.03))
            qty = rng.randint(1, 20) * 100
            break
        c = rng.choice(m.companies)
        gap = c.obligation - held.get(c.account, 0)
        if gap > 0:  # short: buy a slice of the gap, the whole of it on the last days
            side = BUY
            qty = gap if days_left <= 2 else max(gap * rng.randint(1, 3) // days_left, 100)
            price = ref + int(ref * (0.08 if days_left <= 2 else rng.uniform(-0.01, 0.02 + 0.06 * urgency)))
            break
        if gap < -100:  # long: sell part of the surplus, keeping a margin
            side = SELL
            qty = max(-gap * rng.randint(1, 2) // (2 * days_left), 100)
            price = ref + int(ref * rng.uniform(-0.03 - 0.03 * urgency, 0.02))
            break
    else:
        return None
    if c.obligation:  # a company counts what it has asked for today as done: never oversell or overbuy
        held[c.account] = held.get(c.account, 0) + (qty if side == BUY else -qty)
    anchor = int(m.spec.price_yuan * 100)  # agents keep a view of value: sell no lower than 80 % of it,
    price = max(price, anchor * 8 // 10) if side == SELL else min(price, anchor * 13 // 10)  # buy ≤ 130 %
    price = min(max(price, low), high)
    return OrderRequest(c.actor, c.number, side, int(qty), int(price))


def listed_slices(m: Market, req: OrderRequest) -> list[OrderRequest]:
    """An agent's order as listed orders the market accepts: on the national market a listed order is
    below 100,000 t (``listed_max``), so a larger one goes in as several slices at the same price
    (one after another in the batch, so they keep its time priority); elsewhere the order as it is."""
    rules = m.ex.trading
    if rules is None:
        return [req]
    return [OrderRequest(req.actor, req.account, req.side, q, req.price_fen) for q in split_listed(rules, req.quantity)]
