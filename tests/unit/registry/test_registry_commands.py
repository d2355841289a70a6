"""Typed registry commands: the generic builder, its refusals, and payload hashes unchanged from ``Op``."""

from __future__ import annotations

import hashlib

import pytest

from openets.core.errors import DomainError
from openets.registry.commands import (
    Approve,
    CommandBase,
    Freeze,
    Release,
    Reserve,
    Surrender,
    Transfer,
    Withdraw,
    command,
)


def _old_hash(action: str, from_account: int | None = None, to_account: int | None = None,
              unit_class: int | None = None, quantity: int | None = None, restriction: int = 0,
              compliance_year: int | None = None, reservation: int | None = None, txn: int | None = None,
              kind: str = "hold", note: str = "") -> str:
    # what Op.payload_hash computed: its fields but the key, in declaration order (stored with each key)
    data = (action, from_account, to_account, unit_class, quantity, restriction, compliance_year, reservation, txn,
            kind, note)
    return hashlib.sha256(repr(data).encode()).hexdigest()


@pytest.mark.parametrize(("cmd", "old"), [
    (Transfer(key="k", from_account=1, to_account=2, unit_class=3, quantity=40),
     _old_hash("transfer", 1, 2, 3, 40)),
    (Surrender(from_account=1, unit_class=3, quantity=5, compliance_year=2016, restriction=7),
     _old_hash("surrender", 1, None, 3, 5, 7, 2016)),
    (Reserve(account=1, unit_class=3, quantity=5, kind="order"), _old_hash("reserve", 1, None, 3, 5, kind="order")),
    (Freeze(account=1, unit_class=3, quantity=5, note="court"), _old_hash("freeze", 1, None, 3, 5, note="court")),
    (Release(reservation=9), _old_hash("release", reservation=9)),
    (Approve(txn=12), _old_hash("approve", txn=12)),
])
def test_payload_hash_is_the_old_ops(cmd: CommandBase, old: str) -> None:
    assert cmd.payload_hash() == old


def test_command_builds_the_typed_command() -> None:
    assert command("transfer", from_account=1, to_account=2, unit_class=3, quantity=4) == \
        Transfer(from_account=1, to_account=2, unit_class=3, quantity=4)
    assert command("reserve", from_account=1, unit_class=3, quantity=4, kind="deposit") == \
        Reserve(account=1, unit_class=3, quantity=4, kind="deposit")
    assert command("withdraw", key="w", txn=5) == Withdraw(key="w", txn=5)
    # a move out of a reservation names no sender (a session fills it in)
    assert command("transfer", to_account=2, unit_class=3, quantity=4, reservation=8).from_account is None


@pytest.mark.parametrize(("action", "fields", "code"), [
    ("teleport", {}, "action_unknown"),
    ("transfer", dict(from_account=1, to_account=2, unit_class=3), "quantity_missing"),
    ("transfer", dict(from_account=1, unit_class=3, quantity=1), "receiver_missing"),
    ("transfer", dict(to_account=2, unit_class=3, quantity=1), "argument_missing"),
    ("issue", dict(unit_class=3, quantity=1), "argument_missing"),
    ("approve", {}, "argument_missing"),
    ("release", {}, "argument_missing"),
])
def test_command_refuses_what_the_typed_command_cannot_hold(action: str, fields: dict[str, int], code: str) -> None:
    with pytest.raises(DomainError) as info:
        command(action, **fields)  # type: ignore[arg-type]  # loose fields, as from a file
    assert info.value.code == code
