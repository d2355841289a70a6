"""Monthly evidence (月度信息化存证) checked from a table of uploads: unit, month, item, uploaded (the day
that month's evidence of the item was uploaded; empty: not uploaded). Each unit in the table is judged
on every item the market's rules name for the year (or the ``items`` asked for, which must be among
them) by ``mrv.evidence.monthly_evidence``: late and missing months are findings. Every bad row is
named in one error."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

from openets.core.clock import parse_day
from openets.core.errors import DomainError
from openets.mrv.evidence import monthly_evidence
from openets.mrv.quality import Finding
from openets.rules.loader import RuleBook
from openets.services import rulebook
from openets.services.tabular import Problems, Schema, read_tables

UPLOADS = Schema(columns=("unit", "month", "item", "uploaded"), required=("unit", "month", "item"),
                 aliases={"排放设施": "unit", "机组": "unit", "企业": "unit", "月份": "month", "数据项": "item",
                          "存证日期": "uploaded", "上传日期": "uploaded"})

Uploads = dict[str, dict[tuple[int, str], date | None]]  # None: a row naming the month and item, not uploaded


def read_uploads(path: Path, *, encoding: str = "utf-8-sig") -> Uploads:
    """unit → (month, item) → the day uploaded (None: the row leaves it empty, not uploaded; so a unit that
    uploaded nothing is still judged). A month not 1–12, a bad date or a (unit, month, item)
    given twice is named by row."""
    rows = read_tables(path, {"evidence": UPLOADS}, kind="evidence", encoding=encoding)["evidence"]
    out: Uploads = {}
    problems = Problems()
    for r in rows:
        unit, item = r.values["unit"], r.values["item"]
        got = out.setdefault(unit, {})
        with problems.at(r, "month"):
            month = r.number("month")
            if month != month.to_integral_value() or not 1 <= month <= 12:
                raise DomainError("file_value", r.problem("month", f"{r.values['month']!r} is not a month 1–12"))
            day = problems.parse(r, "uploaded", parse_day) if r.values.get("uploaded") else None
            if (int(month), item) in got:
                raise DomainError("file_value", r.problem(None, f"{unit} month {int(month)} {item} given twice"))
            got[(int(month), item)] = day
    problems.refuse("nothing checked")
    return out


def check_uploads(book: RuleBook, uploads: Uploads, *, market: str, year: int, today: date, moment: datetime,
                  items: Sequence[str] = ()) -> list[Finding]:
    """The findings of every unit, unit by unit; an item uploaded that the rules do not name is refused."""
    rules = rulebook.evidence_rules(rulebook.typed(book), market, year, moment)
    unknown = sorted(({i for u in uploads.values() for _, i in u} | set(items)) - set(rules.items))
    if unknown:
        raise DomainError("evidence_item_unknown", f"{market} {year}: no monthly evidence item {', '.join(unknown)} "
                                                   f"in the rules (they name {', '.join(rules.items)})")
    if items:  # judged on these only (a gas unit evidences no coal carbon content)
        rules = replace(rules, items=tuple(sorted(set(items))))
    return [f for unit in sorted(uploads) for f in monthly_evidence(
        unit, year, {k: d for k, d in uploads[unit].items() if d is not None}, rules, today=today)]
