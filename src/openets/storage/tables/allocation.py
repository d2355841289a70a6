"""Allocation runs and allocations, debts, deadline extensions and penalties."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from openets.storage.tables._meta import metadata

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

# Tonnes a company owes, append-only: "owed" rows (a claw-back larger than its holding; Shenzhen's unpaid
# compliance shortfall), "nextyear" rows (a shortfall decided against the next year's allocation: national,
# Hubei) and "withheld" rows (deducted from a later allocation). Outstanding = owed + nextyear − withheld.
# Never a negative balance. run_id: the run the debt was recorded against — the year's issued run, or for a
# "nextyear" debt decided in a year that had none, NULL until the first allocation run that withholds it
# (which then sets it to itself); a "withheld" row's run is the run that withheld it.
allocation_debts = Table(
    "allocation_debts", metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(8), nullable=False),  # owed, withheld
    Column("run_id", Integer, ForeignKey("allocation_runs.id")),
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
    Column("kind", String(16), nullable=False),  # fine, deduction, next_year, listed
    Column("shortfall", BigInteger, nullable=False),
    Column("amount_fen", BigInteger, nullable=False, default=0),
    Column("basis", Text, nullable=False, default=""),  # how it was computed, in words
    Column("decided_by", String(64), nullable=False),
    Column("decided_us", BigInteger, nullable=False),
    Index("ux_penalties_once", "market", "compliance_year", "company", "kind", unique=True),
)

# An account's borrowing or carry-over limit, granted by a regulator from the plan's rule (national
# 2021–2022 borrowing, 2023–2024 carry-over); the registry refuses surrenders beyond it. Once per key.
flex_limits = Table(
    "flex_limits", metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("kind", String(12), nullable=False),  # borrowing (year: the year borrowed for), carry_over (year: the last banked vintage)
    Column("year", Integer, nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("basis", Text, nullable=False),
    Column("decided_by", String(64), nullable=False),
    Column("decided_us", BigInteger, nullable=False),
    CheckConstraint("quantity >= 0", name="flex_limit_not_negative"),
    UniqueConstraint("account_id", "kind", "year", name="flex_limit_once"),
)

# Decree 775's data-quality sanction (mrv falsification): a regulator's finding against a company's
# emissions report for a year (kind: falsified, not_accounted, major_defect, no_samples), decided by a
# second regulator (the fine, the individuals' fine, the share of next year's allocation cut if not
# corrected); the cut is applied once, by the next year's first issued allocation (cut_run_id).
falsification_findings = Table(
    "falsification_findings", metadata,
    Column("id", Integer, primary_key=True),
    Column("market", String(8), nullable=False),
    Column("company", String(32), nullable=False),
    Column("report_year", Integer, nullable=False),
    Column("kind", String(24), nullable=False),
    Column("basis", Text, nullable=False),
    Column("status", String(12), nullable=False),  # found, decided
    Column("found_by", String(64), nullable=False),
    Column("found_us", BigInteger, nullable=False),
    Column("gains_fen", BigInteger),
    Column("fine_fen", BigInteger),
    Column("individual_fen", BigInteger),
    Column("cut_share", String(12)),  # a Decimal as text, e.g. "0.5"; NULL: no cut (corrected)
    Column("cut_year", Integer),  # the compliance year whose allocation is cut
    Column("corrected", Boolean),
    Column("decision", Text),  # the arithmetic, in words
    Column("decided_by", String(64)),
    Column("decided_us", BigInteger),
    Column("cut_run_id", Integer),
    Column("cut_quantity", BigInteger),
    UniqueConstraint("market", "company", "report_year", "kind", name="falsification_once"),
)
