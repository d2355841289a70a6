"""Compliance statuses and penalty kinds as a reader sees them, from the message catalogue
(``status_compliance_<code>``, ``status_penalty_<code>``: the dashboard's words): in both languages
("逾期未履约 late") for the annual report and its workbook, or in one (``lang``) for a page's export
(kept apart from ``annual`` so that a plain export does not load the charts)."""

from __future__ import annotations

from openets.reports.excel import code_name

STATUS_CODES = ("compliant", "compliant_late", "non_compliant", "late", "due", "emissions_missing", "excluded",
                "not_applicable")  # in the order the annual report's chart and legend show them
STATUS = "status_compliance_"  # the catalogue's prefixes
PENALTY = "status_penalty_"
STATUS_NAMES = {c: code_name(STATUS, c) for c in STATUS_CODES}


def status_name(code: object, lang: str | None = None) -> str:
    return code_name(STATUS, code, lang)


def penalty_kind(code: object, lang: str | None = None) -> str:
    return code_name(PENALTY, code, lang)
