"""Parties, users, accounts, unit classes, positions, blocks, transactions, reservations, the journal and idempotency keys."""

from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint, text

from openets.storage.tables._meta import metadata

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
    # the natural person (a national id or credit number, or a key the administrator gives): four eyes
    # compare persons; None for users created before persons were recorded (their name stands in)
    Column("person_id", String(64)),
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
    # when units last arrived in it (µs; NULL: never): the arrival check's fast path (not_before_arrival)
    Column("last_in_us", BigInteger),
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

_LIVE_REVERSAL = "reverses_id IS NOT NULL AND status IN ('awaiting_approval', 'completed')"

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
    # one live reversal per transaction (proposed or done: a rejected or withdrawn proposal does not block
    # a new one); partial, so the many transactions that reverse nothing are not indexed
    Index("ux_transactions_reverses", "reverses_id", unique=True,
          sqlite_where=text(_LIVE_REVERSAL), postgresql_where=text(_LIVE_REVERSAL)),
    # a compliance year's surrenders (and allocations) without a scan; partial: trading rows have no year
    Index("ix_transactions_year", "type", "market", "compliance_year",
          sqlite_where=text("compliance_year IS NOT NULL"), postgresql_where=text("compliance_year IS NOT NULL")),
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
