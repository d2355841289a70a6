"""What every room of the exchange shares: its state (declared once, set up by the facade), one
batch's effects, the operator check and the crash points."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, bindparam, insert, select

from openets.core.actor import Actor, Role
from openets.core.clock import Clock, to_us
from openets.core.errors import DomainError, NotFound
from openets.core.ids import AccountId, PartyId
from openets.core.settings import setting
from openets.market.data import Print
from openets.market.orderbook import BookRules, Event, OrderBook
from openets.market.orders import OrderStatus
from openets.market.rules import TradingRules, fee
from openets.registry.model import PartyKind, UnitClass
from openets.services.exchange.cash import CashLedger
from openets.services.registry import RegistryService, RegistrySession
from openets.storage import tables as t


@dataclass(slots=True)
class _Resting:
    """What the service keeps beside the book for an order that may still trade."""

    account_id: AccountId
    party: PartyId
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
    refused: list[tuple[int, int, str]] = field(default_factory=list)  # (order id, party, reason): rows to drop


INS_AUDIT = insert(t.audit_log).values({c: bindparam(c) for c in ("user_name", "method", "path", "status", "at_us")})


def refusal_audit(instrument: str, user: str | None, party: int, reason: str, now_us: int) -> dict[str, object]:
    """A refused order's row in the audit trail (``audit_log``): a refusal changes nothing in the
    ledger's tables, so this is where it is remembered."""
    return {"user_name": user, "method": "ORDER", "path": f"/market/{instrument}/orders refused: {reason} "
            f"(party {party})", "status": 422, "at_us": now_us}


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
    if setting("crash_at") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def crash_point(name: str) -> None:
    # looked up on the package each time: the kill -9 tests replace openets.services.exchange._crash_point
    sys.modules[__package__ or "openets.services.exchange"]._crash_point(name)


class ExchangeBase:
    """The state the rooms share; :class:`~openets.services.exchange.service.ExchangeService` sets it up."""

    registry: RegistryService
    engine: Engine
    clock: Clock
    market: str
    instrument: str
    unit_class: UnitClass
    trading: TradingRules | None
    _fixed_rules: BookRules | None
    on_trade: list[Callable[[Print], None]]  # called after the settlement commits
    exchange_party: int | None  # the market's exchange party (None: not created yet, see _exchange_party_in)
    reference: int | None  # fen: the previous close, the band's centre
    rules: BookRules  # in force in the book now
    book: OrderBook
    _events: list[Event]  # the book's events; one list for good (the book holds its append)
    _resting: dict[int, _Resting]
    _seen: int  # the book's version this process has read

    def _fee(self, turnover: int) -> int:
        return fee(self.trading, turnover) if self.trading is not None else 0

    def _batch(self, c: Connection) -> _Batch:
        return _Batch(c, RegistrySession(self.registry, c), CashLedger(c, self.market, to_us(self.clock.now())))

    def _exchange_party_in(self, c: Connection, *, create: bool = False) -> int | None:
        """The market's exchange party (it is paid the fees), looked up on ``c``; ``create``: made
        there if missing — never by merely opening the exchange or by a refused order."""
        if self.exchange_party is not None:
            return self.exchange_party
        pid = c.execute(select(t.parties.c.id).where(t.parties.c.kind == PartyKind.EXCHANGE.value,
                                                     t.parties.c.market == self.market)).scalar()
        if pid is None and create:
            market = self.registry.rulebook.market(self.market)
            pid = c.execute(insert(t.parties).values(
                kind=PartyKind.EXCHANGE.value, name=f"{market.name_zh}交易所", name_en=f"{market.name_en} exchange",
                market=self.market, created_us=to_us(self.clock.now())).returning(t.parties.c.id)).scalar_one()
        self.exchange_party = None if pid is None else int(pid)  # a rebuild looks again (a rollback undoes it)
        return self.exchange_party

    def _account(self, number: str) -> tuple[AccountId, PartyId] | None:
        """(id, owner) of an account number, or None: the registry's cached reference."""
        try:
            ref = self.registry.account_ref(number)
        except NotFound:
            return None
        return ref.id, ref.party_id

    if TYPE_CHECKING:  # what one room calls in another (defined there)
        def _rebuild(self, conn: Connection | None = None) -> None: ...
        def _sync(self, c: Connection) -> None: ...
        def _bump(self, c: Connection) -> None: ...
        def _process_pending(self, users: dict[int, str] | None = None) -> dict[int, Placed]: ...
        def _pre_trade(self, probe: Order, kind: str, level: int | None, open_market: bool) -> str | None: ...
        def _hold(self, b: _Batch, oid: int, side: str, qty: int, state: _Resting) -> str | None: ...
        def _cancel_in(self, b: _Batch, order_id: int, reason: str) -> None: ...
        def _order_row(self, b: _Batch, oid: int, remaining: int, status: OrderStatus, reason: str | None,
                       price: int | None = None, *, was: OrderStatus = OrderStatus.OPEN) -> None: ...
        def _finish(self, b: _Batch, oid: int, unfilled: int) -> None: ...
        def _trade(self, b: _Batch, e: TradeExecuted) -> None: ...
        def _deliver(self, b: _Batch, row: dict[str, object], buyer_account: AccountId, reservation: int | None) -> None: ...
        def _flush(self, b: _Batch) -> None: ...
        def prints(self, since: datetime | None = None, *, last: int | None = None) -> list[Print]: ...


if TYPE_CHECKING:
    from openets.market.orderbook import Order, TradeExecuted
    from openets.services.exchange.orders import Placed
