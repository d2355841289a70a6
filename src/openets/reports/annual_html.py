"""The annual report's page, rendered from the Jinja2 templates in ``templates/`` (autoescaped), and
the run log: the time of each stage against its budget, for the developers, beside the report and
not in it."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from decimal import Decimal
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from openets.reports.annual import (
    AUCTION,
    COMPANIES,
    PENALTIES,
    SANCTIONS,
    STATUS_NAMES,
    SUMMARY,
    AnnualData,
    penalty_rows,
    sanction_rows,
    summary_rows,
)
from openets.reports.excel import Col, code_name, columns_for, number, yuan

# the per-company list is shown whole up to this many rows per market; beyond, the rest is in the workbook
COMPANY_ROWS = 2_000


def show(col: Col, value: object) -> str:
    """A cell as the page shows it: thousands separators, yuan with two places, the rate as published,
    status codes by their Chinese name."""
    if value is None or value == "":
        return "—" if col.kind != "text" else ""
    if col.kind in ("t", "int", "tco2", "ratio"):
        n = number(value)
        return str(value) if n is None else f"{n:,}"
    if col.kind == "yuan":
        y = yuan(value)
        return f"{y:,.2f}" if isinstance(y, Decimal) else ""
    if col.kind == "date":
        return str(value)[:10]
    if col.names:
        return code_name(col.names, value)
    return str(col.show(value) if col.show else value)


@cache
def environment() -> Environment:
    env = Environment(loader=PackageLoader("openets.reports", "templates"), autoescape=select_autoescape(["html", "j2"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals["show"] = show
    return env


def _table(cols: Sequence[Col], rows: Sequence[dict[str, object]], limit: int | None = None) -> dict[str, Any]:
    return {"cols": list(cols), "rows": list(rows[:limit] if limit else rows), "rest": max(0, len(rows) - limit) if limit else 0,
            "total": len(rows)}


def render_html(data: AnnualData, charts: dict[str, bytes]) -> str:
    summary = summary_rows(data)
    markets = []
    for m in data.markets:
        without_market = [c for c in COMPANIES if c.key != "market"]
        companies = data.public.get(m.code, [])  # the market is the section's
        markets.append({
            "code": m.code,
            "kline": f"kline-{m.code}.png" if f"kline-{m.code}.png" in charts else None,
            "auction": [(c, m.auction[c.key]) for c in columns_for([m.auction], AUCTION)] if m.auction else None,
            "penalties": _table([c for c in PENALTIES if c.key != "market"], penalty_rows(data, m.code)),
            "sanctions": _table([c for c in SANCTIONS if c.key != "market"], sanction_rows(data, m.code)),
            "companies": _table(columns_for(companies, without_market) if companies else without_market, companies,
                                COMPANY_ROWS)})
    images = {name: base64.b64encode(png).decode() for name, png in charts.items()}
    return environment().get_template("annual.html.j2").render(
        title=data.title, conserved=data.conserved, figures=SUMMARY[1:], summary=summary, markets=markets,
        images=images, statuses=STATUS_NAMES)


def run_log(data: AnnualData) -> str:
    """The stage times as plain text (the developer timing table, once in the public report)."""
    lines = [f"{data.title}: time per stage (s) against its budget", f"{'stage':<44}{'seconds':>9}{'budget':>9}  detail"]
    for s in data.stages:
        over = "  OVER" if s.seconds > s.budget else ""
        lines.append(f"{s.name:<44}{s.seconds:>9.1f}{s.budget:>9.1f}  {s.detail}{over}")
    lines.append(f"{'total':<44}{sum(s.seconds for s in data.stages):>9.1f}  (before this report was written)")
    return "\n".join(lines) + "\n"
