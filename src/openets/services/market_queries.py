"""Read-side queries of the exchange for the edges (API, dashboard): the instruments listed, a
party's open orders, a party's open accounts in a market, an instrument's T+1 deliveries."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, case, func, select

from openets.registry.model import UnitKind
from openets.storage import tables as t


@dataclass(frozen=True, slots=True)
class InstrumentRow:
    code: str
    market: str
    vintage: int


@dataclass(frozen=True, slots=True)
class OpenOrderRow:
    order_id: int
    side: str
    price_fen: int | None
    quantity: int
    remaining: int
    client_id: str | None


@dataclass(frozen=True, slots=True)
class Deliveries:
    """An instrument's T+1 trades: awaiting delivery, delivered, and when the last was delivered (µs)."""
    awaiting: int
    delivered: int
    last_delivered_us: int | None


class MarketQueries:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def allowance_instruments(self) -> list[InstrumentRow]:
        """Every allowance unit class, by code."""
        uc = t.unit_classes
        with self.engine.connect() as c:
            rows = c.execute(select(uc.c.code, uc.c.market, uc.c.vintage).where(
                uc.c.kind == UnitKind.ALLOWANCE.value).order_by(uc.c.code)).all()
        return [InstrumentRow(r.code, r.market, r.vintage) for r in rows]

    def open_orders(self, instrument: str, party: int) -> list[OpenOrderRow]:
        """The party's open orders on the instrument, oldest first."""
        o = t.orders
        with self.engine.connect() as c:
            rows = c.execute(select(o.c.id, o.c.side, o.c.price_fen, o.c.quantity, o.c.remaining, o.c.client_id).where(
                o.c.instrument == instrument, o.c.party_id == party, o.c.status == "open").order_by(o.c.id)).all()
        return [OpenOrderRow(r.id, r.side, r.price_fen, r.quantity, r.remaining, r.client_id) for r in rows]

    def open_accounts(self, party: int, market: str) -> list[str]:
        """The numbers of the party's open accounts in the market."""
        a = t.accounts
        with self.engine.connect() as c:
            return [r[0] for r in c.execute(select(a.c.number).where(
                a.c.party_id == party, a.c.market == market, a.c.status == "open").order_by(a.c.number))]

    def deliveries(self, instrument: str) -> Deliveries:
        """The instrument's T+1 trades (those with a due day): how many wait, how many were delivered."""
        tr = t.trades
        waiting = case((tr.c.settled_us.is_(None), 1), else_=0)
        with self.engine.connect() as c:
            r = c.execute(select(func.count(), func.coalesce(func.sum(waiting), 0), func.max(tr.c.settled_us)).where(
                tr.c.instrument == instrument, tr.c.due_day.is_not(None))).one()
        return Deliveries(int(r[1]), int(r[0]) - int(r[1]), None if r[2] is None else int(r[2]))
