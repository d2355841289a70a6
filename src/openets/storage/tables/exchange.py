"""The exchange: cash, orders, trades."""

from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, Index, Integer, String, Table

from openets.storage.tables._meta import metadata

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
