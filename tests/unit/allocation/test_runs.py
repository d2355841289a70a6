import pytest

from openets.allocation.runs import RUN_TRANSITIONS, RunStatus, next_status
from openets.core.errors import DomainError


def test_a_proposed_run_is_issued_once() -> None:
    assert next_status(1, "proposed", "issue") is RunStatus.ISSUED
    with pytest.raises(DomainError) as exc:
        next_status(1, "issued", "issue")
    assert exc.value.code == "run_not_proposed"
    assert exc.value.message == "allocation run 1 is issued"


def test_stored_values_unchanged() -> None:
    assert [s.value for s in RunStatus] == ["proposed", "issued"]
    assert RUN_TRANSITIONS == {(RunStatus.PROPOSED, "issue"): RunStatus.ISSUED}
