"""An exchange order's life cycle: its status and the changes allowed, as a transition table
(``{status: statuses it may become}``), in the style of :mod:`openets.mrv.documents`. Pure.

An order is logged *pending*; processing accepts it (*open*: resting in the book) or ends it at once
(*filled*, *cancelled* — an immediate-or-cancel remainder or self-trade prevention — or *rejected* by
the pre-trade checks). An open order stays open while it is partly filled, and ends filled or
cancelled (by its owner, or at the session's close). Filled, cancelled and rejected are final.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from openets.core.errors import DomainError


class OrderStatus(StrEnum):
    """The values are the strings stored in ``orders.status``."""

    PENDING = "pending"
    OPEN = "open"
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


ORDER_TRANSITIONS: Mapping[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING: frozenset({OrderStatus.OPEN, OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED}),
    # open → open: a partial fill (less remains, the order still rests)
    OrderStatus.OPEN: frozenset({OrderStatus.OPEN, OrderStatus.FILLED, OrderStatus.CANCELLED}),
    OrderStatus.FILLED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.REJECTED: frozenset(),
}
FINAL: frozenset[OrderStatus] = frozenset(s for s, nxt in ORDER_TRANSITIONS.items() if not nxt)


def transition(old: str, new: str) -> OrderStatus:
    """``new`` if an order that is ``old`` may become it; else a DomainError naming both."""
    try:
        was, now = OrderStatus(old), OrderStatus(new)
    except ValueError:
        raise DomainError("order_status_unknown", f"no order status {old!r} or {new!r}") from None
    allowed = ORDER_TRANSITIONS[was]
    if now not in allowed:
        raise DomainError("transition_refused",
                          f"an order that is {was} cannot become {now} "
                          f"(possible now: {', '.join(sorted(allowed)) or 'nothing, it is final'})")
    return now
