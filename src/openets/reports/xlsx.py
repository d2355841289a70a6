"""A fast writer of typed workbooks: the sheets' XML written directly (no cell objects), zipped as an
Office Open XML workbook that Excel, LibreOffice, openpyxl and ``pandas.read_excel`` read — the same
sheets as :func:`openets.reports.excel.add_sheet` writes through openpyxl (a bold, frozen, filtered
header row; tonnes, yuan and rates as numbers with their number format; dates as dates; the widths
from the values), in a few milliseconds instead of openpyxl's ~25 µs a cell.

Strings are written inline (``t="inlineStr"``), numbers as their exact decimal text (an int or a
Decimal, never a float's rounding), dates as Excel's day serial (days since 1899-12-30), and the
characters XML may not hold (C0 controls but tab, newline, carriage return) are left out."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

from openets.reports.excel import FORMATS, Col, typed_cell, widths

_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EPOCH = date(1899, 12, 30)
_MAX_TITLE = 31
_NOT_IN_TITLE = re.compile(r"[\[\]:*?/\\]")  # characters Excel refuses in a sheet's name


@dataclass(frozen=True, slots=True)
class Sheet:
    title: str
    cols: Sequence[Col]
    rows: Sequence[dict[str, object]]
    empty: str = "—"  # the one cell of a sheet without rows
    headers: Sequence[str] | None = None  # the header row (default: each column's title in ``lang``)
    lang: str | None = None  # headers and named codes in one language (zh, en), or both (None)


def _text(value: str) -> str:
    return escape(_ILLEGAL.sub("", value))


def _letter(i: int) -> str:  # 0 → A, 25 → Z, 26 → AA
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def _serial(v: date | datetime) -> str:
    if isinstance(v, datetime):
        days = (v.replace(tzinfo=None) - datetime(1899, 12, 30)).total_seconds() / 86_400
        return repr(round(days, 8))
    return str((v - _EPOCH).days)


def _styles(formats: list[str]) -> str:
    """cellXfs: 0 the default, 1 the header (bold, grey, wrapped), 2… one per number format."""
    numfmts = "".join(f'<numFmt numFmtId="{164 + i}" formatCode={quoteattr(f)}/>' for i, f in enumerate(formats))
    xfs = "".join(f'<xf numFmtId="{164 + i}" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
                  for i in range(len(formats)))
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'<numFmts count="{len(formats)}">{numfmts}</numFmts>'
            '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
            '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
            '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
            '<fill><patternFill patternType="solid"><fgColor rgb="00F3F3F3"/><bgColor indexed="64"/></patternFill></fill>'
            '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            f'<cellXfs count="{2 + len(formats)}"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1" applyAlignment="1">'
            '<alignment vertical="top" wrapText="1"/></xf>'
            f'{xfs}</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            '</styleSheet>')


def _sheet_xml(sheet: Sheet, style_of: dict[str, int]) -> str:
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    if not sheet.rows:
        return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{ns}"><sheetData>'
                f'<row r="1"><c r="A1" t="inlineStr"><is><t>{_text(sheet.empty)}</t></is></c></row>'
                '</sheetData></worksheet>')
    cols = list(sheet.cols)
    headers = list(sheet.headers) if sheet.headers is not None else [c.title(sheet.lang) for c in cols]
    letters = [_letter(i) for i in range(len(cols))]
    styles = [style_of.get(c.kind, 0) for c in cols]
    typed = [[typed_cell(c, r.get(c.key), sheet.lang) for c in cols] for r in sheet.rows]
    out = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{ns}">',
           '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft"'
           ' state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>',
           '<sheetFormatPr defaultRowHeight="15"/><cols>']
    bilingual = sheet.headers is None and sheet.lang is None  # the header wraps at " / "
    for i, w in enumerate(widths(cols, typed, None if bilingual else headers)):
        out.append(f'<col min="{i + 1}" max="{i + 1}" width="{w}" customWidth="1"/>')
    out.append('</cols><sheetData><row r="1">')
    for letter, h in zip(letters, headers, strict=True):
        out.append(f'<c r="{letter}1" s="1" t="inlineStr"><is><t>{_text(h)}</t></is></c>')
    out.append("</row>")
    for n, row in enumerate(typed, start=2):
        out.append(f'<row r="{n}">')
        for letter, s, v in zip(letters, styles, row, strict=True):
            if v is None:
                continue
            ref = f"{letter}{n}"
            if isinstance(v, bool):
                out.append(f'<c r="{ref}" t="b"><v>{int(v)}</v></c>')
            elif isinstance(v, int | Decimal):
                out.append(f'<c r="{ref}" s="{s}"><v>{v}</v></c>')
            elif isinstance(v, date):  # a datetime is a date too
                out.append(f'<c r="{ref}" s="{s}"><v>{_serial(v)}</v></c>')
            else:
                out.append(f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{_text(str(v))}</t></is></c>')
        out.append("</row>")
    out.append(f'</sheetData><autoFilter ref="A1:{letters[-1]}{len(typed) + 1}"/></worksheet>')
    return "".join(out)


def write_xlsx(sheets: Sequence[Sheet]) -> bytes:
    """The workbook's bytes: the sheets in order, each title cut to Excel's 31 characters (the characters
    Excel refuses in a sheet's name, ``[]:*?/`` and the backslash, written as ``_``)."""
    formats = sorted({FORMATS[c.kind] for s in sheets for c in s.cols if c.kind != "text"})
    by_format = {f: 2 + i for i, f in enumerate(formats)}
    style_of = {kind: by_format[f] for kind, f in FORMATS.items() if f in by_format}
    titles = [_NOT_IN_TITLE.sub("_", _ILLEGAL.sub("", s.title))[:_MAX_TITLE] or f"Sheet{i + 1}"
              for i, s in enumerate(sheets)]
    names = ""
    for i, s in enumerate(sheets):
        if s.rows:
            quoted = "'" + titles[i].replace("'", "''") + "'"
            ref = f"{quoted}!$A$1:${_letter(len(s.cols) - 1)}${len(s.rows) + 1}"
            names += f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">{_text(ref)}</definedName>'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    sheet_ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
    files = {
        "[Content_Types].xml": head + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        + "".join(f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" ContentType="{sheet_ct}"/>'
                  for i in range(len(sheets))) + "</Types>",
        "_rels/.rels": head + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": head + f'<workbook xmlns="{main}" xmlns:r="{rel}"><bookViews><workbookView/></bookViews>'
        "<sheets>" + "".join(f'<sheet name={quoteattr(t)} sheetId="{i + 1}" r:id="rId{i + 1}"/>'
                             for i, t in enumerate(titles)) + "</sheets>"
        + (f"<definedNames>{names}</definedNames>" if names else "") + "</workbook>",
        "xl/_rels/workbook.xml.rels": head
        + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join(f'<Relationship Id="rId{i + 1}" Type="{rel}/worksheet" Target="worksheets/sheet{i + 1}.xml"/>'
                  for i in range(len(sheets)))
        + f'<Relationship Id="rId{len(sheets) + 1}" Type="{rel}/styles" Target="styles.xml"/></Relationships>',
        "xl/styles.xml": _styles(formats),
    }
    for i, s in enumerate(sheets):
        files[f"xl/worksheets/sheet{i + 1}.xml"] = _sheet_xml(s, style_of)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        for name, text in files.items():
            z.writestr(name, text.encode("utf-8"))
    return out.getvalue()
