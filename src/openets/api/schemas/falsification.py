"""Decree 775's data-quality findings: recorded by a regulator, decided by a second one (money in fen,
the cut share a decimal of the allocation)."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from openets.core.numbers import MAX_AMOUNT_FEN  # the bounds the CLI and files use too
from openets.core.text import PRINTABLE

Kind = Literal["not_accounted", "major_defect", "falsified", "no_samples"]  # compliance/sanctions FALSIFICATION_KINDS


class FindingCreate(BaseModel):
    market: str = Field(pattern="^[A-Z]{2,8}$", examples=["CEA"])
    company: str = Field(min_length=1, max_length=32, pattern=PRINTABLE,
                         description="the company's registration id (unified social credit code)")
    year: int = Field(ge=2005, le=2100, description="the year of the emissions report found against")
    kind: Kind = Field(description="what the article lists: not accounted as required, major defects, falsified "
                                   "data, samples not made or submitted")
    basis: str = Field(min_length=1, max_length=2000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$",
                       description="what was found, and where")


class DecisionCreate(BaseModel):
    gains_fen: int = Field(0, ge=0, le=MAX_AMOUNT_FEN, description="the illegal gains found (fen; 0: none)")
    corrected: bool = Field(description="the company corrected its data: no allocation cut")
    multiple: Decimal | None = Field(None, ge=0, le=1000, max_digits=12, decimal_places=6, allow_inf_nan=False,
                                     description="× the gains, in the rule's range (gains at or above its threshold)")
    amount_fen: int | None = Field(None, ge=0, le=MAX_AMOUNT_FEN,
                                   description="the fine in the rule's fixed range (gains none or below the threshold)")
    individual_fen: int | None = Field(None, ge=0, le=MAX_AMOUNT_FEN, description="the responsible individuals' fine")
    cut_share: Decimal | None = Field(None, ge=0, le=1, max_digits=7, decimal_places=6, allow_inf_nan=False,
                                      description="not corrected: the share of the cut year's allocation cut, "
                                                  "in the rule's range (0.5–1)")
    cut_year: int | None = Field(None, ge=2005, le=2100,
                                 description="the allocation year cut (default: the report's year + 1)")


class FindingRead(BaseModel):
    id: int
    market: str
    company: str
    company_name: str
    report_year: int
    kind: str
    basis: str
    status: str = Field(description="found, decided")
    found_by: str
    found_at: str = Field(description="ISO 8601")
    fine_fen: int | None
    individual_fen: int | None
    currency: str = "CNY"
    cut_share: str | None = Field(description="a decimal; null: no cut")
    cut_year: int | None
    cut_quantity: int | None = Field(description="tonnes cut, once the cut year's allocation run applied it")
    cut_run_id: int | None
    decision: str | None = Field(description="the arithmetic, in words")
    decided_by: str | None
    replayed: bool = Field(False, description="this answer replays an earlier request with the same Idempotency-Key")


class FindingPage(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[FindingRead]
