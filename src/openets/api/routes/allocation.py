"""Allocation results, public as the EU Transaction Log publishes them."""

from fastapi import APIRouter

from openets.api.deps import Limit, MarketCode, Offset, Svc, Year
from openets.api.ids import operation_id
from openets.api.schemas.allocation import AllocationPage, AllocationRead

router = APIRouter(prefix="/allocation", tags=["allocation"], generate_unique_id_function=operation_id)


@router.get("/{market}/{year}")
def allocations(market: MarketCode, year: Year, svc: Svc, offset: Offset = 0, limit: Limit = 100) -> AllocationPage:
    """Allocations issued per company (tonnes), all runs (pre-allocation, final, true-up) summed."""
    svc.registry.rulebook.market(market)
    page = svc.capabilities.issued_allocations(market, year, offset, limit)
    return AllocationPage(market=market, year=year, total=page.total, offset=offset, limit=limit, unit="tCO2e",
                          items=[AllocationRead(company=r.company, allocated=r.allocated) for r in page.rows])
