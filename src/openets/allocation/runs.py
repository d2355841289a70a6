"""An allocation run's life cycle as an explicit transition table ``{(status, event): next}`` (as
``mrv/documents.py`` does): a run is proposed by one regulator and issued by another. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from openets.core.errors import DomainError


class RunStatus(StrEnum):
    PROPOSED = "proposed"
    ISSUED = "issued"  # final: the allocations (and a true-up's claw-backs) are carried out


RUN_TRANSITIONS: Mapping[tuple[RunStatus, str], RunStatus] = {
    (RunStatus.PROPOSED, "issue"): RunStatus.ISSUED,
}


def next_status(run_id: int, status: str, event: str) -> RunStatus:
    """The status after ``event``, or a DomainError naming the run's status (``run_not_<state>``: the
    status the event needs)."""
    try:
        return RUN_TRANSITIONS[(RunStatus(status), event)]
    except (KeyError, ValueError):
        needs = next((s for s, e in RUN_TRANSITIONS if e == event), None)
        code = f"run_not_{needs.value}" if needs is not None else "run_event_unknown"
        raise DomainError(code, f"allocation run {run_id} is {status}") from None
