"""Auctions: notices, bids, fills."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Table, Text

from openets.storage.tables._meta import metadata

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
