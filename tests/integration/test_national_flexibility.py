"""Borrowing and carry-over enforced by the registry on a real database (mechanisms.md §8.3): the
2021–2022 plan's conditional borrowing of 2023 allowances (gap > 10 % of the allocation, at most 50 % of
the gap), the 2023–2024 plan's carry-over (10,000 t + 1.5 × net allowances sold 2019–2024) — granted by a
regulator from the rule, refused by the check ``within_flex_limit`` beyond it."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from openets.allocation.plan import CompanyAllocation, PlanResult
from openets.core.clock import FixedClock
from openets.core.errors import DomainError
from openets.registry.commands import Allocate, Approve, Issue, Reversal, Surrender, Transfer
from openets.registry.model import UnitKind
from openets.services.allocation import AllocationService
from openets.services.flexibility import FlexibilityService
from openets.services.reports import ReportService
from openets.testing.builders import build_world


def _class(w, vintage: int, quantity: int):  # type: ignore[no-untyped-def]
    uc = w.svc.create_unit_class(w.reg, kind=UnitKind.ALLOWANCE, market="CEA", vintage=vintage, cap=10_000_000)
    rec = w.svc.one(w.reg, Issue(to_account=w.issuance.id, unit_class=uc.id, quantity=quantity))
    if rec.status.value == "awaiting_approval":
        w.svc.one(w.reg2, Approve(txn=rec.id))
    return uc


def _refused(w, actor, op) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as e:
        w.svc.one(actor, op)
    assert e.value.code == "within_flex_limit", e.value
    return e.value.message


def test_borrowing_2023_allowances_for_2022(engine) -> None:  # type: ignore[no-untyped-def]
    """A: allocation 100,000 t, owes 120,000 → gap 20,000 > 10 % × 100,000 = 10,000: may borrow at most
    50 % × 20,000 = 10,000 t of 2023 allowances. B: owes 110,000 → gap 10,000, not above 10,000: none.
    A's 10,000 are used 6,000 + 4,000; the next tonne is refused; a reversal gives 6,000 back."""
    clock = FixedClock(datetime(2023, 10, 20, 2, tzinfo=UTC))
    w = build_world(engine, clock, market="CEA", vintage=2022, companies=2, issue=1_000_000, allocate=0)
    alloc = AllocationService(w.svc)
    plan = PlanResult("final", tuple(CompanyAllocation(f"CEA-REG-{i:05d}", ("power",), D(100_000), 100_000, ())
                                     for i in range(2)), ())
    alloc.issue(w.reg2, alloc.propose(w.reg, plan, market="CEA", year=2022).run, unit_class=w.unit_class.code,
                from_account="CEA-ISSUANCE")
    v23 = _class(w, 2023, 500_000)
    w.svc.submit(w.reg, [Allocate(from_account=w.issuance.id, to_account=a.id, unit_class=v23.id, quantity=50_000)
                         for a in w.accounts])
    reports = ReportService(w.svc)
    reports.determine_missing(w.reg, market="CEA", year=2022, company="CEA-REG-00000", emissions=D(120_000))
    reports.determine_missing(w.reg, market="CEA", year=2022, company="CEA-REG-00001", emissions=D(110_000))
    a, b = w.companies
    acc_a = w.accounts[0].id

    def borrow(qty: int, year: int = 2022) -> Surrender:
        return Surrender(from_account=acc_a, unit_class=v23.id, quantity=qty, compliance_year=year)

    assert "no limit granted" in _refused(w, a, borrow(1))  # before any grant
    flex = FlexibilityService(w.svc)
    with pytest.raises(DomainError) as e:
        flex.grant_borrowing(w.reg, "CEA", 2022, "CEA-REG-00001")
    assert e.value.code == "borrowing_not_allowed" and "gap 10,000 t" in e.value.message
    with pytest.raises(DomainError):
        flex.grant_borrowing(a, "CEA", 2022, "CEA-REG-00000")  # a company grants itself nothing
    got = flex.grant_borrowing(w.reg, "CEA", 2022, "CEA-REG-00000")
    assert got.quantity == 10_000 and "120,000 − 100,000 = 20,000 t" in got.basis
    assert flex.grant_borrowing(w.reg, "CEA", 2022, "CEA-REG-00000") == got  # granted once
    first = w.svc.one(a, borrow(6_000))
    assert "limit 10,000 t, 6,000 t used, 4,001 t asked" in _refused(w, a, borrow(4_001))
    w.svc.one(a, borrow(4_000))
    _refused(w, a, borrow(1))
    assert "no limit granted" in _refused(w, a, borrow(1, 2021))  # the grant is for 2022 only
    rev = w.svc.one(w.reg, Reversal(txn=first.id))
    if rev.status.value == "awaiting_approval":
        w.svc.one(w.reg2, Approve(txn=rev.id))
    w.svc.one(a, borrow(6_000))  # the reversed 6,000 count no more
    # 2022 allowances for 2021: the same period, no limit
    w.svc.one(a, Surrender(from_account=acc_a, unit_class=w.unit_class.id, quantity=1, compliance_year=2021))
    with pytest.raises(DomainError) as e:  # 2022 allowances for 2020: no borrowing outside the plan's vintage
        w.svc.one(b, Surrender(from_account=w.accounts[1].id, unit_class=w.unit_class.id, quantity=1,
                               compliance_year=2020))
    assert e.value.code == "vintage_counts"


def test_carry_over_of_2024_allowances_into_2025(engine) -> None:  # type: ignore[no-untyped-def]
    """A sells B 4,000 t (2024) and buys back 1,000 t (2024): net sold 3,000 t in 2019–2024 (a 10,000 t
    sale in 2025 is outside the years). A's limit: 10,000 + 1.5 × 3,000 = 14,500 t of vintages ≤ 2024 for
    2025 on. B is a net buyer: 10,000 t (the base). Surrendering 2024 allowances for 2024 is not limited."""
    clock = FixedClock(datetime(2024, 6, 3, 2, tzinfo=UTC))
    w = build_world(engine, clock, market="CEA", vintage=2024, companies=2, issue=1_000_000, allocate=100_000)
    a, b = w.companies
    acc_a, acc_b = (x.id for x in w.accounts)
    v24 = w.unit_class.id
    w.svc.one(a, Transfer(from_account=acc_a, to_account=acc_b, unit_class=v24, quantity=4_000))
    w.svc.one(b, Transfer(from_account=acc_b, to_account=acc_a, unit_class=v24, quantity=1_000))
    clock.at = datetime(2025, 3, 3, 2, tzinfo=UTC)
    w.svc.one(a, Transfer(from_account=acc_a, to_account=acc_b, unit_class=v24, quantity=10_000))
    flex = FlexibilityService(w.svc)
    assert flex.net_sold("CEA", "CEA-REG-00000", (2019, 2024)) == 3_000
    assert flex.net_sold("CEA", "CEA-REG-00001", (2019, 2024)) == -3_000

    def carry(actor, account: int, qty: int, year: int = 2025) -> Surrender:  # type: ignore[no-untyped-def]
        return Surrender(from_account=account, unit_class=v24, quantity=qty, compliance_year=year)

    w.svc.one(a, carry(a, acc_a, 1_000, 2024))  # for 2024 itself: no carry-over
    assert "no limit granted" in _refused(w, a, carry(a, acc_a, 1))
    got = flex.grant_carry_over(w.reg, "CEA", 2024, "CEA-REG-00000")
    assert (got.kind, got.year, got.quantity) == ("carry_over", 2024, 14_500)
    assert flex.grant_carry_over(w.reg, "CEA", 2024, "CEA-REG-00001").quantity == 10_000
    w.svc.one(a, carry(a, acc_a, 14_000))
    assert "limit 14,500 t, 14,000 t used, 501 t asked" in _refused(w, a, carry(a, acc_a, 501))
    w.svc.one(a, carry(a, acc_a, 500, 2026))  # the limit covers every later year together
    _refused(w, a, carry(a, acc_a, 1, 2026))
    w.svc.one(b, carry(b, acc_b, 10_000))
    _refused(w, b, carry(b, acc_b, 1))


def test_a_national_surrender_is_reversed_only_until_its_deadline(engine) -> None:  # type: ignore[no-untyped-def]
    """2023's surrender may be reversed until 31 Dec 2024 (its deadline: the compliance period, the UK
    rule); on 1 Jan 2025 10:00 in Beijing the proposal is refused; on 31 Dec 2024 it is proposed."""
    clock = FixedClock(datetime(2024, 11, 1, 2, tzinfo=UTC))
    w = build_world(engine, clock, market="CEA", vintage=2023, companies=1, issue=100_000, allocate=10_000)
    s = w.svc.one(w.companies[0], Surrender(from_account=w.accounts[0].id, unit_class=w.unit_class.id, quantity=10,
                                            compliance_year=2023))
    clock.at = datetime(2025, 1, 1, 2, tzinfo=UTC)
    with pytest.raises(DomainError) as e:
        w.svc.one(w.reg, Reversal(txn=s.id))
    assert e.value.code == "reversal_within_period" and "until 2024-12-31" in e.value.message
    clock.at = datetime(2024, 12, 31, 15, tzinfo=UTC)  # 23:00 in Beijing: still inside
    assert w.svc.one(w.reg, Reversal(txn=s.id)).status.value == "awaiting_approval"


def test_borrowing_counts_the_pre_allocation_plus_the_true_up(engine) -> None:  # type: ignore[no-untyped-def]
    """A's 2022 allocation: pre-allocated 70,000 t, then the true-up from confirmed output to 90,000 t
    (+20,000 t), so 70,000 + 20,000 = 90,000 t. Owes 110,000 → gap 110,000 − 90,000 = 20,000 > 10 % × 90,000
    = 9,000: borrows at most 50 % × 20,000 = 10,000 t. (The pre-allocation alone would give a gap of 40,000
    and 20,000 t; the true-up row alone, 20,000 t, a gap of 90,000 and 45,000 t.)"""
    clock = FixedClock(datetime(2023, 10, 20, 2, tzinfo=UTC))
    w = build_world(engine, clock, market="CEA", vintage=2022, companies=1, issue=1_000_000, allocate=0)
    alloc = AllocationService(w.svc)

    def plan(kind: str, tonnes: int) -> PlanResult:
        return PlanResult(kind, (CompanyAllocation("CEA-REG-00000", ("power",), D(tonnes), tonnes, ()),), ())

    alloc.issue(w.reg2, alloc.propose(w.reg, plan("pre", 70_000), market="CEA", year=2022).run,
                unit_class=w.unit_class.code, from_account="CEA-ISSUANCE")
    alloc.issue(w.reg2, alloc.propose_true_up(w.reg, plan("final", 90_000), market="CEA", year=2022).run,
                unit_class=w.unit_class.code, from_account="CEA-ISSUANCE")
    ReportService(w.svc).determine_missing(w.reg, market="CEA", year=2022, company="CEA-REG-00000",
                                           emissions=D(110_000))
    got = FlexibilityService(w.svc).grant_borrowing(w.reg, "CEA", 2022, "CEA-REG-00000")
    assert got.quantity == 10_000 and "110,000 − 90,000 = 20,000 t" in got.basis
