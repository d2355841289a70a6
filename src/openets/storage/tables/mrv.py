"""MRV: emission reports, monitoring plans, their steps, verifier relations."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint

from openets.storage.tables._meta import metadata

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
