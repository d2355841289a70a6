"""An exchange order's life cycle: the transition table, without a database."""

import pytest

from openets.core.errors import DomainError
from openets.market.orders import FINAL, ORDER_TRANSITIONS, OrderStatus, transition

S = OrderStatus
LEGAL = [
    (S.PENDING, S.OPEN), (S.PENDING, S.FILLED), (S.PENDING, S.CANCELLED), (S.PENDING, S.REJECTED),
    (S.OPEN, S.OPEN), (S.OPEN, S.FILLED), (S.OPEN, S.CANCELLED),
]


def test_the_stored_strings_stay_the_same() -> None:
    assert [s.value for s in S] == ["pending", "open", "filled", "cancelled", "rejected"]
    assert S.OPEN == "open" and f"{S.FILLED}" == "filled" and str(S.REJECTED) == "rejected"


@pytest.mark.parametrize(("old", "new"), LEGAL)
def test_every_legal_transition(old: OrderStatus, new: OrderStatus) -> None:
    assert transition(old, new) is new
    assert transition(old.value, new.value) is new  # as read from the database


def test_the_table_holds_exactly_the_legal_transitions() -> None:
    assert {(a, b) for a, nxt in ORDER_TRANSITIONS.items() for b in nxt} == set(LEGAL)
    assert set(ORDER_TRANSITIONS) == set(S)
    assert FINAL == {S.FILLED, S.CANCELLED, S.REJECTED}


@pytest.mark.parametrize(("old", "new"), [
    (S.FILLED, S.OPEN), (S.CANCELLED, S.OPEN), (S.REJECTED, S.OPEN), (S.FILLED, S.CANCELLED),
    (S.OPEN, S.PENDING), (S.OPEN, S.REJECTED), (S.PENDING, S.PENDING), (S.CANCELLED, S.CANCELLED),
])
def test_illegal_transitions_are_refused(old: OrderStatus, new: OrderStatus) -> None:
    with pytest.raises(DomainError) as exc:
        transition(old, new)
    assert exc.value.code == "transition_refused"
    assert str(old) in str(exc.value) and str(new) in str(exc.value)


def test_a_final_status_says_so() -> None:
    with pytest.raises(DomainError, match="nothing, it is final"):
        transition("filled", "open")


def test_an_unknown_status_is_refused() -> None:
    with pytest.raises(DomainError) as exc:
        transition("open", "half_filled")
    assert exc.value.code == "order_status_unknown"
