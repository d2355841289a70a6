from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from openets.core.numbers import INT64_MAX, MAX_TONNES  # the bounds the CLI and files use too


class ReportCreate(BaseModel):
    emissions: Decimal = Field(ge=0, le=MAX_TONNES, allow_inf_nan=False, description="tCO2e, as reported")
    output: list[dict[str, Any]] = Field(default_factory=list, max_length=1000,
                                         description="production rows per unit or installation")


class Assign(BaseModel):
    verifier_org: int = Field(ge=1, le=INT64_MAX, description="the verifier organisation's party id")


class Verification(BaseModel):
    emissions: Decimal = Field(ge=0, le=MAX_TONNES, allow_inf_nan=False, description="verified tCO2e (possibly corrected)")
    output: list[dict[str, Any]] = Field(default_factory=list, max_length=1000)
    findings: list[tuple[str, str]] = Field(default_factory=list, max_length=200,
                                            description="(severity: major | minor | observation, text)")
    statement: str = Field("verified", max_length=2000)


class FindingRead(BaseModel):
    severity: str
    text: str


class StepRead(BaseModel):
    event: str
    actor: str
    at: str = Field(description="ISO 8601")


class ReportRead(BaseModel):
    id: int
    market: str
    company: str
    year: int
    state: str
    emissions: str = Field(description="tCO2e, a decimal")
    verified_emissions: str | None
    verifier: str | None
    unit: str
    findings: list[FindingRead]
    trail: list[StepRead]


class ReportSummary(BaseModel):
    id: int
    market: str
    company: str
    year: int
    state: str


class ReportPage(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[ReportSummary]
