from __future__ import annotations

from pydantic import BaseModel


class ComplianceStatusRead(BaseModel):
    company: str  # its registration id: the unified social credit code where it has one
    company_name: str
    status: str
    code: str
    owed: int | None
    surrendered: int
    shortfall: int


class PenaltyRead(BaseModel):
    company: str
    company_name: str
    kind: str
    shortfall: int
    amount_fen: int
    currency: str
    basis: str
