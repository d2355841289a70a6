"""The compliance year's company table — the regulator's page (``/ui/compliance/{market}/{year}``)
and ``openets compliance status`` — as a typed workbook: a sheet of companies (name, credit code,
status by its Chinese and English name, owed, surrendered and shortfall as whole tonnes) and a sheet
of the year (deadline and as-of as dates, the three published rates as fractions), through the one
typed writer (``excel.add_sheet``: number formats, bilingual headers, frozen header, autofilter)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from openets.reports.excel import Col
from openets.reports.names import status_name
from openets.reports.xlsx import Sheet, write_xlsx

# the rows' keys are the page's (web/compliance_page.statuses); the CSV export writes the same columns
COMPANIES = (Col("name", "企业名称", "company name"), Col("company", "统一社会信用代码", "credit code"),
             Col("status", "履约状态", "status", show=status_name), Col("owed", "应清缴 (吨)", "owed (t)", "t"),
             Col("surrendered", "已清缴 (吨)", "surrendered (t)", "t"),
             Col("shortfall", "缺口 (吨)", "shortfall (t)", "t"))
YEAR = (Col("market", "市场", "market"), Col("year", "履约年度", "compliance year", "int"),
        Col("deadline", "履约截止日", "deadline", "date"), Col("as_of", "数据截至", "as of", "date"),
        Col("on_time", "按时履约率", "rate on time", "rate"), Col("final", "最终履约率", "rate final", "rate"),
        Col("quantity", "按量履约率", "rate by quantity", "rate"), Col("companies", "企业数", "companies", "int"))


def compliance_xlsx(rows: Sequence[dict[str, object]], *, market: str, year: int, deadline: date | None,
                    as_of: datetime, rates: tuple[str, str, str] | None) -> bytes:
    """The workbook's bytes. ``rates``: on time, final and by quantity as published ("98.0 %"), or None."""
    on_time, final, quantity = rates or (None, None, None)
    year_row = {"market": market, "year": year, "deadline": deadline, "as_of": as_of.date(), "on_time": on_time,
                "final": final, "quantity": quantity, "companies": len(rows)}
    return write_xlsx([Sheet(f"{market} {year} 企业 companies", COMPANIES, rows, empty="无 · none"),
                       Sheet("履约年度 year", YEAR, [year_row])])
