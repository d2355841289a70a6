"""Daily reconciliation: the exchange's positions against the registry and its own cash journal."""

from __future__ import annotations

from sqlalchemy import and_, func, select

from openets.core.actor import Actor
from openets.market.orderbook import BUY, SELL
from openets.market.orders import OrderStatus
from openets.services.exchange.base import ExchangeBase, require_operator
from openets.storage import tables as t

_OPEN = OrderStatus.OPEN.value


class Reconciliation(ExchangeBase):
    def reconcile(self, actor: Actor | None = None) -> list[str]:
        """The exchange's positions against the registry and its own cash journal; each difference as
        one line (empty: they agree). Units: each sell order's registry reservation holds what is still
        offered plus what is sold but not yet delivered; every settled trade has its registry transfer
        (same quantity, from the seller's account to the buyer's). Cash: each balance and reservation is
        the sum of its journal, and what is reserved is what open buy orders and undelivered purchases
        still hold."""
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
            for s in sells:
                want = (s.remaining if s.status == _OPEN else 0) + undelivered.get(s.id, 0)
                have = s.quantity if s.rs == "open" else 0  # the reservation's status (not an order's)
                if want != have or s.unit_class_id != self.unit_class.id:
                    out.append(f"order {s.id}: the exchange holds {want} t back, the registry reservation {have} t")
            bad = c.execute(select(tr.c.id, tr.c.quantity, tx.c.quantity.label("tq")).select_from(
                tr.outerjoin(tx, and_(tx.c.id == tr.c.txn_id, tx.c.type == "transfer"))).where(
                tr.c.instrument == self.instrument, tr.c.settled_us.is_not(None))).all()
            for d in bad:
                if d.tq != d.quantity:
                    out.append(f"trade {d.id}: {d.quantity} t settled, the registry transfer moved {d.tq} t")
            held = dict(c.execute(select(o.c.party_id, func.sum(o.c.reserved_fen)).where(
                o.c.market == self.market, o.c.status == _OPEN, o.c.side == BUY).group_by(o.c.party_id)).all())
            journal = {j.party_id: (j.b, j.r) for j in c.execute(select(
                t.cash_journal.c.party_id, func.sum(t.cash_journal.c.d_balance).label("b"),
                func.sum(t.cash_journal.c.d_reserved).label("r")).where(
                t.cash_journal.c.market == self.market).group_by(t.cash_journal.c.party_id))}
            for a in c.execute(select(t.cash_accounts).where(t.cash_accounts.c.market == self.market)):
                jb, jr = journal.get(a.party_id, (0, 0))
                if (a.balance_fen, a.reserved_fen) != (jb, jr):
                    out.append(f"party {a.party_id}: cash {a.balance_fen}/{a.reserved_fen} fen, journal {jb}/{jr}")
                want = int(held.get(a.party_id) or 0) + owed.get(a.party_id, 0)
                if a.reserved_fen != want:
                    out.append(f"party {a.party_id}: {a.reserved_fen} fen reserved, orders and deliveries hold {want}")
        return out
