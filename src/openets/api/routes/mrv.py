"""MRV: a company files its emission report; the regulator assigns a verifier, who verifies; the
regulator confirms. Each actor sees only the reports it may (others answer 404, as if absent)."""

from typing import Annotated

from fastapi import APIRouter, Query

from openets.api.deps import Id, Limit, MarketCode, MarketQ, Me, Offset, Svc, Year
from openets.api.ids import operation_id
from openets.api.schemas.mrv import (
    Assign,
    FindingRead,
    ReportCreate,
    ReportPage,
    ReportRead,
    ReportSummary,
    StepRead,
    Verification,
)
from openets.core.actor import Actor, Role
from openets.core.errors import DomainError, NotFound
from openets.mrv.documents import Finding
from openets.services.access import may_see_report

router = APIRouter(prefix="/mrv", tags=["mrv"], generate_unique_id_function=operation_id)


def _view(svc: Svc, report_id: int, me: Actor) -> ReportRead:
    """The report as ``me`` may see it (NotFound when not theirs to see)."""
    head = svc.capabilities.report_header(report_id)
    if head is None or not may_see_report(svc.registry, me, market=head.market, company=head.company,
                                          verifier=head.verifier):
        raise NotFound("report", report_id)
    r = svc.reports.get(report_id)
    return ReportRead(id=report_id, market=head.market, company=r.company, year=r.year, state=r.state,
                      emissions=str(r.emissions),
                      verified_emissions=None if r.verified_emissions is None else str(r.verified_emissions),
                      verifier=r.verifier, unit="tCO2e",
                      findings=[FindingRead(severity=f.severity, text=f.text) for f in r.findings],
                      trail=[StepRead(event=s.event, actor=s.actor, at=s.at.isoformat()) for s in r.trail])


@router.post("/{market}/{year}/reports", status_code=201)
def file_report(market: MarketCode, year: Year, body: ReportCreate, me: Me, svc: Svc) -> ReportRead:
    """A company files its report for the year."""
    rid = svc.reports.submit(me, market=market, year=year, emissions=body.emissions, output=body.output)
    return _view(svc, rid, me)


@router.get("/reports")
def list_reports(me: Me, svc: Svc, market: MarketQ = None, year: Annotated[int | None, Query(ge=2005, le=2100)] = None,
                 offset: Offset = 0, limit: Limit = 100) -> ReportPage:
    """The reports you may see: a company its own, a verifier those assigned to it, a regulator its
    market's, an auditor all."""
    by_role = me.role in (Role.VERIFIER, Role.REGULATOR, Role.AUDITOR)  # others see their company's
    mine = None if by_role else svc.registry.registration_id(me.party_id)
    page = svc.capabilities.reports_visible_to(me, mine, market=market, year=year, offset=offset, limit=limit)
    return ReportPage(total=page.total, offset=offset, limit=limit, items=[
        ReportSummary(id=r.id, market=r.market, company=r.company, year=r.year, state=r.state) for r in page.rows])


@router.get("/reports/{report_id}")
def get_report(report_id: Id, me: Me, svc: Svc) -> ReportRead:
    return _view(svc, report_id, me)


@router.post("/reports/{report_id}/assign")
def assign(report_id: Id, body: Assign, me: Me, svc: Svc) -> ReportRead:
    """The market's regulator assigns a verifier organisation (conflicts of interest checked)."""
    _view(svc, report_id, me)
    svc.reports.assign(me, report_id, str(body.verifier_org))
    return _view(svc, report_id, me)


@router.post("/reports/{report_id}/start")
def start(report_id: Id, me: Me, svc: Svc) -> ReportRead:
    _view(svc, report_id, me)
    svc.reports.step(me, report_id, "start_verification")
    return _view(svc, report_id, me)


@router.post("/reports/{report_id}/verify")
def verify(report_id: Id, body: Verification, me: Me, svc: Svc) -> ReportRead:
    _view(svc, report_id, me)
    bad = [s for s, _ in body.findings if s not in ("major", "minor", "observation")]
    if bad:
        raise DomainError("finding_invalid", f"a finding's severity is major, minor or observation, not {bad[0]!r}")
    svc.reports.verify(me, report_id, emissions=body.emissions, output=body.output,
                       findings=[Finding(s, x) for s, x in body.findings], statement=body.statement)
    return _view(svc, report_id, me)


@router.post("/reports/{report_id}/confirm")
def confirm(report_id: Id, me: Me, svc: Svc) -> ReportRead:
    _view(svc, report_id, me)
    svc.reports.step(me, report_id, "confirm")
    return _view(svc, report_id, me)
