from __future__ import annotations

from pydantic import BaseModel, Field

from openets.core.numbers import MAX_TONNES  # the bounds the CLI and files use too
from openets.core.text import PRINTABLE


class TransferCreate(BaseModel):
    unit_class: str = Field(min_length=1, max_length=64, pattern=PRINTABLE, examples=["BEA-2016"])
    quantity: int = Field(gt=0, le=MAX_TONNES, description="whole tonnes")
    from_account: str = Field(min_length=1, max_length=32, pattern=PRINTABLE)
    to_account: str = Field(min_length=1, max_length=32, pattern=PRINTABLE)


class SurrenderCreate(BaseModel):
    unit_class: str = Field(min_length=1, max_length=64, pattern=PRINTABLE)
    quantity: int = Field(gt=0, le=MAX_TONNES, description="whole tonnes")
    from_account: str = Field(min_length=1, max_length=32, pattern=PRINTABLE)
    compliance_year: int = Field(ge=2005, le=2100)


class LimitCreate(BaseModel):
    kind: str = Field(pattern="^(borrowing|carry_over)$", description="borrowing (for ``year``) or carry_over "
                      "(under the plan of ``year``)")
    market: str = Field(min_length=1, max_length=16, pattern=PRINTABLE, examples=["CEA"])
    year: int = Field(ge=2005, le=2100)
    company: str = Field(min_length=1, max_length=64, pattern=PRINTABLE, description="unified social credit code")


class LimitRead(BaseModel):
    company: str
    account: str
    kind: str
    year: int
    quantity: int
    unit: str = "tCO2e"
    basis: str


class TxnRead(BaseModel):
    txn: int
    type: str
    status: str
    quantity: int
    unit: str = "tCO2e"
    serials: list[list[int]]
    replayed: bool


class BalanceRead(BaseModel):
    unit_class: str
    restriction_id: int
    total: int
    reserved: int
    available: int
    unit: str = "tCO2e"


class ProblemRead(BaseModel):
    code: str = Field(description="the rule broken, stable (e.g. line_without_transaction)")
    subject: str = Field(description="the row concerned (transaction 12, journal row 40, position 3/1/0 …)")
    detail: str


class VerificationRead(BaseModel):
    ok: bool
    checks: list[str]
    transactions: int
    journal_lines: int
    accounts: int
    problems: list[ProblemRead]
    seconds: float
