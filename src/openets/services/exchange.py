"""The exchange service (交易系统): cash accounts (入金/出金), a durable order log, matching in the pure
core, and delivery-versus-payment settlement in the registry.

An order goes through two transactions:

1. **log** — it is appended to ``orders`` as *pending* and committed: only then is it acknowledged
   (bad requests — unknown account, duplicated client order id — are refused here and not logged);
2. **process** — pending orders are taken in log order, matched in the in-memory book and settled:
   a buy reserves cash (limit price × quantity + fee), a sell reserves its units in the registry
   (reservation kind "order"), each fill moves units out of that reservation to the buyer and cash
   the other way, fees booked to the exchange. All of a batch's effects commit together; trades are
   published only after that commit.

A crash between the two leaves pending orders in the log; on start the book is rebuilt from the
open orders and the pending ones are processed again, in the same order, with the same result.
Matching decisions depend only on the log and committed state, so the rebuilt book equals the
one the crashed process had in memory.

Delivery T+0 settles each fill inside the batch; T+1 (data) keeps the seller's units and the buyer's
cash reserved and :meth:`ExchangeService.settle_due` delivers them on the next trading day.

One matching process per instrument: the book lives in this object; every failed transaction
rebuilds it from the database, so the two never differ.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Connection, bindparam, func, insert, select, update

from openets.core.actor import Actor, Role
from openets.core.clock import MARKET_TZ
from openets.core.errors import DomainError, NotFound
from openets.market.data import Print
from openets.market.orderbook import (
    BUY,
    LIMIT,
    MARKET,
    SELL,
    BookRules,
    Event,
    Order,
    OrderBook,
    OrderCancelled,
    OrderRejected,
    TradeExecuted,
)
from openets.market.rules import TradingRules, band, check_block, close_price, fee, in_session, next_trading_day
from openets.registry.engine import to_us
from openets.registry.model import PartyKind
from openets.services.cash import CashLedger
from openets.services.cash import balance as cash_balance
from openets.services.ops import Op
from openets.services.registry import RegistryService, RegistrySession
from openets.storage import tables as t
from openets.storage.db import autocommit, run_in_transaction
from openets.storage.fastsql import run, run_many
from openets.storage.registry_repo import RegistryRepo, from_us

SELECT = "select"  # 挂牌协议: the taker picks one of the other side's best five quotes

# the batch's bulk writes, prebuilt (run on the driver cursor: see storage/fastsql.py)
_ORDER_COLS = ("id", "market", "instrument", "party_id", "account_id", "side", "price_fen", "quantity", "remaining",
               "status", "reservation_id", "seq", "at_us", "type", "level", "client_id", "reason", "reserved_fen")
_TRADE_COLS = ("instrument", "market", "mode", "buy_order", "sell_order", "buyer_id", "seller_id", "price_fen",
               "quantity", "buyer_fee_fen", "seller_fee_fen", "at_us", "txn_id", "due_day", "settled_us")
_UPD_COLS = ("remaining", "status", "reason", "reservation_id", "reserved_fen")

# the reads every market-data request makes, built once (the driver runs them directly)
_SEL_VERSION = select(t.exchange_books.c.version).where(t.exchange_books.c.instrument == bindparam("instrument"))
_tape = select(t.trades.c.at_us, t.trades.c.price_fen, t.trades.c.quantity, t.trades.c.mode).where(
    t.trades.c.instrument == bindparam("instrument"), t.trades.c.at_us >= bindparam("since"))
_SEL_TAPE = _tape.order_by(t.trades.c.id)
_SEL_TAPE_LAST = _tape.order_by(t.trades.c.id.desc()).limit(bindparam("last"))
_ins_orders = insert(t.orders).values({c: bindparam(c) for c in _ORDER_COLS})
_ins_trades = insert(t.trades).values({c: bindparam(c) for c in _TRADE_COLS})
_upd_orders = update(t.orders).where(t.orders.c.id == bindparam("o_id")).values({c: bindparam(c) for c in _UPD_COLS})
_upd_orders_priced = update(t.orders).where(t.orders.c.id == bindparam("o_id")).values(
    {c: bindparam(c) for c in (*_UPD_COLS, "price_fen")})


@dataclass(frozen=True, slots=True)
class OrderRequest:
    actor: Actor
    account: str  # registry account number: units come from / go to it
    side: str
    quantity: int
    price_fen: int | None = None  # limit orders; None for market and select orders
    type: str = LIMIT  # limit, market (immediate or cancel), select (national market listed agreement)
    level: int | None = None  # select: the quote level, 1 = best
    client_id: str | None = None  # unique per party: a repeat is refused, never executed twice


@dataclass(frozen=True, slots=True)
class Placed:
    order_id: int
    status: str  # open, filled, cancelled, rejected
    remaining: int
    trades: list[tuple[int, int]]  # (price fen, tonnes)
    reason: str | None = None


@dataclass(slots=True)
class _Resting:
    """What the service keeps beside the book for an order that may still trade."""

    account_id: int
    party: int
    limit: int  # fen: the price its cash was reserved at (buy)
    reservation: int | None  # sell: the registry reservation
    reserved_fen: int = 0  # buy: cash still held for it


@dataclass
class _Batch:
    """The effects of one processing batch, written at its end."""

    conn: Connection
    session: RegistrySession
    cash: CashLedger
    order_rows: dict[int, dict[str, object]] = field(default_factory=dict)
    trade_rows: list[dict[str, object]] = field(default_factory=list)
    published: list[Print] = field(default_factory=list)


def require_operator(actor: Actor | None, market: str) -> None:
    """Closing the day, delivering T+1 trades, reconciling: the market's exchange operator or its
    regulator (``None``: the system's own scheduled job)."""
    if actor is None:
        return
    if actor.role is Role.EXCHANGE and actor.market in (None, market):
        return
    if actor.role is Role.REGULATOR and actor.market == market:
        return
    raise DomainError("not_authorised", f"{actor.describe()} does not operate the {market} exchange")


def _crash_point(name: str) -> None:
    """The crash tests kill the process here (OPENETS_CRASH_AT=name)."""
    if os.environ.get("OPENETS_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


class ExchangeService:
    def __init__(self, registry: RegistryService, *, market: str, instrument: str, rules: BookRules | None = None,
                 trading: TradingRules | None = None) -> None:
        """``trading``: the market's rules (sessions, band, delivery, fees); ``rules`` overrides the
        book's tick, lot and band (tests). The band follows the reference price: the previous close."""
        if rules is None and trading is None:
            raise DomainError("rules_missing", "an exchange needs trading rules or book rules")
        self.registry = registry
        self.engine = registry.engine
        self.clock = registry.clock
        self.market = market
        self.instrument = instrument
        self.unit_class = registry.unit_class(instrument)
        self.trading = trading
        self._fixed_rules = rules
        self.on_trade: list[Callable[[Print], None]] = []  # called after the settlement commits
        self._events: list[Event] = []
        self.exchange_party = self._exchange_party()
        self.reference = self._reference()
        self._recover()

    # -- set-up ------------------------------------------------------------------------------------
    def _exchange_party(self) -> int:
        def work(c: Connection) -> int:
            pid = c.execute(select(t.parties.c.id).where(t.parties.c.kind == PartyKind.EXCHANGE.value,
                                                         t.parties.c.market == self.market)).scalar()
            if pid is None:
                market = self.registry.rulebook.market(self.market)
                pid = c.execute(insert(t.parties).values(
                    kind=PartyKind.EXCHANGE.value, name=f"{market.name_zh}交易所", name_en=f"{market.name_en} exchange",
                    market=self.market, created_us=to_us(self.clock.now())).returning(t.parties.c.id)).scalar_one()
            return int(pid)

        return run_in_transaction(self.engine, work)

    def _reference(self) -> int | None:
        """The previous close: by the market's close rule from the last day with listed trades, else
        the instrument's first reference price."""
        prints = self.prints()
        days = sorted({p.day for p in prints if p.mode == "listed"})
        today = self.clock.now().astimezone(MARKET_TZ).date()
        past = [d for d in days if d < today]
        first = self.trading.first_reference if self.trading else None
        if not past or self.trading is None:
            return first
        return close_price(self.trading, [p for p in prints if p.day == past[-1]], first)

    def book_rules(self) -> BookRules:
        if self._fixed_rules is not None:
            return self._fixed_rules
        assert self.trading is not None
        low = high = None
        if self.reference is not None:
            low, high = band(self.reference, self.trading.listed_band, self.trading.tick)
        return BookRules(tick=self.trading.tick, lot=self.trading.lot, band_low=low, band_high=high)

    def _recover(self) -> None:
        """Rebuild the book from the open orders, then process what was logged but not processed."""
        self._rebuild()
        self._process_pending()

    def _rebuild(self, conn: Connection | None = None) -> None:
        self.rules = self.book_rules()
        self.book = OrderBook(self.instrument, self.rules, self._events.append)
        self._resting: dict[int, _Resting] = {}
        if conn is None:
            with self.engine.connect() as c:
                rows = self._open_rows(c)
        else:
            rows = self._open_rows(conn)
        for r in rows:  # rest them again, in their original time order, without matching
            o = Order(r.id, r.party_id, r.side, LIMIT, r.price_fen, r.quantity)
            o.remaining = r.remaining
            self.book._seq = max(self.book._seq, r.seq)
            o.seq = r.seq
            self.book._rest(o)
            self._resting[r.id] = _Resting(r.account_id, r.party_id, r.price_fen, r.reservation_id, r.reserved_fen)
        self._events.clear()

    def _open_rows(self, c: Connection) -> list:  # type: ignore[type-arg]
        self._seen = self._version(c)
        return c.execute(select(t.orders).where(t.orders.c.instrument == self.instrument,
                                                t.orders.c.status == "open").order_by(t.orders.c.seq)).all()

    def _version(self, c: Connection) -> int:
        """The book's version in the database (0: never written). Every read of the book asks this
        first, so it goes straight to the driver (one primary-key lookup)."""
        rows = run(c, _SEL_VERSION, {"instrument": self.instrument}, raw=True)
        return int(rows[0][0]) if rows else 0

    def _bump(self, c: Connection) -> None:
        """A write changed the book: the next version, which this process has already seen."""
        eb = t.exchange_books
        if c.execute(update(eb).where(eb.c.instrument == self.instrument).values(version=eb.c.version + 1)).rowcount == 0:
            c.execute(insert(eb).values(instrument=self.instrument, version=1))
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
            from sqlalchemy import text

            c.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"exchange:{self.instrument}"})
        if self._version(c) != self._seen:
            self._rebuild(c)

    # -- cash --------------------------------------------------------------------------------------
    def _move_cash(self, c: Connection, party: int, d_balance: int, kind: str, ref: str) -> None:
        cash = CashLedger(c, self.market, to_us(self.clock.now()))
        cash.move(party, d_balance, 0, kind, ref)
        cash.flush()

    def deposit(self, actor: Actor, amount_fen: int) -> None:
        if type(amount_fen) is not int or amount_fen <= 0:
            raise DomainError("amount_invalid", "a deposit is a positive amount in fen")
        run_in_transaction(self.engine, lambda c: self._move_cash(c, actor.party_id, amount_fen, "deposit", actor.user))

    def withdraw(self, actor: Actor, amount_fen: int) -> None:
        if type(amount_fen) is not int or amount_fen <= 0:
            raise DomainError("amount_invalid", "a withdrawal is a positive amount in fen")
        run_in_transaction(self.engine, lambda c: self._move_cash(c, actor.party_id, -amount_fen, "withdrawal",
                                                                  actor.user))

    def cash(self, party: int) -> tuple[int, int]:
        """(balance, reserved) in fen."""
        with self.engine.connect() as c:
            return cash_balance(c, party, self.market)

    # -- orders: log ---------------------------------------------------------------------------------
    def submit(self, actor: Actor, *, account: str, side: str, quantity: int, price_fen: int | None = None,
               type: str = LIMIT, level: int | None = None, client_id: str | None = None) -> Placed:
        return self.submit_many([OrderRequest(actor, account, side, quantity, price_fen, type, level, client_id)])[0]

    def submit_many(self, requests: Sequence[OrderRequest]) -> list[Placed]:
        """Log the orders (one commit), then match and settle them (one commit); one answer each."""
        logged = run_in_transaction(self.engine, lambda c: self._log(c, requests), attempts=5)
        _crash_point("exchange.after_log")
        done = self._process_pending()
        out = []
        for item in logged:
            out.append(done.get(item, Placed(0, "rejected", 0, [], "unknown")) if isinstance(item, int) else item)
        return out

    def _account(self, number: str) -> tuple[int, int] | None:
        """(id, owner) of an account number, or None: the registry's cached reference."""
        try:
            ref = self.registry.account_ref(number)
        except NotFound:
            return None
        return ref.id, ref.party_id

    def _log(self, c: Connection, requests: Sequence[OrderRequest]) -> list[int | Placed]:
        """Append the acceptable requests as pending orders; refuse the rest (not logged)."""
        out: list[int | Placed] = []
        keys = [(r.actor.party_id, r.client_id) for r in requests if r.client_id is not None]
        taken: set[tuple[int, str]] = set()
        if keys:
            for party in {p for p, _ in keys}:
                ids = [k for p, k in keys if p == party]
                taken |= {(party, x) for x in c.execute(select(t.orders.c.client_id).where(
                    t.orders.c.party_id == party, t.orders.c.client_id.in_(ids))).scalars()}
        rows = []
        first = self._next_order_id(c, len(requests))
        now = to_us(self.clock.now())
        for i, r in enumerate(requests):
            acc = self._account(r.account)
            reason = None
            if acc is None or acc[1] != r.actor.party_id or r.actor.role not in (Role.COMPANY, Role.INVESTOR):
                reason = "account_not_found"  # someone else's account looks like no account at all
            elif r.client_id is not None and (r.actor.party_id, r.client_id) in taken:
                reason = "duplicate_client_order_id"
            elif r.client_id is not None and (len(r.client_id) > 64 or not r.client_id):
                reason = "client_id_invalid"
            elif r.type not in (LIMIT, MARKET, SELECT) or r.side not in (BUY, SELL):
                reason = "order_invalid"
            elif type(r.quantity) is not int or (r.price_fen is not None and type(r.price_fen) is not int):
                reason = "quantity_invalid" if type(r.quantity) is not int else "price_invalid"
            elif abs(r.quantity) > 2**53 or (r.price_fen is not None and abs(r.price_fen) > 2**53):
                reason = "order_too_large"
            if reason is not None:
                out.append(Placed(0, "rejected", r.quantity if type(r.quantity) is int else 0, [], reason))
                continue
            if r.client_id is not None:
                taken.add((r.actor.party_id, r.client_id))
            oid = first + i
            assert acc is not None
            rows.append(dict(id=oid, market=self.market, instrument=self.instrument, party_id=r.actor.party_id,
                             account_id=acc[0], side=r.side, price_fen=r.price_fen or 0, quantity=r.quantity,
                             remaining=r.quantity, status="pending", reservation_id=None, seq=oid, at_us=now,
                             type=r.type, level=r.level, client_id=r.client_id, reason=None, reserved_fen=0))
            out.append(oid)
        run_many(c, _ins_orders, rows)
        return out

    def _next_order_id(self, c: Connection, n: int) -> int:
        if c.dialect.name == "sqlite":  # under the write lock
            return int(c.execute(select(func.coalesce(func.max(t.orders.c.id), 0))).scalar_one()) + 1
        ids = RegistryRepo(c).allocate_txn_ids(n)  # a sequence: unique across processes
        return ids[0] if ids == list(range(ids[0], ids[0] + n)) else self._contiguous(c, n)

    def _contiguous(self, c: Connection, n: int) -> int:
        # a concurrent caller interleaved: take a fresh run past everything handed out so far
        from sqlalchemy import text

        top = c.execute(text("SELECT setval('txn_ids', nextval('txn_ids') + :n)"), {"n": n}).scalar_one()
        return int(top) - n + 1

    # -- orders: process -----------------------------------------------------------------------------
    def _process_pending(self) -> dict[int, Placed]:
        try:
            done, prints = run_in_transaction(self.engine, self._process, attempts=1)
        except Exception:
            self._rebuild()  # the book follows the database, whatever happened
            raise
        for p in prints:  # published only now that the settlement has committed
            for listener in self.on_trade:
                listener(p)
        return done

    def _process(self, c: Connection) -> tuple[dict[int, Placed], list[Print]]:
        self._sync(c)
        rows = c.execute(select(t.orders).where(t.orders.c.instrument == self.instrument,
                                                t.orders.c.status == "pending").order_by(t.orders.c.seq)).all()
        if not rows:
            return {}, []
        b = self._batch(c)
        b.cash.load({r.party_id for r in rows} | {st.party for st in self._resting.values()} | {self.exchange_party})
        now = self.clock.now()
        open_market = self.trading is None or in_session(self.trading, now)
        done = {}
        for r in rows:
            done[r.id] = self._one(b, r, open_market)
        _crash_point("exchange.after_match")
        self._flush(b)
        self._bump(c)
        return done, b.published

    def _one(self, b: _Batch, r: object, open_market: bool) -> Placed:
        oid, party, side, kind = r.id, r.party_id, r.side, r.type  # type: ignore[attr-defined]
        qty, level = r.quantity, r.level  # type: ignore[attr-defined]
        price = r.price_fen if kind == LIMIT else None  # type: ignore[attr-defined]

        def reject(reason: str) -> Placed:
            b.order_rows[oid] = {"o_id": oid, "remaining": qty, "status": "rejected", "reason": reason,
                                 "reservation_id": None, "reserved_fen": 0, "price_fen": price or 0}
            return Placed(oid, "rejected", qty, [], reason)

        probe = Order(oid, party, side, MARKET if kind == MARKET else LIMIT, price, qty)
        if kind == SELECT:  # the quoted price of the chosen level
            other = self.book.asks if side == BUY else self.book.bids
            if level is None or not 1 <= level <= 5:
                return reject("level_outside_best_five")
            if len(other) < level:
                return reject("no_quote_at_level")
            key = other.keys()[level - 1]
            probe.price = key if side == BUY else -key
        reason = self.book._reason(probe if kind != SELECT else Order(oid, party, side, LIMIT, probe.price, qty))
        if reason is None and not open_market:
            reason = "market_closed"
        if reason is None and kind == MARKET and (self.rules.band_low is None or self.rules.band_high is None):
            reason = "market_order_without_band"  # a market order needs a price bound to reserve cash against
        if reason:
            return reject(reason)
        limit = probe.price if probe.price is not None else (self.rules.band_high if side == BUY else self.rules.band_low)
        assert limit is not None
        state = _Resting(r.account_id, party, limit, None)  # type: ignore[attr-defined]
        if side == BUY and self.trading is not None and self.trading.holding_limit is not None:
            held = b.session.total(state.account_id, self.unit_class.id)
            bidding = sum(o.remaining for o in self.book.orders.values()
                          if o.side == BUY and self._resting[o.id].account_id == state.account_id)
            if held + bidding + qty > self.trading.holding_limit:
                return reject("holding_limit")
        if side == BUY:
            need = limit * qty + self._fee(limit * qty)
            if b.cash.available(party) < need:
                return reject("cash_insufficient")
            b.cash.move(party, 0, need, "reserve", f"order {oid}")
            state.reserved_fen = need
        else:
            actor = Actor(f"exchange-order:{oid}", party, Role.COMPANY)
            try:
                rec = b.session.apply(actor, Op("reserve", from_account=state.account_id, unit_class=self.unit_class.id,
                                                quantity=qty, kind="order", note=f"order {oid}"))
            except DomainError as exc:
                return reject(exc.code)
            state.reservation = rec.reservation_id
        self._resting[oid] = state
        self._events.clear()
        if kind == SELECT:
            self.book.select_quote(probe, level)  # type: ignore[arg-type]
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
        status = "open" if remaining else ("cancelled" if cancelled else "filled")
        if status != "open":
            self._finish(b, oid, cancelled)
        self._order_row(b, oid, remaining, status, why, price=limit)
        return Placed(oid, status, remaining, fills, why)

    def _fee(self, turnover: int) -> int:
        return fee(self.trading, turnover) if self.trading is not None else 0

    def _batch(self, c: Connection) -> _Batch:
        return _Batch(c, RegistrySession(self.registry, c), CashLedger(c, self.market, to_us(self.clock.now())))

    def _order_row(self, b: _Batch, oid: int, remaining: int, status: str, reason: str | None,
                   price: int | None = None) -> None:
        st = self._resting.get(oid)
        row = b.order_rows.get(oid) or {"o_id": oid}
        row.update(remaining=remaining, status=status, reason=reason,
                   reservation_id=st.reservation if st else row.get("reservation_id"),
                   reserved_fen=st.reserved_fen if st and status == "open" else 0)
        if price is not None:
            row["price_fen"] = price
        b.order_rows[oid] = row
        if status != "open":
            self._resting.pop(oid, None)

    def _finish(self, b: _Batch, oid: int, unfilled: int) -> None:
        """An order is done: give back what it still holds (cash; units not traded)."""
        st = self._resting[oid]
        if st.reserved_fen:
            b.cash.move(st.party, 0, -st.reserved_fen, "release", f"order {oid}")
            st.reserved_fen = 0
        if st.reservation is not None and unfilled:
            actor = Actor(f"exchange-order:{oid}", st.party, Role.COMPANY)
            b.session.apply(actor, Op("release", reservation=st.reservation, quantity=unfilled))

    def _trade(self, b: _Batch, e: TradeExecuted) -> None:
        buy, sell = self._resting[e.buy_id], self._resting[e.sell_id]
        amount = e.price * e.quantity
        buyer_fee, seller_fee = self._fee(amount), self._fee(amount)
        # the buyer's cost comes out of its order's reservation: for T+0 it is paid now, for T+1 it
        # stays reserved (as settlement cash) until delivery
        buy.reserved_fen -= amount + buyer_fee
        assert buy.reserved_fen >= 0
        now = self.clock.now()
        row = {"instrument": self.instrument, "market": self.market, "mode": "listed", "buy_order": e.buy_id,
               "sell_order": e.sell_id, "buyer_id": e.buyer, "seller_id": e.seller, "price_fen": e.price,
               "quantity": e.quantity, "buyer_fee_fen": buyer_fee, "seller_fee_fen": seller_fee,
               "at_us": to_us(now), "txn_id": None, "due_day": None, "settled_us": None}
        if self.trading is not None and self.trading.delivery_days:
            row["due_day"] = next_trading_day(self.trading, now.astimezone(MARKET_TZ).date(),
                                              self.trading.delivery_days).isoformat()
        else:
            self._deliver(b, row, buy.account_id, sell.reservation)
        b.trade_rows.append(row)
        b.published.append(Print(now, self.instrument, e.price, e.quantity))
        resting = e.sell_id if e.aggressor == BUY else e.buy_id  # the taker's state is written after
        o = self.book.orders.get(resting)
        if o is None:
            self._finish(b, resting, 0)
            self._order_row(b, resting, 0, "filled", None)
        else:
            self._order_row(b, resting, o.remaining, "open", None)

    def _deliver(self, b: _Batch, row: dict[str, object], buyer_account: int, reservation: int | None) -> None:
        """Delivery versus payment of one trade, inside the batch's transaction."""
        qty, amount = int(row["quantity"]), int(row["price_fen"]) * int(row["quantity"])  # type: ignore[call-overload]
        seller, buyer = int(row["seller_id"]), int(row["buyer_id"])  # type: ignore[call-overload]
        # the seller's order is its standing instruction to deliver out of the reservation
        actor = Actor(f"exchange-settlement:{seller}", seller, Role.COMPANY)
        rec = b.session.apply(actor, Op("transfer", to_account=buyer_account, unit_class=self.unit_class.id, quantity=qty,
                                        reservation=reservation))
        ref = f"trade {row['buy_order']}/{row['sell_order']}"
        bf, sf = int(row["buyer_fee_fen"]), int(row["seller_fee_fen"])  # type: ignore[call-overload]
        b.cash.move(buyer, -(amount + bf), -(amount + bf), "trade", ref)
        b.cash.move(seller, amount - sf, 0, "trade", ref)
        if bf + sf:
            b.cash.move(self.exchange_party, bf + sf, 0, "fee", ref)
        row["txn_id"] = rec.id
        row["settled_us"] = to_us(self.clock.now())

    def _flush(self, b: _Batch) -> None:
        c = b.conn
        b.session.flush()
        b.cash.flush()
        run_many(c, _upd_orders, [r for r in b.order_rows.values() if "price_fen" not in r])
        run_many(c, _upd_orders_priced, [r for r in b.order_rows.values() if "price_fen" in r])
        run_many(c, _ins_trades, b.trade_rows)

    # -- cancel, the day's close, T+1 delivery -------------------------------------------------------
    def cancel(self, actor: Actor, order_id: int) -> None:
        """Cancel an open order of the actor's party (someone else's looks like no order at all)."""

        def work(c: Connection) -> None:
            self._sync(c)
            row = c.execute(select(t.orders).where(t.orders.c.id == order_id)).first()
            if (row is None or row.party_id != actor.party_id or row.status != "open"
                    or row.instrument != self.instrument):
                raise NotFound("open order", order_id)
            b = self._batch(c)
            self._cancel_in(b, order_id, "requested")
            self._flush(b)
            self._bump(c)

        try:
            run_in_transaction(self.engine, work, attempts=1)
        except Exception:
            self._rebuild()
            raise

    def _cancel_in(self, b: _Batch, order_id: int, reason: str) -> None:
        o = self.book.orders[order_id]
        remaining = o.remaining
        self.book.cancel(order_id, reason)
        self._finish(b, order_id, remaining)
        self._order_row(b, order_id, remaining, "cancelled", reason)

    def close_day(self, actor: Actor | None = None) -> int | None:
        """End of the trading day: resting orders are cancelled (day orders) and what they held is
        given back; the close price becomes the next day's reference (and moves the band)."""
        require_operator(actor, self.market)

        def work(c: Connection) -> None:
            self._sync(c)
            b = self._batch(c)
            b.cash.load({o.party for o in self.book.orders.values()})
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

    def settle_due(self, day: date | None = None, actor: Actor | None = None) -> int:
        """T+1: deliver every trade due on or before ``day`` (default today), versus payment, in one
        transaction. Returns the number of trades settled."""
        require_operator(actor, self.market)
        day = day or self.clock.now().astimezone(MARKET_TZ).date()

        def work(c: Connection) -> int:
            rows = c.execute(select(t.trades, t.orders.c.account_id.label("buyer_account")).join(
                t.orders, t.orders.c.id == t.trades.c.buy_order).where(
                t.trades.c.instrument == self.instrument, t.trades.c.settled_us.is_(None),
                t.trades.c.due_day <= day.isoformat()).order_by(t.trades.c.id)).all()
            if not rows:
                return 0
            sells = dict(c.execute(select(t.orders.c.id, t.orders.c.reservation_id).where(
                t.orders.c.id.in_({r.sell_order for r in rows}))).all())
            b = self._batch(c)
            b.cash.load({r.buyer_id for r in rows} | {r.seller_id for r in rows} | {self.exchange_party})
            b.session.ws.reservations.update(b.session.repo.reservations(set(sells.values()) - {None}))
            done = []
            for r in rows:
                row = dict(r._mapping)
                self._deliver(b, row, r.buyer_account, sells[r.sell_order])
                done.append({"t_id": r.id, "txn_id": row["txn_id"], "settled_us": row["settled_us"]})
            self._flush(b)
            c.execute(update(t.trades).where(t.trades.c.id == bindparam("t_id")).values(
                txn_id=bindparam("txn_id"), settled_us=bindparam("settled_us")), done)
            return len(done)

        return run_in_transaction(self.engine, work, attempts=5)

    # -- block trades (协议转让 / 大宗协议) ---------------------------------------------------------------
    def block_trade(self, seller: Actor, seller_account: str, buyer: Actor, buyer_account: str, *, price_fen: int,
                    quantity: int) -> int:
        """An agreement trade between two named parties, both of whom have confirmed it (the API
        collects the two confirmations): size, block band and session checked; delivery versus
        payment at once. Block trades do not make the listed close price. Returns the trade id."""
        if type(price_fen) is not int or type(quantity) is not int or price_fen <= 0 or quantity <= 0:
            raise DomainError("order_invalid", "a block trade needs a positive price (fen) and quantity (t)")
        if self.trading is None or self.reference is None:
            raise DomainError("block_not_offered", f"{self.market} has no block-trading rules for {self.instrument}")
        problem = check_block(self.trading, price=price_fen, quantity=quantity, reference=self.reference,
                              at=self.clock.now())
        if problem:
            raise DomainError("block_invalid", problem)

        def work(c: Connection) -> int:
            sa, ba = self._account(seller_account), self._account(buyer_account)
            if sa is None or sa[1] != seller.party_id:
                raise NotFound("account", seller_account)
            if ba is None or ba[1] != buyer.party_id:
                raise NotFound("account", buyer_account)
            if seller.party_id == buyer.party_id:
                raise DomainError("self_trade", "a party cannot trade with itself")
            b = self._batch(c)
            amount = price_fen * quantity
            bf, sf = self._fee(amount), self._fee(amount)
            if b.cash.available(buyer.party_id) < amount + bf:
                raise DomainError("cash_insufficient", f"the buyer's available cash "
                                                       f"{b.cash.available(buyer.party_id) / 100:.2f} yuan does not "
                                                       f"cover {(amount + bf) / 100:.2f}")
            rec = b.session.apply(seller, Op("reserve", from_account=sa[0], unit_class=self.unit_class.id,
                                             quantity=quantity, kind="order", note="block trade"))
            b.cash.move(buyer.party_id, 0, amount + bf, "reserve", "block trade")
            row = {"instrument": self.instrument, "market": self.market, "mode": "block", "buy_order": 0,
                   "sell_order": 0, "buyer_id": buyer.party_id, "seller_id": seller.party_id, "price_fen": price_fen,
                   "quantity": quantity, "buyer_fee_fen": bf, "seller_fee_fen": sf, "at_us": to_us(self.clock.now()),
                   "txn_id": None, "due_day": None, "settled_us": None}
            self._deliver(b, row, ba[0], rec.reservation_id)
            self._flush(b)
            return int(c.execute(insert(t.trades).values(**row).returning(t.trades.c.id)).scalar_one())

        return run_in_transaction(self.engine, work, attempts=5)

    # -- market data ---------------------------------------------------------------------------------
    def prints(self, since: datetime | None = None, *, last: int | None = None) -> list[Print]:
        """The tape, oldest first: every trade since ``since``, or only the ``last`` N of them (read
        from the newest end, so the cost does not grow with the tape's length)."""
        params = {"instrument": self.instrument, "since": -(2**62) if since is None else to_us(since)}
        with autocommit(self.engine) as c:
            if last is None:
                rows = run(c, _SEL_TAPE, params, raw=True)
            else:
                rows = run(c, _SEL_TAPE_LAST, {**params, "last": last}, raw=True)
                rows.reverse()
        return [Print(from_us(at), self.instrument, price, qty, mode) for at, price, qty, mode in rows]

    def depth(self, levels: int = 5) -> dict[str, list[tuple[int, int]]]:
        return self.book.depth(levels)

    # -- daily reconciliation --------------------------------------------------------------------------
    def reconcile(self, actor: Actor | None = None) -> list[str]:
        """The exchange's positions against the registry and its own cash journal; each difference as
        one line (empty: they agree). Units: each sell order's registry reservation holds what is still
        offered plus what is sold but not yet delivered; every settled trade has its registry transfer
        (same quantity, from the seller's account to the buyer's). Cash: each balance and reservation is
        the sum of its journal, and what is reserved is what open buy orders and undelivered purchases
        still hold."""
        from sqlalchemy import and_

        require_operator(actor, self.market)
        out: list[str] = []
        o, tr, res, tx = t.orders, t.trades, t.reservations, t.transactions
        with self.engine.connect() as c:
            undelivered: dict[int, int] = {}
            owed: dict[int, int] = {}
            for r in c.execute(select(tr.c.sell_order, tr.c.buyer_id, tr.c.quantity, tr.c.price_fen,
                                      tr.c.buyer_fee_fen).where(tr.c.market == self.market,
                                                                tr.c.settled_us.is_(None))):
                undelivered[r.sell_order] = undelivered.get(r.sell_order, 0) + r.quantity
                owed[r.buyer_id] = owed.get(r.buyer_id, 0) + r.quantity * r.price_fen + r.buyer_fee_fen
            sells = c.execute(select(o.c.id, o.c.status, o.c.remaining, res.c.quantity, res.c.status.label("rs"),
                                     res.c.unit_class_id).join(res, res.c.id == o.c.reservation_id).where(
                o.c.instrument == self.instrument, o.c.side == SELL)).all()
            for r in sells:
                want = (r.remaining if r.status == "open" else 0) + undelivered.get(r.id, 0)
                have = r.quantity if r.rs == "open" else 0
                if want != have or r.unit_class_id != self.unit_class.id:
                    out.append(f"order {r.id}: the exchange holds {want} t back, the registry reservation {have} t")
            bad = c.execute(select(tr.c.id, tr.c.quantity, tx.c.quantity.label("tq")).select_from(
                tr.outerjoin(tx, and_(tx.c.id == tr.c.txn_id, tx.c.type == "transfer"))).where(
                tr.c.instrument == self.instrument, tr.c.settled_us.is_not(None))).all()
            for r in bad:
                if r.tq != r.quantity:
                    out.append(f"trade {r.id}: {r.quantity} t settled, the registry transfer moved {r.tq} t")
            held = dict(c.execute(select(o.c.party_id, func.sum(o.c.reserved_fen)).where(
                o.c.market == self.market, o.c.status == "open", o.c.side == BUY).group_by(o.c.party_id)).all())
            journal = {r.party_id: (r.b, r.r) for r in c.execute(select(
                t.cash_journal.c.party_id, func.sum(t.cash_journal.c.d_balance).label("b"),
                func.sum(t.cash_journal.c.d_reserved).label("r")).where(
                t.cash_journal.c.market == self.market).group_by(t.cash_journal.c.party_id))}
            for r in c.execute(select(t.cash_accounts).where(t.cash_accounts.c.market == self.market)):
                jb, jr = journal.get(r.party_id, (0, 0))
                if (r.balance_fen, r.reserved_fen) != (jb, jr):
                    out.append(f"party {r.party_id}: cash {r.balance_fen}/{r.reserved_fen} fen, journal {jb}/{jr}")
                want = int(held.get(r.party_id) or 0) + owed.get(r.party_id, 0)
                if r.reserved_fen != want:
                    out.append(f"party {r.party_id}: {r.reserved_fen} fen reserved, orders and deliveries hold {want}")
        return out


def open_exchange(registry: RegistryService, instrument: str) -> ExchangeService:
    """The exchange for one instrument with its market's trading rules in force today (looked up by
    market, the instrument's vintage as compliance year, and today's date)."""
    from openets.market.rules import parse_trading_rules

    uc = registry.unit_class(instrument)
    market = uc.market
    if market is None:
        raise DomainError("instrument_not_traded", f"{instrument} is not traded on a market's exchange")
    today = registry.clock.now().astimezone(MARKET_TZ).date()
    rs = registry.rulebook.lookup(market, uc.vintage or today.year, today, "trading")
    return ExchangeService(registry, market=market, instrument=instrument,
                           trading=parse_trading_rules(market, rs.raw["trading"]))
