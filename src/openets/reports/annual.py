"""The annual market report (年度碳市场报告): an HTML page with its charts embedded, the same figures
as an Excel workbook, and the charts as PNG files. Input is plain data (``AnnualData``); nothing
here reads the database.

Figures: per market the companies covered, allowances allocated, verified emissions, units
surrendered (allowances and offsets), banked (allowances of the year's vintage still in circulation
after surrender), orders,
trades, volume, turnover, the close, the compliance rate (rounded half up to 0.1 %, the exact ratio
beside it), fines and listed companies; the per-company table in the EU Transaction Log manner.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openets.market.data import Bar, DayStats
from openets.reports.market_charts import kline_png, price_comparison_png

STATUS_NAMES = {"compliant": "按时履约 compliant", "compliant_late": "逾期履约 compliant late",
                "non_compliant": "未履约 non-compliant", "late": "逾期 late", "due": "待履约 due",
                "emissions_missing": "缺排放数据 emissions missing", "excluded": "排除 excluded",
                "not_applicable": "不适用 n/a"}


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


def _yuan(fen: int | None) -> str:
    return "" if fen is None else f"{fen / 100:,.2f}"


def _status_png(data: AnnualData) -> bytes:
    from openets.reports.market_charts import _plt, _png

    plt = _plt()
    fig, ax = plt.subplots(figsize=(8, 3.2), dpi=110)
    codes = [m.code for m in data.markets]
    kinds = ["compliant", "compliant_late", "non_compliant"]
    colours = {"compliant": "#2ca02c", "compliant_late": "#ff7f0e", "non_compliant": "#d62728"}
    left = [0] * len(codes)
    for k in kinds:
        vals = [m.statuses.get(k, 0) for m in data.markets]
        ax.barh(codes, vals, left=left, color=colours[k], label=STATUS_NAMES[k])
        left = [a + b for a, b in zip(left, vals)]
    ax.set_xlabel("企业数 · companies")
    ax.set_title("履约情况 · Compliance by market")
    ax.legend(fontsize=8, loc="lower right")
    return _png(fig, plt)


def write_annual_report(data: AnnualData, out: Path) -> list[Path]:
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
    files.append(_html(data, charts, out / "report.html"))
    files.append(_excel(data, out / "report.xlsx"))
    return files


def _summary_rows(data: AnnualData) -> list[dict[str, object]]:
    rows = []
    for m in data.markets:
        auction_sold = int(m.auction["volume_sold_t"]) if m.auction else 0
        rows.append({
            "market": m.code, "companies": m.companies, "allocated_t": m.allocated, "auctioned_t": auction_sold,
            "verified_t": m.verified, "surrendered_t": m.surrendered, "banked_t": m.banked,
            "offsets_counted_t": m.offsets_used,
            "orders": m.orders, "trades": m.trades, "volume_t": m.volume, "turnover_yuan": _yuan(m.turnover_fen),
            "close_yuan": _yuan(m.close_fen), "compliance_rate": m.rate,
            "compliant": m.statuses.get("compliant", 0) + m.statuses.get("compliant_late", 0),
            "non_compliant": m.statuses.get("non_compliant", 0), "fines_yuan": _yuan(m.fines_fen),
            "listed": m.listed})
    return rows


def _table(rows: list[dict[str, object]], limit: int | None = None) -> str:
    if not rows:
        return "<p>—</p>"
    cols = list(rows[0])
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{html.escape('' if r[c] is None else str(r[c]))}</td>" for c in cols)
                   + "</tr>" for r in rows[:limit])
    more = f"<p>… {len(rows) - limit:,} more rows in the Excel workbook</p>" if limit and len(rows) > limit else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"


def _html(data: AnnualData, charts: dict[str, bytes], path: Path) -> Path:
    def img(name: str, alt: str) -> str:
        if name not in charts:
            return ""
        return (f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,'
                f'{base64.b64encode(charts[name]).decode()}"></figure>')

    parts = [f"<h1>{html.escape(data.title)}</h1>",
             "<p>年度碳市场报告 · Annual carbon market report. All units conserved: "
             f"<b>{'yes' if data.conserved else 'NO'}</b>.</p>",
             "<h2>市场概况 · Markets</h2>", _table(_summary_rows(data)),
             img("prices.png", "cross-market prices"), img("compliance.png", "compliance by market")]
    for m in data.markets:
        parts.append(f"<h2>{html.escape(m.code)}</h2>")
        parts.append(img(f"kline-{m.code}.png", f"{m.code} K-line"))
        if m.auction:
            parts.append("<h3>有偿竞价 · Auction</h3>" + _table([{k: v for k, v in m.auction.items()}]))
        pen = [{"company": p.company, "kind": p.kind, "shortfall_t": p.shortfall, "amount_yuan": _yuan(p.amount_fen),
                "basis": p.basis} for p in data.penalties.get(m.code, [])]
        parts.append("<h3>未履约名单与罚款 · Non-compliance list and fines</h3>" + _table(pen))
        parts.append("<h3>企业履约数据 · Per company (EUTL style)</h3>" + _table(data.public.get(m.code, []), 50))
    parts.append("<h2>运行时间 · Time per stage</h2>" + _table(
        [{"stage": s.name, "seconds": f"{s.seconds:.1f}", "budget": f"{s.budget:.1f}", "detail": s.detail}
         for s in data.stages]))
    style = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
             "table{border-collapse:collapse;font-size:12px;margin:.5em 0}"
             "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}th{background:#f3f3f3}"
             "img{max-width:100%}")
    path.write_text(f'<!doctype html><html lang="zh"><meta charset="utf-8"><title>{html.escape(data.title)}</title>'
                    f"<style>{style}</style><body>{''.join(parts)}</body></html>", encoding="utf-8")
    return path


def _excel(data: AnnualData, path: Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()

    def sheet(title: str, rows: list[dict[str, object]], first: bool = False) -> None:
        ws = wb.active if first else wb.create_sheet()
        ws.title = title
        if not rows:
            ws.append(["—"])
            return
        cols = list(rows[0])
        ws.append(cols)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for r in rows:
            ws.append([r[c] for c in cols])
        ws.freeze_panes = "A2"

    sheet("Markets 市场", _summary_rows(data), first=True)
    sheet("Companies 企业", [{"market": code, **r} for code, rows in data.public.items() for r in rows])
    sheet("Trading 交易", [{"market": code, "day": d.day.isoformat(), "volume_t": d.volume,
                            "turnover_yuan": _yuan(d.turnover), "cumulative_volume_t": d.cumulative_volume,
                            "cumulative_turnover_yuan": _yuan(d.cumulative_turnover)}
                           for code, days in data.daily.items() for d in days])
    sheet("Penalties 处罚", [{"market": code, "company": p.company, "kind": p.kind, "shortfall_t": p.shortfall,
                              "amount_yuan": _yuan(p.amount_fen), "basis": p.basis}
                             for code, ps in data.penalties.items() for p in ps])
    sheet("Stages 运行", [{"stage": s.name, "seconds": round(s.seconds, 2), "budget": round(s.budget, 1),
                           "detail": s.detail} for s in data.stages])
    wb.save(path)
    return path
