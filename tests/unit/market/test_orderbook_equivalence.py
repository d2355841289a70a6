"""The tuned order book against the book as it was before (kept verbatim in _orderbook_reference.py):
over random rules and random streams of limit and market orders, invalid ones, duplicates, cancels,
amends, quote selection (挂牌协议 levels) and session closes, both emit the same events in the same
order and end with the same book."""

from __future__ import annotations

from typing import Any

from _orderbook_reference import ReferenceBook
from hypothesis import given, settings
from hypothesis import strategies as st

from openets.market import orderbook as ob
from openets.market.orderbook import BUY, LIMIT, MARKET, SELL, BookRules, Order, OrderBook

rules = st.builds(BookRules, tick=st.sampled_from([1, 1, 5, 10]), lot=st.sampled_from([1, 1, 10]),
                  min_quantity=st.sampled_from([1, 1, 20]),
                  band_low=st.sampled_from([None, 4800, 4801]), band_high=st.sampled_from([None, 5200, 5199]))

def weighted(valid: st.SearchStrategy[Any], invalid: st.SearchStrategy[Any], one_in: int) -> st.SearchStrategy[Any]:
    """Mostly ``valid``, one time in ``one_in`` ``invalid`` (one_of would give them equal weight)."""
    return st.tuples(st.integers(1, one_in), valid, invalid).map(lambda t: t[2] if t[0] == one_in else t[1])


price = weighted(st.tuples(st.integers(0, 3), st.integers(4700, 5300)).map(lambda t: t[1] - t[1] % 10 if t[0] else t[1]),
                 st.sampled_from([None, 0, -10, 5000.0, True, "5000", 10**30]), 12)  # a coarse tick too
quantity = weighted(st.tuples(st.booleans(), st.integers(1, 60)).map(lambda t: t[1] * 10 if t[0] else t[1] * 7),
                    st.sampled_from([0, -5, 10.0, True]), 12)
order_id = st.integers(1, 80)  # a small range: duplicates, and cancels and amends of orders that exist
# a market order mostly without a price
submit = st.tuples(st.just("submit"), order_id, st.integers(1, 4), weighted(st.sampled_from([BUY, SELL]), st.just("hold"), 20),
                   weighted(st.sampled_from([LIMIT, LIMIT, LIMIT, MARKET]), st.just("stop"), 20), price, quantity,
                   st.integers(1, 10)).map(lambda t: t[:5] + (None if t[4] == MARKET and t[7] > 1 else t[5], t[6]))
cancel = st.tuples(st.just("cancel"), order_id)
amend = st.tuples(st.just("amend"), order_id, weighted(st.none(), price, 2), weighted(st.none(), quantity, 2))
select = st.tuples(st.just("select"), order_id, st.integers(1, 4), st.sampled_from([BUY, SELL]), quantity,
                   weighted(st.integers(1, 5), st.integers(-1, 7), 4), st.sampled_from([5, 5, 3]))
close = st.just(("close",))
# one op in ~20 a session close (which empties the book), the rest mostly new orders
op = st.tuples(st.integers(0, 19), submit, cancel, amend, select).map(
    lambda t: t[1] if t[0] < 12 else t[2] if t[0] < 14 else t[3] if t[0] < 16 else t[4] if t[0] < 19 else ("close",))
ops = st.lists(op, min_size=20, max_size=150)


def state(book: Any) -> dict[str, Any]:
    """Everything a book holds, read through the interface its callers use (bids/asks keys, levels)."""
    def side(levels: Any) -> list[tuple[int, list[tuple[int, int, int | None, int, int, bool]]]]:
        return [(k, [(o.id, o.party, o.price, o.remaining, o.seq, o.active) for o in levels[k]]) for k in levels.keys()]

    return {"bids": side(book.bids), "asks": side(book.asks), "len": (len(book.bids), len(book.asks)),
            "orders": sorted((i, o.remaining, o.quantity, o.seq) for i, o in book.orders.items()),
            "depth": book.depth(), "best": book.best(), "seq": book._seq}


def run(book: Any, seq: list[tuple[Any, ...]]) -> list[tuple[int, int | None, int, int, bool]]:
    placed: list[Order] = []
    for op in seq:
        if op[0] == "submit":
            _, oid, party, side, kind, p, q = op
            o = Order(oid, party, side, kind, p, q)
            placed.append(o)
            book.submit(o)
        elif op[0] == "cancel":
            book.cancel(op[1])
        elif op[0] == "amend":
            book.amend(op[1], price=op[2], quantity=op[3])
        elif op[0] == "select":
            _, oid, party, side, q, level, max_levels = op
            o = Order(oid, party, side, LIMIT, None, q)
            placed.append(o)
            book.select_quote(o, level, max_levels=max_levels)
        else:
            book.close_session()
    return [(o.id, o.price, o.remaining, o.seq, o.active) for o in placed]


@settings(deadline=None, max_examples=100)  # long streams: 100 of them take a few seconds
@given(rules, ops)
def test_same_events_and_book_as_the_reference(r: BookRules, seq: list[tuple[Any, ...]]) -> None:
    new_events: list[ob.Event] = []
    old_events: list[ob.Event] = []
    new, old = OrderBook("CEA", r, new_events.append), ReferenceBook("CEA", r, old_events.append)
    assert run(new, seq) == run(old, seq)
    assert new_events == old_events
    assert [type(e) for e in new_events] == [type(e) for e in old_events]
    assert state(new) == state(old)


@settings(deadline=None)
@given(st.lists(st.tuples(st.integers(1, 3), st.sampled_from([BUY, SELL]), st.integers(4900, 5100), st.integers(1, 50)),
                max_size=60), st.integers(0, 6))
def test_rebuild_and_the_service_reads_as_the_reference(rows: list[tuple[int, str, int, int]], level: int) -> None:
    """What the exchange service does to a book besides submitting: rest orders again without matching
    (recovery), read _reason for a probe and the other side's level keys, then select a quote."""
    books: list[Any] = [OrderBook("CEA", BookRules(), lambda e: None), ReferenceBook("CEA", BookRules(), lambda e: None)]
    for b in books:
        for i, (party, side, p, q) in enumerate(rows, start=1):
            o = Order(i, party, side, LIMIT, p, q)
            b._seq = max(b._seq, i)
            o.seq = i
            b._rest(o)
    new, old = books
    assert state(new) == state(old)
    for side in (BUY, SELL):
        other_new, other_old = (new.asks, old.asks) if side == BUY else (new.bids, old.bids)
        assert len(other_new) == len(other_old) and list(other_new.keys()) == list(other_old.keys())
        probe = Order(999, 9, side, LIMIT, 5000, 10)
        assert new._reason(probe) == old._reason(probe)
        if 1 <= level <= len(other_new):
            assert other_new.keys()[level - 1] == other_old.keys()[level - 1]


def test_hot_path_events_are_the_real_events() -> None:
    """The fast constructors build genuine, frozen events, equal to the dataclasses' own."""
    pairs: list[tuple[Any, Any]] = [(ob._accepted(7), ob.OrderAccepted(7)),
                                    (ob._cancelled(7, 5, "self_trade"), ob.OrderCancelled(7, 5, "self_trade")),
                                    (ob._trade(1, 2, 3, 4, 5000, 6, BUY), ob.TradeExecuted(1, 2, 3, 4, 5000, 6, BUY))]
    for fast, real in pairs:
        assert type(fast) is type(real) and fast == real and hash(fast) == hash(real) and repr(fast) == repr(real)
        try:
            fast.kind = "x"  # the point: assigning must fail
        except AttributeError:  # dataclasses.FrozenInstanceError
            pass
        else:
            raise AssertionError("a hot-path event is not frozen")
