"""Compliance: each company's status for a year (by role) and the public penalties."""

from fastapi import APIRouter

from openets.api.deps import MarketCode, Me, Svc, Year
from openets.api.ids import operation_id
from openets.api.schemas.compliance import ComplianceStatusRead, PenaltyRead, RateRead, RatesRead
from openets.compliance.core import Rate
from openets.services.compliance import ComplianceService, Consequences
from openets.services.names import NO_CODE, company_names

router = APIRouter(prefix="/compliance", tags=["compliance"], generate_unique_id_function=operation_id)


@router.get("/{market}/{year}/statuses")
def statuses(market: MarketCode, year: Year, me: Me, svc: Svc) -> list[ComplianceStatusRead]:
    """Regulators of the market and auditors see every company; a company sees its own."""
    rows = ComplianceService(svc.registry).statuses(market, year)
    if not me.oversees(market):
        mine = svc.registry.registration_id(me.party_id)
        rows = [r for r in rows if r.company == mine]
    names = company_names(svc.registry.engine, (r.company for r in rows))
    return [ComplianceStatusRead(company=r.company, company_name=names.get(r.company, NO_CODE), status=r.status.code,
                                 code=r.status.letter, owed=r.status.owed,
                                 surrendered=r.status.surrendered, shortfall=r.status.shortfall) for r in rows]


@router.get("/{market}/{year}/published")
def published(market: MarketCode, year: Year, svc: Svc) -> list[PenaltyRead]:
    """Public: the non-compliance list and fines (amounts in fen, CNY)."""
    svc.registry.rulebook.market(market)
    listed = Consequences(svc.registry).published(market, year)
    names = company_names(svc.registry.engine, (p.company for p in listed))
    return [PenaltyRead(company=p.company, company_name=names.get(p.company, NO_CODE), kind=p.kind,
                        shortfall=p.shortfall, amount_fen=p.amount_fen, currency="CNY", basis=p.basis) for p in listed]


@router.get("/{market}/{year}/rates")
def rates(market: MarketCode, year: Year, svc: Svc) -> RatesRead:
    """Public: the compliance rates as a regulator publishes them — on time, final and by quantity."""
    got = ComplianceService(svc.registry).rates(market, year)

    def read(r: Rate) -> RateRead:
        return RateRead(count=r.compliant, of=r.covered, published=r.as_published(1))

    return RatesRead(on_time=read(got.on_time), final=read(got.final), quantity=read(got.quantity))
