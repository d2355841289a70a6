"""A database's digest for "a refusal changes nothing" tests: every table's rows (sorted, hashed)
and count, the audit trail aside (a refusal is written there on purpose) and the login throttle's
counters (a failed login is counted there on purpose)."""

from __future__ import annotations

import hashlib

from sqlalchemy import Engine, select

from openets.storage.tables import metadata

SKIPPED = frozenset({"audit_log", "login_failures"})


def digest(engine: Engine) -> dict[str, tuple[int, str]]:
    """table → (row count, sha256 of its sorted rows); the exchange's book versions included."""
    out: dict[str, tuple[int, str]] = {}
    with engine.connect() as c:
        for table in metadata.sorted_tables:
            if table.name in SKIPPED:
                continue
            rows = sorted(repr(tuple(r)) for r in c.execute(select(table)))
            out[table.name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return out


def audit_rows(engine: Engine) -> list[tuple[str | None, str, str, int]]:
    """The audit trail in order: (user, method, path, status)."""
    from openets.storage import tables as t

    with engine.connect() as c:
        return [(r.user_name, r.method, r.path, r.status) for r in c.execute(
            select(t.audit_log).order_by(t.audit_log.c.id))]
