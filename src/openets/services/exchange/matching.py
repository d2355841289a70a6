"""Batch matching: the pending orders, in log order, through the pure in-memory book
(:mod:`openets.market.orderbook`), and the book kept in step with the database.

The book lives in this object; it is rebuilt from the open orders on start, after every failed
transaction, and whenever another process (another API worker) has changed it (the book's version
in ``exchange_books``), so the book and the database never differ.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, text, update

from openets.core.actor import Actor
from openets.core.clock import MARKET_TZ, to_us
from openets.market.data import Print
from openets.market.orderbook import (
    BUY,
    LIMIT,
    MARKET,
    BookRules,
    Order,
    OrderBook,
    OrderCancelled,
    OrderRejected,
    TradeExecuted,
)
from openets.market.orders import OrderStatus, transition
from openets.market.rules import band, close_price, in_session
from openets.services.exchange.base import (
    INS_AUDIT,
    ExchangeBase,
    _Batch,
    _Resting,
    crash_point,
    refusal_audit,
    require_operator,
)
from openets.services.exchange.orders import SELECT, Placed
from openets.storage import tables as t
from openets.storage.db import audit_suspended, autocommit, refused_in_request, run_in_transaction
from openets.storage.fastsql import run, run_many

# every read of the book asks its version first, built once (the driver runs it directly)
_SEL_VERSION = select(t.exchange_books.c.version).where(t.exchange_books.c.instrument == bindparam("instrument"))
# the instrument's orders of one status in log order: the pending ones each batch processes, the open ones
# a rebuild rests again (prebuilt, run on the driver cursor: see storage/fastsql.py)
_SEL_ORDERS = select(t.orders).where(t.orders.c.instrument == bindparam("instrument"),
                                     t.orders.c.status == bindparam("status")).order_by(t.orders.c.seq)
_UPD_VERSION = update(t.exchange_books).where(t.exchange_books.c.instrument == bindparam("inst")).values(
    version=t.exchange_books.c.version + 1)
_INS_VERSION = insert(t.exchange_books).values(instrument=bindparam("inst"), version=1)


class Matching(ExchangeBase):
    # -- the book, in step with the database -------------------------------------------------------------
    def book_rules(self) -> BookRules:
        if self._fixed_rules is not None:
            return self._fixed_rules
        assert self.trading is not None
        low = high = None
        if self.reference is not None:
            low, high = band(self.reference, self.trading.listed_band, self.trading.tick)
        return BookRules(tick=self.trading.tick, lot=self.trading.lot, band_low=low, band_high=high)

    def _recover(self) -> None:
        """Rebuild the book from the open orders, then process what was logged but not processed (by a
        process that died in between): the system's work, never the audit row of whatever request
        happens to open the exchange (``audit_suspended``); its refusals get rows of their own."""
        with audit_suspended():
            self._rebuild()
            self._process_pending()

    def _rebuild(self, conn: Connection | None = None) -> None:
        self.rules = self.book_rules()
        self.book = OrderBook(self.instrument, self.rules, self._events.append)
        self._resting = {}
        self.exchange_party = None  # looked up again: one made in a rolled-back transaction is gone
        if conn is None:
            with self.engine.connect() as c:
                rows = self._open_rows(c)
                self._exchange_party_in(c)
        else:
            rows = self._open_rows(conn)
            self._exchange_party_in(conn)
        for r in rows:  # rest them again, in their original time order, without matching
            o = Order(r.id, r.party_id, r.side, LIMIT, r.price_fen, r.quantity)
            o.remaining = r.remaining
            self.book._seq = max(self.book._seq, r.seq)
            o.seq = r.seq
            self.book._rest(o)
            self._resting[r.id] = _Resting(r.account_id, r.party_id, r.price_fen, r.reservation_id, r.reserved_fen)
        self._events.clear()

    def _open_rows(self, c: Connection) -> list[Any]:
        self._seen = self._version(c)
        return run(c, _SEL_ORDERS, {"instrument": self.instrument, "status": OrderStatus.OPEN.value})

    def _version(self, c: Connection) -> int:
        """The book's version in the database (0: never written). Every read of the book asks this
        first, so it goes straight to the driver (one primary-key lookup)."""
        rows = run(c, _SEL_VERSION, {"instrument": self.instrument}, raw=True)
        return int(rows[0][0]) if rows else 0

    def _bump(self, c: Connection) -> None:
        """A write changed the book: the next version, which this process has already seen."""
        if c.execute(_UPD_VERSION, {"inst": self.instrument}).rowcount == 0:
            c.execute(_INS_VERSION, {"inst": self.instrument})
        self._seen = self._version(c)

    def refresh(self) -> None:
        """Before a read of the book: catch up with what another process (another API worker) wrote."""
        with autocommit(self.engine) as c:
            if self._version(c) == self._seen:
                return
        self._rebuild()  # reads the version and the open orders in one snapshot

    def _sync(self, c: Connection) -> None:
        """First thing in every write of the exchange: take the instrument's lock (SQLite: the write
        lock is already held; PostgreSQL: an advisory lock), and rebuild the book if another process
        changed it since — so several processes can serve one instrument without their books drifting."""
        if c.dialect.name != "sqlite":
            c.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"exchange:{self.instrument}"})
        if self._version(c) != self._seen:
            self._rebuild(c)

    # -- processing: pending orders → the book → settlement, one commit ------------------------------------
    def _process_pending(self, users: dict[int, str] | None = None) -> dict[int, Placed]:
        """``users``: who logged which order (for the audit row of a refusal; orders logged by another
        process name their party only)."""
        try:
            done, prints = run_in_transaction(self.engine, lambda c: self._process(c, users or {}), attempts=1)
        except Exception:
            self._rebuild()  # the book follows the database, whatever happened
            raise
        for p in prints:  # published only now that the settlement has committed
            for listener in self.on_trade:
                listener(p)
        return done

    def _process(self, c: Connection, users: dict[int, str]) -> tuple[dict[int, Placed], list[Print]]:
        self._sync(c)
        rows = run(c, _SEL_ORDERS, {"instrument": self.instrument, "status": OrderStatus.PENDING.value})
        if not rows:
            return {}, []
        b = self._batch(c)
        fee_party = {self.exchange_party} if self.exchange_party is not None else set()
        b.cash.load({r.party_id for r in rows} | {st.party for st in self._resting.values()} | fee_party)
        # the registry rows the batch's ops will need, read at once: the new sells' accounts (their units
        # reserved); with delivery in the batch (T+0) also the buyers' accounts and every resting order's
        # account and reservation, which a fill may deliver out of. T+1: a fill touches no registry row
        # until delivery, so nothing more is read ahead (the buys' accounts where a holding limit is checked;
        # a rare op beyond it, a release on a self-trade prevention, loads its rows itself: the same rows)
        if self.trading is not None and self.trading.delivery_days:
            limited = self.trading.holding_limit is not None  # a buy's check counts what its account holds
            b.session.preload({r.account_id for r in rows if limited or r.side != BUY}, {self.unit_class.id})
        else:
            b.session.preload({r.account_id for r in rows} | {st.account_id for st in self._resting.values()},
                              {self.unit_class.id},
                              {st.reservation for st in self._resting.values() if st.reservation is not None})
        now = self.clock.now()
        open_market = self.trading is None or in_session(self.trading, now)
        done = {}
        for r in rows:
            done[r.id] = self._one(b, r, open_market)
        crash_point("exchange.after_match")
        self._flush(b)
        if b.refused:  # a refused order leaves no order row: its refusal goes to the audit trail
            c.execute(delete(t.orders).where(t.orders.c.id.in_([oid for oid, _, _ in b.refused])))
            now_us = to_us(now)
            own = [why for oid, _, why in b.refused if oid in users]
            # the one order of a request (API, dashboard, CLI): its refusal goes on the request's own row
            mine = len(users) == 1 and len(own) == 1 and refused_in_request(c, own[0])
            run_many(c, INS_AUDIT, [refusal_audit(self.instrument, users.get(oid), party, why, now_us)
                                     for oid, party, why in b.refused if not (mine and oid in users)])
        if len(b.refused) < len(rows):  # the book changed only if some order was not refused
            self._bump(c)
        return done, b.published

    def _one(self, b: _Batch, r: Any, open_market: bool) -> Placed:  # r: an orders row (fastsql's named tuple)
        """One pending order: the pre-trade checks, its cash or units held, then the book; its fills
        settled (T+0) or booked for delivery (T+1) in the batch."""
        oid, party, side, kind, qty, level = r.id, r.party_id, r.side, r.type, r.quantity, r.level
        price = r.price_fen if kind == LIMIT else None

        def reject(reason: str) -> Placed:
            status = transition(OrderStatus.PENDING, OrderStatus.REJECTED)
            b.refused.append((oid, party, reason))  # its pending row is deleted at the batch's end
            return Placed(0, status, qty, [], reason)

        probe = Order(oid, party, side, MARKET if kind == MARKET else LIMIT, price, qty)
        reason = self._pre_trade(probe, kind, level, open_market)
        if reason:
            return reject(reason)
        limit = probe.price if probe.price is not None else (self.rules.band_high if side == BUY else self.rules.band_low)
        assert limit is not None
        state = _Resting(r.account_id, party, limit, None)
        reason = self._hold(b, oid, side, qty, state)
        if reason:
            return reject(reason)
        self._resting[oid] = state
        self._events.clear()
        if kind == SELECT:
            assert level is not None  # checked by _pre_trade
            self.book.select_quote(probe, level)
        else:
            self.book.submit(probe)
        fills: list[tuple[int, int]] = []
        cancelled, why = 0, None
        for e in self._events:
            if isinstance(e, TradeExecuted):
                self._trade(b, e)
                fills.append((e.price, e.quantity))
            elif isinstance(e, OrderCancelled) and e.order_id == oid:
                cancelled, why = e.remaining, e.reason  # self-trade prevention or an IOC remainder
            elif isinstance(e, OrderRejected):  # the checks above make this unreachable
                raise AssertionError(f"book rejected a checked order: {e}")
        remaining = probe.remaining
        status = OrderStatus.OPEN if remaining else (OrderStatus.CANCELLED if cancelled else OrderStatus.FILLED)
        if status != OrderStatus.OPEN:
            self._finish(b, oid, cancelled)
        self._order_row(b, oid, remaining, status, why, price=limit, was=OrderStatus.PENDING)
        return Placed(oid, status, remaining, fills, why)

    # -- the day's close -------------------------------------------------------------------------------------
    def close_day(self, actor: Actor | None = None) -> int | None:
        """End of the trading day: resting orders are cancelled (day orders) and what they held is
        given back; the close price becomes the next day's reference (and moves the band)."""
        require_operator(actor, self.market)

        def work(c: Connection) -> None:
            self._sync(c)
            b = self._batch(c)
            b.cash.load({o.party for o in self.book.orders.values()})
            # the registry rows of what the close releases: the resting sells' reservations and accounts
            # (a buy holds cash only)
            selling = [st for o in self.book.orders if (st := self._resting.get(o)) is not None
                       and st.reservation is not None]
            b.session.preload({st.account_id for st in selling}, {self.unit_class.id},
                              {st.reservation for st in selling if st.reservation is not None})
            for o in sorted(self.book.orders.values(), key=lambda x: x.seq):
                self._cancel_in(b, o.id, "session_closed")
            self._flush(b)
            self._bump(c)

        try:
            run_in_transaction(self.engine, work, attempts=1)
        except Exception:
            self._rebuild()
            raise
        now = self.clock.now().astimezone(MARKET_TZ)
        if self.trading is not None:
            start = datetime(now.year, now.month, now.day, tzinfo=MARKET_TZ)
            self.reference = close_price(self.trading, self.prints(since=start), self.reference)
        self._rebuild()
        return self.reference
