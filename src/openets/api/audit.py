"""The audit log of every request that changes state."""

from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openets.services.audit import audit_row
from openets.services.database import PendingAudit, amend_audit, audit_with_writes, write_audit
from openets.services.registry import RegistryService


class AuditLog:
    """Every request that changes state, with the acting user and the answer's status, in the audit
    log (a plain ASGI middleware: no extra task per request, reads pass straight through)."""

    def __init__(self, app: ASGIApp, *, engine: Engine, registry: RegistryService) -> None:
        self.app, self.engine, self.registry = app, engine, registry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH", "DELETE"):
            await self.app(scope, receive, send)
            return
        status = [500]

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        def row(answer: int | None = None) -> dict[str, object] | None:
            # written with the request's change, before its answer exists: the route's success status.
            # The dashboard's forms answer with redirects of their own: their row waits for the answer.
            route = scope.get("route")
            ui = not getattr(route, "include_in_schema", False)
            if answer is None and ui:
                return None
            code = answer if answer is not None else getattr(route, "status_code", None) or 200
            state = scope.get("state") or {}
            # a refusal's code (set by the problem handlers, or by a dashboard form that refused)
            said = state.get("problem") or ("ok" if code < 400 else str(code))
            name = getattr(route, "name", None)
            tags = getattr(route, "tags", None) or ["api"]
            path = scope["path"] + (f" — {state['comment']}" if state.get("comment") else "")
            return audit_row(self.registry.clock, user=state.get("user"), role=state.get("role"),
                             source="ui" if ui else "api", method=scope["method"], path=path, status=code,
                             action=f"{'ui' if ui else tags[0]}.{name}" if name else None, answer=said)

        pending = PendingAudit(row)
        try:
            with audit_with_writes(pending):
                await self.app(scope, receive, watch)
        finally:
            # a request that changed nothing (refused, invalid), or whose answer is not the status
            # written with its change, gets a row of its own with the answer it got
            if not pending.written or (pending.row or {}).get("status") != status[0]:
                final = row(status[0])
                assert final is not None  # with the answer known, there is always a row
                if pending.written and pending.row_id is not None:  # one row per request: its answer on it
                    await run_in_threadpool(amend_audit, self.engine, pending.row_id, status[0], str(final["answer"]))
                else:
                    await run_in_threadpool(write_audit, self.engine, final)
