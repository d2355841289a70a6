"""The dashboard's work pages: a regulator's task list (what waits for a second regulator, approve or
reject with a comment; the proposer may only withdraw — four eyes, refused by the registry itself)
and the audit log with filters (auditors, regulators). Mounted by :func:`openets.web.pages.mount_dashboard`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from openets.core.actor import Actor, Role
from openets.core.clock import MARKET_TZ, parse_day, parse_instant
from openets.core.errors import DomainError
from openets.core.text import check_text

if TYPE_CHECKING:
    from openets.services.registry import RegistryService

SOURCES = ("api", "ui", "cli", "cli-local-admin", "cli-bootstrap")  # where an audit row's request came from


def mount_work(app: FastAPI, *, registry: RegistryService, who: Callable[[Request], Actor | None],
               page: Callable[..., HTMLResponse]) -> None:
    from openets.services.audit import read_audit
    from openets.services.tasks import pending_for

    def tasks_page(request: Request, me: Actor, status: int = 200, error: DomainError | None = None) -> HTMLResponse:
        return page(request, "tasks.html", status=status, me=me, tasks=pending_for(registry.engine, me), error=error)

    @app.get("/ui/tasks", response_class=HTMLResponse, include_in_schema=False)
    def tasks(request: Request) -> Response:
        me = who(request)
        if me is None:
            return RedirectResponse("/ui/login", status_code=303)
        return tasks_page(request, me)

    @app.post("/ui/tasks/transaction/{txn}", include_in_schema=False)
    def decide_transaction(request: Request, txn: int, decision: str = Form(...), comment: str = Form("")) -> Response:
        from openets.registry.commands import Approve, Reject, Withdraw

        me = who(request)
        if me is None:
            return RedirectResponse("/ui/login", status_code=303)
        kinds: dict[str, Any] = {"approve": Approve, "reject": Reject, "withdraw": Withdraw}
        try:
            if decision not in kinds:
                raise DomainError("decision_invalid", "approve, reject or withdraw")
            # the comment goes with the decision's audit row (a registry decision carries no note of its own)
            request.state.comment = check_text(comment, "comment", max_length=500)
            registry.submit(me, [kinds[decision](txn=txn)])
        except DomainError as exc:
            request.state.problem = exc.code  # the audit row says refused, and why
            return tasks_page(request, me, status=422, error=exc)
        return RedirectResponse("/ui/tasks", status_code=303)

    @app.get("/ui/audit", response_class=HTMLResponse, include_in_schema=False)
    def audit(request: Request, user: str = "", action: str = "", since: str = "", until: str = "", day: str = "",
              answer: str = "", source: str = "") -> Response:
        me = who(request)
        if me is None:
            return RedirectResponse("/ui/login", status_code=303)
        if me.role not in (Role.AUDITOR, Role.REGULATOR):
            raise DomainError("forbidden", "the audit log is for auditors and regulators")
        start = parse_instant(since, "since") if since else None
        end = parse_instant(until, "until") if until else None
        if day:  # a calendar day in Beijing time (the markets' zone), by the wall clock of the rows
            first = datetime.combine(parse_day(day, "day"), time(), tzinfo=MARKET_TZ)
            start, end = max(start or first, first), min(end or first + timedelta(days=1), first + timedelta(days=1))
        total, rows = read_audit(registry.engine, me, user=check_text(user, "user", max_length=64) or None,
                                 action=check_text(action, "action", max_length=64) or None, since=start, until=end,
                                 answer=check_text(answer, "answer", max_length=200) or None,
                                 source=check_text(source, "source", max_length=16) or None, limit=200)
        shown = [{"at": r.at.astimezone(MARKET_TZ).strftime("%Y-%m-%d %H:%M:%S"),
                  "market_at": r.market_at.astimezone(MARKET_TZ).strftime("%Y-%m-%d %H:%M") if r.market_at else "",
                  "user": r.user or "—", "role": r.role or "", "source": r.source or "", "action": r.action or "",
                  "target": r.target, "answer": r.answer or str(r.status)} for r in rows]
        return page(request, "audit.html", me=me, rows=shown, total=total, sources=SOURCES,
                    filters={"user": user, "action": action, "since": since, "until": until, "day": day,
                             "answer": answer, "source": source})
