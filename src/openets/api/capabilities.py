"""Routes for allocation results, MRV reports and their verification, primary auctions and offsets:
thin (parse, call a service, map errors), authorisation in the services and ``services.access``.
(No ``from __future__ import annotations`` here: FastAPI must see the local ``Me`` dependency.)"""

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Path, Query
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from openets.core.actor import Actor, Role
from openets.core.errors import DomainError, NotFound
from openets.services.access import may_see_report, visible_account
from openets.services.registry import RegistryService
from openets.storage import tables as t

Year = Annotated[int, Path(ge=2005, le=2100)]
Offset = Annotated[int, Query(ge=0, le=10**9)]
Limit = Annotated[int, Query(ge=1, le=1000)]
Id = Annotated[int, Path(ge=1, le=2**53, description="a record's id")]
MARKET = "^[A-Z]{2,8}$"
Market = Annotated[str, Path(pattern=MARKET, description="a market code: CEA, BJ, SH …")]
MarketQ = Annotated[str | None, Query(pattern=MARKET)]


class ReportCreate(BaseModel):
    emissions: Decimal = Field(ge=0, le=10**12, description="tCO2e, as reported")
    output: list[dict[str, Any]] = Field(default_factory=list, max_length=1000,
                                         description="production rows per unit or installation")


class Assign(BaseModel):
    verifier_org: int = Field(ge=1, description="the verifier organisation's party id")


class Verification(BaseModel):
    emissions: Decimal = Field(ge=0, le=10**12, description="verified tCO2e (possibly corrected)")
    output: list[dict[str, Any]] = Field(default_factory=list, max_length=1000)
    findings: list[tuple[str, str]] = Field(default_factory=list, max_length=200,
                                            description="(severity: major | minor | observation, text)")
    statement: str = Field("verified", max_length=2000)


class NoticeCreate(BaseModel):
    rules: dict[str, Any] = Field(description="the notice's [auction] table (see src/openets/rules/data/auctions)")
    unit_class: str = Field(min_length=1, max_length=64)
    restriction_id: int = Field(0, ge=0, le=2**31)


class BidCreate(BaseModel):
    bid_id: str = Field("1", min_length=1, max_length=32)
    price_fen: int = Field(gt=0, le=10**9, description="fen per tonne (CNY)")
    quantity: int = Field(gt=0, le=10**12, description="whole tonnes")


def _page(registry: RegistryService, q: Any, offset: int, limit: int) -> tuple[int, list[Any]]:
    """One page of a query's rows and how many there are in all."""
    with registry.engine.connect() as c:
        total = c.execute(select(func.count()).select_from(q.subquery())).scalar_one()
        return int(total), c.execute(q.offset(offset).limit(limit)).all()


def mount_capabilities(app: FastAPI, *, registry: RegistryService, current: Callable[..., Actor]) -> None:
    from openets.services.auctions import AuctionService
    from openets.services.reports import ReportService

    Me = Annotated[Actor, Depends(current)]
    reports = ReportService(registry)
    auctions = AuctionService(registry)

    # -- allocation (public results, as the EU Transaction Log publishes them) -------------------------
    @app.get("/allocation/{market}/{year}")
    def allocations(market: Market, year: Year, offset: Offset = 0, limit: Limit = 100) -> dict[str, object]:
        """Allocations issued per company (tonnes), all runs (pre-allocation, final, true-up) summed."""
        registry.rulebook.market(market)
        al, runs = t.allocations, t.allocation_runs
        q = (select(al.c.company, func.sum(al.c.quantity).label("tonnes")).join(runs, runs.c.id == al.c.run_id)
             .where(al.c.market == market, al.c.compliance_year == year, runs.c.status == "issued")
             .group_by(al.c.company).order_by(al.c.company))
        total, rows = _page(registry, q, offset, limit)
        return {"market": market, "year": year, "total": total, "offset": offset, "limit": limit, "unit": "tCO2e",
                "items": [{"company": r.company, "allocated": int(r.tonnes)} for r in rows]}

    # -- MRV -------------------------------------------------------------------------------------------
    def report_view(report_id: int, me: Actor) -> dict[str, object]:
        with registry.engine.connect() as c:
            row = c.execute(select(t.emission_reports).where(t.emission_reports.c.id == report_id)).first()
        if row is None or not may_see_report(registry, me, market=row.market, company=row.company,
                                             verifier=row.verifier):
            raise NotFound("report", report_id)
        r = reports.get(report_id)
        return {"id": report_id, "market": row.market, "company": r.company, "year": r.year, "state": r.state,
                "emissions": str(r.emissions), "verified_emissions": None if r.verified_emissions is None
                else str(r.verified_emissions), "verifier": r.verifier, "unit": "tCO2e",
                "findings": [{"severity": f.severity, "text": f.text} for f in r.findings],
                "trail": [{"event": s.event, "actor": s.actor, "at": s.at.isoformat()} for s in r.trail]}

    @app.post("/mrv/{market}/{year}/reports", status_code=201)
    def file_report(market: Market, year: Year, body: ReportCreate, me: Me) -> dict[str, object]:
        """A company files its report for the year."""
        rid = reports.submit(me, market=market, year=year, emissions=body.emissions, output=body.output)
        return report_view(rid, me)

    @app.get("/mrv/reports")
    def list_reports(me: Me, market: MarketQ = None, year: Annotated[int | None, Query(ge=2005, le=2100)] = None,
                     offset: Offset = 0, limit: Limit = 100) -> dict[str, object]:
        """The reports you may see: a company its own, a verifier those assigned to it, a regulator its
        market's, an auditor all."""
        er = t.emission_reports
        q = select(er.c.id, er.c.market, er.c.company, er.c.year, er.c.state, er.c.verifier).order_by(er.c.id)
        if market:
            q = q.where(er.c.market == market)
        if year:
            q = q.where(er.c.year == year)
        if me.role is Role.VERIFIER:
            q = q.where(er.c.verifier == str(me.party_id))
        elif me.role is Role.REGULATOR:
            q = q.where(er.c.market == me.market)
        elif me.role is not Role.AUDITOR:
            q = q.where(er.c.company == (registry.registration_id(me.party_id) or ""))
        total, rows = _page(registry, q, offset, limit)
        return {"total": total, "offset": offset, "limit": limit,
                "items": [{"id": r.id, "market": r.market, "company": r.company, "year": r.year, "state": r.state}
                          for r in rows]}

    @app.get("/mrv/reports/{report_id}")
    def get_report(report_id: Id, me: Me) -> dict[str, object]:
        return report_view(report_id, me)

    @app.post("/mrv/reports/{report_id}/assign")
    def assign(report_id: Id, body: Assign, me: Me) -> dict[str, object]:
        """The market's regulator assigns a verifier organisation (conflicts of interest checked)."""
        report_view(report_id, me)
        reports.assign(me, report_id, str(body.verifier_org))
        return report_view(report_id, me)

    @app.post("/mrv/reports/{report_id}/start")
    def start(report_id: Id, me: Me) -> dict[str, object]:
        report_view(report_id, me)
        reports.step(me, report_id, "start_verification")
        return report_view(report_id, me)

    @app.post("/mrv/reports/{report_id}/verify")
    def verify(report_id: Id, body: Verification, me: Me) -> dict[str, object]:
        from openets.mrv.documents import Finding

        report_view(report_id, me)
        bad = [s for s, _ in body.findings if s not in ("major", "minor", "observation")]
        if bad:
            raise DomainError("finding_invalid", f"a finding's severity is major, minor or observation, not {bad[0]!r}")
        reports.verify(me, report_id, emissions=body.emissions, output=body.output,
                       findings=[Finding(s, x) for s, x in body.findings], statement=body.statement)
        return report_view(report_id, me)

    @app.post("/mrv/reports/{report_id}/confirm")
    def confirm(report_id: Id, me: Me) -> dict[str, object]:
        report_view(report_id, me)
        reports.step(me, report_id, "confirm")
        return report_view(report_id, me)

    # -- auctions --------------------------------------------------------------------------------------
    @app.post("/auctions", status_code=201)
    def announce(body: NoticeCreate, me: Me) -> dict[str, object]:
        """The market's regulator announces an auction of units already in its auction account."""
        return auctions.results(auctions.announce(me, body.rules, unit_class=body.unit_class,
                                                  restriction_id=body.restriction_id))

    @app.post("/auctions/{notice_id}/reserve")
    def publish_reserve(notice_id: Id, me: Me) -> dict[str, object]:
        """Compute and publish the reserve price by the notice's rule, from the market's own trades."""
        return {"notice": notice_id, "reserve_fen": auctions.publish_reserve(me, notice_id), "currency": "CNY"}

    @app.post("/auctions/{notice_id}/close")
    def close(notice_id: Id, me: Me) -> dict[str, object]:
        """After the window: clear, deliver, collect, refund, book the revenue; the public result."""
        return auctions.close(me, notice_id)

    @app.get("/auctions/{notice_id}")
    def auction(notice_id: Id) -> dict[str, object]:
        """Public: the notice and, once settled, its result (never an individual bid)."""
        return auctions.results(notice_id)

    @app.post("/auctions/{notice_id}/bids", status_code=201)
    def bid(notice_id: Id, body: BidCreate, me: Me) -> dict[str, object]:
        """Submit or revise your sealed bid inside the window."""
        return auctions.bid(me, notice_id, bid_id=body.bid_id, price_fen=body.price_fen, quantity=body.quantity)

    # -- offsets ---------------------------------------------------------------------------------------
    @app.get("/offsets/projects")
    def projects(market: MarketQ = None, offset: Offset = 0, limit: Limit = 100) -> dict[str, object]:
        """Public: registered offset projects (type, location down to county, crediting period)."""
        op = t.offset_projects
        q = select(op).order_by(op.c.id)
        if market:
            q = q.where(op.c.market == market)
        total, rows = _page(registry, q, offset, limit)
        return {"total": total, "offset": offset, "limit": limit, "items": [
            {"standard": r.standard, "project_id": r.project_id, "name": r.name, "type": r.type, "market": r.market,
             "province": r.province, "county": r.county, "crediting_start": r.crediting_start,
             "crediting_end": r.crediting_end} for r in rows]}

    @app.get("/offsets/eligibility/{account}")
    def eligibility(account: Annotated[str, Path(max_length=32)], year: Annotated[int, Query(ge=2005, le=2100)],
                    on: date, basis: Annotated[int, Query(ge=0, le=10**12)], me: Me) -> list[dict[str, object]]:
        """For each credit your account holds: whether it counts for ``year``'s compliance, and why not."""
        from openets.services.offsets import OffsetService

        visible_account(registry, me, account)
        return [{"credit": v.credit_id, "usable": v.usable, "counts_for": str(v.counts_for), "reasons": list(v.reasons)}
                for v in OffsetService(registry).eligibility(account, year=year, on=on, basis=basis)]
