"""The service: credentials, tokens, audit."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Table, Text

from openets.storage.tables._meta import metadata

credentials = Table(
    "credentials", metadata,
    Column("user_name", String(64), ForeignKey("users.name"), primary_key=True),
    Column("password_hash", Text, nullable=False),  # argon2id
    Column("changed_us", BigInteger, nullable=False),
)

# issued tokens, kept server-side so that they can be revoked before they expire
api_tokens = Table(
    "api_tokens", metadata,
    Column("jti", String(64), primary_key=True),
    Column("user_name", String(64), nullable=False, index=True),
    Column("party_id", Integer, nullable=False),
    Column("expires_us", BigInteger, nullable=False),
    Column("revoked", Integer, nullable=False, default=0),
)

# failed logins, shared by every worker and kept across restarts: the throttle counts them per user
# and per client address within its window (older rows are deleted as new ones come)
login_failures = Table(
    "login_failures", metadata,
    Column("id", Integer, primary_key=True),
    Column("user_name", String(64), nullable=False),
    Column("client", String(64), nullable=False),
    Column("at_us", BigInteger, nullable=False),
    Index("ix_login_failures_user", "user_name", "at_us"),
    Index("ix_login_failures_client", "client", "at_us"),
    Index("ix_login_failures_at", "at_us"),
)

# every state change (API, dashboard, CLI), with the acting user and role (append-only). ``at_us`` is
# wall-clock time; ``market_at_us`` the market's clock when it differs (a replay, OPENETS_NOW).
# ``source``: api, ui, cli or cli-local-admin (``--as`` without a login); ``answer``: ok, or the
# refusal's code; ``status``: the HTTP status (the CLI: 0 done, 1 refused)
audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True),
    Column("user_name", String(64)),
    Column("method", String(8), nullable=False),
    Column("path", Text, nullable=False),
    Column("status", Integer, nullable=False),
    Column("at_us", BigInteger, nullable=False),
    Column("source", String(16)),
    Column("role", String(16)),
    Column("action", String(64)),
    Column("answer", String(200)),
    Column("market_at_us", BigInteger),
    Index("ix_audit_log_at_us", "at_us"),  # the auditor's filters: a day, since/until
)
