"""The order book as it was before it was tuned for speed (src/openets/market/orderbook.py at 66b7888),
kept verbatim as the reference the property test compares the tuned book with. Events and orders are the
book's own types, so the two books' event streams compare with ==."""

# ruff: noqa
# mypy: ignore-errors
from __future__ import annotations

from collections import deque
from collections.abc import Callable

from sortedcontainers import SortedDict

from openets.market.orderbook import (BUY, LIMIT, MARKET, SELL, BookRules, Event, Order, OrderAccepted, OrderAmended,
                                      OrderCancelled, OrderRejected, TradeExecuted)


class ReferenceBook:
    """The book before the speed-up (commit 66b7888), as it was."""

    def __init__(self, instrument: str, rules: BookRules, on_event: Callable[[Event], None]) -> None:
        self.instrument = instrument
        self.rules = rules
        self.emit = on_event
        self.bids: SortedDict = SortedDict()  # -price → deque of orders (best = first)
        self.asks: SortedDict = SortedDict()  # price → deque
        self.orders: dict[int, Order] = {}
        self._seq = 0

    # -- checks ------------------------------------------------------------------------------------
    def _reason(self, o: Order) -> str | None:
        r = self.rules
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
        reason = self._reason(o)
        if reason:
            self.emit(OrderRejected(o.id, reason))
            return
        self._seq += 1
        o.seq = self._seq
        self.emit(OrderAccepted(o.id))
        self._match(o)
        if o.remaining:
            if o.type == MARKET:
                self.emit(OrderCancelled(o.id, o.remaining, "ioc_remainder"))
                o.remaining = 0
            else:
                self._rest(o)

    def _match(self, o: Order) -> None:
        buying = o.side == BUY
        book = self.asks if buying else self.bids
        limit = o.price
        if limit is None:  # a market order trades only inside the band
            limit = self.rules.band_high if buying else self.rules.band_low
        while o.remaining and book:
            key = book.keys()[0]
            price = key if buying else -key
            if limit is not None and (price > limit if buying else price < limit):
                break
            self._fill_level(o, book, key, price)

    def _fill_level(self, taker: Order, book: SortedDict, key: int, price: int) -> None:
        """Trade ``taker`` against one price level in time order. Meeting its own party's order, its
        remaining quantity is cancelled (self-trade prevention), which ends any matching."""
        level: deque[Order] = book[key]
        while taker.remaining and level:
            rest = level[0]
            if rest.party == taker.party:  # self-trade prevention: cancel newest
                self.emit(OrderCancelled(taker.id, taker.remaining, "self_trade"))
                taker.remaining = 0
                break
            qty = taker.remaining if taker.remaining < rest.remaining else rest.remaining
            taker.remaining -= qty
            rest.remaining -= qty
            if taker.side == BUY:
                self.emit(TradeExecuted(taker.id, rest.id, taker.party, rest.party, price, qty, BUY))
            else:
                self.emit(TradeExecuted(rest.id, taker.id, rest.party, taker.party, price, qty, SELL))
            if not rest.remaining:
                level.popleft()
                rest.active = False
                del self.orders[rest.id]
        if not level:
            del book[key]

    def _rest(self, o: Order) -> None:
        book, key = (self.bids, -o.price) if o.side == BUY else (self.asks, o.price)  # type: ignore[operator]
        level = book.get(key)
        if level is None:
            level = book[key] = deque()
        level.append(o)
        o.active = True
        self.orders[o.id] = o

    def _unrest(self, o: Order) -> None:
        book, key = (self.bids, -o.price) if o.side == BUY else (self.asks, o.price)  # type: ignore[operator]
        level = book[key]
        level.remove(o)
        if not level:
            del book[key]
        o.active = False
        del self.orders[o.id]

    def cancel(self, order_id: int, reason: str = "requested") -> None:
        o = self.orders.get(order_id)
        if o is None:
            self.emit(OrderRejected(order_id, "order_not_open"))
            return
        self._unrest(o)
        self.emit(OrderCancelled(order_id, o.remaining, reason))
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
        book = self.asks if taker.side == BUY else self.bids
        if len(book) < level:
            self.emit(OrderRejected(taker.id, "no_quote_at_level"))
            return
        key = book.keys()[level - 1]
        price = key if taker.side == BUY else -key
        probe = Order(taker.id, taker.party, taker.side, LIMIT, price, taker.quantity)
        reason = self._reason(probe)
        if reason:
            self.emit(OrderRejected(taker.id, reason))
            return
        self._seq += 1
        taker.seq = self._seq
        taker.price = price
        self.emit(OrderAccepted(taker.id))
        self._fill_level(taker, book, key, price)
        if taker.remaining:
            self.emit(OrderCancelled(taker.id, taker.remaining, "ioc_remainder"))
            taker.remaining = 0

    def close_session(self) -> None:
        """End of the day: resting orders are cancelled (day orders)."""
        for o in sorted(self.orders.values(), key=lambda x: x.seq):
            self.cancel(o.id, "session_closed")

    # -- views -------------------------------------------------------------------------------------
    def depth(self, levels: int = 5) -> dict[str, list[tuple[int, int]]]:
        """Best ``levels`` price levels each side: (price fen, total tonnes)."""
        bids = [(-k, sum(o.remaining for o in self.bids[k])) for k in self.bids.keys()[:levels]]
        asks = [(k, sum(o.remaining for o in self.asks[k])) for k in self.asks.keys()[:levels]]
        return {"bids": bids, "asks": asks}

    def best(self) -> tuple[int | None, int | None]:
        bid = -self.bids.keys()[0] if self.bids else None
        ask = self.asks.keys()[0] if self.asks else None
        return bid, ask
