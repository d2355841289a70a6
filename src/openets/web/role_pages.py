"""The dashboard's pages of the verifier and the exchange operator: a verifier's assigned MRV reports,
one report's emissions, findings and trail, verified (with findings) or sent back through the MRV
service, as ``openets mrv verify`` does; an exchange operator's day close, T+1 delivery and
reconciliation of its own exchange, as ``openets market close|settle|reconcile`` do. Each form is a
POST that needs its confirmation ticked; refusals show in one line. Someone else's report or
exchange answers 404 (it looks like none at all); an auditor sees the pages and moves nothing
(the services refuse it: read_only). Mounted by :func:`openets.web.pages.mount_dashboard`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, cast

from fastapi import FastAPI, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from openets.core.actor import Actor, Role
from openets.core.clock import MARKET_TZ, from_us
from openets.core.errors import DomainError, NotFound
from openets.core.numbers import MAX_TONNES, parse_decimal
from openets.core.text import check_text

if TYPE_CHECKING:
    from openets.services.exchange.hub import Exchanges
    from openets.services.registry import RegistryService

ReportId = Annotated[int, Path(ge=1, le=2**53)]
OPERATIONS = ("close", "settle", "reconcile")


def mount_roles(app: FastAPI, *, registry: RegistryService, hub: Exchanges, who: Callable[[Request], Actor | None],
                page: Callable[..., HTMLResponse], yuan: Callable[[int | None], str]) -> None:
    from openets.services.access import may_see_report
    from openets.services.capability_queries import CapabilityQueries
    from openets.services.market_queries import MarketQueries
    from openets.services.names import NO_CODE, company_names
    from openets.services.reports import ReportService

    capabilities = CapabilityQueries(registry.engine)
    market_queries = MarketQueries(registry.engine)
    reports = ReportService(registry)

    def signed_in(request: Request, *roles: Role) -> Actor | Response:
        me = who(request)
        if me is None:
            return RedirectResponse("/ui/login", status_code=303)
        if me.role not in roles:
            raise DomainError("forbidden", f"{me.describe()}: this page is for the {' or '.join(r.value for r in roles)}")
        return me

    # -- the verifier ------------------------------------------------------------------------------------
    def visible(me: Actor, report_id: int) -> Any:
        head = capabilities.report_header(report_id)
        if head is None or not may_see_report(registry, me, market=head.market, company=head.company,
                                              verifier=head.verifier):
            raise NotFound("report", report_id)  # someone else's report looks like no report at all
        return head

    @app.get("/ui/verifier", response_class=HTMLResponse, include_in_schema=False)
    def assigned(request: Request) -> Response:
        me = signed_in(request, Role.VERIFIER, Role.AUDITOR)
        if isinstance(me, Response):
            return me
        rows = capabilities.reports_visible_to(me, None, market=None, year=None, offset=0, limit=1000).rows
        names = company_names(registry.engine, (r.company for r in rows))
        return page(request, "verifier.html", me=me, reports=[
            {"id": r.id, "market": r.market, "year": r.year, "company": r.company,
             "name": names.get(r.company, NO_CODE), "state": r.state} for r in rows])

    def report_page(request: Request, me: Actor, report_id: int, status: int = 200,
                    error: DomainError | None = None) -> HTMLResponse:
        head = visible(me, report_id)
        r = reports.get(report_id)
        return page(request, "report.html", status=status, me=me, error=error, report_id=report_id,
                    market=head.market, company_label=company_names(registry.engine, [r.company]).get(r.company, NO_CODE),
                    r=r, trail=[{"event": s.event, "actor": s.actor, "note": s.note,
                                 "at": s.at.astimezone(MARKET_TZ).strftime("%Y-%m-%d %H:%M")} for s in r.trail],
                    may_verify=me.role is Role.VERIFIER and r.state in ("submitted", "under_verification"))

    @app.get("/ui/verifier/reports/{report_id}", response_class=HTMLResponse, include_in_schema=False)
    def verifier_report(request: Request, report_id: ReportId) -> Response:
        me = signed_in(request, Role.VERIFIER, Role.AUDITOR)
        if isinstance(me, Response):
            return me
        return report_page(request, me, report_id)

    @app.post("/ui/verifier/reports/{report_id}/{decision}", include_in_schema=False)
    def verifier_decide(request: Request, report_id: ReportId, decision: str, emissions: str = Form(""),
               findings: str = Form(""), statement: str = Form(""), confirm: str = Form("")) -> Response:
        from openets.mrv.documents import parse_finding

        me = signed_in(request, Role.VERIFIER, Role.AUDITOR)
        if isinstance(me, Response):
            return me
        visible(me, report_id)  # 404 before anything else for a report not assigned to this verifier
        try:
            if decision not in ("verify", "return"):
                raise DomainError("decision_invalid", "verify or return")
            if confirm != "yes":
                raise DomainError("confirmation_missing", "tick the confirmation to go on")
            note = check_text(statement, "statement", max_length=2000)
            me.require_may_act()
            r = reports.get(report_id)
            if decision == "return":  # sent back to the company, with the reason
                reports.step(me, report_id, "return", note)
            else:  # the same steps as `openets mrv verify`
                found = [parse_finding(line) for line in
                         check_text(findings, "findings", max_length=10_000).replace("\r", "").split("\n") if line.strip()]
                value = parse_decimal(emissions, "emissions", minimum=0, maximum=MAX_TONNES)
                if r.state == "submitted":
                    reports.step(me, report_id, "start_verification")
                reports.verify(me, report_id, emissions=value, output=cast(list[dict[str, Any]], r.output),  # as filed
                               findings=found, statement=note)
        except DomainError as exc:
            request.state.problem = exc.code
            return report_page(request, me, report_id, status=422, error=exc)
        return RedirectResponse(f"/ui/verifier/reports/{report_id}", status_code=303)

    # -- the exchange operator ------------------------------------------------------------------------------
    def operated(me: Actor) -> list[Any]:
        """The instruments of the operator's exchange (an auditor: every one)."""
        return [i for i in hub.instruments() if me.role is Role.AUDITOR or me.market in (None, i.market)]

    def exchange_page(request: Request, me: Actor, status: int = 200, error: DomainError | None = None,
                      result: dict[str, object] | None = None) -> HTMLResponse:
        rows = []
        for i in operated(me):  # with what T+1 delivery has done and what still waits
            d = market_queries.deliveries(i.instrument)
            rows.append({"instrument": i.instrument, "market": i.market, "awaiting": d.awaiting,
                         "delivered": d.delivered, "last": "" if d.last_delivered_us is None else
                         from_us(d.last_delivered_us).astimezone(MARKET_TZ).strftime("%Y-%m-%d %H:%M")})
        return page(request, "exchange.html", status=status, me=me, error=error, result=result, instruments=rows)

    @app.get("/ui/exchange", response_class=HTMLResponse, include_in_schema=False)
    def exchange_ops(request: Request) -> Response:
        me = signed_in(request, Role.EXCHANGE, Role.AUDITOR)
        if isinstance(me, Response):
            return me
        return exchange_page(request, me)

    @app.post("/ui/exchange/{instrument}/{operation}", include_in_schema=False)
    def exchange_operate(request: Request, instrument: str, operation: str, confirm: str = Form("")) -> Response:
        me = signed_in(request, Role.EXCHANGE, Role.AUDITOR)
        if isinstance(me, Response):
            return me
        if instrument not in {i.instrument for i in operated(me)}:
            raise NotFound("instrument", instrument)  # another exchange's instrument looks like none at all
        try:
            if operation not in OPERATIONS:
                raise DomainError("operation_invalid", "close, settle or reconcile")
            if confirm != "yes":
                raise DomainError("confirmation_missing", "tick the confirmation to go on")
            me.require_may_act()  # the auditor moves nothing, reconciliation included (it is the operator's job)
            with hub.locked(instrument) as ex:
                if operation == "close":
                    ref = ex.close_day(me)
                    result: dict[str, object] = {"close": yuan(ref)}
                elif operation == "settle":
                    result = {"settled": ex.settle_due(actor=me)}
                else:
                    problems = ex.reconcile(me)
                    result = {"breaks": problems, "clean": not problems}
        except DomainError as exc:
            request.state.problem = exc.code
            return exchange_page(request, me, status=422, error=exc)
        # the result goes with the operation's audit row (how many delivered, how many breaks)
        request.state.comment = ", ".join(f"{k}={len(v) if isinstance(v, list) else v}" for k, v in result.items())
        return exchange_page(request, me, result={"instrument": instrument, "operation": operation, **result})
