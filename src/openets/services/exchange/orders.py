"""The order log and the pre-trade checks.

An order request is checked for what can be judged without the book (its account is the party's,
its client order id is new, its fields are well formed) and, if acceptable, appended to ``orders``
as *pending* and committed: only then is it acknowledged (refused requests are not logged). When it
is processed (:mod:`.matching`) the pre-trade risk checks run against the book and the party's
holdings: the band, tick and lot, the market's listed-order size (:mod:`openets.market.checks`),
the session, the holding limit, and its cash (buy) or units (sell), which are reserved before it may
trade. A refused order changes nothing: its pending row is deleted in the batch that refuses it, the
book's version stays, and the refusal (the failing check's name) goes to the audit trail.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, func, insert, select, text

from openets.core.actor import Actor, Role
from openets.core.clock import to_us
from openets.core.errors import DomainError, NotFound
from openets.core.ids import PartyId
from openets.market.checks import LISTED_CHECKS, Proposed, first_failure
from openets.market.orderbook import BUY, LIMIT, MARKET, SELL, Order
from openets.market.orders import OrderStatus
from openets.registry.commands import Reserve
from openets.services.exchange.base import INS_AUDIT, ExchangeBase, _Batch, _Resting, crash_point, refusal_audit
from openets.storage import tables as t
from openets.storage.db import refused_in_request, run_in_transaction
from openets.storage.fastsql import run_many
from openets.storage.registry_repo import RegistryRepo

SELECT = "select"  # 挂牌协议: the taker picks one of the other side's best five quotes

# the batch's bulk write of new orders, prebuilt (run on the driver cursor: see storage/fastsql.py)
_ORDER_COLS = ("id", "market", "instrument", "party_id", "account_id", "side", "price_fen", "quantity", "remaining",
               "status", "reservation_id", "seq", "at_us", "type", "level", "client_id", "reason", "reserved_fen")
_ins_orders = insert(t.orders).values({c: bindparam(c) for c in _ORDER_COLS})


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
    status: str  # an OrderStatus: open, filled, cancelled, rejected
    remaining: int
    trades: list[tuple[int, int]]  # (price fen, tonnes)
    reason: str | None = None


class OrderLog(ExchangeBase):
    # -- the log: request, append, acknowledge ---------------------------------------------------------
    def submit(self, actor: Actor, *, account: str, side: str, quantity: int, price_fen: int | None = None,
               type: str = LIMIT, level: int | None = None, client_id: str | None = None) -> Placed:
        actor.require_may_act()
        return self.submit_many([OrderRequest(actor, account, side, quantity, price_fen, type, level, client_id)])[0]

    def submit_many(self, requests: Sequence[OrderRequest]) -> list[Placed]:
        """Log the orders (one commit), then match and settle them (one commit); one answer each."""
        for r in requests:
            r.actor.require_may_act()
        logged = run_in_transaction(self.engine, lambda c: self._log(c, requests), attempts=5)
        crash_point("exchange.after_log")
        done = self._process_pending({item: r.actor.user for item, r in zip(logged, requests) if isinstance(item, int)})
        out = []
        for item in logged:
            if isinstance(item, int):
                out.append(done.get(item, Placed(0, OrderStatus.REJECTED, 0, [], "unknown")))
            else:
                out.append(item)
        return out

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
        refused: list[dict[str, object]] = []  # audit rows: a refused request is not logged as an order
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
                out.append(Placed(0, OrderStatus.REJECTED, r.quantity if type(r.quantity) is int else 0, [], reason))
                if len(requests) == 1 and refused_in_request(c, reason):
                    continue  # one request, one order: the request's own audit row says refused
                refused.append(refusal_audit(self.instrument, r.actor.user, r.actor.party_id, reason, now))
                continue
            if r.client_id is not None:
                taken.add((r.actor.party_id, r.client_id))
            oid = first + i
            assert acc is not None
            rows.append(dict(id=oid, market=self.market, instrument=self.instrument, party_id=r.actor.party_id,
                             account_id=acc[0], side=r.side, price_fen=r.price_fen or 0, quantity=r.quantity,
                             remaining=r.quantity, status=OrderStatus.PENDING.value, reservation_id=None, seq=oid,
                             at_us=now, type=r.type, level=r.level, client_id=r.client_id, reason=None, reserved_fen=0))
            out.append(oid)
        run_many(c, _ins_orders, rows)
        run_many(c, INS_AUDIT, refused)
        return out

    def _next_order_id(self, c: Connection, n: int) -> int:
        if c.dialect.name == "sqlite":  # under the write lock
            return int(c.execute(select(func.coalesce(func.max(t.orders.c.id), 0))).scalar_one()) + 1
        ids = RegistryRepo(c).allocate_txn_ids(n)  # a sequence: unique across processes
        return ids[0] if ids == list(range(ids[0], ids[0] + n)) else self._contiguous(c, n)

    def _contiguous(self, c: Connection, n: int) -> int:
        # a concurrent caller interleaved: take a fresh run past everything handed out so far
        top = c.execute(text("SELECT setval('txn_ids', nextval('txn_ids') + :n)"), {"n": n}).scalar_one()
        return int(top) - n + 1

    # -- pre-trade risk checks (at processing, against the book and the party's holdings) --------------
    def _pre_trade(self, probe: Order, kind: str, level: int | None, open_market: bool) -> str | None:
        """Why the order may not go to the book (None: it may). A select order takes the quoted price
        of its chosen level into ``probe.price``."""
        oid, party, side, qty = probe.id, probe.party, probe.side, probe.quantity
        if kind == SELECT:  # the quoted price of the chosen level
            other = self.book.asks if side == BUY else self.book.bids
            if level is None or not 1 <= level <= 5:
                return "level_outside_best_five"
            if len(other) < level:
                return "no_quote_at_level"
            key = other.keys()[level - 1]
            probe.price = key if side == BUY else -key
        reason = self.book._reason(probe if kind != SELECT else Order(oid, party, side, LIMIT, probe.price, qty))
        if reason is None and self.trading is not None:  # the market's size rules (national: a listed order < 100,000 t)
            hit = first_failure(LISTED_CHECKS, Proposed(self.trading, qty, self.clock.now(), probe.price, self.reference))
            reason = hit[0] if hit else None
        if reason is None and not open_market:
            reason = "market_closed"
        if reason is None and kind == MARKET and (self.rules.band_low is None or self.rules.band_high is None):
            reason = "market_order_without_band"  # a market order needs a price bound to reserve cash against
        return reason

    def _hold(self, b: _Batch, oid: int, side: str, qty: int, state: _Resting) -> str | None:
        """Hold what the order needs before it may trade: within the holding limit (buy), its cash at
        its limit price plus fee (buy), or its units, in a registry reservation (sell). None: held."""
        if side == BUY and self.trading is not None and self.trading.holding_limit is not None:
            held = b.session.total(state.account_id, self.unit_class.id)
            bidding = sum(o.remaining for o in self.book.orders.values()
                          if o.side == BUY and self._resting[o.id].account_id == state.account_id)
            if held + bidding + qty > self.trading.holding_limit:
                return "holding_limit"
        if side == BUY:
            need = state.limit * qty + self._fee(state.limit * qty)
            if b.cash.available(state.party) < need:
                return "cash_insufficient"
            b.cash.move(state.party, 0, need, "reserve", f"order {oid}")
            state.reserved_fen = need
        else:
            actor = Actor(f"exchange-order:{oid}", PartyId(state.party), Role.COMPANY)
            try:
                rec = b.session.apply(actor, Reserve(account=state.account_id, unit_class=self.unit_class.id,
                                                quantity=qty, kind="order", note=f"order {oid}"))
            except DomainError as exc:
                return exc.code
            state.reservation = rec.reservation_id
        return None

    # -- cancel ------------------------------------------------------------------------------------------
    def cancel(self, actor: Actor, order_id: int) -> None:
        """Cancel an open order of the actor's party (someone else's looks like no order at all)."""
        actor.require_may_act()

        def work(c: Connection) -> None:
            self._sync(c)
            row = c.execute(select(t.orders).where(t.orders.c.id == order_id)).first()
            if (row is None or row.party_id != actor.party_id or row.status != OrderStatus.OPEN
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
        self._order_row(b, order_id, remaining, OrderStatus.CANCELLED, reason)
