from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field, field_validator

from openets.core.errors import DomainError
from openets.core.numbers import INT64_MAX, MAX_TONNES, parse_decimal  # the bounds the CLI and files use too
from openets.core.text import check_text

NUMERIC = ("output", "local_factor", "capacity_mw", "electricity_mwh", "heat_gj", "heat_supply_ratio", "load_factor")


def _rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Production rows: numeric columns through the bounded parser, text without NUL (ValueError → 422)."""
    for n, row in enumerate(rows):
        for key, value in row.items():
            try:
                check_text(str(key), f"output[{n}] key", max_length=64)
                if key in NUMERIC and value not in (None, ""):
                    parse_decimal(value if isinstance(value, (str, int)) else str(value), f"output[{n}].{key}",
                                  minimum=0, maximum=MAX_TONNES)
                elif isinstance(value, str):
                    check_text(value, f"output[{n}].{key}")
            except DomainError as exc:
                raise ValueError(exc.message) from None
    return rows


class ReportCreate(BaseModel):
    emissions: Decimal = Field(ge=0, le=MAX_TONNES, allow_inf_nan=False, description="tCO2e, as reported")
    output: list[dict[str, Any]] = Field(default_factory=list, max_length=1000,
                                         description="production rows per unit or installation")

    _output = field_validator("output")(_rows)


class Assign(BaseModel):
    verifier_org: int = Field(ge=1, le=INT64_MAX, description="the verifier organisation's party id")


class Verification(BaseModel):
    emissions: Decimal = Field(ge=0, le=MAX_TONNES, allow_inf_nan=False, description="verified tCO2e (possibly corrected)")
    output: list[dict[str, Any]] = Field(default_factory=list, max_length=1000)
    findings: list[tuple[str, str]] = Field(default_factory=list, max_length=200,
                                            description="(severity: major | minor | observation, text)")
    statement: str = Field("verified", max_length=2000)

    _output = field_validator("output")(_rows)


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
