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

FORMATS = {"t": "#,##0", "int": "#,##0", "tco2": "#,##0.###", "yuan": "#,##0.00", "rate": "0.0%", "ratio": "0.00",
           "date": "yyyy-mm-dd", "text": "@"}


@dataclass(frozen=True, slots=True)
class Col:
    key: str  # the row's key
    zh: str
    en: str
    kind: str = "text"  # a key of FORMATS
    width: int | None = None  # characters; None: from the header and the values
    show: Callable[[Any], Any] | None = None  # text columns: the value as written (e.g. a status code's name)

    @property
    def header(self) -> str:
        return f"{self.zh} / {self.en}"


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


def typed_cell(col: Col, value: object) -> object:
    """The value as its cell holds it: yuan, fractions and numbers as Decimal or int, dates as dates."""
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
    return col.show(value) if col.show else str(value)


def columns_for(rows: Sequence[dict[str, object]], known: Sequence[Col]) -> list[Col]:
    """The known columns the rows have, in the known order, then any other key as a text column
    (a row shape extended elsewhere still lands in the workbook)."""
    keys = list(rows[0]) if rows else []
    by = {c.key: c for c in known}
    return [by[k] for k in by if k in keys] + [Col(k, k, k.replace("_", " ")) for k in keys if k not in by]


def add_sheet(wb: Any, title: str, cols: Sequence[Col], rows: Sequence[dict[str, object]], *, first: bool = False,
              empty: str = "—") -> Any:
    """One sheet: a bold, frozen, filtered header row, then the rows, each cell typed and formatted."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = wb.active if first else wb.create_sheet()
    ws.title = title
    if not rows:
        ws.append([empty])
        return ws
    ws.append([c.header for c in cols])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="F3F3F3")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for r in rows:
        ws.append([typed_cell(c, r.get(c.key)) for c in cols])
    for i, c in enumerate(cols, start=1):
        letter = get_column_letter(i)
        if c.kind != "text":
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = FORMATS[c.kind]
        longest = max((len(_shown(c, r.get(c.key))) for r in rows[:500]), default=0)
        ws.column_dimensions[letter].width = c.width or min(max(longest + 2, _header_width(c), 8), 60)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{len(rows) + 1}"
    return ws


def _header_width(c: Col) -> int:
    # a Chinese character takes about two Latin widths; the header wraps onto two lines at " / "
    return max(2 * len(c.zh), len(c.en)) + 2


def _shown(c: Col, value: object) -> str:
    v = typed_cell(c, value)
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
