from __future__ import annotations

from pydantic import BaseModel


class AllocationRead(BaseModel):
    company: str
    allocated: int


class AllocationPage(BaseModel):
    market: str
    year: int
    total: int
    offset: int
    limit: int
    unit: str
    items: list[AllocationRead]
