"""Settlement: each fill's units and cash (delivery versus payment in the registry and the cash
ledger, fees to the exchange), T+1 delivery, what a finished order gives back, the batch's writes,
and the parties' cash desk (入金/出金).

A buy reserves cash (limit price × quantity + fee), a sell reserves its units in the registry
(reservation kind "order"); each fill moves units out of that reservation to the buyer and cash the
other way. Delivery T+0 settles each fill inside the batch; T+1 (data) keeps the seller's units and
the buyer's cash reserved and :meth:`Settlement.settle_due` delivers them on the next trading day.
"""

from __future__ import annotations

from datetime import date
from typing import cast

from sqlalchemy import Connection, bindparam, insert, select, update

from openets.core.actor import Actor, Role
from openets.core.clock import MARKET_TZ, to_us
from openets.core.errors import DomainError, NotFound
from openets.core.ids import AccountId, PartyId
from openets.market.data import Print
from openets.market.orderbook import BUY, TradeExecuted
from openets.market.orders import OrderStatus, transition
from openets.market.rules import next_trading_day
from openets.registry.commands import Release, Transfer
from openets.registry.model import PartyKind
from openets.services.exchange.base import ExchangeBase, _Batch, require_operator
from openets.services.exchange.cash import CashLedger
from openets.services.exchange.cash import balance as cash_balance
from openets.storage import tables as t
from openets.storage.db import run_in_transaction
from openets.storage.fastsql import run_many

# the batch's bulk writes, prebuilt (run on the driver cursor: see storage/fastsql.py)
_TRADE_COLS = ("instrument", "market", "mode", "buy_order", "sell_order", "buyer_id", "seller_id", "price_fen",
               "quantity", "buyer_fee_fen", "seller_fee_fen", "at_us", "txn_id", "due_day", "settled_us")
_UPD_COLS = ("remaining", "status", "reason", "reservation_id", "reserved_fen")
_ins_trades = insert(t.trades).values({c: bindparam(c) for c in _TRADE_COLS})
_upd_orders = update(t.orders).where(t.orders.c.id == bindparam("o_id")).values({c: bindparam(c) for c in _UPD_COLS})
_upd_orders_priced = update(t.orders).where(t.orders.c.id == bindparam("o_id")).values(
    {c: bindparam(c) for c in (*_UPD_COLS, "price_fen")})


def _n(row: dict[str, object], key: str) -> int:
    return int(cast(int, row[key]))  # trade rows hold ints (built here or read from the trades table)


class Settlement(ExchangeBase):
    # -- cash desk -------------------------------------------------------------------------------------
    def _move_cash(self, c: Connection, party: int, d_balance: int, kind: str, ref: str) -> None:
        cash = CashLedger(c, self.market, to_us(self.clock.now()))
        cash.move(party, d_balance, 0, kind, ref)
        cash.flush()

    def cash_holder(self, actor: Actor, party: int | None = None) -> int:
        """Whose exchange cash ``actor`` may pay in or take out: a trading member (a company or an
        investor) its own party's; the market's exchange operator (role exchange: the party that runs
        the trading system and keeps the members' cash) a member's it names, as the desk recording a
        bank transfer. Nobody else: not a regulator (it supervises the market, holds no cash in it),
        not an auditor (reads everything, moves nothing)."""
        actor.require_may_act()
        if actor.role in (Role.COMPANY, Role.INVESTOR) and party in (None, actor.party_id):
            return actor.party_id
        if actor.role is Role.EXCHANGE and actor.market in (None, self.market) and party is not None:
            with self.engine.connect() as c:
                kind = c.execute(select(t.parties.c.kind).where(t.parties.c.id == party)).scalar()
            if kind is None:
                raise NotFound("party", party)
            if kind not in (PartyKind.COMPANY.value, PartyKind.INVESTOR.value):
                raise DomainError("not_a_member", f"party {party} is a {kind}, not a trading member (a company "
                                  "or an investor): it keeps no cash at the exchange")
            return party
        raise DomainError("not_authorised", f"{actor.describe()} may not move exchange cash"
                          + (f" of party {party}" if party is not None else ""))

    def deposit(self, actor: Actor, amount_fen: int, *, party: int | None = None) -> None:
        holder = self.cash_holder(actor, party)
        if type(amount_fen) is not int or amount_fen <= 0:
            raise DomainError("amount_invalid", "a deposit is a positive amount in fen")
        run_in_transaction(self.engine, lambda c: self._move_cash(c, holder, amount_fen, "deposit", actor.user))

    def withdraw(self, actor: Actor, amount_fen: int, *, party: int | None = None) -> None:
        holder = self.cash_holder(actor, party)
        if type(amount_fen) is not int or amount_fen <= 0:
            raise DomainError("amount_invalid", "a withdrawal is a positive amount in fen")
        run_in_transaction(self.engine, lambda c: self._move_cash(c, holder, -amount_fen, "withdrawal", actor.user))

    def cash(self, party: int) -> tuple[int, int]:
        """(balance, reserved) in fen."""
        with self.engine.connect() as c:
            return cash_balance(c, party, self.market)

    # -- an order's state in the batch ---------------------------------------------------------------------
    def _order_row(self, b: _Batch, oid: int, remaining: int, status: OrderStatus, reason: str | None,
                   price: int | None = None, *, was: OrderStatus = OrderStatus.OPEN) -> None:
        """The order's new state, written at the batch's end. ``was``: its status before, if the
        batch has not changed it yet (a resting order is open; the order being processed, pending)."""
        st = self._resting.get(oid)
        row = b.order_rows.get(oid) or {"o_id": oid}
        status = transition(cast(str, row.get("status", was)), status)
        row.update(remaining=remaining, status=status.value, reason=reason,
                   reservation_id=st.reservation if st else row.get("reservation_id"),
                   reserved_fen=st.reserved_fen if st and status == OrderStatus.OPEN else 0)
        if price is not None:
            row["price_fen"] = price
        b.order_rows[oid] = row
        if status != OrderStatus.OPEN:
            self._resting.pop(oid, None)

    def _finish(self, b: _Batch, oid: int, unfilled: int) -> None:
        """An order is done: give back what it still holds (cash; units not traded)."""
        st = self._resting[oid]
        if st.reserved_fen:
            b.cash.move(st.party, 0, -st.reserved_fen, "release", f"order {oid}")
            st.reserved_fen = 0
        if st.reservation is not None and unfilled:
            actor = Actor(f"exchange-order:{oid}", PartyId(st.party), Role.COMPANY)
            b.session.apply(actor, Release(reservation=st.reservation, quantity=unfilled))

    # -- fills ------------------------------------------------------------------------------------------
    def _trade(self, b: _Batch, e: TradeExecuted) -> None:
        buy, sell = self._resting[e.buy_id], self._resting[e.sell_id]
        amount = e.price * e.quantity
        buyer_fee, seller_fee = self._fee(amount), self._fee(amount)
        # the buyer's cost comes out of its order's reservation: for T+0 it is paid now, for T+1 it
        # stays reserved (as settlement cash) until delivery
        buy.reserved_fen -= amount + buyer_fee
        assert buy.reserved_fen >= 0
        now = self.clock.now()
        row: dict[str, object] = {
            "instrument": self.instrument, "market": self.market, "mode": "listed", "buy_order": e.buy_id,
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
            self._order_row(b, resting, 0, OrderStatus.FILLED, None)
        else:
            self._order_row(b, resting, o.remaining, OrderStatus.OPEN, None)

    def _deliver(self, b: _Batch, row: dict[str, object], buyer_account: AccountId, reservation: int | None) -> None:
        """Delivery versus payment of one trade, inside the batch's transaction."""
        qty = _n(row, "quantity")
        amount = _n(row, "price_fen") * qty
        seller, buyer = _n(row, "seller_id"), _n(row, "buyer_id")
        # the seller's order is its standing instruction to deliver out of the reservation
        actor = Actor(f"exchange-settlement:{seller}", PartyId(seller), Role.COMPANY)
        rec = b.session.apply(actor, Transfer(to_account=buyer_account, unit_class=self.unit_class.id, quantity=qty,
                                        reservation=reservation))
        ref = f"trade {row['buy_order']}/{row['sell_order']}"
        bf, sf = _n(row, "buyer_fee_fen"), _n(row, "seller_fee_fen")
        b.cash.move(buyer, -(amount + bf), -(amount + bf), "trade", ref)
        b.cash.move(seller, amount - sf, 0, "trade", ref)
        if bf + sf:
            fee_party = self._exchange_party_in(b.conn, create=True)
            assert fee_party is not None
            b.cash.move(fee_party, bf + sf, 0, "fee", ref)
        row["txn_id"] = rec.id
        row["settled_us"] = to_us(self.clock.now())

    def _flush(self, b: _Batch) -> None:
        c = b.conn
        b.session.flush()
        b.cash.flush()
        run_many(c, _upd_orders, [r for r in b.order_rows.values() if "price_fen" not in r])
        run_many(c, _upd_orders_priced, [r for r in b.order_rows.values() if "price_fen" in r])
        run_many(c, _ins_trades, b.trade_rows)

    # -- T+1 delivery --------------------------------------------------------------------------------------
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
            fee_party = {self.exchange_party} if self.exchange_party is not None else set()
            b.cash.load({r.buyer_id for r in rows} | {r.seller_id for r in rows} | fee_party)
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
