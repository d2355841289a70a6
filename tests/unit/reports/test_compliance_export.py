"""The compliance year's Excel export: pandas reads tonnes as integers, the deadline and as-of as dates,
the rates as fractions; bilingual headers (or the page's language), the status by its Chinese and English name, frozen header
and autofilter."""

from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl
import pandas as pd

from openets.core.clock import MARKET_TZ
from openets.reports.compliance_export import compliance_xlsx

ROWS = [{"name": "北京某热电", "company": "91110000A", "status": "late", "owed": 118_501, "surrendered": 115_000,
         "shortfall": 3_501},
        {"name": "北京某水泥", "company": "91110000B", "status": "compliant", "owed": 79_000, "surrendered": 79_000,
         "shortfall": 0}]


def test_compliance_workbook_is_typed() -> None:
    body = compliance_xlsx(ROWS, market="BJ", year=2016, deadline=date(2017, 6, 15),
                           as_of=datetime(2017, 6, 14, 10, 0, tzinfo=MARKET_TZ),
                           rates=("50.0 %", "50.0 %", "97.0 %"))
    sheets = pd.read_excel(io.BytesIO(body), sheet_name=None)
    companies, year = list(sheets.values())
    assert list(companies.columns) == ["企业名称 / company name", "统一社会信用代码 / credit code", "履约状态 / status",
                                       "应清缴 (吨) / owed (t)", "已清缴 (吨) / surrendered (t)", "缺口 (吨) / shortfall (t)"]
    for col in ("应清缴 (吨) / owed (t)", "已清缴 (吨) / surrendered (t)", "缺口 (吨) / shortfall (t)"):
        assert pd.api.types.is_integer_dtype(companies[col]), col
    # shortfall = owed − surrendered: 118,501 − 115,000 = 3,501 t (as given, carried as a number)
    assert companies["缺口 (吨) / shortfall (t)"].tolist() == [3_501, 0]
    assert companies["履约状态 / status"].tolist() == ["逾期未履约 late", "已按期履约 compliant"]  # the catalogue's names
    assert companies["统一社会信用代码 / credit code"].tolist() == ["91110000A", "91110000B"]
    assert pd.api.types.is_datetime64_any_dtype(year["履约截止日 / deadline"])
    assert pd.api.types.is_datetime64_any_dtype(year["数据截至 / as of"])
    assert year["履约截止日 / deadline"][0] == pd.Timestamp(2017, 6, 15)
    assert year["数据截至 / as of"][0] == pd.Timestamp(2017, 6, 14)
    # the published "97.0 %" is the fraction 0.97 in the cell, shown as 97.0 %
    assert pd.api.types.is_float_dtype(year["按量履约率 / rate by quantity"])
    assert year["按量履约率 / rate by quantity"][0] == 0.97 and year["企业数 / companies"][0] == 2
    ws = openpyxl.load_workbook(io.BytesIO(body)).worksheets[0]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:F3"
    assert ws["D2"].number_format == "#,##0" and isinstance(ws["D2"].value, int)


def test_an_empty_year_still_gives_its_sheets() -> None:
    body = compliance_xlsx([], market="BJ", year=2016, deadline=None,
                           as_of=datetime(2017, 6, 14, 10, 0, tzinfo=MARKET_TZ), rates=None)
    wb = openpyxl.load_workbook(io.BytesIO(body))
    assert wb.worksheets[0]["A1"].value == "暂无 · None"
    assert wb.worksheets[1]["H2"].value == 0  # no company


def test_a_page_export_is_in_the_page_language() -> None:
    kw = {"market": "BJ", "year": 2016, "deadline": date(2017, 6, 15),
          "as_of": datetime(2017, 6, 14, 10, 0, tzinfo=MARKET_TZ), "rates": ("50.0 %", "50.0 %", "97.0 %")}
    en = pd.read_excel(io.BytesIO(compliance_xlsx(ROWS, lang="en", **kw)), sheet_name=None)
    assert list(en) == ["BJ 2016 companies", "year"]
    companies = en["BJ 2016 companies"]
    assert list(companies.columns) == ["company name", "credit code", "status", "owed (t)", "surrendered (t)",
                                       "shortfall (t)"]
    assert companies["status"].tolist() == ["late", "compliant"]
    zh = pd.read_excel(io.BytesIO(compliance_xlsx(ROWS, lang="zh", **kw)), sheet_name=None)
    assert list(zh) == ["BJ 2016 企业", "履约年度"]
    assert zh["BJ 2016 企业"]["履约状态"].tolist() == ["逾期未履约", "已按期履约"]
