"""Read-side queries of the exchange for the edges (API, dashboard): the instruments listed, a
party's open orders, a party's open accounts in a market."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select

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
