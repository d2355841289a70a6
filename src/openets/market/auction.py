"""Sealed-bid, uniform-price primary auctions (有偿竞价发放): a pure clearing function.

Bids may be revised until the close: for each (bidder, bid id) the last version before the close
counts, at its revision time. Invalid bids are rejected with a reason (late, below the reserve,
ineligible bidder, not in lots, below the minimum, over the bidder's limit). Valid bids are ranked by
price, then time (or a random draw fixed before the auction, EU style); the lowest accepted price is
the single clearing price for all winners; the marginal bid is partly filled; an undersubscribed
auction sells what was bid, unless the rules cancel it.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from openets.core.errors import DomainError
from openets.core.prices import vwap as volume_weighted
from openets.market.data import Print


@dataclass(frozen=True, slots=True)
class Bid:
    bidder: int  # party
    bid_id: str
    price: int  # fen per tonne
    quantity: int  # tonnes
    at: datetime


@dataclass(frozen=True, slots=True)
class AuctionRules:
    volume: int
    closes_at: datetime
    reserve: int | None = None  # fen
    lot: int = 1
    min_bid: int = 1
    max_share_per_bidder: Decimal | None = None  # of the volume (Guangdong: 0.5)
    eligible: frozenset[int] | None = None  # None: anyone
    tie_break: str = "time"  # time, random
    random_seed: int = 0  # the draw fixed before the auction
    cancel_if_undersubscribed: bool = False  # EU


@dataclass(frozen=True, slots=True)
class AuctionResult:
    clearing_price: int | None
    sold: int
    fills: dict[tuple[int, str], int]  # (bidder, bid id) → tonnes won
    rejected: dict[tuple[int, str], str]
    bidders: int
    winners: int
    cover_ratio: Decimal  # valid demand / volume
    cancelled: str | None = None

    def published(self) -> dict[str, object]:
        """What is made public: no individual bid."""
        return {"clearing_price_fen": self.clearing_price, "volume_sold_t": self.sold, "bidders": self.bidders,
                "winners": self.winners, "cover_ratio": str(self.cover_ratio.quantize(Decimal("0.01"))),
                "cancelled": self.cancelled}


def clear(bids: Iterable[Bid], rules: AuctionRules) -> AuctionResult:
    if rules.volume <= 0:
        raise DomainError("volume_invalid", "an auction sells a positive volume")
    latest: dict[tuple[int, str], Bid] = {}
    rejected: dict[tuple[int, str], str] = {}
    for b in sorted(bids, key=lambda x: x.at):  # a revision replaces the earlier version
        key = (b.bidder, b.bid_id)
        if b.at > rules.closes_at:
            rejected.setdefault(key, "after_close")
            continue
        latest[key] = b
        rejected.pop(key, None)
    valid: list[Bid] = []
    for key, b in latest.items():
        reason = _reason(b, rules)
        if reason:
            rejected[key] = reason
        else:
            valid.append(b)
    if rules.max_share_per_bidder is not None:  # a bidder's valid bids together within its limit
        limit = int((rules.max_share_per_bidder * rules.volume).to_integral_value(rounding=ROUND_FLOOR))
        per: dict[int, int] = {}
        for b in sorted(valid, key=lambda x: (-x.price, x.at, x.bid_id)):
            if per.get(b.bidder, 0) + b.quantity > limit:
                rejected[(b.bidder, b.bid_id)] = f"over_bidder_limit ({limit} t)"
            else:
                per[b.bidder] = per.get(b.bidder, 0) + b.quantity
        valid = [b for b in valid if (b.bidder, b.bid_id) not in rejected]
    demand = sum(b.quantity for b in valid)
    cover = Decimal(demand) / rules.volume
    bidders = len({b.bidder for b in latest.values()})
    if rules.cancel_if_undersubscribed and demand < rules.volume:
        return AuctionResult(None, 0, {}, rejected, bidders, 0, cover, "bids do not cover the volume")
    if rules.tie_break == "random":
        draw = random.Random(rules.random_seed)
        order = {id(b): draw.random() for b in sorted(valid, key=lambda x: (x.bidder, x.bid_id))}
        ranked = sorted(valid, key=lambda x: (-x.price, order[id(x)]))
    else:
        ranked = sorted(valid, key=lambda x: (-x.price, x.at, x.bidder, x.bid_id))
    fills: dict[tuple[int, str], int] = {}
    left, price = rules.volume, None
    for b in ranked:
        if not left:
            break
        take = min(b.quantity, left)
        take -= take % rules.lot  # the marginal bid in whole lots
        if take <= 0:
            break
        fills[(b.bidder, b.bid_id)] = take
        left -= take
        price = b.price
    return AuctionResult(price, rules.volume - left, fills, rejected, bidders, len({k[0] for k in fills}), cover)


def _reason(b: Bid, r: AuctionRules) -> str | None:
    if r.eligible is not None and b.bidder not in r.eligible:
        return "bidder_not_eligible"
    if type(b.quantity) is not int or b.quantity <= 0:
        return "quantity_invalid"
    if b.quantity < r.min_bid:
        return f"below_minimum ({r.min_bid} t)"
    if b.quantity % r.lot:
        return f"not_in_lots ({r.lot} t)"
    if type(b.price) is not int or b.price <= 0:
        return "price_invalid"
    if r.reserve is not None and b.price < r.reserve:
        return f"below_reserve ({r.reserve} fen)"
    return None


@dataclass(frozen=True, slots=True)
class ReserveRule:
    """Shanghai 2017 (沪发改公告〔2017〕3号): min(1.2 × VWAP of all listed trades in the window, 42 yuan)."""

    multiple: Decimal
    cap: int | None  # fen
    window: tuple[date, date]
    tick: int = 1
    notes: list[str] = field(default_factory=list)

    def reserve(self, tape: Iterable[Print]) -> int:
        start, end = self.window
        avg = volume_weighted((p.price, p.quantity) for p in tape if p.mode == "listed" and start <= p.day <= end)
        if avg is None:
            raise DomainError("no_trades", f"no listed trades from {self.window[0]} to {self.window[1]}")
        value = int((avg * self.multiple / self.tick).to_integral_value(rounding=ROUND_HALF_UP)) * self.tick
        return min(value, self.cap) if self.cap is not None else value
