"""Typed workbook sheets: numbers as numbers with a number format (tonnes #,##0, yuan #,##0.00, rates
0.0 %), dates as dates, headers in Chinese and English, column widths, the header row frozen and an
autofilter on it — so a spreadsheet or ``pandas.read_excel`` gets numeric and date columns.

Money comes in fen (int) and goes into the cell as an exact Decimal of yuan; a published rate
("99.0 %") goes in as its Decimal fraction (0.990), shown as 99.0 %."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from openets.messages import lookup

FORMATS = {"t": "#,##0", "int": "#,##0", "tco2": "#,##0.###", "yuan": "#,##0.00", "rate": "0.0%", "ratio": "0.00",
           "date": "yyyy-mm-dd", "text": "@"}


@dataclass(frozen=True, slots=True)
class Col:
    key: str  # the row's key
    word: str  # its header's key in the catalogue (``col_…``: openets.messages), in Chinese and English
    kind: str = "text"  # a key of FORMATS
    width: int | None = None  # characters; None: from the header and the values
    show: Callable[[Any], Any] | None = None  # text columns: the value as written (e.g. a status code's name)
    names: str | None = None  # text columns of codes: the catalogue's prefix of their names (``status_compliance_``)

    @property
    def zh(self) -> str:
        return lookup("zh", self.word) or self.key.replace("_", " ")

    @property
    def en(self) -> str:
        return lookup("en", self.word) or self.key.replace("_", " ")

    @property
    def header(self) -> str:
        """Both languages, as the reports' files show them: 企业名称 / company name."""
        return f"{self.zh} / {self.en}"

    def title(self, lang: str | None) -> str:
        """The header in one language (``zh``, ``en``), or in both (None)."""
        return self.header if lang is None else self.en if lang == "en" else self.zh


def code_name(prefix: str, code: object, lang: str | None = None) -> str:
    """A code by its catalogue name (``prefix + code``) in one language, or both ("逾期未履约 late") for
    None; a code the catalogue does not name stays its code."""
    zh, en = lookup("zh", f"{prefix}{code}"), lookup("en", f"{prefix}{code}")
    if zh is None or en is None:
        return str(code)
    return f"{zh} {en}" if lang is None else en if lang == "en" else zh


def yuan(fen: object) -> Decimal | None:
    """Fen (int) as exact yuan."""
    return None if fen is None else Decimal(int(str(fen))) / 100


def fraction(rate: object) -> Decimal | None:
    """A published rate ("99.0 %") as its fraction (0.990)."""
    if rate is None or rate == "":
        return None
    try:
        return Decimal(str(rate).replace("%", "").strip()) / 100
    except InvalidOperation:
        return None


def number(value: object) -> Decimal | int | None:
    """An int stays an int; a Decimal or a decimal string becomes a Decimal; nothing stays nothing."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | Decimal):
        return value
    try:
        return Decimal(str(value).replace(",", ""))
    except InvalidOperation:
        return None


def typed_cell(col: Col, value: object, lang: str | None = None) -> object:
    """The value as its cell holds it: yuan, fractions and numbers as Decimal or int, dates as dates; a code
    by its name in ``lang`` (both languages for None)."""
    if col.kind == "yuan":
        return yuan(value)
    if col.kind == "rate":
        return fraction(value)
    if col.kind in ("t", "int", "tco2", "ratio"):
        return number(value)
    if col.kind == "date":
        if isinstance(value, str) and value:
            return date.fromisoformat(value[:10])
        return value if isinstance(value, date | datetime) else None
    if value is None:
        return None
    if col.names:
        return code_name(col.names, value, lang)
    return col.show(value) if col.show else str(value)


def columns_for(rows: Sequence[dict[str, object]], known: Sequence[Col]) -> list[Col]:
    """The known columns the rows have, in the known order, then any other key as a text column
    (a row shape extended elsewhere still lands in the workbook)."""
    keys = list(rows[0]) if rows else []
    by = {c.key: c for c in known}
    return [by[k] for k in by if k in keys] + [Col(k, k) for k in keys if k not in by]


def add_sheet(wb: Any, title: str, cols: Sequence[Col], rows: Sequence[dict[str, object]], *, first: bool = False,
              empty: str = "—") -> Any:
    """One sheet: a bold, frozen, filtered header row, then the rows, each cell typed and formatted.

    Written in one pass, row by row, so that it also fills a write-only workbook (``Workbook(write_only=True)``,
    streamed to the file, as the compliance year's export is): each value is typed once, the widths come from
    those values before any row is written, and only the cells of number and date columns carry a style."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    streamed = bool(getattr(wb, "write_only", False))
    ws = wb.active if first and not streamed and wb.worksheets else wb.create_sheet()
    ws.title = title
    if not rows:
        ws.append([empty])
        return ws
    typed = [[typed_cell(c, r.get(c.key)) for c in cols] for r in rows]
    for i, w in enumerate(widths(cols, typed)):
        ws.column_dimensions[get_column_letter(i + 1)].width = w
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{len(rows) + 1}"
    bold, grey, wrap = Font(bold=True), PatternFill("solid", fgColor="F3F3F3"), Alignment(wrap_text=True, vertical="top")
    header = []
    for c in cols:
        cell = WriteOnlyCell(ws, c.header)
        cell.font, cell.fill, cell.alignment = bold, grey, wrap
        header.append(cell)
    ws.append(header)
    formats = [None if c.kind == "text" else FORMATS[c.kind] for c in cols]
    for row in typed:
        out: list[object] = []
        for fmt, v in zip(formats, row, strict=True):
            if fmt is None or v is None:
                out.append(v)
            else:
                cell = WriteOnlyCell(ws, v)
                cell.number_format = fmt
                out.append(cell)
        ws.append(out)
    return ws


def widths(cols: Sequence[Col], typed: Sequence[Sequence[object]], headers: Sequence[str] | None = None) -> list[int]:
    """Each column's width in characters: its own, or from its header and the first 500 typed values
    (a wide character counts two), between 8 and 60."""
    out = []
    for i, c in enumerate(cols):
        longest = max((len(_shown_typed(c, row[i])) for row in typed[:500]), default=0)
        head = _header_width(c) if headers is None else _wide(headers[i]) + 2
        out.append(c.width or min(max(longest + 2, head, 8), 60))
    return out


def _wide(text: str) -> int:
    return len(text) + sum(1 for ch in text if not ch.isascii())


def _header_width(c: Col) -> int:
    # a Chinese character takes about two Latin widths; the header wraps onto two lines at " / "
    return max(2 * len(c.zh), len(c.en)) + 2


def _shown(c: Col, value: object) -> str:
    return _shown_typed(c, typed_cell(c, value))


def _shown_typed(c: Col, v: object) -> str:
    if v is None:
        return ""
    if c.kind in ("t", "int"):
        return f"{v:,}"
    if c.kind == "yuan":
        return f"{v:,.2f}"
    if c.kind == "date":
        return "yyyy-mm-dd"
    text = str(v)
    return text + " " * sum(1 for ch in text if not ch.isascii())  # wide characters
