"""The matching core: scenarios with the expected trades spelled out, and properties."""

from hypothesis import given, settings
from hypothesis import strategies as st

from openets.market.orderbook import BUY, LIMIT, MARKET, SELL, BookRules, Order, OrderBook, TradeExecuted

RULES = BookRules(tick=1, lot=1, band_low=4320, band_high=5280)  # 48 yuan ± 10 % (the national market's opening)


def book() -> tuple[OrderBook, list]:  # type: ignore[type-arg]
    events: list = []  # type: ignore[type-arg]
    return OrderBook("CEA", RULES, events.append), events


def trades(events: list) -> list[tuple[int, int, int, int]]:  # type: ignore[type-arg]
    return [(e.buy_id, e.sell_id, e.price, e.quantity) for e in events if isinstance(e, TradeExecuted)]


def test_price_time_priority_and_partial_fills() -> None:
    b, ev = book()
    b.submit(Order(1, 10, SELL, LIMIT, 4900, 100))
    b.submit(Order(2, 11, SELL, LIMIT, 4850, 50))
    b.submit(Order(3, 12, SELL, LIMIT, 4900, 70))  # same price as 1, later
    b.submit(Order(4, 20, BUY, LIMIT, 4900, 180))  # takes 2 (best price), then 1, then 30 of 3
    assert trades(ev) == [(4, 2, 4850, 50), (4, 1, 4900, 100), (4, 3, 4900, 30)]
    assert b.depth() == {"bids": [], "asks": [(4900, 40)]}


def test_amend_keeps_or_loses_priority() -> None:
    b, ev = book()
    b.submit(Order(1, 10, SELL, LIMIT, 4900, 100))
    b.submit(Order(2, 11, SELL, LIMIT, 4900, 100))
    b.amend(1, quantity=80)  # smaller: keeps its place
    b.submit(Order(3, 20, BUY, LIMIT, 4900, 50))
    assert trades(ev)[-1] == (3, 1, 4900, 50)
    b.amend(1, quantity=120)  # larger: to the back
    b.submit(Order(4, 20, BUY, LIMIT, 4900, 100))
    assert trades(ev)[-1] == (4, 2, 4900, 100)
    b.amend(1, price=4800)  # a new price: a new place (and it may cross)
    assert b.best() == (None, 4800)


def test_self_trade_prevention_cancels_the_newest() -> None:
    b, ev = book()
    b.submit(Order(1, 10, SELL, LIMIT, 4900, 100))
    b.submit(Order(2, 11, SELL, LIMIT, 4950, 100))
    b.submit(Order(3, 10, BUY, LIMIT, 5000, 150))  # party 10 would meet its own order 1 first
    assert trades(ev) == [] and ev[-1].kind == "cancelled" and ev[-1].reason == "self_trade"
    assert b.depth()["asks"] == [(4900, 100), (4950, 100)]  # the resting orders stay


def test_band_tick_lot_and_market_orders() -> None:
    b, ev = book()
    for o, reason in [(Order(1, 1, BUY, LIMIT, 5281, 10), "price_outside_band"),
                      (Order(2, 1, BUY, LIMIT, 0, 10), "price_invalid"),
                      (Order(3, 1, BUY, LIMIT, 4900, 0), "quantity_invalid")]:
        b.submit(o)
        assert ev[-1].kind == "rejected" and ev[-1].reason == reason
    coarse = OrderBook("X", BookRules(tick=10, lot=100), ev.append)
    coarse.submit(Order(4, 1, BUY, LIMIT, 4905, 100))
    assert ev[-1].reason == "price_off_tick"
    coarse.submit(Order(5, 1, BUY, LIMIT, 4900, 150))
    assert ev[-1].reason == "quantity_not_in_lots"
    b.submit(Order(6, 10, SELL, LIMIT, 5200, 30))
    b.submit(Order(7, 20, BUY, MARKET, None, 50))  # immediate or cancel
    assert trades(ev)[-1] == (7, 6, 5200, 30) and ev[-1].reason == "ioc_remainder" and ev[-1].remaining == 20


def test_session_close_cancels_resting_orders() -> None:
    b, ev = book()
    b.submit(Order(1, 10, SELL, LIMIT, 4900, 100))
    b.submit(Order(2, 20, BUY, LIMIT, 4800, 100))
    b.close_session()
    assert [(e.order_id, e.reason) for e in ev if e.kind == "cancelled"] == [(1, "session_closed"),
                                                                            (2, "session_closed")]
    assert b.best() == (None, None)


orders = st.lists(st.tuples(st.integers(1, 5), st.sampled_from([BUY, SELL]), st.sampled_from([LIMIT, LIMIT, MARKET]),
                            st.integers(4200, 5400), st.integers(1, 300)), min_size=1, max_size=120)


@settings(deadline=None)
@given(orders)
def test_properties(seq: list[tuple[int, str, str, int, int]]) -> None:
    b, ev = book()
    placed: dict[int, Order] = {}
    for i, (party, side, kind, price, qty) in enumerate(seq, start=1):
        o = Order(i, party, side, kind, price if kind == LIMIT else None, qty)
        placed[i] = o
        b.submit(o)
    trade_list = [e for e in ev if isinstance(e, TradeExecuted)]
    for t in trade_list:
        assert RULES.band_low <= t.price <= RULES.band_high  # type: ignore[operator]  # never outside the band
        resting = placed[t.sell_id] if t.aggressor == BUY else placed[t.buy_id]
        assert t.price == resting.price  # every fill at the resting order's price
        assert t.buyer != t.seller  # never a self-trade
    # conservation: every accepted order's quantity is traded, resting or cancelled — nothing more or less
    traded: dict[int, int] = {}
    for t in trade_list:
        traded[t.buy_id] = traded.get(t.buy_id, 0) + t.quantity
        traded[t.sell_id] = traded.get(t.sell_id, 0) + t.quantity
    cancelled = {e.order_id: e.remaining for e in ev if e.kind == "cancelled"}
    accepted = {e.order_id for e in ev if e.kind == "accepted"}
    for i in accepted:
        resting = b.orders[i].remaining if i in b.orders else 0
        assert traded.get(i, 0) + resting + cancelled.get(i, 0) == placed[i].quantity
    assert sum(t.quantity for t in trade_list) * 2 == sum(traded.values())
