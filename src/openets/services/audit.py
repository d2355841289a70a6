"""The audit trail: one row per state change (or refusal) from the API, the dashboard and the CLI —
who (user, role), from where (``source``), what (``action`` and its target, the path or command
line), the answer, when by the wall clock and, beside it, the market's clock when that differs (a
replay or ``OPENETS_NOW``). Rows are written by ``storage.db`` inside the change's own transaction
(``PendingAudit``); this module builds them and reads them back for auditors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, func, select

from openets.core.actor import Actor, Role
from openets.core.clock import Clock, from_us, to_us
from openets.core.errors import DomainError
from openets.storage import tables as t

# a market clock within this of the wall clock is the wall clock (no second time on the row)
SAME_US = 1_000_000


def audit_row(clock: Clock, *, user: str | None, role: str | None, source: str, method: str, path: str,
              status: int, action: str | None, answer: str) -> dict[str, object]:
    """An audit row: ``at_us`` by the wall clock, ``market_at_us`` only when the market's clock differs."""
    wall = to_us(datetime.now(UTC))
    market = to_us(clock.now())
    return {"user_name": user, "role": role, "source": source, "method": method[:8],
            "path": path.replace("\x00", "\ufffd")[:2000], "status": status, "action": (action or "")[:64] or None,
            "answer": answer[:200], "at_us": wall, "market_at_us": market if abs(market - wall) > SAME_US else None}


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    market_at: datetime | None
    user: str | None
    role: str | None
    source: str | None
    action: str | None
    target: str
    status: int
    answer: str | None


def read_audit(engine: Engine, reader: Actor, *, user: str | None = None, action: str | None = None,
               since: datetime | None = None, until: datetime | None = None, answer: str | None = None,
               source: str | None = None, offset: int = 0, limit: int = 100) -> tuple[int, list[AuditEntry]]:
    """The audit rows an auditor or a regulator may read (a regulator: its market's users' rows and
    its own), newest first, with their total; ``action`` matches a prefix (``registry`` finds every
    registry action); ``answer`` (``ok`` or a refusal's code) and ``source`` (api, ui, cli …) exactly."""
    if reader.role not in (Role.AUDITOR, Role.REGULATOR):
        raise DomainError("forbidden", f"{reader.describe()} may not read the audit log (auditors and regulators)")
    a = t.audit_log
    q = select(a)
    if user:
        q = q.where(a.c.user_name == user)
    if action:
        q = q.where(a.c.action.like(action.replace("%", "").replace("_", r"\_") + "%", escape="\\"))
    if answer:
        q = q.where(a.c.answer == answer)
    if source:
        q = q.where(a.c.source == source)
    if since is not None:
        q = q.where(a.c.at_us >= to_us(since))
    if until is not None:
        q = q.where(a.c.at_us < to_us(until))
    if reader.role is Role.REGULATOR:  # its market's representatives, and whoever acted without a known user
        rep = t.representatives
        market_users = select(rep.c.user_name).where(rep.c.market == reader.market)
        parties = select(t.parties.c.id).where(t.parties.c.market == reader.market)
        q = q.where(a.c.user_name.in_(market_users) | a.c.user_name.in_(
            select(rep.c.user_name).where(rep.c.party_id.in_(parties))))
    with engine.connect() as c:
        total = int(c.execute(select(func.count()).select_from(q.subquery())).scalar_one())
        rows = c.execute(q.order_by(a.c.id.desc()).offset(offset).limit(limit)).all()
    return total, [AuditEntry(r.id, from_us(r.at_us), None if r.market_at_us is None else from_us(r.market_at_us),
                              r.user_name, r.role, r.source, r.action, r.path, r.status, r.answer) for r in rows]
