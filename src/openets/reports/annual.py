"""The annual market report (年度碳市场报告): an HTML page with its charts embedded (from the Jinja2
templates in ``templates/``), the same figures as a typed Excel workbook, the charts as PNG files,
and the run log (the time of each stage: for the developers, not in the public report). Input is
plain data (``AnnualData``); nothing here reads the database.

Figures: per market the companies covered, allowances allocated, verified emissions, units
surrendered (allowances and offsets), banked (allowances of the year's vintage companies still hold
after surrender; the government accounts' remainder apart), orders, trades, volume, turnover, the close, the compliance rates on time, final
and by quantity (rounded half up to 0.1 %), fines and listed companies; the per-company table in
the EU Transaction Log manner.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openets.market.data import Bar, DayStats
from openets.reports.excel import Col, add_sheet, columns_for
from openets.reports.fonts import pyplot
from openets.reports.market_charts import _png, kline_png, price_comparison_png
from openets.reports.names import STATUS_NAMES, penalty_kind, status_name


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


# the columns of each table: key, Chinese, English, kind (how the number is typed and shown)
SUMMARY = (Col("market", "市场", "market"), Col("companies", "纳入企业", "companies", "int"),
           Col("allocated_t", "分配配额 (吨)", "allocated (t)", "t"), Col("auctioned_t", "有偿竞价 (吨)", "auctioned (t)", "t"),
           Col("verified_t", "核查排放 (吨)", "verified emissions (t)", "t"),
           Col("surrendered_t", "清缴 (吨)", "surrendered (t)", "t"), Col("banked_t", "结转 (吨)", "banked (t)", "t"),
           Col("government_t", "政府账户余额 (吨)", "government remainder (t)", "t"),
           Col("offsets_counted_t", "抵销 (吨)", "offsets counted (t)", "t"), Col("orders", "委托", "orders", "int"),
           Col("trades", "成交笔数", "trades", "int"), Col("volume_t", "成交量 (吨)", "volume (t)", "t"),
           Col("turnover_fen", "成交额 (元)", "turnover (yuan)", "yuan"),
           Col("close_fen", "收盘价 (元/吨)", "close (yuan/t)", "yuan"),
           Col("compliance_rate", "履约率", "compliance rate", "rate"),
           Col("compliance_rate_final", "最终履约率", "compliance rate, final", "rate"),
           Col("compliance_rate_quantity", "按量履约率", "compliance rate, by quantity", "rate"),
           Col("compliant", "履约企业", "compliant", "int"),
           Col("compliant_late", "逾期履约企业", "compliant late", "int"), Col("non_compliant", "未履约企业", "non-compliant", "int"),
           Col("fines_fen", "罚款 (元)", "fines (yuan)", "yuan"), Col("listed", "公开名单", "listed", "int"))
COMPANIES = (Col("market", "市场", "market"), Col("company", "统一社会信用代码", "credit code"),
             Col("name", "企业名称", "company name"), Col("installations", "设施", "installations"),
             Col("allocated", "分配配额 (吨)", "allocated (t)", "t"),
             Col("verified_emissions", "核查排放 (吨)", "verified emissions (tCO2e)", "tco2"),
             Col("obligation", "应清缴 (吨)", "obligation (t)", "t"),
             Col("surrendered_allowances", "清缴配额 (吨)", "surrendered allowances (t)", "t"),
             Col("surrendered_offsets", "清缴抵销 (吨)", "surrendered offsets (t)", "t"),
             Col("status", "履约状态", "status", show=status_name), Col("shortfall", "缺口 (吨)", "shortfall (t)", "t"))
TRADING = (Col("market", "市场", "market"), Col("day", "日期", "day", "date"), Col("volume_t", "成交量 (吨)", "volume (t)", "t"),
           Col("turnover_fen", "成交额 (元)", "turnover (yuan)", "yuan"),
           Col("cumulative_volume_t", "累计成交量 (吨)", "cumulative volume (t)", "t"),
           Col("cumulative_turnover_fen", "累计成交额 (元)", "cumulative turnover (yuan)", "yuan"))
PENALTIES = (Col("market", "市场", "market"), Col("company", "企业", "company"), Col("kind", "处理", "kind", show=penalty_kind),
             Col("shortfall_t", "缺口 (吨)", "shortfall (t)", "t"), Col("amount_fen", "金额 (元)", "amount (yuan)", "yuan"),
             Col("basis", "依据", "basis"))
AUCTION = (Col("notice", "公告", "notice"), Col("market", "市场", "market"), Col("document", "文件", "document"),
           Col("status", "状态", "status"), Col("volume", "拍卖数量 (吨)", "volume offered (t)", "t"),
           Col("reserve_fen", "底价 (元/吨)", "reserve (yuan/t)", "yuan"),
           Col("clearing_price_fen", "成交价 (元/吨)", "clearing price (yuan/t)", "yuan"),
           Col("volume_sold_t", "成交数量 (吨)", "volume sold (t)", "t"), Col("bidders", "竞买人", "bidders", "int"),
           Col("winners", "中标人", "winners", "int"), Col("cover_ratio", "认购倍数", "cover ratio", "ratio"),
           Col("revenue_fen", "收入 (元)", "revenue (yuan)", "yuan"), Col("auction", "竞价编号", "auction id"),
           Col("cancelled", "流拍", "cancelled", show=lambda v: "是 yes" if v else "否 no"))


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
    auctions = [m.auction for m in data.markets if m.auction]
    if auctions:
        add_sheet(wb, "Auctions 竞价", columns_for(auctions, AUCTION), auctions)
    wb.save(path)
    return path
