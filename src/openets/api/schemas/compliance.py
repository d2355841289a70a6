from __future__ import annotations

from pydantic import BaseModel


class ComplianceStatusRead(BaseModel):
    company: str
    status: str
    code: str
    owed: int | None
    surrendered: int
    shortfall: int


class PenaltyRead(BaseModel):
    company: str
    kind: str
    shortfall: int
    amount_fen: int
    currency: str
    basis: str
