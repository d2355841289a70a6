"""The exchange: public market data (instruments, book, tape, bars) and, for your own accounts,
orders and cash."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query

from openets.api.deps import Instrument, Me, Svc
from openets.api.ids import operation_id
from openets.api.schemas.market import (
    BarRead,
    BookRead,
    CancelRead,
    CashRead,
    DepositCreate,
    Fill,
    InstrumentRead,
    Level,
    OpenOrderRead,
    OrderCreate,
    OrderRead,
    TradeRead,
)
from openets.core.errors import DomainError, NotFound
from openets.market.data import bars

router = APIRouter(prefix="/market", tags=["market"], generate_unique_id_function=operation_id)


@router.get("/instruments")
def instruments(svc: Svc) -> list[InstrumentRead]:
    """Public: the instruments traded, with their market and last close (fen)."""
    return [InstrumentRead(instrument=i.instrument, market=i.market, vintage=i.vintage, reference_fen=i.reference_fen)
            for i in svc.hub.instruments()]


@router.get("/{instrument}/book")
def book(instrument: Instrument, svc: Svc, levels: Annotated[int, Query(ge=1, le=50)] = 5) -> BookRead:
    """Public: depth (price fen, tonnes) each side, the reference price and the band."""
    ex, d = svc.hub.depth(instrument, levels)
    return BookRead(instrument=instrument, currency="CNY", reference_fen=ex.reference,
                    band_fen=[ex.rules.band_low, ex.rules.band_high],
                    bids=[Level(price_fen=p, quantity=q) for p, q in d["bids"]],
                    asks=[Level(price_fen=p, quantity=q) for p, q in d["asks"]])


@router.get("/{instrument}/trades")
def trades(instrument: Instrument, svc: Svc, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
           since: datetime | None = None) -> list[TradeRead]:
    """Public: the tape, oldest first (ISO times, prices in fen, tonnes)."""
    prints = svc.hub.get(instrument).prints(since, last=limit)
    return [TradeRead(at=p.at.isoformat(), price_fen=p.price, quantity=p.quantity, mode=p.mode) for p in prints]


@router.get("/{instrument}/bars", name="bars")
def bars_of(instrument: Instrument, svc: Svc,
          minutes: Annotated[int | None, Query(ge=1, le=1440)] = None) -> list[BarRead]:
    """Public: OHLCV bars (daily, or intraday of N minutes), listed trades only, Asia/Shanghai."""
    return [BarRead(start=b.start.isoformat(), open=b.open, high=b.high, low=b.low, close=b.close, volume=b.volume,
                    turnover_fen=b.turnover) for b in bars(svc.hub.get(instrument).prints(), minutes=minutes)]


@router.post("/{instrument}/orders", status_code=201)
def place(instrument: Instrument, body: OrderCreate, me: Me, svc: Svc) -> OrderRead:
    """Place an order for your own account; a refused order answers 422 with its reason code."""
    with svc.hub.locked(instrument) as ex:
        placed = ex.submit(me, account=body.account, side=body.side, quantity=body.quantity,
                           price_fen=body.price_fen, type=body.type, level=body.level, client_id=body.client_id)
    if placed.status == "rejected":
        if placed.reason == "account_not_found":
            raise NotFound("account", body.account)
        raise DomainError(placed.reason or "order_rejected", f"order refused: {placed.reason}")
    return OrderRead(order_id=placed.order_id, status=placed.status, remaining=placed.remaining,
                     reason=placed.reason, trades=[Fill(price_fen=p, quantity=q) for p, q in placed.trades])


@router.delete("/{instrument}/orders/{order_id}")
def cancel(instrument: Instrument, order_id: Annotated[int, Path(ge=1, le=2**53)], me: Me, svc: Svc) -> CancelRead:
    with svc.hub.locked(instrument) as ex:
        ex.cancel(me, order_id)
    return CancelRead(order_id=order_id, status="cancelled")


@router.get("/{instrument}/orders")
def my_orders(instrument: Instrument, me: Me, svc: Svc) -> list[OpenOrderRead]:
    """Your party's open orders."""
    return [OpenOrderRead(order_id=o.order_id, side=o.side, price_fen=o.price_fen, quantity=o.quantity,
                          remaining=o.remaining, client_id=o.client_id)
            for o in svc.hub.open_orders(instrument, me.party_id)]


@router.post("/{instrument}/deposits", status_code=201)
def deposit(instrument: Instrument, body: DepositCreate, me: Me, svc: Svc) -> CashRead:
    """Pay cash in at the instrument's exchange (入金); cash is kept per market. A member pays into its own
    account; the exchange operator records a member's bank transfer (``party``); regulators and auditors
    are refused (403)."""
    ex = svc.hub.get(instrument)
    holder = ex.cash_holder(me, body.party)
    ex.deposit(me, body.amount_fen, party=body.party)
    bal, res = ex.cash(holder)
    return CashRead(market=ex.market, balance_fen=bal, reserved_fen=res)


@router.get("/{instrument}/cash")
def cash(instrument: Instrument, me: Me, svc: Svc) -> CashRead:
    ex = svc.hub.get(instrument)
    bal, res = ex.cash(me.party_id)
    return CashRead(market=ex.market, balance_fen=bal, reserved_fen=res)
