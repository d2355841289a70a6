"""The fast workbook writer (reports/xlsx.py) writes the sheets openpyxl's ``add_sheet`` writes: the same
values, types, number formats, widths, frozen header and autofilter, read back by openpyxl and pandas."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pandas as pd

from openets.reports.excel import Col, add_sheet
from openets.reports.xlsx import Sheet, write_xlsx

COLS = (Col("name", "col_company_name"), Col("qty", "col_shortfall_t", "t"), Col("fine", "col_fines_yuan", "yuan"),
        Col("rate", "col_compliance_rate", "rate"), Col("day", "col_day", "date"), Col("tco2", "col_emissions_tco2", "tco2"))
ROWS = [{"name": "北京某热电 <&>", "qty": 118_501, "fine": 350_123_456, "rate": "97.7 %", "day": date(2017, 6, 15),
         "tco2": Decimal("1234.567")},
        {"name": "O'Brien", "qty": None, "fine": None, "rate": None, "day": "2016-12-31", "tco2": None}]


def _openpyxl_book() -> openpyxl.Workbook:
    wb = openpyxl.Workbook()
    add_sheet(wb, "a sheet", COLS, ROWS, first=True)
    add_sheet(wb, "empty", COLS, [], empty="无 · none")
    out = io.BytesIO()
    wb.save(out)  # read back, as a spreadsheet reads it
    return openpyxl.load_workbook(io.BytesIO(out.getvalue()))


def test_the_fast_writer_writes_what_openpyxl_writes() -> None:
    body = write_xlsx([Sheet("a sheet", COLS, ROWS), Sheet("empty", COLS, [], empty="无 · none")])
    fast, slow = openpyxl.load_workbook(io.BytesIO(body)), _openpyxl_book()
    assert fast.sheetnames == slow.sheetnames == ["a sheet", "empty"]
    for a, b in zip(fast.worksheets, slow.worksheets, strict=True):
        assert [[c.value for c in r] for r in a.iter_rows()] == [[c.value for c in r] for r in b.iter_rows()]
        for ra, rb in zip(a.iter_rows(min_row=2), b.iter_rows(min_row=2), strict=True):
            assert [c.number_format for c in ra if c.value is not None] == [c.number_format for c in rb if c.value is not None]
        assert a.freeze_panes == b.freeze_panes and a.auto_filter.ref == b.auto_filter.ref
        assert {k: d.width for k, d in a.column_dimensions.items()} == {k: d.width for k, d in b.column_dimensions.items()}
    ws = fast.worksheets[0]
    assert ws["A1"].font.b and ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:F3"
    # money exact: 350,123,456 fen = 3,501,234.56 yuan (Decimal in, the decimal text in the cell, no float rounding)
    assert ws["C2"].value == 3_501_234.56 and ws["C2"].number_format == "#,##0.00"
    assert ws["D2"].value == 0.977 and ws["D2"].number_format == "0.0%"  # "97.7 %" → 0.977
    assert ws["A2"].value == "北京某热电 <&>"  # escaped
    assert ws["E2"].value == datetime(2017, 6, 15) and ws["E3"].value == datetime(2016, 12, 31)
    frame = pd.read_excel(io.BytesIO(body), sheet_name=0)
    assert frame["缺口 (吨) / shortfall (t)"].tolist()[0] == 118_501
    assert pd.api.types.is_datetime64_any_dtype(frame["日期 / day"])


def test_one_language_headers_and_long_titles() -> None:
    body = write_xlsx([Sheet("a title longer than thirty-one characters", COLS[:2], ROWS, lang="en")])
    wb = openpyxl.load_workbook(io.BytesIO(body))
    assert wb.sheetnames == ["a title longer than thirty-one characters"[:31]]
    assert [c.value for c in wb.worksheets[0][1]] == ["company name", "shortfall (t)"]  # the catalogue's English
    zh = openpyxl.load_workbook(io.BytesIO(write_xlsx([Sheet("s", COLS[:2], ROWS, lang="zh")]))).worksheets[0]
    assert [c.value for c in zh[1]] == ["企业名称", "缺口 (吨)"]


def test_a_character_xml_may_not_hold_is_left_out_not_a_crash() -> None:
    # openpyxl refuses a C0 control character in a cell (IllegalCharacterError); the export leaves it out
    body = write_xlsx([Sheet("s", COLS[:1], [{"name": "北京\x01某热电\x1f"}])])
    assert openpyxl.load_workbook(io.BytesIO(body)).worksheets[0]["A2"].value == "北京某热电"


def test_a_sheet_name_excel_refuses_is_made_one_it_takes() -> None:
    body = write_xlsx([Sheet("BJ/SH [2016]: a*b?", COLS[:1], ROWS)])
    assert openpyxl.load_workbook(io.BytesIO(body)).sheetnames == ["BJ_SH _2016__ a_b_"]
