"""Compliance statuses and penalty kinds as a reader sees them (中文 English): one table for the annual
report, its workbook and the compliance year's export (kept apart from ``annual`` so that a plain
export does not load the charts)."""

from __future__ import annotations

STATUS_NAMES = {"compliant": "按时履约 compliant", "compliant_late": "逾期履约 compliant late",
                "non_compliant": "未履约 non-compliant", "late": "逾期 late", "due": "待履约 due",
                "emissions_missing": "缺排放数据 emissions missing", "excluded": "排除 excluded",
                "not_applicable": "不适用 n/a"}
PENALTY_KINDS = {"fine": "罚款 fine", "listed": "公开名单 listed"}


def status_name(code: object) -> str:
    return STATUS_NAMES.get(str(code), str(code))


def penalty_kind(code: object) -> str:
    return PENALTY_KINDS.get(str(code), str(code))
