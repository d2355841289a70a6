"""Tables, one module per capability. The schema is created by the Alembic migrations; these definitions
are what the code queries with and what the first migration was written from (they must agree: a test
checks it). Import as `from openets.storage import tables as t` and use `t.accounts` etc."""

from openets.storage.tables._meta import metadata
from openets.storage.tables.allocation import (
    allocation_debts,
    allocation_runs,
    allocations,
    deadline_extensions,
    falsification_findings,
    flex_limits,
    penalties,
)
from openets.storage.tables.auctions import (
    auction_bids,
    auction_fills,
    auction_notices,
    auctions,
)
from openets.storage.tables.exchange import (
    cash_accounts,
    cash_journal,
    exchange_books,
    orders,
    trades,
)
from openets.storage.tables.mrv import (
    emission_reports,
    monitoring_plans,
    plan_steps,
    report_steps,
    verifier_relations,
)
from openets.storage.tables.offsets import (
    offset_projects,
)
from openets.storage.tables.registry import (
    account_events,
    accounts,
    blocks,
    generating_units,
    idempotency,
    installations,
    journal,
    parties,
    positions,
    representatives,
    reservations,
    restrictions,
    transactions,
    unit_classes,
    users,
)
from openets.storage.tables.service import (
    api_tokens,
    audit_log,
    credentials,
    login_failures,
)

__all__ = [
    "metadata",
    "parties",
    "installations",
    "generating_units",
    "users",
    "representatives",
    "accounts",
    "account_events",
    "unit_classes",
    "restrictions",
    "positions",
    "blocks",
    "transactions",
    "reservations",
    "journal",
    "idempotency",
    "allocation_runs",
    "allocations",
    "allocation_debts",
    "deadline_extensions",
    "flex_limits",
    "falsification_findings",
    "penalties",
    "emission_reports",
    "report_steps",
    "monitoring_plans",
    "plan_steps",
    "verifier_relations",
    "auctions",
    "auction_notices",
    "auction_bids",
    "auction_fills",
    "credentials",
    "api_tokens",
    "audit_log",
    "login_failures",
    "offset_projects",
    "cash_accounts",
    "cash_journal",
    "orders",
    "exchange_books",
    "trades",
]
