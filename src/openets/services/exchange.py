"""The exchange service: cash accounts (入金/出金), orders that reserve cash or units, matching in the
pure core, and delivery-versus-payment settlement in the registry — all of one order's effects in
one database transaction.

One matching process per instrument holds the book in memory; it is rebuilt from the open orders
when the service starts, and again whenever a transaction fails, so the book never differs from the
database. Buy orders reserve price × quantity; a fill at a better (resting) price releases the rest.
Sell orders reserve the units in the registry (a reservation of kind "order"); each fill moves them to
the buyer's account by a transfer out of that reservation, while the cash moves the other way.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, func, insert, select, update

from openets.core.actor import Actor, Role
from openets.core.errors import DomainError, NotFound
from openets.market.orderbook import (
    BUY,
    LIMIT,
    SELL,
    BookRules,
    Event,
    Order,
    OrderBook,
    OrderCancelled,
    TradeExecuted,
)
from openets.market.rules import TradingRules, in_session
from openets.registry.engine import to_us
from openets.services.ops import Op
from openets.services.registry import RegistryService
from openets.storage import tables as t
from openets.storage.db import run_in_transaction
from openets.storage.registry_repo import RegistryRepo


@dataclass(frozen=True, slots=True)
class Placed:
    order_id: int
    status: str
    remaining: int
    trades: list[tuple[int, int]]  # (price fen, tonnes)
    reason: str | None = None


class ExchangeService:
    def __init__(self, registry: RegistryService, *, market: str, instrument: str, rules: BookRules,
                 trading: TradingRules | None = None) -> None:
        """``trading``: sessions and calendar; orders outside them are rejected (market_closed)."""
        self.registry = registry
        self.trading = trading
        self.engine = registry.engine
        self.market = market
        self.instrument = instrument
        self.unit_class = registry.unit_class(instrument)
        self.rules = rules
        self._events: list[Event] = []
        self._rebuild()

    def _rebuild(self) -> None:
        self.book = OrderBook(self.instrument, self.rules, self._events.append)
        with self.engine.connect() as c:
            rows = c.execute(select(t.orders).where(t.orders.c.instrument == self.instrument,
                                                    t.orders.c.status == "open").order_by(t.orders.c.seq)).all()
        for r in rows:  # rest them again, in their original time order, without matching
            o = Order(r.id, r.party_id, r.side, LIMIT, r.price_fen, r.quantity)
            o.remaining = r.remaining
            self.book._seq = max(self.book._seq, r.seq)
            o.seq = r.seq
            self.book._rest(o)
        self._events.clear()

    # -- cash --------------------------------------------------------------------------------------
    def _cash(self, c: Connection, party: int, d_balance: int, d_reserved: int, kind: str, ref: str) -> None:
        row = c.execute(select(t.cash_accounts).where(t.cash_accounts.c.party_id == party,
                                                      t.cash_accounts.c.market == self.market)).first()
        if row is None:
            if d_balance < 0 or d_reserved < 0:
                raise DomainError("cash_insufficient", "no cash at the exchange")
            c.execute(insert(t.cash_accounts).values(party_id=party, market=self.market, balance_fen=d_balance,
                                                     reserved_fen=d_reserved))
        else:
            balance, reserved = row.balance_fen + d_balance, row.reserved_fen + d_reserved
            if reserved < 0 or balance < reserved:
                raise DomainError("cash_insufficient",
                                  f"available cash {(row.balance_fen - row.reserved_fen) / 100:.2f} yuan is not enough")
            c.execute(update(t.cash_accounts).where(t.cash_accounts.c.party_id == party,
                                                    t.cash_accounts.c.market == self.market)
                      .values(balance_fen=balance, reserved_fen=reserved))
        c.execute(insert(t.cash_journal).values(party_id=party, market=self.market, d_balance=d_balance,
                                                d_reserved=d_reserved, kind=kind, ref=ref,
                                                at_us=to_us(self.registry.clock.now())))

    def deposit(self, actor: Actor, amount_fen: int) -> None:
        if amount_fen <= 0:
            raise DomainError("amount_invalid", "a deposit is a positive amount")
        run_in_transaction(self.engine, lambda c: self._cash(c, actor.party_id, amount_fen, 0, "deposit", actor.user))

    def withdraw(self, actor: Actor, amount_fen: int) -> None:
        if amount_fen <= 0:
            raise DomainError("amount_invalid", "a withdrawal is a positive amount")
        run_in_transaction(self.engine, lambda c: self._cash(c, actor.party_id, -amount_fen, 0, "withdrawal",
                                                             actor.user))

    def cash(self, party: int) -> tuple[int, int]:
        with self.engine.connect() as c:
            row = c.execute(select(t.cash_accounts).where(t.cash_accounts.c.party_id == party,
                                                          t.cash_accounts.c.market == self.market)).first()
        return (row.balance_fen, row.reserved_fen) if row else (0, 0)

    # -- orders ------------------------------------------------------------------------------------
    def submit(self, actor: Actor, *, account: str, side: str, price_fen: int, quantity: int) -> Placed:
        acc = self.registry.account(account)
        if acc.party_id != actor.party_id or actor.role not in (Role.COMPANY, Role.INVESTOR):
            raise NotFound("account", account)
        try:
            return run_in_transaction(self.engine, lambda c: self._submit(c, actor, acc.id, side, price_fen, quantity),
                                      attempts=1)
        except Exception:
            self._rebuild()  # the book follows the database, whatever happened
            raise

    def _submit(self, c: Connection, actor: Actor, account_id: int, side: str, price: int, qty: int) -> Placed:
        self._events.clear()
        oid = self._next_order_id(c)
        probe = Order(oid, actor.party_id, side, LIMIT, price, qty)
        reason = self.book._reason(probe)
        if reason is None and self.trading is not None and not in_session(self.trading, self.registry.clock.now()):
            reason = "market_closed"
        if reason:
            return Placed(oid, "rejected", qty, [], reason)
        reservation = None
        if side == BUY:
            self._cash(c, actor.party_id, 0, price * qty, "reserve", f"order {oid}")
        elif side == SELL:
            rec = self.registry.submit_in(c, actor, [Op("reserve", from_account=account_id,
                                                        unit_class=self.unit_class.id, quantity=qty,
                                                        kind="order")])[0].record
            assert rec is not None
            reservation = rec.reservation_id
        self.book.submit(probe)
        c.execute(insert(t.orders).values(
            id=oid, market=self.market, instrument=self.instrument, party_id=actor.party_id, account_id=account_id,
            side=side, price_fen=price, quantity=qty, remaining=probe.remaining,
            status="open" if probe.remaining else "filled", reservation_id=reservation, seq=probe.seq,
            at_us=to_us(self.registry.clock.now())))
        fills, cancelled = [], 0
        for e in list(self._events):
            if isinstance(e, TradeExecuted):
                self._settle(c, e)
                fills.append((e.price, e.quantity))
            elif isinstance(e, OrderCancelled) and e.order_id == oid:
                cancelled += e.remaining  # self-trade prevention cancelled the rest of this order
        if cancelled:
            if side == BUY:
                self._cash(c, actor.party_id, 0, -price * cancelled, "release", f"order {oid}")
            else:
                self.registry.submit_in(c, actor, [Op("release", reservation=reservation, quantity=cancelled)])
        status = "open" if probe.remaining else ("cancelled" if cancelled else "filled")
        c.execute(update(t.orders).where(t.orders.c.id == oid).values(remaining=probe.remaining, status=status))
        return Placed(oid, status, probe.remaining, fills, "self_trade" if cancelled else None)

    def _next_order_id(self, c: Connection) -> int:
        if c.dialect.name == "sqlite":  # under the write lock
            return int(c.execute(select(func.coalesce(func.max(t.orders.c.id), 0))).scalar_one()) + 1
        return RegistryRepo(c).allocate_txn_ids(1)[0]  # a sequence: unique across processes

    def _settle(self, c: Connection, e: TradeExecuted) -> None:
        """Delivery versus payment, inside the order's transaction (both orders are stored by now)."""
        rows = {r.id: r for r in c.execute(select(t.orders).where(t.orders.c.id.in_([e.buy_id, e.sell_id])))}
        buy, sell = rows[e.buy_id], rows[e.sell_id]
        # the seller's standing instruction: its order authorised the delivery out of its reservation
        seller = Actor(f"exchange-settlement:{e.seller}", e.seller, Role.COMPANY)
        out = self.registry.submit_in(c, seller, [Op("transfer", from_account=sell.account_id,
                                                     to_account=buy.account_id, unit_class=self.unit_class.id,
                                                     quantity=e.quantity, reservation=sell.reservation_id)])[0]
        assert out.record is not None
        amount = e.price * e.quantity
        # the buyer reserved its limit price; it pays the trade price and gets the rest back
        self._cash(c, e.buyer, -amount, -buy.price_fen * e.quantity, "trade", f"trade {e.buy_id}/{e.sell_id}")
        self._cash(c, e.seller, amount, 0, "trade", f"trade {e.buy_id}/{e.sell_id}")
        c.execute(insert(t.trades).values(instrument=self.instrument, buy_order=e.buy_id, sell_order=e.sell_id,
                                          price_fen=e.price, quantity=e.quantity, txn_id=out.record.id,
                                          at_us=to_us(self.registry.clock.now())))
        for oid in (e.buy_id, e.sell_id):
            o = self.book.orders.get(oid)
            c.execute(update(t.orders).where(t.orders.c.id == oid).values(
                remaining=o.remaining if o else 0, status="open" if o else "filled"))

    def cancel(self, actor: Actor, order_id: int) -> None:
        def work(c: Connection) -> None:
            row = c.execute(select(t.orders).where(t.orders.c.id == order_id)).first()
            if row is None or row.party_id != actor.party_id or row.status != "open":
                raise NotFound("open order", order_id)
            self.book.cancel(order_id)
            if row.side == BUY:
                self._cash(c, row.party_id, 0, -row.price_fen * row.remaining, "release", f"order {order_id}")
            else:
                self.registry.submit_in(c, actor, [Op("release", reservation=row.reservation_id)])
            c.execute(update(t.orders).where(t.orders.c.id == order_id).values(status="cancelled"))

        try:
            run_in_transaction(self.engine, work, attempts=1)
        except Exception:
            self._rebuild()
            raise
