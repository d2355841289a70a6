"""An auction notice's status and the steps between them, as a table (as mrv/documents.py does for
monitoring plans and reports). Pure: the service reads a notice, asks here, and stores the answer.

A notice is announced (bids, bid revisions and the reserve's publication are taken only then); the
close either settles it (something sold) or cancels it (nothing sold, or the auction cancelled under
its rules). Settled and cancelled are final. The stored values are the enum's values.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from openets.core.errors import DomainError


class NoticeStatus(StrEnum):
    ANNOUNCED = "announced"
    SETTLED = "settled"
    CANCELLED = "cancelled"


NOTICE_TRANSITIONS: Mapping[tuple[NoticeStatus, str], NoticeStatus] = {
    (NoticeStatus.ANNOUNCED, "settle"): NoticeStatus.SETTLED,
    (NoticeStatus.ANNOUNCED, "cancel"): NoticeStatus.CANCELLED,
}


def require_announced(status: str, notice_id: int) -> None:
    """Bids, the reserve and the close need an announced notice (error as the service always gave it)."""
    if status != NoticeStatus.ANNOUNCED:
        raise DomainError("notice_closed", f"notice {notice_id} is {status}")


def next_status(status: str, event: str, notice_id: int) -> NoticeStatus:
    """The status ``event`` (settle, cancel) leads to from ``status``; a final status refuses every step
    (notice_closed, as the checks before the close report it)."""
    try:
        current = NoticeStatus(status)
    except ValueError:
        raise DomainError("notice_closed", f"notice {notice_id} is {status}") from None
    nxt = NOTICE_TRANSITIONS.get((current, event))
    if nxt is None:
        raise DomainError("notice_closed", f"notice {notice_id} is {status}")
    return nxt
