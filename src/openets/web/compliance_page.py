"""The compliance year's page: every company's status for the market's regulators and auditors —
searched (name or credit code), filtered by status, sorted, paged, exported as CSV or a typed Excel workbook — with the deadline
and the time the figures are as of; for everyone the published non-compliance list, with names."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import FastAPI, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from openets.compliance.core import Rates, rates
from openets.core.actor import Actor
from openets.core.clock import MARKET_TZ
from openets.core.errors import DomainError
from openets.core.text import check_text
from openets.reports.compliance_export import COMPANIES, compliance_xlsx
from openets.reports.excel import typed_cell
from openets.services.names import NO_CODE, company_names
from openets.web.i18n import page_lang

if TYPE_CHECKING:
    from openets.services.registry import RegistryService

PER_PAGE = 50
Text = Annotated[str, Query(max_length=64)]
SORTS = {"company": lambda r: r["company"], "name": lambda r: r["name"], "status": lambda r: (r["status"], r["company"]),
         "shortfall": lambda r: (-r["shortfall"], r["company"])}


def select_rows(rows: list[dict[str, Any]], *, q: str, status: str, sort: str) -> list[dict[str, Any]]:
    """The rows matching the search (a part of the name or code) and the status, in the sort's order."""
    needle = q.strip().lower()
    got = [r for r in rows if (not needle or needle in r["company"].lower() or needle in r["name"].lower())
           and (not status or r["status"] == status)]
    return sorted(got, key=SORTS.get(sort, SORTS["company"]))


def mount_compliance(app: FastAPI, *, registry: RegistryService, who: Callable[[Request], Actor | None],
                     page: Callable[..., HTMLResponse], yuan: Callable[[int | None], str]) -> None:
    from openets.services.compliance import CompanyStatus, ComplianceService, Consequences

    def statuses(me: Actor | None, market: str, year: int,
                 rows: list[CompanyStatus] | None = None) -> list[dict[str, Any]] | None:
        if me is None or not me.oversees(market):
            return None
        rows = ComplianceService(registry).statuses(market, year) if rows is None else rows
        names = company_names(registry.engine, (s.company for s in rows))
        return [{"company": s.company, "name": names.get(s.company, NO_CODE), "status": s.status.code,
                 "owed": s.status.owed, "surrendered": s.status.surrendered, "shortfall": s.status.shortfall}
                for s in rows]

    @app.get("/ui/compliance/{market}/{year}", response_class=HTMLResponse, include_in_schema=False)
    def compliance(request: Request, market: str, year: Annotated[int, Path(ge=2005, le=2100)], q: Text = "",
                   status: Text = "", sort: Text = "company",
                   page_no: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1) -> HTMLResponse:
        registry.rulebook.market(market)
        check_text(q, "q", max_length=64)
        me = who(request)
        cs = ComplianceService(registry)
        try:  # computed once: the table and the rates come from the same statuses
            computed: list[CompanyStatus] | None = cs.statuses(market, year)
        except DomainError:
            computed = None
        all_rows = statuses(me, market, year, computed)
        shown, total, pages, codes = None, 0, 1, []
        if all_rows is not None:
            codes = sorted({r["status"] for r in all_rows})
            chosen = select_rows(all_rows, q=q, status=status, sort=sort)
            total = len(chosen)
            pages = max(1, -(-total // PER_PAGE))
            shown = chosen[(page_no - 1) * PER_PAGE:page_no * PER_PAGE]
        listed = Consequences(registry).published(market, year)
        names = company_names(registry.engine, (p.company for p in listed))
        published = [{"company": p.company, "name": names.get(p.company, NO_CODE), "kind": p.kind,
                      "shortfall": p.shortfall, "amount": yuan(p.amount_fen)} for p in listed]
        got = rates([s.status for s in computed]) if computed is not None else None
        rate: Rates | str = got if got is not None and got.on_time.covered else "—"
        try:
            deadline, order_deadline = cs.deadlines(market, year)
        except DomainError:
            deadline, order_deadline = None, None
        now = registry.clock.now()
        fines = [p for p in listed if p.kind == "fine"]
        return page(request, "compliance.html", me=me, market=market, year=year, rate=rate, published=published,
                    fines=len(fines), fines_total=yuan(sum(p.amount_fen for p in fines)),
                    is_published=any(p.kind == "listed" for p in listed),
                    rows=shown, total=total, pages=pages, page_no=page_no, codes=codes,
                    filters={"q": q, "status": status, "sort": sort},
                    deadline=deadline.astimezone(MARKET_TZ).strftime("%Y-%m-%d") if deadline else "—",
                    order_deadline=order_deadline.astimezone(MARKET_TZ).strftime("%Y-%m-%d") if order_deadline else "—",
                    days_left=(deadline - now).days if deadline and deadline > now else 0,
                    as_of=now.astimezone(MARKET_TZ).strftime("%Y-%m-%d %H:%M"))

    def chosen(request: Request, market: str, year: int, q: str, status: str, sort: str,
               computed: list[CompanyStatus] | None = None) -> list[dict[str, Any]]:
        registry.rulebook.market(market)
        rows = statuses(who(request), market, year, computed)
        if rows is None:
            raise DomainError("forbidden", "the companies' statuses are for the market's regulators and auditors")
        return select_rows(rows, q=q, status=status, sort=sort)

    @app.get("/ui/compliance/{market}/{year}/export.csv", include_in_schema=False)
    def export(request: Request, market: str, year: Annotated[int, Path(ge=2005, le=2100)], q: Text = "",
               status: Text = "", sort: Text = "company") -> Response:
        out = io.StringIO()
        writer = csv.writer(out)
        lang = page_lang(request)  # one language, the page's
        writer.writerow([c.title(lang) for c in COMPANIES])  # the workbook's columns, plain
        for r in chosen(request, market, year, q, status, sort):
            writer.writerow(["" if v is None else v for v in (typed_cell(c, r.get(c.key), lang) for c in COMPANIES)])
        return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8",  # BOM: Excel reads UTF-8
                        headers={"Content-Disposition": f'attachment; filename="compliance-{market}-{year}.csv"'})

    @app.get("/ui/compliance/{market}/{year}/export.xlsx", include_in_schema=False)
    def export_xlsx(request: Request, market: str, year: Annotated[int, Path(ge=2005, le=2100)], q: Text = "",
                    status: Text = "", sort: Text = "company") -> Response:
        cs = ComplianceService(registry)
        # the statuses computed once: the companies' sheet and the year's rates come from the same ones
        registry.rulebook.market(market)
        me = who(request)
        computed = cs.statuses(market, year) if me is not None and me.oversees(market) else []
        rows = chosen(request, market, year, q, status, sort, computed)  # refuses anyone else
        got = rates([s.status for s in computed])
        try:
            deadline = cs.deadlines(market, year)[0].astimezone(MARKET_TZ).date()
        except DomainError:
            deadline = None
        published = (got.on_time.as_published(1), got.final.as_published(1), got.quantity.as_published(1)) \
            if got.on_time.covered and deadline else None
        body = compliance_xlsx(rows, market=market, year=year, deadline=deadline,
                               as_of=registry.clock.now().astimezone(MARKET_TZ), rates=published,
                               lang=page_lang(request))
        return Response(body, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="compliance-{market}-{year}.xlsx"'})
