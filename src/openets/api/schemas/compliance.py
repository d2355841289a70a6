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


class RateRead(BaseModel):
    count: int  # companies (or tonnes, for the quantity rate) that count as compliant
    of: int  # companies covered (or tonnes owed)
    published: str  # rounded half up to 0.1 %; "-" with nothing to divide by


class RatesRead(BaseModel):
    on_time: RateRead  # surrendered in full by the deadline
    final: RateRead  # on time or late, as things stand
    quantity: RateRead  # tonnes surrendered, up to what each owes, over tonnes owed
