"""Read-side queries for a company's own pages: its serial blocks, an account's statement (each
movement with its counter account, the holder's name and the balance after), a party's orders and
their fills (trade confirmations, 成交回报), a company's surrenders for a year."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, or_, select

from openets.core.clock import from_us
from openets.registry.transactions import SURRENDER_TYPE_VALUES
from openets.storage import tables as t


@dataclass(frozen=True, slots=True)
class BlockRow:
    account: str
    unit_class: str
    restriction_id: int
    start: int
    end: int

    @property
    def size(self) -> int:
        return self.end - self.start + 1


@dataclass(frozen=True, slots=True)
class StatementLine:
    at: datetime
    txn: int
    type: str
    unit_class: str
    change: int  # + in, − out (whole tonnes)
    balance_after: int  # of that unit class in the account
    counter_account: str | None  # the other side's number (None: issuance into, surrender-free moves)
    counter_holder: str | None


@dataclass(frozen=True, slots=True)
class OrderRow:
    id: int
    instrument: str
    account: str
    side: str
    type: str
    price_fen: int
    quantity: int
    remaining: int
    status: str
    reason: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class FillRow:
    """One trade from the party's side: a trade confirmation."""

    trade: int
    order: int
    instrument: str
    side: str
    price_fen: int
    quantity: int
    fee_fen: int
    at: datetime
    mode: str
    settled: bool
    due_day: str | None

    @property
    def amount_fen(self) -> int:
        return self.price_fen * self.quantity


@dataclass(frozen=True, slots=True)
class SurrenderRow:
    txn: int
    account: str
    unit_class: str
    quantity: int
    at: datetime
    reversed: bool


class CompanyQueries:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def blocks(self, party_id: int) -> list[BlockRow]:
        """The serial blocks of every account the party holds, in order."""
        b, a, uc = t.blocks, t.accounts, t.unit_classes
        q = (select(a.c.number, uc.c.code, b.c.restriction_id, b.c.start, b.c.end)
             .join(a, a.c.id == b.c.account_id).join(uc, uc.c.id == b.c.unit_class_id)
             .where(a.c.party_id == party_id).order_by(a.c.number, uc.c.code, b.c.restriction_id, b.c.start))
        with self.engine.connect() as c:
            return [BlockRow(r.number, r.code, r.restriction_id, int(r.start), int(r.end)) for r in c.execute(q)]

    def statement(self, account_id: int, *, offset: int, limit: int) -> tuple[int, list[StatementLine]]:
        """(number of lines, the page): the account's movements of units, newest first; reservations,
        which move nothing, are left out. The balance after is the running sum of the unit class."""
        j, tx = t.journal, t.transactions
        moved = (j.c.account_id == account_id, j.c.d_total != 0)
        running = func.sum(j.c.d_total).over(partition_by=j.c.unit_class_id, order_by=j.c.account_seq)
        inner = (select(j.c.account_seq, j.c.txn_id, j.c.unit_class_id, j.c.d_total, j.c.at_us,
                        running.label("after")).where(*moved).subquery())
        counter = t.accounts.alias("counter")
        holder = t.parties.alias("holder")
        other = func.coalesce(func.nullif(tx.c.sender_id, account_id), func.nullif(tx.c.receiver_id, account_id))
        q = (select(inner.c.at_us, inner.c.txn_id, tx.c.type, t.unit_classes.c.code, inner.c.d_total, inner.c.after,
                    counter.c.number, holder.c.name)
             .join(tx, tx.c.id == inner.c.txn_id)
             .join(t.unit_classes, t.unit_classes.c.id == inner.c.unit_class_id)
             .outerjoin(counter, counter.c.id == other)
             .outerjoin(holder, holder.c.id == counter.c.party_id)
             .order_by(inner.c.account_seq.desc()).offset(offset).limit(limit))
        with self.engine.connect() as c:
            total = int(c.execute(select(func.count()).select_from(j).where(*moved)).scalar_one())
            lines = [StatementLine(from_us(r.at_us), int(r.txn_id), r.type, r.code, int(r.d_total), int(r.after),
                                   r.number, r.name) for r in c.execute(q)]
        return total, lines

    def orders(self, party_id: int, *, offset: int, limit: int) -> tuple[int, list[OrderRow]]:
        o = t.orders
        q = (select(o, t.accounts.c.number).join(t.accounts, t.accounts.c.id == o.c.account_id)
             .where(o.c.party_id == party_id).order_by(o.c.at_us.desc(), o.c.id.desc()).offset(offset).limit(limit))
        with self.engine.connect() as c:
            total = int(c.execute(select(func.count()).select_from(o).where(o.c.party_id == party_id)).scalar_one())
            return total, [_order(r) for r in c.execute(q)]

    def order(self, party_id: int, order_id: int) -> OrderRow | None:
        """One of the party's orders (None: no such order, or another party's)."""
        o = t.orders
        q = (select(o, t.accounts.c.number).join(t.accounts, t.accounts.c.id == o.c.account_id)
             .where(o.c.id == order_id, o.c.party_id == party_id))
        with self.engine.connect() as c:
            r = c.execute(q).first()
        return None if r is None else _order(r)

    def fills(self, party_id: int, *, order_id: int | None = None, limit: int = 200) -> list[FillRow]:
        """The party's trades (each side it was on), newest first; ``order_id``: of that order only."""
        tr = t.trades
        mine = or_(tr.c.buyer_id == party_id, tr.c.seller_id == party_id)
        q = select(tr).where(mine)
        if order_id is not None:
            q = q.where(or_(tr.c.buy_order == order_id, tr.c.sell_order == order_id))
        out = []
        with self.engine.connect() as c:
            for r in c.execute(q.order_by(tr.c.at_us.desc(), tr.c.id.desc()).limit(limit)):
                # a party on both sides (its own orders crossed) gets both confirmations
                for side, who, order, fee in (("buy", r.buyer_id, r.buy_order, r.buyer_fee_fen),
                                              ("sell", r.seller_id, r.sell_order, r.seller_fee_fen)):
                    if who == party_id and (order_id is None or order == order_id):
                        out.append(FillRow(r.id, int(order), r.instrument, side, int(r.price_fen), int(r.quantity),
                                           int(fee), from_us(r.at_us), r.mode, r.settled_us is not None, r.due_day))
        return out

    def surrenders(self, party_id: int, market: str, year: int) -> list[SurrenderRow]:
        """What the party surrendered for the market's year, from any of its accounts, oldest first."""
        tx, a = t.transactions, t.accounts
        rev = tx.alias("rev")
        q = (select(tx.c.id, a.c.number, t.unit_classes.c.code, tx.c.quantity, tx.c.at_us, rev.c.id.label("rev"))
             .join(a, a.c.id == tx.c.sender_id).join(t.unit_classes, t.unit_classes.c.id == tx.c.unit_class_id)
             .outerjoin(rev, (rev.c.reverses_id == tx.c.id) & (rev.c.status == "completed"))
             .where(a.c.party_id == party_id, tx.c.type.in_(SURRENDER_TYPE_VALUES), tx.c.market == market,
                    tx.c.compliance_year == year, tx.c.status == "completed").order_by(tx.c.id))
        with self.engine.connect() as c:
            return [SurrenderRow(int(r.id), r.number, r.code, int(r.quantity), from_us(r.at_us), r.rev is not None)
                    for r in c.execute(q)]


def _order(r: object) -> OrderRow:
    g = r.__getattribute__
    return OrderRow(int(g("id")), g("instrument"), g("number"), g("side"), g("type"), int(g("price_fen")),
                    int(g("quantity")), int(g("remaining")), g("status"), g("reason"), from_us(g("at_us")))
