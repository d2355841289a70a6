from __future__ import annotations

from pydantic import BaseModel


class AuditRead(BaseModel):
    id: int
    at: str  # wall clock, ISO with the market's offset (+08:00)
    market_at: str | None  # the market's clock, when it differed
    user: str | None
    role: str | None
    source: str | None  # api, ui, cli, cli-local-admin
    action: str | None
    target: str
    status: int
    answer: str | None


class AuditPage(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[AuditRead]
