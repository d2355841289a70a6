"""Auction answers. The result's clearing fields appear only once the auction is settled (and the
close's ``auction``/``revenue_fen`` only when units sold): their routes leave unset fields out."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from openets.core.numbers import MAX_PRICE_FEN, MAX_TONNES  # the bounds the CLI and files use too
from openets.core.text import PRINTABLE


class NoticeCreate(BaseModel):
    rules: dict[str, Any] = Field(description="the notice's [auction] table (see src/openets/rules/data/auctions)")
    unit_class: str = Field(min_length=1, max_length=64, pattern=PRINTABLE)
    restriction_id: int = Field(0, ge=0, le=2**31 - 1)


class BidCreate(BaseModel):
    bid_id: str = Field("1", min_length=1, max_length=32, pattern=PRINTABLE)
    price_fen: int = Field(gt=0, le=MAX_PRICE_FEN, description="fen per tonne (CNY)")
    quantity: int = Field(gt=0, le=MAX_TONNES, description="whole tonnes")


class AuctionRead(BaseModel):
    notice: int
    market: str
    document: str
    status: str
    volume: int
    reserve_fen: int | None
    clearing_price_fen: int | None = Field(None, description="once settled")
    volume_sold_t: int | None = Field(None, description="once settled")
    bidders: int | None = Field(None, description="once settled")
    winners: int | None = Field(None, description="once settled")
    cover_ratio: str | None = Field(None, description="once settled")
    revenue_fen: int | None = Field(None, description="once settled")


class AuctionCloseRead(BaseModel):
    clearing_price_fen: int | None
    volume_sold_t: int
    bidders: int
    winners: int
    cover_ratio: str
    cancelled: str | None
    notice: int
    auction: int | None = Field(None, description="when units sold")
    reserve_fen: int | None
    revenue_fen: int | None = Field(None, description="when units sold")


class ReserveRead(BaseModel):
    notice: int
    reserve_fen: int
    currency: str


class BidRead(BaseModel):
    notice: int
    bid_id: str
    price_fen: int
    quantity: int
    deposit_fen: int
    revision: bool
