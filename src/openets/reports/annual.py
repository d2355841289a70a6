"""The annual market report (年度碳市场报告): an HTML page with its charts embedded (from the Jinja2
templates in ``templates/``), the same figures as a typed Excel workbook, the charts as PNG files,
and the run log (the time of each stage: for the developers, not in the public report). Input is
plain data (``AnnualData``); nothing here reads the database.

Figures: per market the companies covered, allowances allocated, verified emissions, units
surrendered (allowances and offsets), banked (allowances of the year's vintage companies still hold
after surrender; the government accounts' remainder apart), orders, trades, volume, turnover, the close, the compliance rates on time, final
and by quantity (rounded half up to 0.1 %), fines and listed companies; the per-company table in
the EU Transaction Log manner; the data-quality sanctions (数据质量处罚, Decree 775) of the year.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openets.market.data import Bar, DayStats
from openets.reports.excel import Col, add_sheet, columns_for
from openets.reports.fonts import pyplot
from openets.reports.market_charts import _png, kline_png, price_comparison_png
from openets.reports.names import PENALTY, STATUS, STATUS_NAMES


@dataclass
class AnnualData:
    title: str
    markets: list[Any]  # MarketOutcome
    stages: list[Any]  # StageTime
    conserved: bool
    public: dict[str, list[dict[str, object]]] = field(default_factory=dict)  # market → company rows
    bars: dict[str, list[Bar]] = field(default_factory=dict)  # market → daily bars
    daily: dict[str, list[DayStats]] = field(default_factory=dict)
    penalties: dict[str, list[Any]] = field(default_factory=dict)  # market → Penalty
    # market → the data-quality sanctions (Decree 775) of the year: the findings against its reports and
    # those whose allocation cut falls on it, each as a row of SANCTIONS' keys
    sanctions: dict[str, list[dict[str, object]]] = field(default_factory=dict)


# the columns of each table: key, Chinese, English, kind (how the number is typed and shown)
SUMMARY = (Col("market", "col_market"), Col("companies", "col_companies_covered", "int"),
           Col("allocated_t", "col_allocated_t", "t"), Col("auctioned_t", "col_auctioned_t", "t"),
           Col("verified_t", "col_verified_emissions_t", "t"),
           Col("surrendered_t", "col_surrendered_t_units", "t"), Col("banked_t", "col_banked_t", "t"),
           Col("government_t", "col_government_remainder_t", "t"),
           # banking between years (a multi-year run; 0 in a single year): earlier vintages surrendered
           # for this year, the carry-over limits in force, and what companies hold beyond them
           Col("carried_in_t", "col_carried_in_t", "t"), Col("carry_limit_t", "col_carry_limit_t", "t"),
           Col("carry_beyond_t", "col_carry_beyond_t", "t"),
           Col("offsets_counted_t", "col_offsets_counted_t", "t"), Col("orders", "col_orders", "int"),
           Col("trades", "col_trades", "int"), Col("volume_t", "col_volume_t", "t"),
           Col("turnover_fen", "col_turnover_yuan", "yuan"),
           Col("close_fen", "col_close_yuan_t", "yuan"),
           Col("compliance_rate", "col_compliance_rate", "rate"),
           Col("compliance_rate_final", "col_compliance_rate_final", "rate"),
           Col("compliance_rate_quantity", "col_compliance_rate_by_quantity", "rate"),
           Col("compliant", "col_compliant", "int"),
           Col("compliant_late", "col_compliant_late", "int"), Col("non_compliant", "col_non_compliant", "int"),
           Col("fines_fen", "col_fines_yuan", "yuan"), Col("listed", "col_listed", "int"))
COMPANIES = (Col("market", "col_market"), Col("company", "col_credit_code"),
             Col("name", "col_company_name"), Col("installations", "col_installations"),
             Col("allocated", "col_allocated_t", "t"),
             Col("verified_emissions", "col_verified_emissions_tco2e", "tco2"),
             Col("obligation", "col_obligation_t", "t"),
             Col("surrendered_allowances", "col_surrendered_allowances_t", "t"),
             Col("surrendered_offsets", "col_surrendered_offsets_t", "t"),
             Col("status", "col_compliance_status", names=STATUS), Col("shortfall", "col_shortfall_t", "t"))
TRADING = (Col("market", "col_market"), Col("day", "col_day", "date"), Col("volume_t", "col_volume_t", "t"),
           Col("turnover_fen", "col_turnover_yuan", "yuan"),
           Col("cumulative_volume_t", "col_cumulative_volume_t", "t"),
           Col("cumulative_turnover_fen", "col_cumulative_turnover_yuan", "yuan"))
PENALTIES = (Col("market", "col_market"), Col("company", "col_company"), Col("kind", "col_kind", names=PENALTY),
             Col("shortfall_t", "col_shortfall_t", "t"), Col("amount_fen", "col_amount_yuan", "yuan"),
             Col("basis", "col_basis"))
SANCTIONS = (Col("market", "col_market"), Col("company", "col_credit_code"), Col("name", "col_company_name"),
             Col("report_year", "col_report_year"), Col("kind", "col_finding_kind", names="falsification_kind_"),
             Col("status", "col_status", names="status_falsification_"), Col("fine_fen", "col_fine_yuan", "yuan"),
             Col("individual_fen", "col_individuals_fine_yuan", "yuan"), Col("cut_share", "col_cut_share", "ratio"),
             Col("cut_year", "col_cut_year"), Col("cut_t", "col_cut_t", "t"), Col("decision", "col_decision"))
AUCTION = (Col("notice", "col_notice"), Col("market", "col_market"), Col("document", "col_document"),
           Col("status", "col_status"), Col("volume", "col_volume_offered_t", "t"),
           Col("reserve_fen", "col_reserve_yuan_t", "yuan"),
           Col("clearing_price_fen", "col_clearing_price_yuan_t", "yuan"),
           Col("volume_sold_t", "col_volume_sold_t", "t"), Col("bidders", "col_bidders", "int"),
           Col("winners", "col_winners", "int"), Col("cover_ratio", "col_cover_ratio", "ratio"),
           Col("revenue_fen", "col_revenue_yuan", "yuan"), Col("auction", "col_auction_id"),
           Col("cancelled", "col_cancelled", show=lambda v: "是 yes" if v else "否 no"))


def _status_png(data: AnnualData) -> bytes:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 3.4), dpi=110)
    codes = [m.code for m in data.markets]
    kinds = ["compliant", "compliant_late", "non_compliant"]
    colours = {"compliant": "#2ca02c", "compliant_late": "#ff7f0e", "non_compliant": "#d62728"}
    left = [0] * len(codes)
    for k in kinds:
        vals = [m.statuses.get(k, 0) for m in data.markets]
        ax.barh(codes, vals, left=left, color=colours[k], label=STATUS_NAMES[k])
        left = [a + b for a, b in zip(left, vals)]
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))  # companies come whole
    ax.set_xlabel("企业数 · companies")
    ax.set_title("履约情况 · Compliance by market")
    ax.invert_yaxis()  # the markets top down in the table's order
    # the legend under the axes, in one row: inside, it covered the longest bar
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=len(kinds), frameon=False)
    return _png(fig, plt)


def write_annual_report(data: AnnualData, out: Path) -> list[Path]:
    from openets.reports.annual_html import render_html, run_log

    out.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    charts: dict[str, bytes] = {}
    series = {m: b for m, b in data.bars.items() if b}
    if series:
        charts["prices.png"] = price_comparison_png(series)
    for code, bars in series.items():
        charts[f"kline-{code}.png"] = kline_png(bars, f"{code} 碳 K 线 · daily K-line")
    charts["compliance.png"] = _status_png(data)
    for name, png in charts.items():
        (out / name).write_bytes(png)
        files.append(out / name)
    (out / "report.html").write_text(render_html(data, charts), encoding="utf-8")
    files.append(out / "report.html")
    files.append(_excel(data, out / "report.xlsx"))
    from openets.reports.annual_pdf import write_pdf

    files.append(write_pdf(data, charts, out / "report.pdf"))
    (out / "run.log").write_text(run_log(data), encoding="utf-8")
    files.append(out / "run.log")
    return files


def summary_rows(data: AnnualData) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for m in data.markets:
        auction_sold = int(m.auction["volume_sold_t"]) if m.auction else 0
        rows.append({
            "market": m.code, "companies": m.companies, "allocated_t": m.allocated, "auctioned_t": auction_sold,
            "verified_t": m.verified, "surrendered_t": m.surrendered, "banked_t": m.banked,
            "government_t": m.government_remainder,
            "carried_in_t": m.carried_in, "carry_limit_t": m.carry_limit, "carry_beyond_t": m.carry_beyond,
            "offsets_counted_t": m.offsets_used,
            "orders": m.orders, "trades": m.trades, "volume_t": m.volume, "turnover_fen": m.turnover_fen,
            "close_fen": m.close_fen, "compliance_rate": m.rate, "compliance_rate_final": m.rate_final,
            "compliance_rate_quantity": m.rate_quantity, "compliant": m.statuses.get("compliant", 0),
            "compliant_late": m.statuses.get("compliant_late", 0),
            "non_compliant": m.statuses.get("non_compliant", 0), "fines_fen": m.fines_fen,
            "listed": m.listed})
    return rows


def penalty_rows(data: AnnualData, market: str | None = None) -> list[dict[str, object]]:
    return [{"market": code, "company": p.company, "kind": p.kind, "shortfall_t": p.shortfall, "amount_fen": p.amount_fen,
             "basis": p.basis} for code, ps in data.penalties.items() if market in (None, code) for p in ps]


def sanction_rows(data: AnnualData, market: str | None = None) -> list[dict[str, object]]:
    return [{"market": code, **r} for code, rows in data.sanctions.items() if market in (None, code) for r in rows]


def company_rows(data: AnnualData, market: str | None = None) -> list[dict[str, object]]:
    return [{"market": code, **r} for code, rows in data.public.items() if market in (None, code) for r in rows]


def _excel(data: AnnualData, path: Path) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    companies = company_rows(data)
    add_sheet(wb, "Markets 市场", SUMMARY, summary_rows(data), first=True)
    add_sheet(wb, "Companies 企业", columns_for(companies, COMPANIES), companies)
    add_sheet(wb, "Trading 交易", TRADING, [
        {"market": code, "day": d.day, "volume_t": d.volume, "turnover_fen": d.turnover,
         "cumulative_volume_t": d.cumulative_volume, "cumulative_turnover_fen": d.cumulative_turnover}
        for code, days in data.daily.items() for d in days])
    add_sheet(wb, "Penalties 处罚", PENALTIES, penalty_rows(data), empty="无 · none")
    add_sheet(wb, "Data quality 数据质量", SANCTIONS, sanction_rows(data), empty="无 · none")
    auctions = [m.auction for m in data.markets if m.auction]
    if auctions:
        add_sheet(wb, "Auctions 竞价", columns_for(auctions, AUCTION), auctions)
    wb.save(path)
    return path
