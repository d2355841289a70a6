"""The audit trail, for auditors (everything) and regulators (their market's users): every state
change and refusal from the API, the dashboard and the command line, newest first."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from openets.api.deps import Limit, Me, Offset, Svc
from openets.api.ids import operation_id
from openets.api.schemas.audit import AuditPage, AuditRead
from openets.core.clock import MARKET_TZ, check_instant
from openets.core.text import PRINTABLE
from openets.services.audit import read_audit

router = APIRouter(prefix="/audit", tags=["audit"], generate_unique_id_function=operation_id)

Name = Annotated[str | None, Query(min_length=1, max_length=64, pattern=PRINTABLE)]


@router.get("")
def audit_log(me: Me, svc: Svc, user: Name = None, action: Name = None, since: datetime | None = None,
              until: datetime | None = None, offset: Offset = 0, limit: Limit = 100) -> AuditPage:
    """Rows filtered by user, action (a prefix: ``market`` finds every market action) and wall-clock
    time (``since`` inclusive, ``until`` exclusive; a time without an offset is Beijing time)."""
    total, rows = read_audit(svc.registry.engine, me, user=user, action=action,
                             since=check_instant(since, "since") if since else None,
                             until=check_instant(until, "until") if until else None, offset=offset, limit=limit)
    return AuditPage(total=total, offset=offset, limit=limit, items=[AuditRead(
        id=r.id, at=r.at.astimezone(MARKET_TZ).isoformat(), user=r.user, role=r.role, source=r.source,
        market_at=r.market_at.astimezone(MARKET_TZ).isoformat() if r.market_at else None, action=r.action,
        target=r.target, status=r.status, answer=r.answer) for r in rows])
