"""Offset projects."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint

from openets.storage.tables._meta import metadata

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
