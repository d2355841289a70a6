"""National consequences decided on a real database by the law in force on the deadline day
(mechanisms.md §8.1): Decree 775 Art. 24 for the 2023 period (deadline 31 Dec 2024: the published Ningxia
case), the 2021 Measures for 2021–2022 (deadline 31 Dec 2023, before 1 May 2024)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from openets.allocation.plan import CompanyAllocation, PlanResult
from openets.core.clock import FixedClock
from openets.core.errors import DomainError
from openets.registry.commands import Surrender
from openets.services.allocation import AllocationService
from openets.services.compliance import Consequences
from openets.services.exchange import open_exchange
from openets.services.reports import ReportService
from openets.testing.builders import build_world


def _allocate(w, year: int, quantities: list[int]) -> AllocationService:  # type: ignore[no-untyped-def]
    alloc = AllocationService(w.svc)
    plan = PlanResult("final", tuple(CompanyAllocation(f"CEA-REG-{i:05d}", ("power",), D(q), q, ())
                                     for i, q in enumerate(quantities)), ())
    alloc.issue(w.reg2, alloc.propose(w.reg, plan, market="CEA", year=year).run, unit_class=w.unit_class.code,
                from_account="CEA-ISSUANCE")
    return alloc


def test_ningxia_case_under_decree_775(engine) -> None:  # type: ignore[no-untyped-def]
    """Shizuishan (Ningxia), 2023: obligation 5,128,612 t, surrendered 4,263,312 t → 865,300 t short.
    The month before the deadline of 31 Dec 2024 is 1–31 Dec 2024; its listed trades: 1,000 t at 97.00
    (2 Dec) and 1,000 t at 99.00 (31 Dec) → (97 + 99) / 2 = 98.00 yuan (the certified price of the case);
    the 1,000 t at 90.00 on 29 Nov is outside it. Fine at the stated default 5 ×:
    5 × 98.00 × 865,300 = 423,997,000 yuan = 42,399,700,000 fen; not corrected: 865,300 t deducted from
    the next allocation (1 × the shortfall)."""
    clock = FixedClock(datetime(2024, 11, 1, 2, tzinfo=UTC))
    w = build_world(engine, clock, market="CEA", vintage=2023, companies=2, cap=20_000_000, issue=12_000_000,
                    allocate=0)
    alloc = _allocate(w, 2023, [4_263_312, 10_000])
    a, b = w.companies
    ex = open_exchange(w.svc, w.unit_class.code)
    ex.reference = 9800
    ex._rebuild()
    ex.deposit(a, 1_000_000_000)
    for when, price in ((datetime(2024, 11, 29, 2, tzinfo=UTC), 9000), (datetime(2024, 12, 2, 2, tzinfo=UTC), 9700),
                        (datetime(2024, 12, 31, 2, tzinfo=UTC), 9900)):
        clock.at = when
        ex.submit(b, account=w.accounts[1].number, side="sell", quantity=1000, price_fen=price)
        ex.submit(a, account=w.accounts[0].number, side="buy", quantity=1000, price_fen=price)
    # A bought 3,000 t and B sold them: A surrenders its allocation, B its rest
    reports = ReportService(w.svc)
    reports.determine_missing(w.reg, market="CEA", year=2023, company="CEA-REG-00000", emissions=D(5_128_612))
    reports.determine_missing(w.reg, market="CEA", year=2023, company="CEA-REG-00001", emissions=D(7_000))
    clock.at = datetime(2024, 12, 31, 3, tzinfo=UTC)
    w.svc.one(a, Surrender(from_account=w.accounts[0].id, unit_class=w.unit_class.id, quantity=4_263_312,
                           compliance_year=2023))
    w.svc.one(b, Surrender(from_account=w.accounts[1].id, unit_class=w.unit_class.id, quantity=7_000,
                           compliance_year=2023))
    cons = Consequences(w.svc)
    with pytest.raises(DomainError) as e:  # 31 Dec 2024 18:00 in Beijing: the deadline has not passed
        cons.decide(w.reg, "CEA", 2023, now=datetime(2024, 12, 31, 10, tzinfo=UTC))
    assert e.value.code == "too_early"
    clock.at = datetime(2025, 1, 2, 2, tzinfo=UTC)
    with pytest.raises(DomainError) as e:  # the authority chooses in 5–10
        cons.decide(w.reg, "CEA", 2023, multiplier=D(11))
    assert e.value.code == "multiplier_outside_range"
    got = {(p.company, p.kind): p for p in cons.decide(w.reg, "CEA", 2023)}
    assert set(got) == {("CEA-REG-00000", "fine"), ("CEA-REG-00000", "listed"), ("CEA-REG-00000", "next_year")}
    fine = got[("CEA-REG-00000", "fine")]
    assert fine.shortfall == 865_300 and fine.amount_fen == 42_399_700_000
    assert fine.basis.startswith("5 × 98.00 yuan") and "2024-12-01–2024-12-31" in fine.basis
    assert "stated default" in fine.basis
    assert alloc.debts("CEA") == {"CEA-REG-00000": 865_300}
    assert cons.decide(w.reg, "CEA", 2023) == []  # decided once


def test_2021_2022_under_the_measures(engine) -> None:  # type: ignore[no-untyped-def]
    """2022's deadline (31 Dec 2023) is before Decree 775 (1 May 2024): the Measures' fixed fine of
    20,000–30,000 yuan whatever the shortfall, decided by the authority (no default: refused without an
    amount), and the shortfall off the next allocation. A owes 105,000 t, holds and surrenders its
    100,000 t allocation → 5,000 t short; fine decided 25,000 yuan = 2,500,000 fen."""
    clock = FixedClock(datetime(2023, 4, 1, 2, tzinfo=UTC))
    w = build_world(engine, clock, market="CEA", vintage=2022, companies=1, issue=1_000_000, allocate=0)
    alloc = _allocate(w, 2022, [100_000])
    ReportService(w.svc).determine_missing(w.reg, market="CEA", year=2022, company="CEA-REG-00000",
                                           emissions=D(105_000))
    clock.at = datetime(2023, 11, 10, 2, tzinfo=UTC)
    w.svc.one(w.companies[0], Surrender(from_account=w.accounts[0].id, unit_class=w.unit_class.id, quantity=100_000,
                                        compliance_year=2022))
    clock.at = datetime(2024, 1, 3, 2, tzinfo=UTC)
    cons = Consequences(w.svc)
    with pytest.raises(DomainError) as e:
        cons.decide(w.reg, "CEA", 2022)
    assert e.value.code == "fine_outside_range" and "20,000.00 and 30,000.00 yuan" in e.value.message
    got = {p.kind: p for p in cons.decide(w.reg, "CEA", 2022, fixed_fen=2_500_000)}
    assert set(got) == {"fine", "listed", "next_year"}
    assert got["fine"].amount_fen == 2_500_000 and got["fine"].shortfall == 5_000
    assert alloc.debts("CEA") == {"CEA-REG-00000": 5_000}


def test_decree_775_fines_the_shortfall_at_the_deadline(engine) -> None:  # type: ignore[no-untyped-def]
    """The fine is for what was missing at the deadline (31 Dec 2024), not what is still missing when the
    authority decides. Price: the only listed trade of the month before, 1,000 t at 100.00 yuan → 100.00.
    A owes 12,000 t: 8,000 surrendered by the deadline (4,000 short then), 3,000 more on 2 Jan (1,000 still
    short): fine 5 × 100.00 × 4,000 = 2,000,000 yuan = 200,000,000 fen (not 5 × 100 × 1,000), and the
    1,000 t not corrected off the next allocation, and listed. B owes 9,000 t, surrendered none by the
    deadline and all 9,000 on 2 Jan: fined 5 × 100.00 × 9,000 = 4,500,000 yuan = 450,000,000 fen, but
    nothing deducted and not listed (corrected)."""
    clock = FixedClock(datetime(2024, 11, 1, 2, tzinfo=UTC))
    w = build_world(engine, clock, market="CEA", vintage=2023, companies=2, cap=1_000_000, issue=100_000,
                    allocate=0)
    alloc = _allocate(w, 2023, [10_000, 10_000])
    a, b = w.companies
    ex = open_exchange(w.svc, w.unit_class.code)
    ex.reference = 10_000
    ex._rebuild()
    ex.deposit(a, 1_000_000_000)
    clock.at = datetime(2024, 12, 2, 2, tzinfo=UTC)
    ex.submit(b, account=w.accounts[1].number, side="sell", quantity=1000, price_fen=10_000)
    ex.submit(a, account=w.accounts[0].number, side="buy", quantity=1000, price_fen=10_000)
    reports = ReportService(w.svc)
    reports.determine_missing(w.reg, market="CEA", year=2023, company="CEA-REG-00000", emissions=D(12_000))
    reports.determine_missing(w.reg, market="CEA", year=2023, company="CEA-REG-00001", emissions=D(9_000))
    clock.at = datetime(2024, 12, 31, 3, tzinfo=UTC)
    w.svc.one(a, Surrender(from_account=w.accounts[0].id, unit_class=w.unit_class.id, quantity=8_000,
                           compliance_year=2023))
    clock.at = datetime(2025, 1, 2, 2, tzinfo=UTC)
    w.svc.one(a, Surrender(from_account=w.accounts[0].id, unit_class=w.unit_class.id, quantity=3_000,
                           compliance_year=2023))
    w.svc.one(b, Surrender(from_account=w.accounts[1].id, unit_class=w.unit_class.id, quantity=9_000,
                           compliance_year=2023))
    clock.at = datetime(2025, 1, 3, 2, tzinfo=UTC)
    got = {(p.company, p.kind): p for p in Consequences(w.svc).decide(w.reg, "CEA", 2023)}
    assert set(got) == {("CEA-REG-00000", "fine"), ("CEA-REG-00000", "listed"), ("CEA-REG-00000", "next_year"),
                        ("CEA-REG-00001", "fine")}
    assert (got[("CEA-REG-00000", "fine")].shortfall, got[("CEA-REG-00000", "fine")].amount_fen) == (4_000, 200_000_000)
    assert "4,000 t" in got[("CEA-REG-00000", "fine")].basis
    assert (got[("CEA-REG-00001", "fine")].shortfall, got[("CEA-REG-00001", "fine")].amount_fen) == (9_000, 450_000_000)
    assert got[("CEA-REG-00000", "next_year")].shortfall == 1_000
    assert alloc.debts("CEA") == {"CEA-REG-00000": 1_000}
