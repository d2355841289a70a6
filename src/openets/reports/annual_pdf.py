"""The annual report as a PDF (fpdf2: pure Python, embeds the bundled Noto Sans SC so Chinese renders
on any reader): the same figures as the page — the markets side by side, the charts, then per market
its penalties, its data-quality sanctions and the per-company table (the first rows; the whole list is in report.xlsx)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openets.reports.annual import (
    COMPANIES,
    PENALTIES,
    SANCTIONS,
    SUMMARY,
    AnnualData,
    penalty_rows,
    sanction_rows,
    summary_rows,
)
from openets.reports.annual_html import show
from openets.reports.excel import Col, columns_for
from openets.reports.fonts import font_path

PDF_COMPANY_ROWS = 60  # per market; a printable page count (the workbook has them all)
FONT = "cjk"


def write_pdf(data: AnnualData, charts: dict[str, bytes], path: Path) -> Path:
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    font = font_path()
    if font is None:
        raise ValueError("the PDF needs the bundled Chinese font (pip install pylopdf-fonts-zh-cn)")
    pdf = FPDF(orientation="L", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_font(FONT, fname=str(font))
    head = FontFace(emphasis=None, fill_color=(243, 243, 243))  # one face only: no bold to look for

    def heading(text: str, size: int = 13) -> None:
        pdf.set_font(FONT, size=size)
        pdf.multi_cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, size=7)

    def table(cols: Sequence[Col], rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            pdf.cell(0, 6, "无 · none", new_x="LMARGIN", new_y="NEXT")
            return
        with pdf.table(headings_style=head, line_height=4, text_align="LEFT") as t:
            t.row([c.header for c in cols])
            for r in rows:
                t.row([show(c, r.get(c.key)) for c in cols])
        pdf.ln(3)

    pdf.add_page()
    heading(data.title, 16)
    summary = summary_rows(data)
    with pdf.table(headings_style=head, line_height=4, text_align="LEFT") as t:
        t.row([SUMMARY[0].header, *(str(s["market"]) for s in summary)])
        for col in SUMMARY[1:]:
            t.row([col.header, *(show(col, s.get(col.key)) for s in summary)])
    pdf.ln(3)
    for png in charts.values():
        if pdf.will_page_break(95):
            pdf.add_page()
        pdf.image(io.BytesIO(png), h=90)
        pdf.ln(2)
    without_market = [c for c in COMPANIES if c.key != "market"]
    for m in data.markets:
        pdf.add_page()
        heading(f"{m.code}")
        heading("处罚 · penalties", 10)
        table([c for c in PENALTIES if c.key != "market"], penalty_rows(data, m.code))
        heading("数据质量处罚 · data-quality sanctions", 10)
        table([c for c in SANCTIONS if c.key != "market"], sanction_rows(data, m.code))
        companies = data.public.get(m.code, [])  # the market is the section's
        rest = max(0, len(companies) - PDF_COMPANY_ROWS)
        heading(f"企业 · companies ({len(companies)}" + (f"; the other {rest} in report.xlsx)" if rest else ")"), 10)
        table(columns_for(companies, without_market) if companies else without_market, companies[:PDF_COMPANY_ROWS])
    pdf.output(str(path))
    return path
