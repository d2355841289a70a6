"""Monthly evidence (月度信息化存证) as an MRV data-quality check: a covered company uploads each month's
key data with its supporting documents within a window after the month ends; a late or missing month
is a finding (``quality`` style: findings, never raising, all at once). The window and the data items
are rule data (section ``evidence``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from openets.mrv.quality import Finding
from openets.rules.fields import Fields
from openets.rules.loader import FieldError, RuleSet


@dataclass(frozen=True, slots=True)
class EvidenceRules:
    days_after_month_end: int  # each month's evidence is due by the end of this many days after the month ends
    items: tuple[str, ...]  # the data items evidenced each month (fuel, NCV, carbon content, generation …)
    first_month: date | None = None  # months before this one are not required (the obligation's start)
    status: str = ""


def parse_evidence(rs: RuleSet, data: Mapping[str, Any]) -> EvidenceRules | list[FieldError]:
    f = Fields(data)
    days = f.integer("days_after_month_end", 0) if f.required("days_after_month_end") else 0
    if not 1 <= days <= 366:
        f.error("days_after_month_end", f"{days} is not 1 to 366 days")
    items = f.strings("items") if f.required("items") else None
    if items is not None and not items:
        f.error("items", "no data items")
    first = f.date("first_month", None)
    if first is not None and first.day != 1:
        f.error("first_month", f"{first} is not the first day of a month")
    return f.errors or EvidenceRules(days, tuple(sorted(items or ())), first, f.text("status", ""))


def month_end(year: int, month: int) -> date:
    return date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)


def due_day(year: int, month: int, rules: EvidenceRules) -> date:
    """The last day a month's evidence is on time: the month's last day + the window."""
    return month_end(year, month) + timedelta(days=rules.days_after_month_end)


def monthly_evidence(where: str, year: int, uploads: Mapping[tuple[int, str], date], rules: EvidenceRules, *,
                     today: date) -> list[Finding]:
    """``uploads``: (month, item) → the day its evidence was uploaded. For each month of ``year`` whose
    due day has passed by ``today`` (and from ``first_month``): an item uploaded after its due day is
    ``evidence_late``, one not uploaded ``evidence_missing`` (errors: the verifier and the regulator
    see every one). Months not yet due are not judged."""
    out = []
    for month in range(1, 13):
        if rules.first_month is not None and date(year, month, 1) < rules.first_month:
            continue
        due = due_day(year, month, rules)
        for item in rules.items:
            got = uploads.get((month, item))
            if got is None:
                if today > due:
                    out.append(Finding("evidence_missing", "error", f"{where} {year}-{month:02d} {item}",
                                       f"no monthly evidence; due by {due}"))
            elif got > due:
                out.append(Finding("evidence_late", "error", f"{where} {year}-{month:02d} {item}",
                                   f"uploaded {got}, {(got - due).days} days after the due day {due}"))
    return out
