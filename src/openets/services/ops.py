"""Requests to the registry, as data: one :class:`Op` per transaction a client asks for."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields

from openets.registry.model import UNRESTRICTED


@dataclass(frozen=True, slots=True)
class Op:
    """``action`` is a transaction type (issue, transfer, surrender …) or approve / reject / withdraw.

    ``key`` is the client's idempotency key: unique per (party, action); the same key with the same
    payload has one effect, with another payload it is refused.
    """

    action: str
    key: str | None = None
    from_account: int | None = None
    to_account: int | None = None
    unit_class: int | None = None
    quantity: int | None = None
    restriction: int = UNRESTRICTED
    compliance_year: int | None = None
    reservation: int | None = None
    txn: int | None = None  # the transaction approved, rejected, withdrawn or reversed
    kind: str = "hold"  # reservation kind: hold, order, deposit (freeze is its own action)
    note: str = ""

    def payload_hash(self) -> str:
        # every field is a str, int or None: their repr is canonical
        data = tuple(getattr(self, name) for name in _PAYLOAD)
        return hashlib.sha256(repr(data).encode()).hexdigest()


_PAYLOAD = tuple(f.name for f in fields(Op) if f.name != "key")
