"""The public per-company table of a market and year, in the EU Transaction Log manner (company name,
credit code, installations, allocation, verified emissions, units surrendered, status), as CSV or
Excel. The columns are the annual report's Companies sheet (``annual.COMPANIES``): one table, two files.

CSV: bilingual headers (中文 / English), numbers plain (tonnes whole, emissions as their exact decimal),
the status by its Chinese and English name, UTF-8 with a BOM so that a spreadsheet reads the Chinese."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from openets.reports.annual import COMPANIES
from openets.reports.excel import add_sheet, columns_for, typed_cell

SUFFIXES = (".csv", ".xlsx")


def write_public(rows: Sequence[dict[str, object]], path: Path, *, title: str) -> Path:
    """Write the rows (``ComplianceService.public_data``, with ``market``) to ``path`` (.csv or .xlsx)."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ValueError(f"{path}: write .csv or .xlsx")
    cols = columns_for(rows, COMPANIES)
    if suffix == ".xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        add_sheet(wb, title[:31], cols, rows, first=True, empty="无 · none")
        wb.save(path)
        return path
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f)
        out.writerow([c.header for c in cols])
        for r in rows:
            out.writerow(["" if v is None else v for v in (typed_cell(c, r.get(c.key)) for c in cols)])
    return path
