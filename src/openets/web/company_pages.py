"""A covered company's pages: holdings with their serial blocks, an account's statement (账户流水,
paged, CSV), obligations with the deadline and days left, orders with their fills (成交回报), MRV
reports uploaded from the Excel template with status and findings. Transfer and surrender, with their
confirmation step, are in :mod:`openets.web.company_actions`. Another company's account, order or
report is "not found", as in the API (services.access)."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path as FsPath
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import FastAPI, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from openets.core.actor import Actor
from openets.core.clock import MARKET_TZ
from openets.core.errors import DomainError, NotFound
from openets.core.numbers import parse_int
from openets.services.access import may_see_report, visible_account
from openets.services.capability_queries import CapabilityQueries
from openets.services.company_queries import CompanyQueries
from openets.services.names import NO_CODE, company_names
from openets.web.i18n import phrases_for

if TYPE_CHECKING:
    from openets.services.queries import RegistryQueries
    from openets.services.registry import RegistryService

PER_PAGE = 50
MAX_WORKBOOK = 5 * 1024 * 1024  # bytes: a report workbook is a few sheets; more is refused before it is read
PageNo = Annotated[int, Query(alias="page", ge=1, le=100_000)]
Id = Annotated[int, Path(ge=1, le=2**53)]


def obligations(registry: RegistryService, party_id: int) -> list[dict[str, Any]]:
    """The company's obligation for every year it has a report in: status, owed, surrendered,
    shortfall, its deadline (Beijing time) and the calendar days left to it, what it surrendered."""
    from openets.services.compliance import ComplianceService
    from openets.services.web_queries import WebQueries

    reg_id = registry.registration_id(party_id)
    if not reg_id:
        return []
    cs, q = ComplianceService(registry), CompanyQueries(registry.engine)
    today = registry.clock.now().astimezone(MARKET_TZ).date()
    out = []
    for market, year in sorted(WebQueries(registry.engine).company_report_years(reg_id)):
        try:
            got = next((s.status for s in cs.statuses(market, year, company=reg_id) if s.company == reg_id), None)
            deadline = cs.deadline_for(market, year, reg_id)
        except DomainError:
            continue  # no compliance rules for that year: nothing owed to show
        if got is None:
            continue
        local = deadline.astimezone(MARKET_TZ)
        out.append({"market": market, "year": year, "status": got.code, "owed": got.owed,
                    "surrendered": got.surrendered, "shortfall": got.shortfall,
                    "deadline": local.strftime("%Y-%m-%d %H:%M"), "days_left": max(0, (local.date() - today).days),
                    "surrenders": q.surrenders(party_id, market, year)})
    return out


def mount_company(app: FastAPI, *, registry: RegistryService, queries: RegistryQueries,
                  who: Callable[[Request], Actor | None], page: Callable[..., HTMLResponse],
                  yuan: Callable[[int | None], str], local_time: Callable[[datetime], str]) -> None:
    from openets.services.reports import ReportService

    cq, caps = CompanyQueries(registry.engine), CapabilityQueries(registry.engine)

    def to_login() -> RedirectResponse:
        return RedirectResponse("/ui/login", status_code=303)

    @app.get("/ui/company/holdings", response_class=HTMLResponse, include_in_schema=False)
    def holdings(request: Request) -> Response:
        me = who(request)
        if me is None:
            return to_login()
        blocks: dict[tuple[str, str, int], list[str]] = {}
        for b in cq.blocks(me.party_id):
            blocks.setdefault((b.account, b.unit_class, b.restriction_id), []).append(
                f"{b.start:,}–{b.end:,}" if b.end != b.start else f"{b.start:,}")
        rows = [{"account": h.account, "unit_class": h.unit_class, "restricted": bool(h.restriction_id),
                 "total": h.total, "reserved": h.reserved, "available": h.available,
                 "blocks": blocks.get((h.account, h.unit_class, h.restriction_id), [])}
                for h in queries.holdings(me.party_id)]
        return page(request, "company_holdings.html", me=me, rows=rows)

    def statement_lines(me: Actor, number: str, offset: int, limit: int) -> tuple[int, list[dict[str, Any]]]:
        acc = visible_account(registry, me, number)  # another company's account: not found
        total, lines = cq.statement(acc.id, offset=offset, limit=limit)
        return total, [{"at": local_time(x.at), "txn": x.txn, "type": x.type, "unit_class": x.unit_class,
                        "change": x.change, "balance": x.balance_after, "counter": x.counter_account or "—",
                        "holder": x.counter_holder or ""} for x in lines]

    @app.get("/ui/company/statement/{number}", response_class=HTMLResponse, include_in_schema=False)
    def statement(request: Request, number: Annotated[str, Path(max_length=32)], page_no: PageNo = 1) -> Response:
        me = who(request)
        if me is None:
            return to_login()
        total, lines = statement_lines(me, number, (page_no - 1) * PER_PAGE, PER_PAGE)
        return page(request, "company_statement.html", me=me, number=number, lines=lines, total=total,
                    page_no=page_no, pages=max(1, -(-total // PER_PAGE)))

    @app.get("/ui/company/statement/{number}/export.csv", include_in_schema=False)
    def statement_csv(request: Request, number: Annotated[str, Path(max_length=32)]) -> Response:
        me = who(request)
        if me is None:
            return to_login()
        _, lines = statement_lines(me, number, 0, 1_000_000)
        out = io.StringIO()
        writer = csv.writer(out)
        tr = phrases_for(request)  # one language: the page's
        writer.writerow([f"{tr.word('time')} ({tr.word('beijing_time')})",
                         *(tr.word(k) for k in ("txn", "kind", "unit_class", "change", "balance_after",
                                                "counter_account", "counter_holder"))])
        for x in lines:
            writer.writerow([x["at"], x["txn"], tr.name("tx", x["type"]), x["unit_class"], x["change"], x["balance"],
                             x["counter"], x["holder"]])
        return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8",  # BOM: Excel reads UTF-8
                        headers={"Content-Disposition": f'attachment; filename="statement-{number}.csv"'})

    @app.get("/ui/company/obligations", response_class=HTMLResponse, include_in_schema=False)
    def obligations_page(request: Request) -> Response:
        me = who(request)
        if me is None:
            return to_login()
        rows = obligations(registry, me.party_id)
        for o in rows:
            o["surrenders"] = [{"txn": s.txn, "account": s.account, "unit_class": s.unit_class, "quantity": s.quantity,
                                "at": local_time(s.at), "reversed": s.reversed} for s in o["surrenders"]]
        return page(request, "company_obligations.html", me=me, rows=rows,
                    as_of=local_time(registry.clock.now()))

    def fill_rows(fills: list[Any]) -> list[dict[str, Any]]:
        return [{"trade": f.trade, "order": f.order, "instrument": f.instrument, "side": f.side,
                 "price": yuan(f.price_fen), "quantity": f.quantity, "amount": yuan(f.amount_fen), "fee": yuan(f.fee_fen),
                 "at": local_time(f.at), "mode": f.mode, "settled": f.settled, "due_day": f.due_day or ""}
                for f in fills]

    def order_row(o: Any) -> dict[str, Any]:
        return {"id": o.id, "instrument": o.instrument, "account": o.account, "side": o.side, "type": o.type,
                "price": yuan(o.price_fen) if o.type == "limit" else "—", "quantity": o.quantity,
                "filled": o.quantity - o.remaining, "status": o.status, "reason": o.reason or "", "at": local_time(o.at)}

    @app.get("/ui/company/orders", response_class=HTMLResponse, include_in_schema=False)
    def orders(request: Request, page_no: PageNo = 1) -> Response:
        me = who(request)
        if me is None:
            return to_login()
        total, rows = cq.orders(me.party_id, offset=(page_no - 1) * PER_PAGE, limit=PER_PAGE)
        return page(request, "company_orders.html", me=me, orders=[order_row(o) for o in rows], total=total,
                    page_no=page_no, pages=max(1, -(-total // PER_PAGE)),
                    fills=fill_rows(cq.fills(me.party_id, limit=PER_PAGE)))

    @app.get("/ui/company/orders/{order_id}", response_class=HTMLResponse, include_in_schema=False)
    def order(request: Request, order_id: Id) -> Response:
        me = who(request)
        if me is None:
            return to_login()
        got = cq.order(me.party_id, order_id)
        if got is None:  # no such order, or another party's: the same answer
            raise NotFound("order", order_id)
        return page(request, "company_order.html", me=me, order=order_row(got),
                    fills=fill_rows(cq.fills(me.party_id, order_id=order_id)))

    def reports_page(request: Request, me: Actor, status: int = 200, refusal: DomainError | None = None,
                     form: dict[str, str] | None = None) -> HTMLResponse:
        mine = registry.registration_id(me.party_id)
        listed = caps.reports_visible_to(me, mine, market=None, year=None, offset=0, limit=200)
        markets = sorted({registry.account_ref(h.account).market for h in queries.holdings(me.party_id)} | {r.market for r in listed.rows})
        return page(request, "company_reports.html", status=status, me=me, reports=listed.rows, markets=markets,
                    refusal=refusal, form=form or {})

    @app.get("/ui/company/reports", response_class=HTMLResponse, include_in_schema=False)
    def reports(request: Request) -> Response:
        me = who(request)
        if me is None:
            return to_login()
        return reports_page(request, me)

    @app.post("/ui/company/reports", include_in_schema=False)
    async def upload(request: Request, market: Annotated[str, Form(max_length=8)],
                     year: Annotated[str, Form(max_length=8)], workbook: Annotated[UploadFile, File()]) -> Response:
        me = who(request)
        if me is None:
            return to_login()
        form = {"market": market, "year": year}
        try:
            year_no = parse_int(year, "year", minimum=2005, maximum=2100)
            registry.rulebook.market(market)
            data = await workbook.read(MAX_WORKBOOK + 1)
            if len(data) > MAX_WORKBOOK:
                raise DomainError("file_too_large", f"a report workbook is at most {MAX_WORKBOOK // 1024 // 1024} MB")
            with tempfile.TemporaryDirectory() as tmp:
                path = FsPath(tmp) / "report.xlsx"
                path.write_bytes(data)
                report_id = ReportService(registry).submit_workbook(me, path, market=market, year=year_no)
        except DomainError as exc:
            request.state.problem = exc.code  # the audit row: refused, and why
            return reports_page(request, me, status=422, refusal=exc, form=form)
        return RedirectResponse(f"/ui/company/reports/{report_id}", status_code=303)

    @app.get("/ui/company/reports/{report_id}", response_class=HTMLResponse, include_in_schema=False)
    def report(request: Request, report_id: Id) -> Response:
        me = who(request)
        if me is None:
            return to_login()
        head = caps.report_header(report_id)
        if head is None or not may_see_report(registry, me, market=head.market, company=head.company,
                                              verifier=head.verifier):
            raise NotFound("report", report_id)
        from openets.mrv.accounting import display

        r = ReportService(registry).get(report_id)
        return page(request, "company_report.html", me=me, head=head, report=r, emissions=display(r.emissions),
                    verified=None if r.verified_emissions is None else display(r.verified_emissions),
                    company_name=company_names(registry.engine, [head.company]).get(head.company, NO_CODE),
                    trail=[{"event": s.event, "actor": s.actor, "at": local_time(s.at), "note": s.note}
                           for s in r.trail])
