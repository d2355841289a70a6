"""The edges' one door to the database itself: which database, an engine for it, its schema, backups,
and audit rows. The CLI, the API and the dashboard import these from here, never from ``storage``
(`make lint` checks it), so storage can change behind the services."""

from __future__ import annotations

from openets.storage.backup import backup, restore
from openets.storage.db import PendingAudit, audit_with_writes, database_url, make_engine, write_audit
from openets.storage.migrate import upgrade

__all__ = ["PendingAudit", "audit_with_writes", "backup", "database_url", "make_engine", "restore", "upgrade",
           "write_audit"]
