"""A price-time priority order book and its matching core: pure, no I/O (nautilus style). Every
state change is reported as an event through one callback.

Prices are integer fen on the instrument's tick; quantities whole tonnes in lots. Limit orders rest;
market orders are immediate-or-cancel (what cannot trade at once is cancelled), and never trade
outside the price band.

Self-trade prevention, policy "cancel newest": an order never trades with a resting order of the
same party; when it reaches one, its own remaining quantity is cancelled (OrderCancelled with reason
``self_trade``) and the resting order stays. Amending: a lower quantity keeps time priority; a price
change or a higher quantity loses it (the order goes to the back of its new level).
"""

from __future__ import annotations

import math
from bisect import bisect_left, insort
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import cast

BUY, SELL = "buy", "sell"
LIMIT, MARKET = "limit", "market"
_SIDES = (BUY, SELL)


class Order:
    __slots__ = ("id", "party", "side", "type", "price", "quantity", "remaining", "seq", "active")

    def __init__(self, id: int, party: int, side: str, type: str, price: int | None, quantity: int) -> None:
        self.id = id
        self.party = party
        self.side = side
        self.type = type
        self.price = price
        self.quantity = quantity
        self.remaining = quantity
        self.seq = 0
        self.active = False

    def __repr__(self) -> str:
        return f"Order({self.id}, {self.side} {self.remaining}/{self.quantity} @ {self.price}, party {self.party})"


# events: small immutable records; ``kind`` says which
@dataclass(frozen=True, slots=True)
class OrderAccepted:
    order_id: int
    kind: str = "accepted"


@dataclass(frozen=True, slots=True)
class OrderRejected:
    order_id: int
    reason: str
    kind: str = "rejected"


@dataclass(frozen=True, slots=True)
class TradeExecuted:
    buy_id: int
    sell_id: int
    buyer: int
    seller: int
    price: int  # fen: always the resting order's price
    quantity: int
    aggressor: str  # buy or sell
    kind: str = "trade"


@dataclass(frozen=True, slots=True)
class OrderCancelled:
    order_id: int
    remaining: int
    reason: str  # requested, ioc_remainder, self_trade, session_closed
    kind: str = "cancelled"


@dataclass(frozen=True, slots=True)
class OrderAmended:
    order_id: int
    price: int | None
    quantity: int
    lost_priority: bool
    kind: str = "amended"


Event = OrderAccepted | OrderRejected | TradeExecuted | OrderCancelled | OrderAmended


# The hot path's constructors for its three frequent events. A frozen dataclass's own __init__ sets each
# field through object.__setattr__ (~4x the cost of plain slot stores, and most of the matching core's
# time); these build the same slots on an unfrozen twin with the same layout and then hand the object its
# real class, so what the callback receives is an ordinary, frozen OrderAccepted / TradeExecuted /
# OrderCancelled (equal, hashed and printed the same). tests/unit/market/test_orderbook_equivalence.py
# checks the twins stay in step with the dataclasses.
class _AcceptedTwin:
    __slots__ = OrderAccepted.__slots__

    def __init__(self, order_id: int) -> None:
        self.order_id = order_id
        self.kind = "accepted"
        self.__class__ = OrderAccepted  # type: ignore[assignment]  # same slots, so CPython allows the switch


class _TradeTwin:
    __slots__ = TradeExecuted.__slots__

    def __init__(self, buy_id: int, sell_id: int, buyer: int, seller: int, price: int, quantity: int, aggressor: str) -> None:
        self.buy_id = buy_id
        self.sell_id = sell_id
        self.buyer = buyer
        self.seller = seller
        self.price = price
        self.quantity = quantity
        self.aggressor = aggressor
        self.kind = "trade"
        self.__class__ = TradeExecuted  # type: ignore[assignment]  # as in _AcceptedTwin


class _CancelledTwin:
    __slots__ = OrderCancelled.__slots__

    def __init__(self, order_id: int, remaining: int, reason: str) -> None:
        self.order_id = order_id
        self.remaining = remaining
        self.reason = reason
        self.kind = "cancelled"
        self.__class__ = OrderCancelled  # type: ignore[assignment]  # as in _AcceptedTwin


# typed as what they return (the twin's __init__ turns the object into the event)
_accepted = cast(Callable[[int], OrderAccepted], _AcceptedTwin)
_trade = cast(Callable[[int, int, int, int, int, int, str], TradeExecuted], _TradeTwin)
_cancelled = cast(Callable[[int, int, str], OrderCancelled], _CancelledTwin)


@dataclass(frozen=True, slots=True)
class BookRules:
    tick: int = 1  # fen
    lot: int = 1  # tonnes
    min_quantity: int = 1
    band_low: int | None = None  # fen, inclusive
    band_high: int | None = None


class _Side:
    """One side's price levels: key → deque of orders in time order, with the keys kept sorted, best
    first (asks by price, bids by minus the price). The book works on ``levels`` and ``sorted_keys``
    directly; the methods are the read-only part of ``SortedDict`` the book used to expose
    (``keys()[i]``, ``len``, ``side[key]``, iteration in key order), which callers still read."""

    __slots__ = ("levels", "sorted_keys")

    def __init__(self) -> None:
        self.levels: dict[int, deque[Order]] = {}
        self.sorted_keys: list[int] = []  # a few hundred levels at most (the band): bisect and list deletion are cheap

    def keys(self) -> list[int]:
        return list(self.sorted_keys)  # a copy: the caller cannot reorder the book

    def values(self) -> list[deque[Order]]:
        return [self.levels[k] for k in self.sorted_keys]

    def items(self) -> list[tuple[int, deque[Order]]]:
        return [(k, self.levels[k]) for k in self.sorted_keys]

    def get(self, key: int) -> deque[Order] | None:
        return self.levels.get(key)

    def __getitem__(self, key: int) -> deque[Order]:
        return self.levels[key]

    def __contains__(self, key: object) -> bool:
        return key in self.levels

    def __iter__(self) -> Iterator[int]:
        return iter(list(self.sorted_keys))

    def __len__(self) -> int:
        return len(self.sorted_keys)

    def __bool__(self) -> bool:
        return bool(self.sorted_keys)

    def __repr__(self) -> str:
        return f"_Side({dict(self.items())!r})"


class OrderBook:
    """One instrument's book. ``on_event`` receives every event, in order."""

    def __init__(self, instrument: str, rules: BookRules, on_event: Callable[[Event], None]) -> None:
        self.instrument = instrument
        self.rules = rules
        self.emit = on_event
        self.bids = _Side()  # -price → deque of orders (best = first)
        self.asks = _Side()  # price → deque
        self.orders: dict[int, Order] = {}
        self._seq = 0

    @property
    def rules(self) -> BookRules:
        return self._rules

    @rules.setter
    def rules(self, rules: BookRules) -> None:
        """The rules, and the bounds the hot path checks them by (read once here, not per order)."""
        self._rules = rules
        fields = (rules.tick, rules.lot, rules.min_quantity, rules.band_low, rules.band_high)
        # only plain ints have the shortcut; anything else always takes the full check in _reason
        self._fast = all(type(v) is int for v in fields if v is not None)
        self._lot, self._tick = rules.lot, rules.tick
        self._q_min = max(rules.min_quantity, 1) if self._fast else 0
        self._p_min = max(rules.band_low, 1) if self._fast and rules.band_low is not None else 1
        self._p_max: float = rules.band_high if self._fast and rules.band_high is not None else math.inf

    # -- checks ------------------------------------------------------------------------------------
    def _reason(self, o: Order) -> str | None:
        r = self._rules
        if o.id in self.orders:
            return "duplicate_order_id"
        if o.side not in (BUY, SELL) or o.type not in (LIMIT, MARKET):
            return "order_invalid"
        if type(o.quantity) is not int or o.quantity < r.min_quantity or o.quantity <= 0:
            return "quantity_invalid"
        if o.quantity % r.lot:
            return "quantity_not_in_lots"
        if o.type == LIMIT:
            if type(o.price) is not int or o.price <= 0:
                return "price_invalid"
            if o.price % r.tick:
                return "price_off_tick"
            if (r.band_low is not None and o.price < r.band_low) or (r.band_high is not None and o.price > r.band_high):
                return "price_outside_band"
        elif o.price is not None:
            return "market_order_with_price"
        return None

    # -- commands ----------------------------------------------------------------------------------
    def submit(self, o: Order) -> None:
        q, p = o.quantity, o.price
        # The common case, a valid limit order, in one expression: the checks of _reason in its order (so
        # what would raise there raises here too), against bounds read from the rules once. It rests at
        # once unless the other side's best level crosses it.
        orders = self.orders
        if (self._fast and o.id not in orders and o.side in _SIDES and o.type == LIMIT
                and type(q) is int and q >= self._q_min and not q % self._lot
                and type(p) is int and self._p_min <= p <= self._p_max and not p % self._tick):
            self._seq += 1
            o.seq = self._seq
            self.emit(_accepted(o.id))
            # keys ascend from the best on both sides: the other side's best crosses if its key is at
            # most ours there (minus the price for a sell); what is left rests at its own key
            if o.side == BUY:
                other, side, key = self.asks.sorted_keys, self.bids, -p
                if other and other[0] <= p:
                    self._match(o)
            else:
                other, side, key = self.bids.sorted_keys, self.asks, p
                if other and other[0] <= -p:
                    self._match(o)
            if o.remaining:  # rests (_rest, inline: most orders do)
                level = side.levels.get(key)
                if level is None:
                    level = side.levels[key] = deque()
                    insort(side.sorted_keys, key)
                level.append(o)
                o.active = True
                orders[o.id] = o
            return
        reason = self._reason(o)
        if reason:
            self.emit(OrderRejected(o.id, reason))
            return
        self._seq += 1
        o.seq = self._seq
        self.emit(_accepted(o.id))
        self._match(o)
        if o.remaining:
            if o.type == MARKET:
                self.emit(_cancelled(o.id, o.remaining, "ioc_remainder"))
                o.remaining = 0
            else:
                self._rest(o)

    def _match(self, o: Order) -> None:
        """Trade ``o`` against the other side's best levels while they cross. Keys are ascending from
        the best on both sides, so a level crosses when its key is at most the bound (minus the limit
        for a sell)."""
        limit = o.price
        if o.side == BUY:
            side = self.asks
            if limit is None:  # a market order trades only inside the band
                limit = self._rules.band_high
            bound: float = math.inf if limit is None else limit
        else:
            side = self.bids
            if limit is None:
                limit = self._rules.band_low
            bound = math.inf if limit is None else -limit
        keys = side.sorted_keys
        while o.remaining and keys and keys[0] <= bound:
            self._fill_level(o, side, 0)

    def _fill_level(self, taker: Order, side: _Side, index: int) -> None:
        """Trade ``taker`` against one price level (``index`` in the side's keys) in time order, at the
        level's price. Meeting its own party's order, its remaining quantity is cancelled (self-trade
        prevention), which ends any matching."""
        key = side.sorted_keys[index]
        level = side.levels[key]
        emit, orders, party = self.emit, self.orders, taker.party
        buying = taker.side == BUY
        price = key if buying else -key
        while taker.remaining and level:
            rest = level[0]
            if rest.party == party:  # self-trade prevention: cancel newest
                emit(_cancelled(taker.id, taker.remaining, "self_trade"))
                taker.remaining = 0
                break
            left, avail = taker.remaining, rest.remaining
            qty = left if left < avail else avail
            taker.remaining = left - qty
            rest.remaining = avail - qty
            if buying:
                emit(_trade(taker.id, rest.id, party, rest.party, price, qty, BUY))
            else:
                emit(_trade(rest.id, taker.id, rest.party, party, price, qty, SELL))
            if avail == qty:
                level.popleft()
                rest.active = False
                del orders[rest.id]
        if not level:
            del side.levels[key]
            del side.sorted_keys[index]

    def _rest(self, o: Order) -> None:
        p: int = o.price  # type: ignore[assignment]  # a resting order is a limit order: its price is an int
        side, key = (self.bids, -p) if o.side == BUY else (self.asks, p)
        level = side.levels.get(key)
        if level is None:
            level = side.levels[key] = deque()
            insort(side.sorted_keys, key)
        level.append(o)
        o.active = True
        self.orders[o.id] = o

    def _unrest(self, o: Order) -> None:
        p: int = o.price  # type: ignore[assignment]  # as in _rest
        side, key = (self.bids, -p) if o.side == BUY else (self.asks, p)
        level = side.levels[key]
        level.remove(o)
        if not level:
            del side.levels[key]
            keys = side.sorted_keys
            del keys[bisect_left(keys, key)]
        o.active = False
        del self.orders[o.id]

    def cancel(self, order_id: int, reason: str = "requested") -> None:
        o = self.orders.get(order_id)
        if o is None:
            self.emit(OrderRejected(order_id, "order_not_open"))
            return
        self._unrest(o)
        self.emit(_cancelled(order_id, o.remaining, reason))
        o.remaining = 0

    def amend(self, order_id: int, *, price: int | None = None, quantity: int | None = None) -> None:
        """New price and/or new total quantity. Lower quantity keeps priority; anything else loses it."""
        o = self.orders.get(order_id)
        if o is None:
            self.emit(OrderRejected(order_id, "order_not_open"))
            return
        new_price = o.price if price is None else price
        filled = o.quantity - o.remaining
        new_qty = o.quantity if quantity is None else quantity
        probe = Order(-1, o.party, o.side, LIMIT, new_price, new_qty)
        reason = self._reason(probe)
        if reason is None and new_qty <= filled:
            reason = "quantity_below_filled"
        if reason:
            self.emit(OrderRejected(order_id, reason))
            return
        if new_price == o.price and new_qty <= o.quantity:  # keeps its place
            o.remaining = new_qty - filled
            o.quantity = new_qty
            self.emit(OrderAmended(order_id, o.price, new_qty, False))
            return
        self._unrest(o)
        o.price, o.quantity, o.remaining = new_price, new_qty, new_qty - filled
        self._seq += 1
        o.seq = self._seq
        self.emit(OrderAmended(order_id, new_price, new_qty, True))
        self._match(o)  # a new price may cross the book
        if o.remaining:
            self._rest(o)

    def select_quote(self, taker: Order, level: int, *, max_levels: int = 5) -> None:
        """Listed agreement trading (挂牌协议, the national market): the taker picks one of the other
        side's best ``max_levels`` price levels (1 = best) and trades at that quoted price, in time
        order within the level; what the level cannot fill is cancelled."""
        if not 1 <= level <= max_levels:
            self.emit(OrderRejected(taker.id, "level_outside_best_five"))
            return
        side = self.asks if taker.side == BUY else self.bids
        if len(side.sorted_keys) < level:
            self.emit(OrderRejected(taker.id, "no_quote_at_level"))
            return
        key = side.sorted_keys[level - 1]
        price = key if taker.side == BUY else -key
        probe = Order(taker.id, taker.party, taker.side, LIMIT, price, taker.quantity)
        reason = self._reason(probe)
        if reason:
            self.emit(OrderRejected(taker.id, reason))
            return
        self._seq += 1
        taker.seq = self._seq
        taker.price = price
        self.emit(_accepted(taker.id))
        self._fill_level(taker, side, level - 1)
        if taker.remaining:
            self.emit(_cancelled(taker.id, taker.remaining, "ioc_remainder"))
            taker.remaining = 0

    def close_session(self) -> None:
        """End of the day: resting orders are cancelled (day orders)."""
        for o in sorted(self.orders.values(), key=lambda x: x.seq):
            self.cancel(o.id, "session_closed")

    # -- views -------------------------------------------------------------------------------------
    def depth(self, levels: int = 5) -> dict[str, list[tuple[int, int]]]:
        """Best ``levels`` price levels each side: (price fen, total tonnes)."""
        bids = [(-k, sum(o.remaining for o in self.bids.levels[k])) for k in self.bids.sorted_keys[:levels]]
        asks = [(k, sum(o.remaining for o in self.asks.levels[k])) for k in self.asks.sorted_keys[:levels]]
        return {"bids": bids, "asks": asks}

    def best(self) -> tuple[int | None, int | None]:
        bid = -self.bids.sorted_keys[0] if self.bids.sorted_keys else None
        ask = self.asks.sorted_keys[0] if self.asks.sorted_keys else None
        return bid, ask
