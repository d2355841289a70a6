"""Sector MRV for the industries the national market added in 2024 (steel BF-BOF, cement clinker,
aluminium electrolysis): which gases each stream kind reports, and a data-quality check (``quality``
style: findings, never raising) that a report carries the streams and gases its sector's plan
covers — direct emissions only (the plan: CO2 for steel and cement; CO2, CF4 and C2F6 for aluminium)."""

from __future__ import annotations

from collections.abc import Iterable

from openets.mrv.quality import Finding

# what each stream kind of ``accounting`` reports
GASES_BY_KIND: dict[str, frozenset[str]] = {
    "combustion": frozenset({"CO2"}), "clinker": frozenset({"CO2"}), "anode": frozenset({"CO2"}),
    "carbon": frozenset({"CO2"}), "carbonate": frozenset({"CO2"}), "pfc": frozenset({"CF4", "C2F6"}),
}
INDIRECT_KINDS = frozenset({"electricity", "heat"})


def sector_coverage(where: str, sector: str, *, gases: Iterable[str], streams: Iterable[str],
                    reported: Iterable[str]) -> list[Finding]:
    """``gases`` and ``streams``: what the sector's plan covers (its ``industry`` rule data);
    ``reported``: the stream kinds of the report. Finds a covered stream kind missing, a covered gas
    no stream reports, and indirect streams (not in the obligation: reported apart, a warning)."""
    kinds = set(reported)
    out = [Finding("sector_stream_missing", "error", where, f"the {sector} plan covers {k} streams; the report has none")
           for k in sorted(set(streams) - kinds)]
    seen = set().union(*(GASES_BY_KIND.get(k, frozenset()) for k in kinds)) if kinds else set()
    out += [Finding("sector_gas_missing", "error", where, f"no stream reports {g}, which the {sector} plan covers")
            for g in sorted(set(gases) - seen)]
    out += [Finding("indirect_not_covered", "warning", where,
                    f"{k} stream: indirect emissions are outside the {sector} obligation (direct only)")
            for k in sorted(kinds & INDIRECT_KINDS)]
    return out
