"""The carry-over limit under concurrency on PostgreSQL (READ COMMITTED, row locks): two surrenders
against one account's limit at once, and two grants of one limit at once. Each is forced to interleave:
the first is held inside its transaction at the point where a race would matter."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from tests.conftest import ON_PG

from openets.core.clock import FixedClock
from openets.core.errors import DomainError
from openets.registry.commands import Surrender, Transfer
from openets.services import flexibility
from openets.services.flexibility import FlexibilityService
from openets.services.registry import RegistryService
from openets.services.registry import submit as submit_mod
from openets.testing.builders import build_world

pytestmark = pytest.mark.skipif(not ON_PG, reason="SQLite serialises every writer (BEGIN IMMEDIATE): no race to test")


def _world(engine):  # type: ignore[no-untyped-def]
    """A sells B 4,000 t of 2024 allowances in 2024: net sold 4,000 → limit 10,000 + 1.5 × 4,000 = 16,000 t."""
    clock = FixedClock(datetime(2024, 6, 3, 2, tzinfo=UTC))
    w = build_world(engine, clock, market="CEA", vintage=2024, companies=2, issue=1_000_000, allocate=100_000)
    w.svc.one(w.companies[0], Transfer(from_account=w.accounts[0].id, to_account=w.accounts[1].id,
                                       unit_class=w.unit_class.id, quantity=4_000))
    clock.at = datetime(2025, 3, 3, 2, tzinfo=UTC)
    return w, clock


def _held_then(first: str, marker: dict[str, threading.Event]):  # type: ignore[no-untyped-def]
    """A hook that holds the thread named ``first`` (once) until ``go`` is set, after signalling ``in``."""
    def hold() -> None:
        if threading.current_thread().name == first and not marker["in"].is_set():
            marker["in"].set()
            assert marker["go"].wait(20)
    return hold


def test_two_surrenders_at_once_stay_within_the_limit(engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Limit 16,000 t. Two surrenders of 2024 allowances for 2025 at once, 10,000 t each: alone each is
    within it, together 20,000 > 16,000. The first is held after reading what the limit's earlier
    surrenders used (0 t); the second waits for the account's lock meanwhile, then reads 10,000 used:
    10,000 + 10,000 = 20,000 > 16,000 → refused."""
    w, clock = _world(engine)
    got = FlexibilityService(w.svc).grant_carry_over(w.reg, "CEA", 2024, "CEA-REG-00000")
    assert got.quantity == 16_000
    marker = {"in": threading.Event(), "go": threading.Event()}
    hold, real = _held_then("first", marker), submit_mod.load_limits

    def load_limits(*a, **kw):  # type: ignore[no-untyped-def]
        real(*a, **kw)
        hold()

    monkeypatch.setattr(submit_mod, "load_limits", load_limits)
    results: dict[str, object] = {}

    def surrender() -> None:
        svc = RegistryService(engine, clock=clock, rulebook=w.svc.rulebook)
        try:
            results[threading.current_thread().name] = svc.one(w.companies[0], Surrender(
                from_account=w.accounts[0].id, unit_class=w.unit_class.id, quantity=10_000, compliance_year=2025))
        except DomainError as exc:
            results[threading.current_thread().name] = exc

    first = threading.Thread(target=surrender, name="first")
    second = threading.Thread(target=surrender, name="second")
    first.start()
    assert marker["in"].wait(20)
    second.start()
    second.join(1.0)
    assert second.is_alive()  # serialised: waiting for the account the first one holds
    marker["go"].set()
    first.join(20)
    second.join(20)
    assert getattr(results["first"], "status", None) is not None and results["first"].status.value == "completed"  # type: ignore[union-attr]
    refused = results["second"]
    assert isinstance(refused, DomainError) and refused.code == "within_flex_limit"
    assert "limit 16,000 t, 10,000 t used, 10,000 t asked" in refused.message


def test_two_grants_at_once_record_one_limit(engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Two regulators grant A's carry-over at once. The first is held after finding no limit recorded and
    before inserting it; the second records it (16,000 t) meanwhile. The first's insert then meets the
    one-limit index (flex_limit_once): it gives the recorded answer, 16,000 t, not a database error."""
    w, clock = _world(engine)
    marker = {"in": threading.Event(), "go": threading.Event()}
    hold, real = _held_then("first", marker), flexibility.insert

    def insert(*a, **kw):  # type: ignore[no-untyped-def]
        hold()
        return real(*a, **kw)

    monkeypatch.setattr(flexibility, "insert", insert)
    results: dict[str, object] = {}

    def grant() -> None:
        svc = RegistryService(engine, clock=clock, rulebook=w.svc.rulebook)
        try:
            results[threading.current_thread().name] = FlexibilityService(svc).grant_carry_over(
                w.reg, "CEA", 2024, "CEA-REG-00000")
        except Exception as exc:  # noqa: BLE001 - the test names what escaped
            results[threading.current_thread().name] = exc

    first = threading.Thread(target=grant, name="first")
    second = threading.Thread(target=grant, name="second")
    first.start()
    assert marker["in"].wait(20)
    second.start()
    second.join(20)
    marker["go"].set()
    first.join(20)
    a, b = results["first"], results["second"]
    assert isinstance(b, flexibility.Limit) and b.quantity == 16_000
    assert isinstance(a, flexibility.Limit), a
    assert (a.quantity, a.basis) == (b.quantity, b.basis)
    assert [x.quantity for x in FlexibilityService(w.svc).limits(w.accounts[0].number)] == [16_000]
