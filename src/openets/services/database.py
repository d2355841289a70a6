"""The one door to the database itself: which database, an engine for it, its schema, backups, audit
rows, and a unit of work for service calls given its connection. The CLI, the API, the dashboard and
the simulation import these from here, never from ``storage`` (`make lint` checks the edges), so
storage can change behind the services."""

from __future__ import annotations

from openets.storage.backup import backup, restore
from openets.storage.db import (
    PendingAudit,
    amend_audit,
    audit_with_writes,
    database_url,
    make_engine,
    run_in_transaction,
    write_audit,
)
from openets.storage.migrate import upgrade

__all__ = ["PendingAudit", "amend_audit", "audit_with_writes", "backup", "database_url", "make_engine", "restore",
           "run_in_transaction",
           "upgrade", "write_audit"]
