"""What a decided sanction does afterwards, on a real database: the next-year deduction (Decree 775
Art. 24, the 2021 Measures: an equal amount off the next year's allowances, mechanisms.md §8.1) taken off
the next allocation that is issued; a decision that is retried whole (a lock) records each penalty once."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from openets.allocation.plan import CompanyAllocation, PlanResult
from openets.core.clock import FixedClock
from openets.core.errors import DomainError
from openets.registry.commands import Approve, Issue, Surrender
from openets.registry.model import UnitKind
from openets.services.allocation import AllocationService
from openets.services.compliance import Consequences
from openets.services.reports import ReportService
from openets.storage import tables as t
from openets.testing.builders import World, build_world


def _run(w: World, year: int, unit_class: str, quantities: list[int]) -> int:
    alloc = AllocationService(w.svc)
    plan = PlanResult("final", tuple(CompanyAllocation(f"CEA-REG-{i:05d}", ("power",), D(q), q, ())
                                     for i, q in enumerate(quantities)), ())
    run = alloc.propose(w.reg, plan, market="CEA", year=year).run
    alloc.issue(w.reg2, run, unit_class=unit_class, from_account="CEA-ISSUANCE")
    return run


def _vintage(w: World, year: int, quantity: int) -> str:
    """The next year's allowance, created and issued into the market's issuance account."""
    uc = w.svc.create_unit_class(w.reg, kind=UnitKind.ALLOWANCE, market="CEA", vintage=year, cap=20_000_000)
    rec = w.svc.one(w.reg, Issue(to_account=w.issuance.id, unit_class=uc.id, quantity=quantity))
    if rec.status.value == "awaiting_approval":
        w.svc.one(w.reg2, Approve(txn=rec.id))
    return uc.code


def _held(w: World, unit_class: str) -> int:
    uc = w.svc.unit_class(unit_class)
    with w.svc.engine.connect() as c:
        return int(c.execute(select(func.coalesce(func.sum(t.positions.c.total), 0)).where(
            t.positions.c.account_id == w.accounts[0].id, t.positions.c.unit_class_id == uc.id)).scalar_one())


def _ningxia(engine) -> tuple[World, FixedClock]:  # type: ignore[no-untyped-def]
    """The Ningxia case (mechanisms.md §8.1): obligation 5,128,612 t, 4,263,312 t surrendered by the
    deadline of 31 Dec 2024 → 865,300 t short, never corrected; decided on 2 Jan 2025 at the certified
    98.00 yuan."""
    clock = FixedClock(datetime(2024, 11, 1, 2, tzinfo=UTC))
    w = build_world(engine, clock, market="CEA", vintage=2023, companies=1, cap=20_000_000, issue=12_000_000,
                    allocate=0)
    _run(w, 2023, w.unit_class.code, [4_263_312])
    ReportService(w.svc).determine_missing(w.reg, market="CEA", year=2023, company="CEA-REG-00000",
                                           emissions=D(5_128_612))
    clock.at = datetime(2024, 12, 31, 3, tzinfo=UTC)
    w.svc.one(w.companies[0], Surrender(from_account=w.accounts[0].id, unit_class=w.unit_class.id,
                                        quantity=4_263_312, compliance_year=2023))
    clock.at = datetime(2025, 1, 2, 2, tzinfo=UTC)
    return w, clock


def test_the_ningxia_deduction_comes_off_the_next_allocation(engine) -> None:  # type: ignore[no-untyped-def]
    """Decided: 865,300 t owed against the next year's allowances. The 2024 run allocates 1,000,000 t:
    1,000,000 − 865,300 = 134,700 t issued; the debt settled (865,300 owed − 865,300 withheld = 0). The run
    issued again: refused, nothing issued or withheld twice."""
    w, clock = _ningxia(engine)
    got = {p.kind: p for p in Consequences(w.svc).decide(w.reg, "CEA", 2023, certified_price_fen=D(9800))}
    assert got["next_year"].shortfall == 865_300
    alloc = AllocationService(w.svc)
    assert alloc.debts("CEA") == {"CEA-REG-00000": 865_300}
    code = _vintage(w, 2024, 2_000_000)
    clock.at = datetime(2025, 3, 1, 2, tzinfo=UTC)
    run = _run(w, 2024, code, [1_000_000])
    assert _held(w, code) == 134_700
    assert alloc.debts("CEA") == {}
    assert alloc.debts("CEA", 2023) == {"CEA-REG-00000": 865_300}  # owed for 2023, withheld by the 2024 run
    with pytest.raises(DomainError):
        alloc.issue(w.reg2, run, unit_class=code, from_account="CEA-ISSUANCE")
    assert _held(w, code) == 134_700 and alloc.debts("CEA") == {}
    with engine.connect() as c:
        assert c.execute(select(func.count()).select_from(t.allocation_debts).where(
            t.allocation_debts.c.kind == "withheld")).scalar_one() == 1


def test_a_deduction_larger_than_the_next_allocation_stays_owed(engine) -> None:  # type: ignore[no-untyped-def]
    """865,300 t owed; the 2024 run allocates 500,000 t: all 500,000 withheld, 0 issued, and
    865,300 − 500,000 = 365,300 t still owed; a second 2024 run of 400,000 t: 400,000 − 365,300 = 34,700 t
    issued, nothing owed."""
    w, clock = _ningxia(engine)
    Consequences(w.svc).decide(w.reg, "CEA", 2023, certified_price_fen=D(9800))
    alloc = AllocationService(w.svc)
    code = _vintage(w, 2024, 2_000_000)
    clock.at = datetime(2025, 3, 1, 2, tzinfo=UTC)
    _run(w, 2024, code, [500_000])
    assert _held(w, code) == 0
    assert alloc.debts("CEA") == {"CEA-REG-00000": 365_300}
    _run(w, 2024, code, [400_000])
    assert _held(w, code) == 34_700
    assert alloc.debts("CEA") == {}


def test_a_rest_the_next_year_cannot_cover_is_withheld_the_year_after(engine) -> None:  # type: ignore[no-untyped-def]
    """The reading taken (unverified: the texts say "deducted from next year's allowances" and nothing of a
    rest the next year cannot cover — ``AllocationService._next_year_owed``): the rest stays owed until
    paid, by the runs after. 865,300 t owed; the only 2024 run allocates 500,000 t: 500,000 withheld, 0
    issued, 865,300 − 500,000 = 365,300 owed; the 2025 run of 400,000 t: 365,300 withheld, 400,000 −
    365,300 = 34,700 t issued, nothing owed (withheld 500,000 + 365,300 = 865,300)."""
    w, clock = _ningxia(engine)
    Consequences(w.svc).decide(w.reg, "CEA", 2023, certified_price_fen=D(9800))
    alloc = AllocationService(w.svc)
    code = _vintage(w, 2024, 2_000_000)
    clock.at = datetime(2025, 3, 1, 2, tzinfo=UTC)
    _run(w, 2024, code, [500_000])
    assert _held(w, code) == 0 and alloc.debts("CEA") == {"CEA-REG-00000": 365_300}
    code25 = _vintage(w, 2025, 2_000_000)
    clock.at = datetime(2025, 12, 1, 2, tzinfo=UTC)  # the 2025 plan from 16 Nov 2025
    _run(w, 2025, code25, [400_000])
    assert _held(w, code25) == 34_700
    assert alloc.debts("CEA") == {}
    assert [(k, y, q) for k, _, y, q in _debt_rows(engine)] == [
        ("nextyear", 2023, 865_300), ("withheld", 2024, 500_000), ("withheld", 2025, 365_300)]


def test_the_deduction_is_not_taken_from_the_same_years_allocation(engine) -> None:  # type: ignore[no-untyped-def]
    """The deduction is from the next year's allowances: a further 2023 run of 10,000 t issued after the
    decision is issued whole (10,000 t held: all 4,263,312 t of the first run were surrendered)."""
    w, clock = _ningxia(engine)
    Consequences(w.svc).decide(w.reg, "CEA", 2023, certified_price_fen=D(9800))
    clock.at = datetime(2025, 1, 10, 2, tzinfo=UTC)
    _run(w, 2023, w.unit_class.code, [10_000])
    assert _held(w, w.unit_class.code) == 10_000
    assert AllocationService(w.svc).debts("CEA") == {"CEA-REG-00000": 865_300}


def test_a_retried_decision_records_each_penalty_once(engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The transaction fails once after its work ran (a lock: retryable) and runs again whole. The
    Ningxia case: fine 5 × 98.00 × 865,300 = 423,997,000 yuan = 42,399,700,000 fen, listed, 865,300 t off
    the next year's allocation — each recorded once, the debt once (865,300, not 1,730,600)."""
    from openets.storage import db

    w, _ = _ningxia(engine)
    real, failed = db.run_in_transaction, []

    def once_locked(eng, work, **kw):  # type: ignore[no-untyped-def]
        def flaky(c):  # type: ignore[no-untyped-def]
            got = work(c)
            if not failed:
                failed.append(True)
                raise OperationalError("COMMIT", {}, Exception("database is locked"))
            return got
        return real(eng, flaky, **kw)

    monkeypatch.setattr(db, "run_in_transaction", once_locked)
    got = Consequences(w.svc).decide(w.reg, "CEA", 2023, certified_price_fen=D(9800))
    assert failed == [True]
    assert sorted(p.kind for p in got) == ["fine", "listed", "next_year"]
    assert {p.kind: p.amount_fen for p in got}["fine"] == 42_399_700_000
    assert AllocationService(w.svc).debts("CEA") == {"CEA-REG-00000": 865_300}
    with engine.connect() as c:
        assert c.execute(select(func.count()).select_from(t.penalties)).scalar_one() == 3


def _runless_2022(engine):  # type: ignore[no-untyped-def]
    """The 2022 period under the Measures, the company's 100,000 t allocated by a plain transfer (no
    allocation run issued for 2022): 105,000 owed − 100,000 surrendered = 5,000 t short."""
    clock = FixedClock(datetime(2023, 4, 1, 2, tzinfo=UTC))
    w = build_world(engine, clock, market="CEA", vintage=2022, companies=1, issue=1_000_000, allocate=100_000)
    ReportService(w.svc).determine_missing(w.reg, market="CEA", year=2022, company="CEA-REG-00000",
                                           emissions=D(105_000))
    clock.at = datetime(2023, 11, 10, 2, tzinfo=UTC)
    w.svc.one(w.companies[0], Surrender(from_account=w.accounts[0].id, unit_class=w.unit_class.id, quantity=100_000,
                                        compliance_year=2022))
    clock.at = datetime(2024, 1, 3, 2, tzinfo=UTC)
    return w, clock


def _debt_rows(engine) -> list[tuple[str, int | None, int, int]]:  # type: ignore[no-untyped-def]
    d = t.allocation_debts
    with engine.connect() as c:
        return [(r.kind, r.run_id, r.compliance_year, r.quantity) for r in c.execute(
            select(d.c.kind, d.c.run_id, d.c.compliance_year, d.c.quantity).order_by(d.c.id))]


def test_a_deduction_without_an_allocation_run_is_owed_until_the_next_run(engine) -> None:  # type: ignore[no-untyped-def]
    """No 2022 run was issued: the 5,000 t short are recorded as owed with no run (migration 0023), not
    refused — the fine (the Measures: 25,000 yuan decided) and the deduction both recorded. Decided again:
    nothing new, still one debt of 5,000. The first 2023 run allocates 80,000 t: 80,000 − 5,000 = 75,000 t
    issued, 5,000 withheld, the debt linked to that run and settled (5,000 − 5,000 = 0). Issued again:
    refused, nothing withheld twice (one withheld row, 75,000 held)."""
    w, clock = _runless_2022(engine)
    cons = Consequences(w.svc)
    got = {p.kind: p for p in cons.decide(w.reg, "CEA", 2022, fixed_fen=2_500_000)}
    assert got["fine"].amount_fen == 2_500_000 and got["next_year"].shortfall == 5_000
    assert "no CEA 2022 allocation run was issued" in got["next_year"].basis
    alloc = AllocationService(w.svc)
    assert alloc.debts("CEA") == {"CEA-REG-00000": 5_000}
    assert _debt_rows(engine) == [("nextyear", None, 2022, 5_000)]
    assert cons.decide(w.reg, "CEA", 2022, fixed_fen=2_500_000) == []  # decided twice: one debt
    assert _debt_rows(engine) == [("nextyear", None, 2022, 5_000)]
    code = _vintage(w, 2023, 1_000_000)
    clock.at = datetime(2024, 11, 1, 2, tzinfo=UTC)  # the 2023 plan (国环规气候〔2024〕1号) from 15 Oct 2024
    run = _run(w, 2023, code, [80_000])
    assert _held(w, code) == 75_000
    assert alloc.debts("CEA") == {}
    assert _debt_rows(engine) == [("nextyear", run, 2022, 5_000), ("withheld", run, 2023, 5_000)]
    with pytest.raises(DomainError):
        alloc.issue(w.reg2, run, unit_class=code, from_account="CEA-ISSUANCE")
    assert _held(w, code) == 75_000 and alloc.debts("CEA") == {}
    assert _debt_rows(engine) == [("nextyear", run, 2022, 5_000), ("withheld", run, 2023, 5_000)]


def test_a_runless_debt_is_not_withheld_from_its_own_years_run(engine) -> None:  # type: ignore[no-untyped-def]
    """The deduction is from the next year's allowances: a 2022 run of 10,000 t issued after the decision
    is issued whole (100,000 allocated − 100,000 surrendered + 10,000 = 10,000 held) and the debt stays
    owed with no run (5,000)."""
    w, clock = _runless_2022(engine)
    Consequences(w.svc).decide(w.reg, "CEA", 2022, fixed_fen=2_500_000)
    clock.at = datetime(2024, 1, 10, 2, tzinfo=UTC)
    _run(w, 2022, w.unit_class.code, [10_000])
    assert _held(w, w.unit_class.code) == 10_000
    assert AllocationService(w.svc).debts("CEA") == {"CEA-REG-00000": 5_000}
    assert _debt_rows(engine) == [("nextyear", None, 2022, 5_000)]
