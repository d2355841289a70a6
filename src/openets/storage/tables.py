"""Tables. The schema is created by the Alembic migrations; these definitions are what the code
queries with and what the first migration was written from (they must agree: a test checks it)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData()

parties = Table(
    "parties", metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("name", Text, nullable=False),
    Column("name_en", Text, nullable=False, default=""),
    Column("market", String(8)),
    Column("registration_id", String(32), unique=True),
    Column("sector", String(32)),
    Column("region", String(6)),
    Column("created_us", BigInteger, nullable=False),
)

installations = Table(
    "installations", metadata,
    Column("id", Integer, primary_key=True),
    Column("party_id", Integer, ForeignKey("parties.id"), nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("county_code", String(6), nullable=False),
    Column("sector", String(32), nullable=False),
)

generating_units = Table(
    "generating_units", metadata,
    Column("id", Integer, primary_key=True),
    Column("installation_id", Integer, ForeignKey("installations.id"), nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("capacity_mw", Integer, nullable=False),
    Column("fuel", String(16), nullable=False),
    Column("cooling", String(16), nullable=False),
    Column("category", String(48), nullable=False),
)

users = Table(
    "users", metadata,
    Column("name", String(64), primary_key=True),
    Column("display_name", Text, nullable=False, default=""),
    Column("created_us", BigInteger, nullable=False),
)

# a user acting for a party in a role: an authorised representative
representatives = Table(
    "representatives", metadata,
    Column("user_name", String(64), ForeignKey("users.name"), primary_key=True),
    Column("party_id", Integer, ForeignKey("parties.id"), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("market", String(8)),
)

accounts = Table(
    "accounts", metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(32), nullable=False, unique=True),
    Column("market", String(8), nullable=False),
    Column("type", String(24), nullable=False),
    Column("party_id", Integer, ForeignKey("parties.id"), nullable=False, index=True),
    Column("status", String(24), nullable=False),
    Column("name", Text, nullable=False, default=""),
    Column("created_us", BigInteger, nullable=False),
    # head of this account's journal hash chain
    Column("journal_count", BigInteger, nullable=False, default=0),
    Column("head_hash", String(64)),
)

account_events = Table(
    "account_events", metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("event", String(32), nullable=False),
    Column("status", String(24), nullable=False),
    Column("actor_user", String(64), nullable=False),
    Column("at_us", BigInteger, nullable=False),
    Column("note", Text, nullable=False, default=""),
)

unit_classes = Table(
    "unit_classes", metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("market", String(8), nullable=False),
    Column("vintage", Integer, nullable=False),
    Column("standard", String(16)),
    Column("project_id", String(64)),
    Column("project_type", String(48)),
    Column("location", String(6)),
    Column("cap", BigInteger),
    Column("issued", BigInteger, nullable=False, default=0),
    CheckConstraint("cap IS NULL OR issued <= cap", name="issued_within_cap"),
)

restrictions = Table(
    "restrictions", metadata,
    Column("id", Integer, primary_key=True),
    Column("allowed_types", Text, nullable=False),  # comma-separated transaction types
    Column("bound_holder", Integer, ForeignKey("parties.id")),
    Column("bound_market", String(8)),
    Column("bound_year", Integer),
    Column("expires_us", BigInteger),
    Column("note", Text, nullable=False, default=""),
)

positions = Table(
    "positions", metadata,
    Column("account_id", Integer, ForeignKey("accounts.id"), primary_key=True),
    Column("unit_class_id", Integer, ForeignKey("unit_classes.id"), primary_key=True),
    Column("restriction_id", Integer, primary_key=True),  # 0 = unrestricted
    Column("total", BigInteger, nullable=False),
    Column("reserved", BigInteger, nullable=False),
    CheckConstraint("total >= 0 AND reserved >= 0 AND reserved <= total", name="no_negative_available"),
)

# A block is named by its position and first serial. SQLite keeps the table clustered on that key
# (WITHOUT ROWID): a position's blocks share pages, so a transfer rewrites few of them.
blocks = Table(
    "blocks", metadata,
    Column("account_id", Integer, primary_key=True, autoincrement=False),
    Column("unit_class_id", Integer, primary_key=True, autoincrement=False),
    Column("restriction_id", Integer, primary_key=True, autoincrement=False),
    Column("start", BigInteger, primary_key=True, autoincrement=False),
    Column("end", BigInteger, nullable=False),
    CheckConstraint('"end" >= start', name="block_not_empty"),
    Index("ux_blocks_serial", "unit_class_id", "start", unique=True),
    sqlite_with_rowid=False,
)

transactions = Table(
    "transactions", metadata,
    # allocated by the repository; on SQLite the rowid itself (no separate key index to write)
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False),
    Column("type", String(24), nullable=False),
    Column("status", String(24), nullable=False),
    Column("market", String(8), nullable=False),
    Column("unit_class_id", Integer),
    Column("restriction_id", Integer, nullable=False, default=0),
    Column("quantity", BigInteger, nullable=False),
    Column("sender_id", Integer),
    Column("receiver_id", Integer),
    Column("compliance_year", Integer),
    Column("reverses_id", BigInteger),
    Column("reservation_id", BigInteger),
    Column("actor_user", String(64), nullable=False),
    Column("actor_party", Integer, nullable=False),
    Column("actor_role", String(16), nullable=False),
    Column("approved_by", String(64)),
    Column("at_us", BigInteger, nullable=False),
    Column("note", Text, nullable=False, default=""),
    # the serial ranges it moved to its receiver ("s-e s-e …", as on its journal lines; "" when none
    # moved), and their lowest and highest serial, so that `trace` filters in SQL before it parses
    Column("serials", Text, nullable=False, default=""),
    Column("serial_lo", BigInteger),
    Column("serial_hi", BigInteger),
    # one reversal per transaction; partial, so the many transactions that reverse nothing are not indexed
    Index("ux_transactions_reverses", "reverses_id", unique=True,
          sqlite_where=text("reverses_id IS NOT NULL"), postgresql_where=text("reverses_id IS NOT NULL")),
)

reservations = Table(
    "reservations", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),  # = id of the reserving transaction
    Column("account_id", Integer, nullable=False),
    Column("unit_class_id", Integer, nullable=False),
    Column("restriction_id", Integer, nullable=False),
    Column("quantity", BigInteger, nullable=False),  # still held back
    Column("kind", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("txn_id", BigInteger),
    Column("note", Text, nullable=False, default=""),
    CheckConstraint("quantity >= 0", name="reservation_not_negative"),
    Index("ix_reservations_account", "account_id", "status"),
)

# Append-only: triggers created by the migration refuse UPDATE and DELETE.
journal = Table(
    "journal", metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("txn_id", BigInteger, nullable=False),
    Column("account_id", Integer, nullable=False),
    Column("account_seq", BigInteger, nullable=False),
    Column("unit_class_id", Integer, nullable=False),
    Column("restriction_id", Integer, nullable=False),
    Column("d_total", BigInteger, nullable=False),
    Column("d_reserved", BigInteger, nullable=False),
    Column("serials", Text, nullable=False),  # "s-e s-e …": the serial ranges in or out
    Column("kind", String(24), nullable=False),
    Column("at_us", BigInteger, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("account_id", "account_seq", name="ux_journal_account_seq"),
)

idempotency = Table(
    "idempotency_keys", metadata,
    Column("party_id", Integer, primary_key=True),
    Column("operation", String(24), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("payload_hash", String(64), nullable=False),
    Column("txn_id", BigInteger, nullable=False),
    Column("created_us", BigInteger, nullable=False),
    sqlite_with_rowid=False,  # the key is the table: one B-tree to write, not a table and an index
)


# -- allocation ------------------------------------------------------------------------------------

allocation_runs = Table(
    "allocation_runs", metadata,
    Column("id", Integer, primary_key=True),
    Column("market", String(8), nullable=False),
    Column("compliance_year", Integer, nullable=False),
    Column("kind", String(8), nullable=False),  # pre, final
    Column("rule_document", Text, nullable=False),
    Column("status", String(16), nullable=False),  # proposed, issued, rejected
    Column("total", BigInteger, nullable=False),
    Column("proposed_by", String(64), nullable=False),
    Column("proposed_us", BigInteger, nullable=False),
    Column("decided_by", String(64)),
    Column("decided_us", BigInteger),
    Column("unit_class_id", Integer),
    Column("from_account_id", Integer),
)

# one company's allocation in a run; kind "pre" rows are the initial annual allocation (年度初始分配)
# that offset caps refer to
allocations = Table(
    "allocations", metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", Integer, ForeignKey("allocation_runs.id"), nullable=False, index=True),
    Column("market", String(8), nullable=False),
    Column("compliance_year", Integer, nullable=False),
    Column("kind", String(8), nullable=False),
    Column("company", String(32), nullable=False),  # registration id
    Column("party_id", Integer, ForeignKey("parties.id"), nullable=False),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("exact", Text, nullable=False),  # the Decimal before rounding
    Column("detail", Text, nullable=False),  # JSON: per unit / installation
    Column("txn_id", BigInteger),
    Index("ix_allocations_company", "market", "compliance_year", "kind", "company"),
)

# Tonnes a company owes, append-only: "owed" rows (a claw-back larger than its holding; later an unpaid
# compliance shortfall) and "withheld" rows (deducted from a later allocation, the Shenzhen rule).
# Outstanding = owed − withheld. Never a negative balance.
allocation_debts = Table(
    "allocation_debts", metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(8), nullable=False),  # owed, withheld
    Column("run_id", Integer, ForeignKey("allocation_runs.id"), nullable=False),
    Column("market", String(8), nullable=False),
    Column("compliance_year", Integer, nullable=False),
    Column("company", String(32), nullable=False),
    Column("party_id", Integer, ForeignKey("parties.id"), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("created_us", BigInteger, nullable=False),
    CheckConstraint("quantity > 0", name="debt_positive"),
)

# A company's surrender deadline extended by its regulator (recorded, append-only; the latest counts).
deadline_extensions = Table(
    "deadline_extensions", metadata,
    Column("id", Integer, primary_key=True),
    Column("market", String(8), nullable=False),
    Column("compliance_year", Integer, nullable=False),
    Column("company", String(32), nullable=False),
    Column("until_us", BigInteger, nullable=False),
    Column("reason", Text, nullable=False),
    Column("decided_by", String(64), nullable=False),
    Column("decided_us", BigInteger, nullable=False),
    Index("ix_extensions", "market", "compliance_year", "company"),
)

# Consequences of non-compliance decided by a regulator, append-only: fines (amount in fen, the price
# and multiplier it was computed from), deductions of the shortfall, and entries on the published
# list of non-compliant companies (credit blacklist, loss of subsidies).
penalties = Table(
    "penalties", metadata,
    Column("id", Integer, primary_key=True),
    Column("market", String(8), nullable=False),
    Column("compliance_year", Integer, nullable=False),
    Column("company", String(32), nullable=False),
    Column("kind", String(16), nullable=False),  # fine, deduction, listed
    Column("shortfall", BigInteger, nullable=False),
    Column("amount_fen", BigInteger, nullable=False, default=0),
    Column("basis", Text, nullable=False, default=""),  # how it was computed, in words
    Column("decided_by", String(64), nullable=False),
    Column("decided_us", BigInteger, nullable=False),
    Index("ux_penalties_once", "market", "compliance_year", "company", "kind", unique=True),
)


# -- MRV -------------------------------------------------------------------------------------------

emission_reports = Table(
    "emission_reports", metadata,
    Column("id", Integer, primary_key=True),
    Column("market", String(8), nullable=False),
    Column("company", String(32), nullable=False),  # registration id
    Column("year", Integer, nullable=False),
    Column("state", String(24), nullable=False),
    Column("emissions", Text, nullable=False),  # Decimal as reported, tCO2e (direct)
    Column("indirect", Text, nullable=False, default="0"),  # indirect, apart: a market may include it or not
    Column("streams", Text, nullable=False, default="[]"),  # JSON: per stream, activity, factors used, emissions
    Column("output", Text, nullable=False),  # JSON: per installation / unit production rows
    Column("verifier", String(64)),
    Column("verified_emissions", Text),
    Column("verified_output", Text),
    Column("findings", Text, nullable=False, default="[]"),
    Column("statement", Text, nullable=False, default=""),
    Column("determined", Integer, nullable=False, default=0),
    UniqueConstraint("market", "company", "year", name="ux_report_company_year"),
)

# the audit trail of every report: append-only, like the journal
report_steps = Table(
    "report_steps", metadata,
    Column("id", Integer, primary_key=True),
    Column("report_id", Integer, ForeignKey("emission_reports.id"), nullable=False, index=True),
    Column("event", String(24), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("at_us", BigInteger, nullable=False),
    Column("note", Text, nullable=False, default=""),
)

monitoring_plans = Table(
    "monitoring_plans", metadata,
    Column("id", Integer, primary_key=True),
    Column("market", String(8), nullable=False),
    Column("company", String(32), nullable=False),
    Column("installation", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("streams", Text, nullable=False),  # JSON list of stream ids
    Column("detail", Text, nullable=False),  # JSON: meters, sampling frequency, data sources
    Column("state", String(16), nullable=False),
    UniqueConstraint("market", "company", "installation", "version", name="ux_plan_version"),
)

plan_steps = Table(
    "plan_steps", metadata,
    Column("id", Integer, primary_key=True),
    Column("plan_id", Integer, ForeignKey("monitoring_plans.id"), nullable=False, index=True),
    Column("event", String(24), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("at_us", BigInteger, nullable=False),
    Column("note", Text, nullable=False, default=""),
)

# what the conflict-of-interest check needs: a verifier's consultancy and relations
verifier_relations = Table(
    "verifier_relations", metadata,
    Column("verifier", String(64), primary_key=True),
    Column("company", String(32), primary_key=True),
    Column("kind", String(16), primary_key=True),  # consulted, related
)


# -- auctions --------------------------------------------------------------------------------------

auctions = Table(
    "auctions", metadata,
    Column("id", Integer, primary_key=True),
    Column("market", String(8), nullable=False),
    Column("document", Text, nullable=False),
    Column("unit_class_id", Integer, nullable=False),
    Column("restriction_id", Integer, nullable=False),
    Column("clearing_price_fen", BigInteger),
    Column("volume_sold", BigInteger, nullable=False),
    Column("bidders", Integer, nullable=False),
    Column("winners", Integer, nullable=False),
    Column("cover_ratio", Text, nullable=False),
    Column("revenue_fen", BigInteger, nullable=False),  # to the treasury
    Column("settled_by", String(64), nullable=False),
    Column("settled_us", BigInteger, nullable=False),
)

# An auction notice (竞价公告) and its bids: the bid window, the rules as the notice states them (JSON),
# the reserve once published; bids append-only, the last version of each (party, bid id) counts.
auction_notices = Table(
    "auction_notices", metadata,
    Column("id", Integer, primary_key=True),
    Column("market", String(8), nullable=False),
    Column("document", Text, nullable=False),
    Column("unit_class_id", Integer, nullable=False),
    Column("restriction_id", Integer, nullable=False),
    Column("volume", BigInteger, nullable=False),
    Column("opens_us", BigInteger, nullable=False),
    Column("closes_us", BigInteger, nullable=False),
    Column("rules", Text, nullable=False),  # the notice's [auction] table as JSON
    Column("reserve_fen", BigInteger),  # published before the auction
    Column("status", String(16), nullable=False),  # announced, settled, cancelled
    Column("auction_id", Integer),  # the result, once settled
    Column("announced_by", String(64), nullable=False),
    Column("announced_us", BigInteger, nullable=False),
)

auction_bids = Table(
    "auction_bids", metadata,
    Column("id", Integer, primary_key=True),
    Column("notice_id", Integer, ForeignKey("auction_notices.id"), nullable=False),
    Column("party_id", Integer, nullable=False),
    Column("bid_id", String(32), nullable=False),
    Column("price_fen", BigInteger, nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("deposit_fen", BigInteger, nullable=False),  # cash held for this version of the bid
    Column("at_us", BigInteger, nullable=False),
    Column("user_name", String(64), nullable=False),
    Index("ix_auction_bids_notice", "notice_id", "party_id", "bid_id"),
)

auction_fills = Table(
    "auction_fills", metadata,
    Column("auction_id", Integer, ForeignKey("auctions.id"), primary_key=True),
    Column("party_id", Integer, ForeignKey("parties.id"), primary_key=True),
    Column("quantity", BigInteger, nullable=False),
    Column("paid_fen", BigInteger, nullable=False),
    Column("txn_id", BigInteger),
)


# -- the service: credentials, tokens, audit --------------------------------------------------------

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

# every request that changes state, with the acting user (append-only)
audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True),
    Column("user_name", String(64)),
    Column("method", String(8), nullable=False),
    Column("path", Text, nullable=False),
    Column("status", Integer, nullable=False),
    Column("at_us", BigInteger, nullable=False),
)


# -- offset projects --------------------------------------------------------------------------------

offset_projects = Table(
    "offset_projects", metadata,
    Column("id", Integer, primary_key=True),
    Column("standard", String(16), nullable=False),  # CCER, PHCER, FFCER, VCS
    Column("project_id", String(64), nullable=False),
    Column("name", Text, nullable=False),
    Column("type", String(32), nullable=False),  # rural_biogas, forestry, wind, pv, inclusion …
    Column("methodology", String(64), nullable=False, default=""),
    Column("province", String(2), nullable=False),
    Column("county", String(6), nullable=False),  # GB/T 2260
    Column("owner_party", Integer, ForeignKey("parties.id"), nullable=False),
    Column("crediting_start", String(10), nullable=False),  # ISO dates
    Column("crediting_end", String(10), nullable=False),
    Column("boundary_of", Text, nullable=False, default=""),  # companies whose boundary includes it (;)
    Column("tags", Text, nullable=False, default=""),  # e.g. hubei_key_poverty_county_yangtze_cluster (;)
    Column("market", String(8), nullable=False),  # the registry it is held in
    UniqueConstraint("standard", "project_id", name="ux_offset_project"),
)


# -- the exchange: cash, orders, trades ---------------------------------------------------------------

cash_accounts = Table(
    "cash_accounts", metadata,
    Column("party_id", Integer, ForeignKey("parties.id"), primary_key=True),
    Column("market", String(8), primary_key=True),
    Column("balance_fen", BigInteger, nullable=False),
    Column("reserved_fen", BigInteger, nullable=False),
    CheckConstraint("reserved_fen >= 0 AND balance_fen >= reserved_fen", name="cash_never_negative"),
)

cash_journal = Table(
    "cash_journal", metadata,
    Column("id", Integer, primary_key=True),
    Column("party_id", Integer, nullable=False, index=True),
    Column("market", String(8), nullable=False),
    Column("d_balance", BigInteger, nullable=False),
    Column("d_reserved", BigInteger, nullable=False),
    Column("kind", String(16), nullable=False),  # deposit, withdrawal, reserve, release, trade
    Column("ref", String(64), nullable=False, default=""),
    Column("at_us", BigInteger, nullable=False),
)

orders = Table(
    "orders", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("market", String(8), nullable=False),
    Column("instrument", String(64), nullable=False),
    Column("party_id", Integer, nullable=False),
    Column("account_id", Integer, nullable=False),
    Column("side", String(4), nullable=False),
    Column("price_fen", BigInteger, nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("remaining", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),  # pending (logged, not matched yet), open, filled, cancelled, rejected
    Column("reservation_id", BigInteger),  # sell: the registry reservation of the units
    Column("seq", BigInteger, nullable=False),
    Column("at_us", BigInteger, nullable=False),
    Column("type", String(8), nullable=False, server_default="limit"),  # limit, market, select (挂牌协议)
    Column("level", Integer),  # select: the quote level chosen (1 = best)
    Column("client_id", String(64)),  # the client's order id: unique per party
    Column("reason", String(48)),  # why it was rejected or cancelled
    Column("reserved_fen", BigInteger, nullable=False, server_default="0"),  # buy: cash still held for it
    Index("ix_orders_open", "instrument", "status"),
    Index("ux_orders_client", "party_id", "client_id", unique=True),
)

# Each instrument's book version: bumped by every write that changes the book, so that a process
# holding the book in memory knows with one read whether another process changed it.
exchange_books = Table(
    "exchange_books", metadata,
    Column("instrument", String(64), primary_key=True),
    Column("version", BigInteger, nullable=False),
)

trades = Table(
    "trades", metadata,
    Column("id", Integer, primary_key=True),
    Column("instrument", String(64), nullable=False, index=True),
    Column("buy_order", BigInteger, nullable=False),
    Column("sell_order", BigInteger, nullable=False),
    Column("price_fen", BigInteger, nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("txn_id", BigInteger),  # the registry transfer that delivered the units (None: delivery due)
    Column("at_us", BigInteger, nullable=False),
    Column("market", String(8), nullable=False, server_default=""),
    Column("mode", String(8), nullable=False, server_default="listed"),  # listed, block
    Column("buyer_id", Integer, nullable=False, server_default="0"),
    Column("seller_id", Integer, nullable=False, server_default="0"),
    Column("buyer_fee_fen", BigInteger, nullable=False, server_default="0"),
    Column("seller_fee_fen", BigInteger, nullable=False, server_default="0"),
    Column("due_day", String(10)),  # T+1: the trading day the delivery is due (ISO date)
    Column("settled_us", BigInteger),  # when units and cash changed hands
)
