"""The lab comparison's report (``openets lab compare … --out DIR``): the base and each what-if side by
side, the analytic prediction beside each figure — an HTML page with the charts embedded (PNG, drawn
with matplotlib off screen) and a typed workbook (reports/excel.py). Pure rendering of the comparison
document (simulation/lab_compare.py): no run, no database."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from openets.reports.excel import Col, add_sheet
from openets.reports.fonts import pyplot

SUMMARY = (Col("variant", "col_variant"), Col("year", "col_year", "int"),
           Col("price_fen", "col_market_price", "yuan"), Col("analytic_price_fen", "col_analytic_price", "yuan"),
           Col("d_price_fen", "col_price_change", "yuan"), Col("d_analytic_price_fen", "col_analytic_price_change", "yuan"),
           Col("abatement_t", "col_abatement", "t"), Col("analytic_abatement_t", "col_analytic_abatement", "t"),
           Col("d_abatement_t", "col_abatement_change", "t"), Col("d_analytic_abatement_t", "col_analytic_abatement_change", "t"),
           Col("cost_fen", "col_cost_total", "yuan"), Col("least_cost_fen", "col_least_cost", "yuan"),
           Col("no_trade_cost_fen", "col_no_trade_cost", "yuan"), Col("efficiency", "col_efficiency", "ratio"),
           Col("compliance_rate", "col_compliance_rate", "ratio"), Col("banked_t", "col_banked", "t"),
           Col("reserve_t", "col_bought_by_the_floor_s_reserve", "t"))
SECTORS = (Col("variant", "col_variant"), Col("year", "col_year", "int"), Col("sector", "col_sector"),
           Col("cost_fen", "col_cost", "yuan"), Col("abatement_t", "col_abatement", "t"))
FIRMS = (Col("variant", "col_variant"), Col("year", "col_year", "int"), Col("firm_id", "col_firm"),
         Col("sector", "col_sector"), Col("cost_fen", "col_cost", "yuan"), Col("abatement_t", "col_abatement", "t"),
         Col("shortfall_t", "col_shortfall", "t"), Col("banked_t", "col_banked", "t"))
DAILY = (Col("variant", "col_variant"), Col("year", "col_year", "int"), Col("day", "col_trading_day", "int"),
         Col("vwap_fen", "col_vwap", "yuan"))
FIRM_ROWS = 300  # the page lists this many firm rows; the workbook has them all


def fen(yuan: object) -> int | None:
    """Yuan as written in the document (a decimal string, to the fen) → fen."""
    return None if yuan is None else int(Decimal(str(yuan)) * 100)


def summary_rows(doc: dict[str, Any]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for v in doc["variants"]:
        changes = {c["year"]: c for c in v.get("change", [])}
        for y in v["years"]:
            c = changes.get(y["year"], {})
            price, abate = c.get("price_yuan") or {}, c.get("abatement_t") or {}
            rows.append({"variant": v["name"], "year": y["year"], "price_fen": fen(y["price_yuan"]),
                         "analytic_price_fen": fen(y["analytic_price_yuan"]), "d_price_fen": fen(price.get("market")),
                         "d_analytic_price_fen": fen(price.get("analytic")), "abatement_t": y["abatement_t"],
                         "analytic_abatement_t": y["analytic_abatement_t"], "d_abatement_t": abate.get("market"),
                         "d_analytic_abatement_t": abate.get("analytic"), "cost_fen": fen(y["cost_yuan"]),
                         "least_cost_fen": fen(y["least_cost_yuan"]), "no_trade_cost_fen": fen(y["no_trade_cost_yuan"]),
                         "efficiency": y["efficiency"], "compliance_rate": y["compliance_rate"], "banked_t": y["banked_t"],
                         "reserve_t": y["reserve_t"]})
    return rows


def _rows(doc: dict[str, Any], part: str) -> list[dict[str, object]]:
    return [{"variant": v["name"], "year": y["year"], **r, "cost_fen": fen(r["cost_yuan"])}
            for v in doc["variants"] for y in v["years"] for r in y[part]]


def daily_rows(doc: dict[str, Any]) -> list[dict[str, object]]:
    return [{"variant": v["name"], "year": y["year"], "day": i + 1, "vwap_fen": fen(p)}
            for v in doc["variants"] for y in v["years"] for i, p in enumerate(y["daily_vwap_yuan"])]


# -- charts ------------------------------------------------------------------------------------------------
def _png(fig: Any, plt: Any) -> bytes:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def _num(x: object) -> float:
    return 0.0 if x is None else float(Decimal(str(x)))  # a chart's coordinate only: the figures stay exact


def charts(doc: dict[str, Any]) -> dict[str, bytes]:
    """Price path (each day's VWAP, the analytic price dashed), abatement and compliance (market beside
    analytic), cost per sector, and the bank at each year's end — one PNG each, every variant in each."""
    plt = pyplot()
    names = [v["name"] for v in doc["variants"]]
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    out: dict[str, bytes] = {}

    fig, ax = plt.subplots(figsize=(9, 3.6), dpi=100)
    for i, v in enumerate(doc["variants"]):
        x0, c = 0, colours[i % len(colours)]
        for y in v["years"]:
            days = y["daily_vwap_yuan"]
            pts = [(x0 + d, _num(p)) for d, p in enumerate(days) if p is not None]
            ax.plot([p[0] for p in pts], [p[1] for p in pts], color=c, linewidth=1.2, label=v["name"] if x0 == 0 else None)
            ax.hlines(_num(y["analytic_price_yuan"]), x0, x0 + max(len(days) - 1, 1), colors=c, linestyles="dashed", linewidth=1)
            x0 += len(days)
    ax.set_title("价格路径（虚线：理论价格）· Price path (dashed: analytic price)")
    ax.set_xlabel("交易日 · trading day")
    ax.set_ylabel("元/吨 · yuan/t")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    out["price.png"] = _png(fig, plt)

    def bars(key: str, title: str, unit: str, analytic: str | None, name: str) -> None:
        fig, ax = plt.subplots(figsize=(9, 3.2), dpi=100)
        xs = range(len(names))
        ax.bar([x - 0.2 for x in xs] if analytic else list(xs), [sum(_num(y[key]) for y in v["years"]) / (
            len(v["years"]) if key == "compliance_rate" else 1) for v in doc["variants"]], width=0.4, label="市场 · market")
        if analytic:
            ax.bar([x + 0.2 for x in xs], [sum(_num(y[analytic]) for y in v["years"]) for v in doc["variants"]], width=0.4,
                   label="理论 · analytic")
            ax.legend(fontsize=8)
        ax.set_xticks(list(xs))
        ax.set_xticklabels(names, fontsize=8)
        ax.set_title(title)
        ax.set_ylabel(unit)
        ax.grid(alpha=0.3, axis="y")
        out[name] = _png(fig, plt)

    bars("abatement_t", "减排量（各年合计）· Abatement (all years)", "吨 · t", "analytic_abatement_t", "abatement.png")
    bars("compliance_rate", "履约率（各年平均）· Compliance rate (mean of the years)", "", None, "compliance.png")

    sectors = sorted({s["sector"] for v in doc["variants"] for y in v["years"] for s in y["sectors"]})
    fig, ax = plt.subplots(figsize=(9, 3.2), dpi=100)
    width = 0.8 / max(len(names), 1)
    for i, v in enumerate(doc["variants"]):
        cost = {s: sum(_num(r["cost_yuan"]) for y in v["years"] for r in y["sectors"] if r["sector"] == s) for s in sectors}
        ax.bar([k + i * width for k in range(len(sectors))], [cost[s] / 1e6 for s in sectors], width=width, label=v["name"])
    ax.set_xticks([k + 0.4 - width / 2 for k in range(len(sectors))])
    ax.set_xticklabels(sectors)
    ax.set_title("各行业成本（减排 + 净购买 + 罚款）· Cost per sector (abatement + net purchases + penalties)")
    ax.set_ylabel("百万元 · million yuan")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, axis="y")
    out["sectors.png"] = _png(fig, plt)

    fig, ax = plt.subplots(figsize=(9, 3.0), dpi=100)
    for v in doc["variants"]:
        ax.plot([y["year"] for y in v["years"]], [_num(y["banked_t"]) for y in v["years"]], marker="o", label=v["name"])
    ax.set_title("年末结转 · Bank at each year's end")
    ax.set_ylabel("吨 · t")
    ax.set_xticks(doc["years"])
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    out["bank.png"] = _png(fig, plt)
    return out


# -- HTML and workbook -----------------------------------------------------------------------------------
def show(col: Col, value: object) -> str:
    if value is None or value == "":
        return "—" if col.kind != "text" else ""
    if col.kind == "yuan":
        return f"{Decimal(int(str(value))) / 100:,.2f}"
    if col.kind in ("t", "int"):
        return f"{Decimal(str(value)):,}" if col.kind == "t" else str(value)
    return str(value)


def render_html(doc: dict[str, Any], images: dict[str, bytes]) -> str:
    env = Environment(loader=PackageLoader("openets.reports", "templates"), autoescape=select_autoescape(["html", "j2"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals["show"] = show
    firms = _rows(doc, "firms")
    return env.get_template("lab_compare.html.j2").render(
        doc=doc, summary={"cols": SUMMARY, "rows": summary_rows(doc)}, sectors={"cols": SECTORS, "rows": _rows(doc, "sectors")},
        firms={"cols": FIRMS, "rows": firms[:FIRM_ROWS]}, firms_rest=max(0, len(firms) - FIRM_ROWS),
        images={k: base64.b64encode(v).decode() for k, v in images.items()})


def write_workbook(doc: dict[str, Any], path: Path) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    sheets: Sequence[tuple[str, Sequence[Col], list[dict[str, object]]]] = (
        ("Summary 概要", SUMMARY, summary_rows(doc)), ("Sectors 行业", SECTORS, _rows(doc, "sectors")),
        ("Firms 企业", FIRMS, _rows(doc, "firms")), ("Daily 逐日", DAILY, daily_rows(doc)))
    for i, (title, cols, rows) in enumerate(sheets):
        add_sheet(wb, title, cols, rows, first=i == 0)
    wb.save(path)
    return path


def write_report(doc: dict[str, Any], out: Path) -> list[Path]:
    """comparison.json (what the dashboard's lab page reads), comparison.html, comparison.xlsx in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "comparison.json", out / "comparison.html", out / "comparison.xlsx"]
    paths[0].write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    paths[1].write_text(render_html(doc, charts(doc)), encoding="utf-8")
    write_workbook(doc, paths[2])
    return paths
