"""The auction notice's status table: announced → settled or cancelled; both final."""

import pytest

from openets.core.errors import DomainError
from openets.market.auction_status import NOTICE_TRANSITIONS, NoticeStatus, next_status, require_announced


def test_stored_values_unchanged() -> None:
    assert [s.value for s in NoticeStatus] == ["announced", "settled", "cancelled"]
    assert NoticeStatus("settled") is NoticeStatus.SETTLED and NoticeStatus.ANNOUNCED == "announced"


def test_the_close_settles_or_cancels_an_announced_notice() -> None:
    assert next_status("announced", "settle", 1) is NoticeStatus.SETTLED
    assert next_status(NoticeStatus.ANNOUNCED, "cancel", 1) is NoticeStatus.CANCELLED
    assert set(NOTICE_TRANSITIONS) == {(NoticeStatus.ANNOUNCED, "settle"), (NoticeStatus.ANNOUNCED, "cancel")}


@pytest.mark.parametrize("status", ["settled", "cancelled", "withdrawn"])
@pytest.mark.parametrize("event", ["settle", "cancel"])
def test_final_or_unknown_statuses_refuse_every_step(status: str, event: str) -> None:
    with pytest.raises(DomainError) as e:
        next_status(status, event, 7)
    assert e.value.code == "notice_closed" and str(e.value).endswith(f"notice 7 is {status}")


def test_require_announced() -> None:
    require_announced("announced", 3)
    for status in ("settled", "cancelled"):
        with pytest.raises(DomainError) as e:
            require_announced(status, 3)
        assert e.value.code == "notice_closed"


def test_an_unknown_event_is_refused() -> None:
    with pytest.raises(DomainError):
        next_status("announced", "reopen", 1)
