from __future__ import annotations

from pydantic import BaseModel


class ProjectRead(BaseModel):
    standard: str
    project_id: str
    name: str
    type: str
    market: str
    province: str
    county: str
    crediting_start: str
    crediting_end: str


class ProjectPage(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[ProjectRead]


class EligibilityRead(BaseModel):
    credit: str
    usable: int
    counts_for: str
    reasons: list[str]
