from __future__ import annotations

from pydantic import BaseModel, Field

from openets.core.numbers import INT64_MAX, MAX_AMOUNT_FEN, MAX_PRICE_FEN, MAX_TONNES  # the bounds the CLI and files use too
from openets.core.text import PRINTABLE


class OrderCreate(BaseModel):
    account: str = Field(min_length=1, max_length=32, pattern=PRINTABLE,
                         description="your registry account: units come from or go to it")
    side: str = Field(pattern="^(buy|sell)$")
    quantity: int = Field(gt=0, le=MAX_TONNES, description="whole tonnes")
    price_fen: int | None = Field(None, gt=0, le=MAX_PRICE_FEN, description="limit price in fen (CNY); none for market "
                                                                  "and select orders")
    type: str = Field("limit", pattern="^(limit|market|select)$")
    level: int | None = Field(None, ge=1, le=5, description="select (挂牌协议): the quote level, 1 = best")
    client_id: str | None = Field(None, min_length=1, max_length=64, pattern=PRINTABLE)


class Fill(BaseModel):
    price_fen: int
    quantity: int


class OrderRead(BaseModel):
    order_id: int
    status: str
    remaining: int
    reason: str | None
    trades: list[Fill]
    currency: str = "CNY"


class OpenOrderRead(BaseModel):
    order_id: int
    side: str
    price_fen: int | None
    quantity: int
    remaining: int
    client_id: str | None


class CancelRead(BaseModel):
    order_id: int
    status: str


class DepositCreate(BaseModel):
    amount_fen: int = Field(gt=0, le=MAX_AMOUNT_FEN, description="fen (CNY)")
    party: int | None = Field(None, ge=1, le=INT64_MAX, description="The member whose cash it is: the caller's own "
                              "party by default; the exchange operator names the member whose bank transfer it records")


class CashRead(BaseModel):
    market: str
    balance_fen: int
    reserved_fen: int
    currency: str = "CNY"


class InstrumentRead(BaseModel):
    instrument: str
    market: str
    vintage: int
    reference_fen: int | None = Field(description="the last close (fen), once this process has opened the exchange")


class Level(BaseModel):
    price_fen: int
    quantity: int


class BookRead(BaseModel):
    instrument: str
    currency: str
    reference_fen: int | None
    band_fen: list[int | None] = Field(description="[low, high], fen")
    bids: list[Level]
    asks: list[Level]


class TradeRead(BaseModel):
    at: str = Field(description="ISO 8601")
    price_fen: int
    quantity: int
    mode: str


class BarRead(BaseModel):
    start: str = Field(description="ISO 8601, Asia/Shanghai")
    open: int
    high: int
    low: int
    close: int
    volume: int
    turnover_fen: int
