"""The compliance year's company table — the regulator's page (``/ui/compliance/{market}/{year}``)
and ``openets compliance status`` — as a typed workbook: a sheet of companies (name, credit code,
status by its Chinese and English name, owed, surrendered and shortfall as whole tonnes) and a sheet
of the year (deadline and as-of as dates, the three published rates as fractions), through the one
fast writer (``reports/xlsx.py``: number formats, headers in both languages or the page's, frozen header,
autofilter)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from openets.messages import lookup
from openets.reports.excel import Col
from openets.reports.names import STATUS
from openets.reports.xlsx import Sheet, write_xlsx

# the rows' keys are the page's (web/compliance_page.statuses); the CSV export writes the same columns
COMPANIES = (Col("name", "col_company_name"), Col("company", "col_credit_code"),
             Col("status", "col_compliance_status", names=STATUS), Col("owed", "col_owed_t", "t"),
             Col("surrendered", "col_surrendered_t", "t"),
             Col("shortfall", "col_shortfall_t", "t"))
YEAR = (Col("market", "col_market"), Col("year", "col_compliance_year", "int"),
        Col("deadline", "col_deadline", "date"), Col("as_of", "col_as_of", "date"),
        Col("on_time", "col_rate_on_time", "rate"), Col("final", "col_rate_final", "rate"),
        Col("quantity", "col_rate_by_quantity", "rate"), Col("companies", "col_companies_count", "int"))


def compliance_xlsx(rows: Sequence[dict[str, object]], *, market: str, year: int, deadline: date | None,
                    as_of: datetime, rates: tuple[str, str, str] | None, lang: str | None = None) -> bytes:
    """The workbook's bytes. ``rates``: on time, final and by quantity as published ("98.0 %"), or None;
    ``lang``: headers, statuses and sheet names in that language (a page's export), both for None."""
    on_time, final, quantity = rates or (None, None, None)
    year_row = {"market": market, "year": year, "deadline": deadline, "as_of": as_of.date(), "on_time": on_time,
                "final": final, "quantity": quantity, "companies": len(rows)}
    return write_xlsx([Sheet(f"{market} {year} {word('sheet_companies', lang)}", COMPANIES, rows,
                             empty=word("none", lang, " · "), lang=lang),
                       Sheet(word("sheet_year", lang), YEAR, [year_row], lang=lang)])


def word(key: str, lang: str | None, between: str = " ") -> str:
    """A catalogue word in ``lang``, or both languages (Chinese first) for None."""
    if lang is not None:
        return lookup(lang, key) or key
    return between.join(lookup(x, key) or key for x in ("zh", "en"))
