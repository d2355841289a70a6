"""Read-side queries for the API's capability routes: issued allocations, the emission reports an
actor may see, registered offset projects (each a page and its total), and the readiness probe."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine, Select, func, select, text

from openets.core.actor import Actor, Role
from openets.storage import tables as t

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Page(Generic[R]):
    total: int  # rows in all, not only on this page
    rows: list[R]


@dataclass(frozen=True, slots=True)
class CompanyAllocation:
    company: str
    allocated: int


@dataclass(frozen=True, slots=True)
class ReportHeader:
    id: int
    market: str
    company: str
    year: int
    state: str
    verifier: str | None


@dataclass(frozen=True, slots=True)
class ProjectRow:
    standard: str
    project_id: str
    name: str
    type: str
    market: str
    province: str
    county: str
    crediting_start: str
    crediting_end: str


class CapabilityQueries:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _page(self, q: Select[Any], offset: int, limit: int) -> tuple[int, list[Any]]:
        """One page of a query's rows and how many there are in all."""
        with self.engine.connect() as c:
            total = c.execute(select(func.count()).select_from(q.subquery())).scalar_one()
            return int(total), list(c.execute(q.offset(offset).limit(limit)).all())

    def ready(self) -> None:
        """Raises if the database does not answer or has no schema."""
        with self.engine.connect() as c:
            c.execute(text("SELECT 1 FROM accounts LIMIT 1"))

    def issued_allocations(self, market: str, year: int, offset: int, limit: int) -> Page[CompanyAllocation]:
        """Allocations issued per company (tonnes), all issued runs summed, by company."""
        al, runs = t.allocations, t.allocation_runs
        q = (select(al.c.company, func.sum(al.c.quantity).label("tonnes")).join(runs, runs.c.id == al.c.run_id)
             .where(al.c.market == market, al.c.compliance_year == year, runs.c.status == "issued")
             .group_by(al.c.company).order_by(al.c.company))
        total, rows = self._page(q, offset, limit)
        return Page(total, [CompanyAllocation(r.company, int(r.tonnes)) for r in rows])

    def report_header(self, report_id: int) -> ReportHeader | None:
        er = t.emission_reports
        with self.engine.connect() as c:
            r = c.execute(select(er.c.id, er.c.market, er.c.company, er.c.year, er.c.state, er.c.verifier)
                          .where(er.c.id == report_id)).first()
        return None if r is None else ReportHeader(r.id, r.market, r.company, r.year, r.state, r.verifier)

    def reports_visible_to(self, me: Actor, company_of_me: str | None, *, market: str | None, year: int | None,
                           offset: int, limit: int) -> Page[ReportHeader]:
        """The reports ``me`` may see: a company its own (``company_of_me``), a verifier those assigned
        to it, a regulator its market's, an auditor all."""
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
            q = q.where(er.c.company == (company_of_me or ""))
        total, rows = self._page(q, offset, limit)
        return Page(total, [ReportHeader(r.id, r.market, r.company, r.year, r.state, r.verifier) for r in rows])

    def offset_projects(self, market: str | None, offset: int, limit: int) -> Page[ProjectRow]:
        op = t.offset_projects
        q = select(op).order_by(op.c.id)
        if market:
            q = q.where(op.c.market == market)
        total, rows = self._page(q, offset, limit)
        return Page(total, [ProjectRow(r.standard, r.project_id, r.name, r.type, r.market, r.province, r.county,
                                       r.crediting_start, r.crediting_end) for r in rows])
