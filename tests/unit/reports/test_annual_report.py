"""The annual report from hand-made data: the workbook typed (pandas reads numbers and dates), the
page from the templates with Chinese status names and thousands separators, the stage times in the
run log and not in the public report, and the same figures everywhere."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from report_data import sample

from openets.reports.annual import STATUS_NAMES, write_annual_report
from openets.reports.annual_html import render_html, show
from openets.reports.excel import Col, fraction, yuan


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    write_annual_report(sample(), out)
    return out


def test_money_rates_and_units_convert_exactly() -> None:
    assert yuan(537_724_449_60) == Decimal("537724449.60")  # fen / 100, no float on the way
    assert fraction("99.0 %") == Decimal("0.990") and fraction("66.7 %") == Decimal("0.667")
    assert show(Col("x", "x", "yuan"), 537_724_449_60) == "537,724,449.60"
    assert show(Col("x", "x", "t"), 1_234_567) == "1,234,567"
    assert show(Col("x", "x", "tco2"), "480000.5") == "480,000.5"
    assert show(Col("x", "x", show=lambda c: STATUS_NAMES[c]), "non_compliant") == "未履约 non-compliant"


def test_the_workbook_is_typed(report: Path) -> None:
    path = report / "report.xlsx"
    markets = pd.read_excel(path, sheet_name="Markets 市场")
    assert list(markets.columns[:3]) == ["市场 / market", "纳入企业 / companies", "分配配额 (吨) / allocated (t)"]
    numeric = [c for c in markets.columns if c != "市场 / market"]
    assert all(pd.api.types.is_numeric_dtype(markets[c]) for c in numeric), markets.dtypes
    bj = markets.set_index("市场 / market").loc["BJ"]
    assert bj["分配配额 (吨) / allocated (t)"] == 1_234_567
    assert bj["成交额 (元) / turnover (yuan)"] == pytest.approx(537_724_449.60)
    assert bj["履约率 / compliance rate"] == pytest.approx(0.667)
    assert bj["最终履约率 / compliance rate, final"] == pytest.approx(0.667)
    assert bj["按量履约率 / compliance rate, by quantity"] == pytest.approx(0.99)  # on time, final, tonnes kept apart
    trading = pd.read_excel(path, sheet_name="Trading 交易")
    assert pd.api.types.is_datetime64_any_dtype(trading["日期 / day"])
    assert trading["日期 / day"].dt.date.tolist() == [date(2017, 3, 1), date(2017, 3, 2)]
    assert pd.api.types.is_numeric_dtype(trading["累计成交额 (元) / cumulative turnover (yuan)"])
    companies = pd.read_excel(path, sheet_name="Companies 企业")
    assert pd.api.types.is_numeric_dtype(companies["核查排放 (吨) / verified emissions (tCO2e)"])
    assert companies["核查排放 (吨) / verified emissions (tCO2e)"].tolist()[:2] == [480000.5, 410000]
    assert "未履约 non-compliant" in companies["履约状态 / status"].tolist()
    penalties = pd.read_excel(path, sheet_name="Penalties 处罚")
    assert pd.api.types.is_numeric_dtype(penalties["金额 (元) / amount (yuan)"])
    assert "Stages 运行" not in openpyxl.load_workbook(path).sheetnames  # developer timing: in the run log


def test_the_workbook_has_formats_widths_frozen_header_and_filter(report: Path) -> None:
    ws = openpyxl.load_workbook(report / "report.xlsx")["Markets 市场"]
    head = {c.value: c.column_letter for c in ws[1]}
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:Y3"  # 25 columns (rates, late, government, carry-over)
    assert ws[f"{head['分配配额 (吨) / allocated (t)']}2"].number_format == "#,##0"
    assert ws[f"{head['成交额 (元) / turnover (yuan)']}2"].number_format == "#,##0.00"
    assert ws[f"{head['履约率 / compliance rate']}2"].number_format == "0.0%"
    assert all(ws.column_dimensions[col].width >= 8 for col in head.values())
    day = openpyxl.load_workbook(report / "report.xlsx")["Trading 交易"]["B2"]
    assert day.is_date and day.number_format == "yyyy-mm-dd"


def test_the_page_renders_from_templates_with_chinese_status_names(report: Path) -> None:
    page = (report / "report.html").read_text(encoding="utf-8")
    assert page == render_html(sample(), {name: (report / name).read_bytes() for name in
                                          ("prices.png", "kline-BJ.png", "kline-SH.png", "compliance.png")})
    assert '<td class="t">未履约 non-compliant</td>' in page and '<td class="t">逾期后履约 compliant late</td>' in page
    assert "non_compliant<" not in page
    assert "<td>1,234,567</td>" in page and "<td>537,724,449.60</td>" in page and "<td>66.7 %</td>" in page
    assert '<td class="t">罚款 Fine</td>' in page and "<td>15,000.00</td>" in page  # the fine: 1,500,000 fen
    assert "<td>480,000.5</td>" in page and "Capital Steel" in page  # every company, whole
    assert '<td class="t">BJ</td>' not in page  # the market is the section's heading, not a column
    assert "北京热电一厂" in page and "&lt;" not in page.split("<body>")[0]
    assert "运行时间" not in page and "12.3" not in page  # no stage times in the public report
    assert page.count("data:image/png;base64,") == 4


def test_the_run_log_has_the_stage_times(report: Path) -> None:
    log = (report / "run.log").read_text(encoding="utf-8")
    assert "trading" in log and "12.3" in log and "20.0" in log and "annual report" in log


def test_text_is_escaped() -> None:
    data = sample()
    data.public["BJ"][0]["company"] = "<script>x</script>"
    page = render_html(data, {"compliance.png": b"png"})
    assert "<script>x" not in page and "&lt;script&gt;x" in page


def test_the_pdf_has_pages_and_chinese_text(report: Path) -> None:
    from pypdf import PdfReader

    path = report / "report.pdf"
    reader = PdfReader(path)
    assert len(reader.pages) >= 2  # the markets and charts, then a page per market
    # extraction puts spaces or NULs between the glyphs of the embedded font: compare without them
    text = "".join("".join(page.extract_text().replace("\x00", "").split()) for page in reader.pages)
    data = sample()
    assert "分配配额" in text and "履约状态" in text  # the bilingual headers, drawn in the embedded font
    assert any(name.split()[0] in text for name in STATUS_NAMES.values())  # status names in Chinese
    assert all(m.code in text for m in data.markets)


def test_the_data_quality_sanctions_have_their_section(report: Path) -> None:
    """数据质量处罚 · Data-quality sanctions: per market the year's findings and decisions, in the page,
    the workbook (typed: fines in yuan from fen, the tonnes cut) and the PDF; none: said so."""
    page = (report / "report.html").read_text(encoding="utf-8")
    bj, sh = page.split("<h2>BJ</h2>")[1].split("<h2>SH</h2>")
    assert "<h3>数据质量处罚 · Data-quality sanctions</h3>" in bj and "数据质量处罚 · Data-quality sanctions" in sh
    section = bj.split("数据质量处罚 · Data-quality sanctions")[1].split("<h3>")[0]
    assert '<td class="t">虚假数据 falsified data</td>' in section and '<td class="t">已决定 Decided</td>' in section
    assert "<td>600,000.00</td>" in section and "<td>50,000.00</td>" in section  # 60,000,000 and 5,000,000 fen
    assert "<td>0.5</td>" in section and "<td>50,001</td>" in section and "北京水泥二厂" in section
    assert '<td class="t">未制样送检 no samples sent for testing</td>' in section and "待决定 To decide" in section
    assert "无 · none" in sh.split("数据质量处罚 · Data-quality sanctions")[1].split("<h3>")[0]
    sheet = pd.read_excel(report / "report.xlsx", sheet_name="Data quality 数据质量")
    assert sheet["罚款（元） / fine (yuan)"].tolist()[0] == 600_000
    assert sheet["核减配额（吨） / cut (t)"].tolist()[0] == 50_001
    assert sheet["市场 / market"].tolist() == ["BJ", "BJ"]
    from pypdf import PdfReader

    text = "".join("".join(p.extract_text().replace("\x00", "").split()) for p in PdfReader(report / "report.pdf").pages)
    assert "数据质量处罚" in text and "600,000.00" in text
