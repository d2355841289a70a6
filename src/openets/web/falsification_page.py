"""The regulator's page of Decree 775's data-quality findings (read-only): each finding of the
regulator's market with its status, the company's name beside its credit code, the kind, the fines
in yuan, the cut share once decided and the tonnes cut once the cut year's allocation applied it —
the list ``openets mrv falsifications`` and ``GET /falsification/findings`` give. Recording and
deciding stay with the CLI and the API (four eyes, client keys). An auditor reads every market's
findings, each row naming its market; anyone else is refused (403). Mounted by :func:`openets.web.pages.mount_dashboard`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from openets.core.actor import Actor, Role
from openets.core.errors import DomainError

if TYPE_CHECKING:
    from openets.services.registry import RegistryService


def mount_falsification(app: FastAPI, *, registry: RegistryService, who: Callable[[Request], Actor | None],
                        page: Callable[..., HTMLResponse], yuan: Callable[[int | None], str]) -> None:
    from openets.services.falsification import FalsificationService
    from openets.services.names import NO_CODE, company_names

    service = FalsificationService(registry)

    @app.get("/ui/falsifications", response_class=HTMLResponse, include_in_schema=False)
    def falsifications(request: Request,
                       year: Annotated[int | None, Query(ge=2005, le=2100)] = None) -> Response:
        me = who(request)
        if me is None:
            return RedirectResponse("/ui/login", status_code=303)
        auditor = me.role is Role.AUDITOR  # reads every market's findings, as every other record
        if not auditor and (me.role is not Role.REGULATOR or not me.market):
            raise DomainError("forbidden", f"{me.describe()}: this page is for the market's regulators and auditors")
        found = service.findings(None if auditor else me.market, year=year)
        names = company_names(registry.engine, (f.company for f in found))
        rows: list[dict[str, Any]] = [
            {"id": f.id, "market": f.market, "status": f.status, "company": f.company, "name": names.get(f.company, NO_CODE),
             "year": f.report_year, "kind": f.kind, "fine": yuan(f.fine_fen), "individuals": yuan(f.individual_fen),
             # the share exactly (0.505: 50.5 %; a rounded 50 % would not be the decision)
             "cut_share": "" if f.cut_share is None else f"{(f.cut_share * 100).normalize():f} %", "cut_year": f.cut_year or "",
             "cut_t": f.cut_quantity, "cut_pending": f.cut_share is not None and f.cut_run_id is None,
             "found_by": f.found_by, "decided_by": f.decided_by or "", "decision": f.decision or ""}
            for f in found]
        return page(request, "falsifications.html", me=me, market=me.market, every_market=auditor, year=year, rows=rows)
