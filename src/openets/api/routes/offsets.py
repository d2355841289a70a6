"""Offsets: the public project register and, for your account, which credits count for a year."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query

from openets.api.deps import Limit, MarketQ, Me, Offset, Svc
from openets.api.ids import operation_id
from openets.api.schemas.offsets import EligibilityRead, ProjectPage, ProjectRead
from openets.services.access import visible_account
from openets.services.offsets import OffsetService

router = APIRouter(prefix="/offsets", tags=["offsets"], generate_unique_id_function=operation_id)


@router.get("/projects")
def projects(svc: Svc, market: MarketQ = None, offset: Offset = 0, limit: Limit = 100) -> ProjectPage:
    """Public: registered offset projects (type, location down to county, crediting period)."""
    page = svc.capabilities.offset_projects(market, offset, limit)
    return ProjectPage(total=page.total, offset=offset, limit=limit, items=[
        ProjectRead(standard=r.standard, project_id=r.project_id, name=r.name, type=r.type, market=r.market,
                    province=r.province, county=r.county, crediting_start=r.crediting_start,
                    crediting_end=r.crediting_end) for r in page.rows])


@router.get("/eligibility/{account}")
def eligibility(account: Annotated[str, Path(max_length=32)], year: Annotated[int, Query(ge=2005, le=2100)],
                on: date, basis: Annotated[int, Query(ge=0, le=10**12)], me: Me, svc: Svc) -> list[EligibilityRead]:
    """For each credit your account holds: whether it counts for ``year``'s compliance, and why not."""
    visible_account(svc.registry, me, account)
    return [EligibilityRead(credit=v.credit_id, usable=v.usable, counts_for=str(v.counts_for), reasons=list(v.reasons))
            for v in OffsetService(svc.registry).eligibility(account, year=year, on=on, basis=basis)]
