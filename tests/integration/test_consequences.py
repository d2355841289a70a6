"""Consequences by the market's rules, on a real database: Shanghai's fixed fine (沪府令10号, unverified),
Hubei's capped fine and twice the shortfall owed against the next allocation (省政府令第371号, the
scenario's unverified rule set); the national market's rule data (the Measures 2020)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from openets.core.clock import FixedClock
from openets.core.errors import DomainError
from openets.registry.commands import Surrender
from openets.services.compliance import Consequences
from openets.services.reports import ReportService
from openets.services.rulebook import default_rulebook, typed
from openets.simulation.schema import BUNDLED
from openets.testing.builders import build_world


def test_shanghai_fixed_fine(engine) -> None:  # type: ignore[no-untyped-def]
    clock = FixedClock(datetime(2017, 5, 2, 2, tzinfo=UTC))
    w = build_world(engine, clock, market="SH", companies=1, allocate=10_000)
    ReportService(w.svc).determine_missing(w.reg, market="SH", year=2016, company="SH-REG-00000", emissions=D("11000"))
    w.svc.one(w.companies[0], Surrender(from_account=w.accounts[0].id, unit_class=w.unit_class.id, quantity=10_000,
                                        compliance_year=2016))
    clock.at = datetime(2017, 7, 3, 2, tzinfo=UTC)  # after the deadline of 30 June (Shanghai gives no order period)
    with pytest.raises(DomainError) as e:  # the regulator's amount must lie in 50,000–100,000 yuan
        Consequences(w.svc).decide(w.reg, "SH", 2016, fixed_fen=20_000_000)
    assert e.value.code == "fine_outside_range"
    got = {p.kind: p for p in Consequences(w.svc).decide(w.reg, "SH", 2016)}
    assert set(got) == {"fine", "listed"}
    assert got["fine"].amount_fen == 5_000_000 and got["fine"].shortfall == 1_000  # 50,000.00 yuan, whatever the tonnes
    assert "the rules' default: unverified" in got["fine"].basis


def test_hubei_capped_fine_and_double_deduction(engine) -> None:  # type: ignore[no-untyped-def]
    from openets.allocation.plan import CompanyAllocation, PlanResult
    from openets.services.allocation import AllocationService
    from openets.services.exchange import open_exchange

    clock = FixedClock(datetime(2017, 3, 1, 2, 0, tzinfo=UTC))
    w = build_world(engine, clock, market="HB", companies=2, issue=1_000_000, allocate=0)
    w.svc.rulebook = typed(default_rulebook().with_file(BUNDLED / "pilots-2016-rules.toml"))
    a, b = w.companies
    alloc = AllocationService(w.svc)
    plan = PlanResult("final", (CompanyAllocation("HB-REG-00000", ("power",), D(20_000), 20_000, ()),
                                CompanyAllocation("HB-REG-00001", ("power",), D(20_000), 20_000, ())), ())
    alloc.issue(w.reg2, alloc.propose(w.reg, plan, market="HB", year=2016).run, unit_class=w.unit_class.code,
                from_account="HB-ISSUANCE")
    ex = open_exchange(w.svc, w.unit_class.code)  # A sells 2,000 t to B at 20.00: the market's average price
    ex.reference = 2000
    ex._rebuild()
    ex.deposit(b, 100_000_000)
    ex.submit(a, account=w.accounts[0].number, side="sell", quantity=2000, price_fen=2000)
    ex.submit(b, account=w.accounts[1].number, side="buy", quantity=2000, price_fen=2000)
    reports = ReportService(w.svc)
    reports.determine_missing(w.reg, market="HB", year=2016, company="HB-REG-00000", emissions=D("18000"))
    reports.determine_missing(w.reg, market="HB", year=2016, company="HB-REG-00001", emissions=D("30000"))
    clock.at = datetime(2017, 6, 20, 2, tzinfo=UTC)
    w.svc.one(a, Surrender(from_account=w.accounts[0].id, unit_class=w.unit_class.id, quantity=14_000,
                           compliance_year=2016))  # A owes 18,000: 4,000 short
    w.svc.one(b, Surrender(from_account=w.accounts[1].id, unit_class=w.unit_class.id, quantity=20_000,
                           compliance_year=2016))  # B owes 30,000: 10,000 short
    clock.at = datetime(2017, 8, 2, 2, tzinfo=UTC)  # after the order deadline of 31 July
    got = {(p.company, p.kind): p for p in Consequences(w.svc).decide(w.reg, "HB", 2016)}
    assert got[("HB-REG-00000", "fine")].amount_fen == 8_000_000  # 1 × 20.00 yuan × 4,000 t = 80,000 yuan
    # B: 1 × 20.00 × 10,000 = 200,000 yuan, above the cap: 150,000 yuan
    assert got[("HB-REG-00001", "fine")].amount_fen == 15_000_000
    assert got[("HB-REG-00001", "fine")].basis.endswith("capped at 150,000.00 yuan")
    # twice the shortfall owed against the next allocation: A 2 × 4,000, B 2 × 10,000
    assert alloc.debts("HB") == {"HB-REG-00000": 8_000, "HB-REG-00001": 20_000}
    assert got[("HB-REG-00000", "next_year")].basis == "2 × 4,000 t = 8,000 t deducted from the next allocation"
    assert Consequences(w.svc).decide(w.reg, "HB", 2016) == []  # decided once
    assert alloc.debts("HB") == {"HB-REG-00000": 8_000, "HB-REG-00001": 20_000}
    # and taken off the 2017 allocation: A 30,000 − 8,000 = 22,000 t issued; B 15,000 − 20,000 → none
    # issued, 20,000 − 15,000 = 5,000 t still owed
    from openets.registry.commands import Approve, Issue
    from openets.registry.model import UnitKind
    from openets.services.queries import RegistryQueries

    v17 = w.svc.create_unit_class(w.reg, kind=UnitKind.ALLOWANCE, market="HB", vintage=2017, cap=1_000_000)
    rec = w.svc.one(w.reg, Issue(to_account=w.issuance.id, unit_class=v17.id, quantity=100_000))
    if rec.status.value == "awaiting_approval":
        w.svc.one(w.reg2, Approve(txn=rec.id))
    plan17 = PlanResult("final", (CompanyAllocation("HB-REG-00000", ("power",), D(30_000), 30_000, ()),
                                  CompanyAllocation("HB-REG-00001", ("power",), D(15_000), 15_000, ())), ())
    alloc.issue(w.reg2, alloc.propose(w.reg, plan17, market="HB", year=2017).run, unit_class=v17.code,
                from_account="HB-ISSUANCE")
    held = {(x.account, x.unit_class): x.total for n in (w.accounts[0].number, w.accounts[1].number)
            for x in RegistryQueries(engine).balances(n)}
    assert held.get((w.accounts[0].number, v17.code)) == 22_000 and (w.accounts[1].number, v17.code) not in held
    assert alloc.debts("HB") == {"HB-REG-00001": 5_000}


def test_the_national_measures_as_rule_data() -> None:
    from openets.compliance.rules import ComplianceRules

    r = default_rulebook().lookup("CEA", 2019, date(2021, 6, 1), "compliance").section("compliance", ComplianceRules)
    assert r.fine_fixed == (2_000_000, 3_000_000) and r.next_year_deduction == D(1)  # 20,000–30,000 yuan
    assert r.default_fixed_fine is not None and r.default_fixed_fine[1].startswith("unverified")
    assert r.fine_multiplier is None  # a fixed fine, not a multiple of the price


def test_a_surrender_is_reversed_only_within_its_period(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The named check ``reversal_within_period`` through the registry: a rule set (here an amendment
    file) giving the last day a 2016 surrender may be reversed; a day later the reversal is refused."""
    from openets.registry.commands import Reversal

    amendment = tmp_path / "bj-registry.toml"
    amendment.write_text('[[ruleset]]\nmarket = "BJ"\ncompliance_years = [2016]\ndocument = "test amendment"\n'
                         'valid_from = 2017-01-01\nregistry.approvals = { reversal = "regulator" }\n'
                         'registry.surrender_reversal_until = { 2016 = 2017-06-15 }\n', encoding="utf-8")
    clock = FixedClock(datetime(2017, 6, 1, 2, tzinfo=UTC))
    w = build_world(engine, clock, market="BJ", companies=1, rulebook=default_rulebook().with_file(amendment))
    s = w.svc.one(w.companies[0], Surrender(from_account=w.accounts[0].id, unit_class=w.unit_class.id, quantity=10,
                                            compliance_year=2016))
    clock.at = datetime(2017, 6, 16, 2, tzinfo=UTC)  # 16 June 10:00 in Beijing: the day after the window
    with pytest.raises(DomainError) as e:
        w.svc.one(w.reg, Reversal(txn=s.id))
    assert e.value.code == "reversal_within_period" and "until 2017-06-15" in e.value.message
    clock.at = datetime(2017, 6, 15, 15, tzinfo=UTC)  # 15 June 23:00 in Beijing: still inside
    rec = w.svc.one(w.reg, Reversal(txn=s.id))
    assert rec.status.value in ("completed", "awaiting_approval")


def test_banked_is_what_companies_hold_not_the_government_remainder(engine) -> None:  # type: ignore[no-untyped-def]
    from openets.services.queries import RegistryQueries

    clock = FixedClock(datetime(2017, 5, 2, 2, tzinfo=UTC))
    w = build_world(engine, clock, market="BJ", companies=2, issue=1_000_000, allocate=10_000)
    q = RegistryQueries(engine)
    # issued 1,000,000; 2 × 10,000 allocated: companies hold 20,000, the issuance account keeps 980,000
    assert q.held_by_side(w.unit_class.code) == (20_000, 980_000)
    w.svc.one(w.companies[0], Surrender(from_account=w.accounts[0].id, unit_class=w.unit_class.id, quantity=4_000,
                                        compliance_year=2016))
    assert q.held_by_side(w.unit_class.code) == (16_000, 980_000)  # the surrendered 4,000 are out of circulation


def test_fine_price_counts_allowance_trades_only(engine) -> None:  # type: ignore[no-untyped-def]
    """Beijing 2016's window: 16 Dec 2016 – 15 Jun 2017. Allowance trades: 100 t at 50.00 and 100 t at 50.01
    → (5,000 × 100 + 5,001 × 100) / 200 = 5,000.5 fen, half up 5,001. A CCER trade of 10,000 t at 20.00 in
    the same window is not the allowance price: counted, it would give (500,000 + 500,100 + 20,000,000) /
    10,200 = 2,058.83 fen. With no allowance trade in the window (only a CCER one), the fine has no price:
    refused, naming the window (the rule data state no fallback price)."""
    from sqlalchemy import insert

    from openets.core.clock import to_us
    from openets.registry.model import UnitKind
    from openets.storage import tables as t

    clock = FixedClock(datetime(2017, 1, 5, 2, tzinfo=UTC))
    w = build_world(engine, clock, market="BJ", vintage=2016, companies=0, issue=0)
    ccer = w.svc.create_unit_class(w.reg, kind=UnitKind.OFFSET, market="BJ", vintage=2016, standard="CCER",
                                   project_id="P-001")
    cons = Consequences(w.svc)
    with pytest.raises(DomainError) as e:
        cons.average_price("BJ", 2016)
    assert e.value.code == "no_trades" and "2016-12-16 to 2017-06-15" in e.value.message

    def trade(code: str, day: date, price: int, qty: int) -> None:
        with engine.begin() as c:
            c.execute(insert(t.trades).values(instrument=code, buy_order=1, sell_order=2, price_fen=price,
                                              quantity=qty, market="BJ", mode="listed",
                                              at_us=to_us(datetime(day.year, day.month, day.day, 2, tzinfo=UTC))))

    trade(ccer.code, date(2017, 3, 1), 2000, 10_000)
    with pytest.raises(DomainError) as e:  # a CCER trade alone sets no allowance price
        cons.average_price("BJ", 2016)
    assert e.value.code == "no_trades" and "allowance" in e.value.message
    trade(w.unit_class.code, date(2017, 3, 1), 5000, 100)
    trade(w.unit_class.code, date(2017, 3, 2), 5001, 100)
    assert cons.average_price("BJ", 2016) == (D(5001), date(2016, 12, 16), date(2017, 6, 15))


def _txn(engine, txn_id: int) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    with engine.connect() as c:
        row = c.execute(text("SELECT status, at_us FROM transactions WHERE id = :i"), {"i": txn_id}).one()
    return str(row[0]), int(row[1])


def _reversal_world(engine, tmp_path, until: str):  # type: ignore[no-untyped-def]
    """Beijing 2016 with reversals approved by a second regulator and surrenders reversible until ``until``."""
    amendment = tmp_path / "bj-registry.toml"
    amendment.write_text('[[ruleset]]\nmarket = "BJ"\ncompliance_years = [2016]\ndocument = "test amendment"\n'
                         'valid_from = 2017-01-01\nregistry.approvals = { reversal = "regulator" }\n'
                         f'registry.surrender_reversal_until = {{ 2016 = {until} }}\n', encoding="utf-8")
    clock = FixedClock(datetime(2017, 6, 1, 2, tzinfo=UTC))
    w = build_world(engine, clock, market="BJ", companies=1, rulebook=default_rulebook().with_file(amendment))
    s = w.svc.one(w.companies[0], Surrender(from_account=w.accounts[0].id, unit_class=w.unit_class.id, quantity=10,
                                            compliance_year=2016))
    return clock, w, s


def test_the_reversal_period_is_checked_again_at_approval(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Proposed on 15 June 23:00 in Beijing (the window's last day), approved the next day: the window
    has closed by then, so the approval is refused (``reversal_within_period``); the proposal stays."""
    from openets.registry.commands import Approve, Reversal

    clock, w, s = _reversal_world(engine, tmp_path, "2017-06-15")
    clock.at = datetime(2017, 6, 15, 15, tzinfo=UTC)
    rec = w.svc.one(w.reg, Reversal(txn=s.id))
    assert rec.status.value == "awaiting_approval"
    clock.at = datetime(2017, 6, 16, 2, tzinfo=UTC)  # 16 June 10:00 in Beijing
    with pytest.raises(DomainError) as e:
        w.svc.one(w.reg2, Approve(txn=rec.id))
    assert e.value.code == "reversal_within_period" and "until 2017-06-15" in e.value.message
    assert _txn(engine, rec.id)[0] == "awaiting_approval"


def test_an_approved_reversal_takes_effect_at_its_approval(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The company owes 10 t (deadline 15 June 2017) and surrendered 10 t on 1 June. A reversal proposed on
    14 June and approved on 16 June takes the 10 t back from 16 June: at the deadline the 10 t were
    still surrendered (nothing lacked then: at_deadline 0), and on 20 June it is 10 t short (late,
    inside the order period). Counted from the proposal, it would have lacked all 10 t at the deadline."""
    from openets.core.clock import to_us
    from openets.registry.commands import Approve, Reversal
    from openets.services.compliance import ComplianceService

    clock, w, s = _reversal_world(engine, tmp_path, "2017-06-30")
    ReportService(w.svc).determine_missing(w.reg, market="BJ", year=2016, company="BJ-REG-00000", emissions=D(10))
    clock.at = datetime(2017, 6, 14, 2, tzinfo=UTC)
    rec = w.svc.one(w.reg, Reversal(txn=s.id))
    clock.at = datetime(2017, 6, 16, 2, tzinfo=UTC)
    done = w.svc.one(w.reg2, Approve(txn=rec.id))
    assert done.status.value == "completed" and done.at == datetime(2017, 6, 16, 2, tzinfo=UTC)
    assert _txn(engine, rec.id) == ("completed", to_us(datetime(2017, 6, 16, 2, tzinfo=UTC)))  # stored so
    cs = ComplianceService(w.svc)
    [on_15th] = cs.statuses("BJ", 2016, now=datetime(2017, 6, 15, 4, tzinfo=UTC))
    assert (on_15th.status.code, on_15th.status.surrendered) == ("compliant", 10)  # not yet taken back
    [after] = cs.statuses("BJ", 2016, now=datetime(2017, 6, 20, 2, tzinfo=UTC))
    assert (after.status.code, after.status.shortfall, after.status.at_deadline) == ("late", 10, 0)
