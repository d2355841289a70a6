"""What the simulation (``openets.simulation``) reads from storage and no other service offers yet,
so that it imports no storage module itself (engines, schema and transactions: ``services.database``):
read-side queries — vintage holdings per account, the
available positions of a set of accounts, the unit classes, one allocation run's lines, and a
market's trade and surrender totals. Each query is the one the year runner used to run on the
tables itself, moved here unchanged (same filters, same order)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, bindparam, func, select

from openets.allocation.runs import RunStatus
from openets.core.clock import from_us
from openets.registry.transactions import SURRENDER_TYPE_VALUES
from openets.storage import tables as t
from openets.storage.fastsql import run

# the lab reads its fills after every batch: prebuilt, run on the driver cursor (see storage/fastsql.py)
_tc = t.trades.c
_SEL_TRADES_AFTER = select(_tc.id, _tc.buy_order, _tc.sell_order, _tc.price_fen, _tc.quantity, _tc.buyer_fee_fen,
                           _tc.seller_fee_fen, _tc.at_us).where(
    _tc.instrument == bindparam("instrument"), _tc.id > bindparam("after")).order_by(_tc.id)


@dataclass(frozen=True, slots=True)
class PositionLine:
    account_id: int
    unit_class_id: int
    restriction_id: int
    available: int  # total − reserved


@dataclass(frozen=True, slots=True)
class UnitClassLine:
    id: int
    code: str
    kind: str
    market: str = ""
    vintage: int = 0


@dataclass(frozen=True, slots=True)
class TradeLine:
    id: int
    buy_order: int
    sell_order: int
    price_fen: int
    quantity: int
    buyer_fee_fen: int
    seller_fee_fen: int
    at_us: int


@dataclass(frozen=True, slots=True)
class TradeTotals:
    trades: int
    volume: int
    turnover_fen: int


class SimulationQueries:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def users(self) -> int:
        """How many users the database has (none: a new database, the lab's own)."""
        with self.engine.connect() as c:
            return int(c.execute(select(func.count()).select_from(t.users)).scalar_one())

    def vintage_holdings(self, unit_class_id: int, *, total: bool = False) -> dict[int, int]:
        """Units of one class per account, unrestricted: available (or ``total``)."""
        with self.engine.connect() as c:
            return {r.account_id: r.total - (0 if total else r.reserved) for r in c.execute(
                select(t.positions).where(t.positions.c.unit_class_id == unit_class_id, t.positions.c.restriction_id == 0))}

    def available_positions(self, account_ids: list[int]) -> list[PositionLine]:
        """Every position of these accounts (any class, any restriction), available = total − reserved."""
        with self.engine.connect() as c:
            return [PositionLine(r.account_id, r.unit_class_id, r.restriction_id, r.total - r.reserved) for r in c.execute(
                select(t.positions).where(t.positions.c.account_id.in_(account_ids)))]

    def unit_classes(self) -> list[UnitClassLine]:
        with self.engine.connect() as c:
            return [UnitClassLine(r.id, r.code, r.kind, r.market, int(r.vintage)) for r in
                    c.execute(select(t.unit_classes.c.id, t.unit_classes.c.code, t.unit_classes.c.kind,
                                     t.unit_classes.c.market, t.unit_classes.c.vintage))]

    def run_allocations(self, run_id: int) -> list[tuple[str, int]]:
        """(company registration id, tonnes) of each line of an allocation run."""
        with self.engine.connect() as c:
            return [(r.company, int(r.quantity)) for r in c.execute(
                select(t.allocations.c.company, t.allocations.c.quantity).where(t.allocations.c.run_id == run_id))]

    def last_issued(self, market: str, compliance_year: int) -> datetime | None:
        """When the year's last allocation run was issued (its units arrived then), or None."""
        with self.engine.connect() as c:
            us = c.execute(select(func.max(t.allocation_runs.c.decided_us)).where(
                t.allocation_runs.c.market == market, t.allocation_runs.c.compliance_year == compliance_year,
                t.allocation_runs.c.status == RunStatus.ISSUED.value)).scalar()
        return None if us is None else from_us(int(us))

    def trade_totals(self, market: str) -> TradeTotals:
        with self.engine.connect() as c:
            trades, vol, turnover = c.execute(select(func.count(), func.coalesce(func.sum(t.trades.c.quantity), 0),
                                                     func.coalesce(func.sum(t.trades.c.quantity * t.trades.c.price_fen), 0))
                                              .where(t.trades.c.market == market)).one()
        return TradeTotals(int(trades), int(vol), int(turnover))

    def surrendered(self, market: str, compliance_year: int) -> int:
        """Units surrendered in a market for a compliance year (every unit class)."""
        with self.engine.connect() as c:
            return int(c.execute(select(func.coalesce(func.sum(t.transactions.c.quantity), 0)).where(
                t.transactions.c.market == market, t.transactions.c.type.in_(SURRENDER_TYPE_VALUES),
                t.transactions.c.compliance_year == compliance_year)).scalar_one())

    def trades_after(self, instrument: str, after_id: int) -> list[TradeLine]:
        """The instrument's trades with an id above ``after_id``, oldest first (the policy lab's agents
        learn their fills from the tape the exchange committed)."""
        with self.engine.connect() as c:
            return [TradeLine(*r) for r in run(c, _SEL_TRADES_AFTER, {"instrument": instrument, "after": after_id},
                                               raw=True)]
