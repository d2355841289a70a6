"""A Beijing compliance year for a handful of companies, every outcome, from what the database holds."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from openets.core.actor import SYSTEM_SETUP, Role
from openets.core.clock import FixedClock
from openets.core.errors import DomainError
from openets.registry.commands import Allocate, Approve, Issue, Reversal, Surrender
from openets.registry.model import AccountType, PartyKind, UnitKind
from openets.services.compliance import ComplianceService
from openets.services.queries import RegistryQueries
from openets.services.registry import RegistryService
from openets.services.reports import ReportService
from openets.storage import tables as t
from openets.testing.builders import market_regulators


def test_beijing_2016(engine) -> None:  # type: ignore[no-untyped-def]
    clock = FixedClock(datetime(2017, 5, 1, 2, 0, tzinfo=UTC))
    svc = RegistryService(engine, clock=clock)
    r1, r2 = market_regulators(svc, "BJ", ("bj-1", "bj-2"))
    uc = svc.create_unit_class(r1, kind=UnitKind.ALLOWANCE, market="BJ", vintage=2016, cap=1_000_000)
    rec = svc.one(r1, Issue(to_account=svc.account("BJ-ISSUANCE").id, unit_class=uc.id, quantity=100_000))
    svc.one(r2, Approve(txn=rec.id))
    reports = ReportService(svc)
    acc, who = {}, {}
    for name in ("A", "B", "C", "D"):
        pid = svc.create_party(kind=PartyKind.COMPANY, name=name, market="BJ", registration_id=name)
        svc.add_user(SYSTEM_SETUP, name=f"u-{name}", party_id=pid, role=Role.COMPANY)
        who[name] = svc.actor(f"u-{name}")
        a = svc.request_account(who[name], market="BJ", type=AccountType.COMPLIANCE)
        acc[name] = svc.decide_account(r1, a.number, approve=True)
        svc.one(r1, Allocate(from_account=svc.account("BJ-ISSUANCE").id, to_account=acc[name].id,
                       unit_class=uc.id, quantity=10_000))
        if name != "D":  # D files nothing
            reports.determine_missing(r1, market="BJ", year=2016, company=name, emissions=D("10000"))

    # the market's own trades set the fine's price: D sells 150 t to A, 100 t at 50.00 and 50 t at 52.00
    from openets.services.exchange import open_exchange

    clock.at = datetime(2017, 5, 2, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Beijing
    ex = open_exchange(svc, uc.code)
    ex.reference = 5000
    ex._rebuild()
    ex.deposit(who["A"], 10_000_000)
    ex.submit(who["D"], account=acc["D"].number, side="sell", quantity=100, price_fen=5000)
    ex.submit(who["D"], account=acc["D"].number, side="sell", quantity=50, price_fen=5200)
    assert ex.submit(who["A"], account=acc["A"].number, side="buy", quantity=150, price_fen=5200).trades == [
        (5000, 100), (5200, 50)]

    def surrender(name: str, qty: int, when: datetime) -> None:
        clock.at = when
        svc.one(who[name], Surrender(from_account=acc[name].id, unit_class=uc.id, quantity=qty,
                              compliance_year=2016))

    surrender("A", 10_000, datetime(2017, 6, 10, 2, tzinfo=UTC))
    surrender("B", 6_000, datetime(2017, 6, 14, 2, tzinfo=UTC))
    surrender("B", 4_000, datetime(2017, 6, 20, 2, tzinfo=UTC))  # after 15 June, within 10 working days
    surrender("C", 9_000, datetime(2017, 6, 14, 2, tzinfo=UTC))
    cs = ComplianceService(svc)
    deadline, order = cs.deadlines("BJ", 2016)
    assert order.date().isoformat() == "2017-06-30"  # 10 working days from the order of 16 June (京发改[2017]850号)
    got = {s.company: s.status for s in cs.statuses("BJ", 2016, now=datetime(2017, 7, 1, tzinfo=UTC))}
    for name in "ABCD":  # one company's status alone (its own pages) is its row of the whole list
        assert [x.status for x in cs.statuses("BJ", 2016, now=datetime(2017, 7, 1, tzinfo=UTC), company=name)] == [
            got[name]]
    assert {k: v.code for k, v in got.items()} == {"A": "compliant", "B": "compliant_late", "C": "non_compliant",
                                                   "D": "emissions_missing"}
    assert got["C"].shortfall == 1_000
    # A on time; B late in full; C 9,000 of 10,000; D no emissions (owes nothing known): of 4 covered
    # 1 on time (25 %), 2 final (50 %); tonnes (10,000 + 10,000 + 9,000) / 30,000 = 96.7 %
    assert cs.rate("BJ", 2016, now=datetime(2017, 7, 1, tzinfo=UTC)) == "25.0 % on time, 50.0 % final, 96.7 % of tonnes"
    # consequences, after the order deadline: C fined 3 × the average price × 1,000 t, and listed
    from openets.services.compliance import Consequences

    clock.at = datetime(2017, 6, 20, 2, tzinfo=UTC)
    with pytest.raises(DomainError) as e:
        Consequences(svc).decide(r1, "BJ", 2016)
    assert e.value.code == "too_early"
    clock.at = datetime(2017, 7, 1, 2, tzinfo=UTC)
    with pytest.raises(DomainError):
        Consequences(svc).decide(who["A"], "BJ", 2016)  # a company decides nothing
    decided = Consequences(svc).decide(r1, "BJ", 2016)
    fine = [p for p in decided if p.kind == "fine"]
    # (5,000 × 100 + 5,200 × 50) / 150 = 760,000 / 150 = 5,066.666… fen, half up to the fen 5,067 (50.67
    # yuan); × 3 × 1,000 t = 15,201,000 fen = 152,010.00 yuan (unrounded it was 15,200,000)
    assert [(p.company, p.shortfall, p.amount_fen) for p in fine] == [("C", 1_000, 15_201_000)]
    assert "50.67 yuan" in fine[0].basis
    assert [p.company for p in decided if p.kind == "listed"] == ["C"]
    assert Consequences(svc).decide(r1, "BJ", 2016) == []  # decided once
    assert [p.kind for p in Consequences(svc).published("BJ", 2016)] == ["fine", "listed"]
    # A's surrender reversed after the deadline: recomputed, A is no longer compliant
    clock.at = datetime(2017, 7, 2, tzinfo=UTC)
    with engine.connect() as c:
        txn = c.execute(select(t.transactions.c.id).where(t.transactions.c.type == "surrender",
                                                          t.transactions.c.sender_id == acc["A"].id)).scalar_one()
    proposed = svc.one(r1, Reversal(txn=txn))  # a proposal until a second regulator approves it
    assert {s.company: s.status.code for s in cs.statuses("BJ", 2016, now=datetime(2017, 7, 3, tzinfo=UTC))}[
        "A"] == "compliant"
    svc.one(r2, Approve(txn=proposed.id))
    after = {s.company: s.status.code for s in cs.statuses("BJ", 2016, now=datetime(2017, 7, 3, tzinfo=UTC))}
    assert after["A"] == "non_compliant"


def test_offsets_count_up_to_the_national_cap(engine) -> None:  # type: ignore[no-untyped-def]
    """National market: CCER count for at most 5 % of the obligation."""
    clock = FixedClock(datetime(2021, 6, 1, 2, 0, tzinfo=UTC))
    svc = RegistryService(engine, clock=clock)
    r1, r2 = market_regulators(svc, "CEA", ("m-1", "m-2"))
    cea_2019 = svc.create_unit_class(r1, kind=UnitKind.ALLOWANCE, market="CEA", vintage=2019, cap=1_000_000)
    ccer = svc.create_unit_class(r1, kind=UnitKind.OFFSET, market="CEA", vintage=2019, standard="CCER",
                                 project_id="0001", project_type="wind", location="620100", cap=100_000)
    issuance = svc.account("CEA-ISSUANCE")
    for uc, qty in ((cea_2019, 500_000), (ccer, 50_000)):
        rec = svc.one(r1, Issue(to_account=issuance.id, unit_class=uc.id, quantity=qty))
        svc.one(r2, Approve(txn=rec.id))
    reports = ReportService(svc)
    plan = {"P-OK": 96_000, "P-SHORT": 94_000}
    for name, allowances in plan.items():
        pid = svc.create_party(kind=PartyKind.COMPANY, name=name, market="CEA", registration_id=name)
        svc.add_user(SYSTEM_SETUP, name=f"u-{name}", party_id=pid, role=Role.COMPANY)
        actor = svc.actor(f"u-{name}")
        a = svc.decide_account(r1, svc.request_account(actor, market="CEA", type=AccountType.COMPLIANCE).number,
                               approve=True)
        for uc, qty in ((cea_2019, allowances), (ccer, 8_000)):
            svc.one(r1, Allocate(from_account=issuance.id, to_account=a.id, unit_class=uc.id, quantity=qty))
            svc.one(actor, Surrender(from_account=a.id, unit_class=uc.id, quantity=qty, compliance_year=2019))
        reports.determine_missing(r1, market="CEA", year=2019, company=name, emissions=D("100000"))
    got = {s.company: s.status for s in ComplianceService(svc).statuses("CEA", 2019,
                                                                       now=datetime(2022, 1, 2, tzinfo=UTC))}
    # P-OK: 96,000 + 5,000 counted of 8,000 CCER (5 % of 100,000) = 101,000 ≥ 100,000
    assert got["P-OK"].code == "compliant" and got["P-OK"].surrendered == 101_000
    # P-SHORT: 94,000 + 5,000 = 99,000: 1,000 short although 102,000 t were surrendered
    assert got["P-SHORT"].code == "non_compliant" and got["P-SHORT"].shortfall == 1_000


def test_banking_and_borrowing_are_rule_data(engine, clock) -> None:  # type: ignore[no-untyped-def]
    from openets.testing.builders import build_world

    w = build_world(engine, clock, market="BJ", vintage=2016, companies=1)
    svc, acc, who = w.svc, w.accounts[0], w.companies[0]
    got = {}
    for vintage in (2015, 2017):
        uc = svc.create_unit_class(w.reg, kind=UnitKind.ALLOWANCE, market="BJ", vintage=vintage, cap=1000)
        rec = svc.one(w.reg, Issue(to_account=w.issuance.id, unit_class=uc.id, quantity=100))
        svc.one(w.reg2, Approve(txn=rec.id))
        svc.one(w.reg, Allocate(from_account=w.issuance.id, to_account=acc.id, unit_class=uc.id, quantity=100))
        got[vintage] = uc
    # Beijing banks (2015 counts for 2016) and does not borrow (2017 does not)
    svc.one(who, Surrender(from_account=acc.id, unit_class=got[2015].id, quantity=10, compliance_year=2016))
    with pytest.raises(DomainError) as e:
        svc.one(who, Surrender(from_account=acc.id, unit_class=got[2017].id, quantity=10, compliance_year=2016))
    assert e.value.code == "vintage_counts"


def test_national_power_obligation_per_unit(engine) -> None:  # type: ignore[no-untyped-def]
    """2019–2020: a unit short by more than 20 % of its verified emissions owes its free allocation +
    20 % of them; a gas unit owes at most its free allocation (国环规气候〔2020〕3号)."""
    import math

    from openets.allocation.plan import ProductionRow
    from openets.mrv.documents import Finding
    from openets.services.allocation import AllocationService

    clock = FixedClock(datetime(2021, 6, 1, 2, 0, tzinfo=UTC))
    svc = RegistryService(engine, clock=clock)
    svc.init_markets()
    cea = svc.registry_party("CEA")
    for n in (1, 2):
        svc.add_user(SYSTEM_SETUP, name=f"m-{n}", party_id=cea, role=Role.REGULATOR, market="CEA")
    r1, r2 = svc.actor("m-1"), svc.actor("m-2")
    pid = svc.create_party(kind=PartyKind.COMPANY, name="发电", market="CEA", registration_id="P1", sector="power")
    svc.add_user(SYSTEM_SETUP, name="u-p1", party_id=pid, role=Role.COMPANY)
    co = svc.actor("u-p1")
    svc.decide_account(r1, svc.request_account(co, market="CEA", type=AccountType.COMPLIANCE).number, approve=True)
    uc = svc.create_unit_class(r1, kind=UnitKind.ALLOWANCE, market="CEA", vintage=2019, cap=20_000_000)
    rec = svc.one(r1, Issue(to_account=svc.account("CEA-ISSUANCE").id, unit_class=uc.id, quantity=20_000_000))
    svc.one(r2, Approve(txn=rec.id))
    rows = [ProductionRow("u1", "P1", "U1", "power", fuel="coal", capacity_mw=600, cooling="air",
                          electricity_mwh=D(3_000_000), heat_gj=D(0), heat_supply_ratio=D(0), load_factor=D("0.8")),
            ProductionRow("u2", "P1", "U2", "power", fuel="gas", capacity_mw=400, cooling="water",
                          electricity_mwh=D(1_000_000), heat_gj=D(0), heat_supply_ratio=D(0), load_factor=D("0.9"))]
    alloc = AllocationService(svc)
    pre = alloc.compute(rows, market="CEA", year=2019, kind="pre")
    alloc.issue(r2, alloc.propose(r1, pre, market="CEA", year=2019).run, unit_class=uc.code, from_account="CEA-ISSUANCE")
    free = {r.row.source_id: int(r.exact.to_integral_value(rounding="ROUND_HALF_UP")) for r in pre.companies[0].rows}
    ve = {"U1": free["U1"] * 3 // 2, "U2": free["U2"] + 1_000}  # U1 50 % short; U2 (gas) 1,000 t over
    out = [{"source_id": u, "sector": "power", "fuel": "coal" if u == "U1" else "gas", "emissions": str(v)}
           for u, v in ve.items()]
    reports = ReportService(svc)
    ver = svc.create_party(kind=PartyKind.VERIFIER, name="核查", registration_id="V1")
    svc.add_user(SYSTEM_SETUP, name="v", party_id=ver, role=Role.VERIFIER)
    rid = reports.submit(co, market="CEA", year=2019, emissions=D(sum(ve.values())), output=out)
    reports.assign(r1, rid, str(ver))
    reports.step(svc.actor("v"), rid, "start_verification")
    reports.verify(svc.actor("v"), rid, emissions=D(sum(ve.values())), output=out, findings=[Finding("minor", "ok")],
                   statement="verified")
    reports.step(r2, rid, "confirm")
    got = ComplianceService(svc).statuses("CEA", 2019, now=datetime(2021, 7, 1, tzinfo=UTC))[0].status
    # the gas unit owes its free allocation; then the company's gap cap: its allocation + 20 % of its VE
    company_ve = sum(ve.values())
    want = min(ve["U1"] + free["U2"], pre.companies[0].tonnes + math.ceil(D("0.2") * company_ve))
    assert got.owed == want < ve["U1"] + free["U2"] < company_ve


def test_no_double_coverage_when_the_national_market_takes_over(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A Beijing power company with a national compliance account is covered by the national market
    from 2019 (the national rule says so) and excluded from Beijing's list and rate; a cement one stays."""
    from openets.rules.loader import default_rulebook

    rules = tmp_path / "bj-2019.toml"  # Beijing's 2019 deadline is not in the seed: a test rule set
    rules.write_text('[[ruleset]]\nmarket = "BJ"\ncompliance_years = [2019]\ndocument = "test"\ntitle = "test"\n'
                     'valid_from = 2020-01-01\nsource = "test"\n\n[ruleset.compliance]\ndeadline = "2020-06-30"\n'
                     'rounding = "ceiling"\nclosing_time = "17:00"\n', encoding="utf-8")
    svc = RegistryService(engine, clock=FixedClock(datetime(2021, 6, 1, 2, tzinfo=UTC)),
                          rulebook=default_rulebook().with_file(rules))
    svc.init_markets()
    for m in ("BJ", "CEA"):
        svc.add_user(SYSTEM_SETUP, name=f"{m}-r", party_id=svc.registry_party(m), role=Role.REGULATOR, market=m)
    for name, sector, markets in (("POWER", "power", ("BJ", "CEA")), ("CEMENT", "cement", ("BJ",))):
        pid = svc.create_party(kind=PartyKind.COMPANY, name=name, market="BJ", registration_id=name, sector=sector)
        svc.add_user(SYSTEM_SETUP, name=f"u-{name}", party_id=pid, role=Role.COMPANY)
        for m in markets:
            a = svc.request_account(svc.actor(f"u-{name}"), market=m, type=AccountType.COMPLIANCE)
            svc.decide_account(svc.actor(f"{m}-r"), a.number, approve=True)
    cs = ComplianceService(svc)
    assert cs.deadlines("BJ", 2019)[0].isoformat() == "2020-06-30T17:00:00+08:00"  # the registry's closing hour
    bj = {s.company: s.status.code for s in cs.statuses("BJ", 2019)}
    cea = {s.company: s.status.code for s in cs.statuses("CEA", 2019)}
    assert bj == {"POWER": "excluded", "CEMENT": "emissions_missing"} and cea == {"POWER": "emissions_missing"}



def test_a_pilot_keeps_the_years_it_allocated_for_and_the_national_market_takes_the_rest(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """国环规气候〔2020〕3号: a power company in its pilot's 2019 allocation but not 2020's is not required
    in the national 2019 allocation and compliance — its pilot covers it for 2019 — and the national
    market covers it for 2020 (the year boundary); a listed company its pilot never allocated to is the
    national market's in both years."""
    from openets.allocation.plan import CompanyAllocation, PlanResult
    from openets.services.allocation import AllocationService

    rules = tmp_path / "bj-2019-2020.toml"  # Beijing's 2019–2020 rules are not in the seed: a test rule set
    rules.write_text('[[ruleset]]\nmarket = "BJ"\ncompliance_years = [2019, 2020]\ndocument = "test"\ntitle = "test"\n'
                     'valid_from = 2019-01-01\nsource = "test"\n\n[ruleset.compliance]\ndeadline = "2020-06-30"\n'
                     'rounding = "ceiling"\n\n[ruleset.allocation]\nrounding = "half_up"\n', encoding="utf-8")
    clock = FixedClock(datetime(2020, 3, 1, 2, tzinfo=UTC))
    svc = RegistryService(engine, clock=clock, rulebook=default_rulebook_with(rules))
    svc.init_markets()
    for m in ("BJ", "CEA"):
        for n in (1, 2):
            svc.add_user(SYSTEM_SETUP, name=f"{m}-r{n}", party_id=svc.registry_party(m), role=Role.REGULATOR, market=m)
    for name in ("KEPT", "LISTED"):
        pid = svc.create_party(kind=PartyKind.COMPANY, name=name, market="BJ", registration_id=name, sector="power")
        svc.add_user(SYSTEM_SETUP, name=f"u-{name}", party_id=pid, role=Role.COMPANY)
        for m in ("BJ", "CEA"):
            a = svc.request_account(svc.actor(f"u-{name}"), market=m, type=AccountType.COMPLIANCE)
            svc.decide_account(svc.actor(f"{m}-r1"), a.number, approve=True)
    r1, r2 = svc.actor("BJ-r1"), svc.actor("BJ-r2")
    uc = svc.create_unit_class(r1, kind=UnitKind.ALLOWANCE, market="BJ", vintage=2019, cap=10_000)
    rec = svc.one(r1, Issue(to_account=svc.account("BJ-ISSUANCE").id, unit_class=uc.id, quantity=10_000))
    svc.one(r2, Approve(txn=rec.id))
    alloc = AllocationService(svc)  # Beijing allocates KEPT for 2019 only (before the plan of 30 Dec 2020)
    plan = PlanResult("final", (CompanyAllocation("KEPT", ("power",), D(10_000), 10_000, ()),), ())
    alloc.issue(r2, alloc.propose(r1, plan, market="BJ", year=2019).run, unit_class=uc.code, from_account="BJ-ISSUANCE")
    cs = ComplianceService(svc)
    clock.at = datetime(2021, 3, 1, 2, tzinfo=UTC)  # the national rules (30 Dec 2020) now in force

    def codes(market: str, year: int) -> dict[str, str]:
        return {s.company: s.status.code for s in cs.statuses(market, year)}

    assert codes("BJ", 2019) == {"KEPT": "emissions_missing", "LISTED": "excluded"}
    assert codes("CEA", 2019) == {"KEPT": "excluded", "LISTED": "emissions_missing"}
    assert codes("BJ", 2020) == {"KEPT": "excluded", "LISTED": "excluded"}
    assert codes("CEA", 2020) == {"KEPT": "emissions_missing", "LISTED": "emissions_missing"}


def default_rulebook_with(path):  # type: ignore[no-untyped-def]
    from openets.rules.loader import default_rulebook

    return default_rulebook().with_file(path)

def test_shenzhen_deducts_the_shortfall_then_withholds_it(engine) -> None:  # type: ignore[no-untyped-def]
    """Shenzhen 2016: not surrendered by 10 July → fined 3 × the 6-month average price × shortfall, the
    shortfall deducted from the account, and what the account lacks withheld from the next allocation."""
    from openets.allocation.plan import CompanyAllocation, PlanResult
    from openets.services.allocation import AllocationService
    from openets.services.compliance import Consequences
    from openets.services.exchange import open_exchange
    from openets.testing.builders import build_world

    clock = FixedClock(datetime(2017, 3, 1, 2, 0, tzinfo=UTC))
    w = build_world(engine, clock, market="SZ", companies=2, issue=1_000_000, allocate=0)
    a, b = w.companies
    alloc = AllocationService(w.svc)
    plan = PlanResult("final", (CompanyAllocation("SZ-REG-00000", ("power",), D(10_000), 10_000, ()),
                                CompanyAllocation("SZ-REG-00001", ("power",), D(10_000), 10_000, ())), ())
    alloc.issue(w.reg2, alloc.propose(w.reg, plan, market="SZ", year=2016).run, unit_class=w.unit_class.code,
                from_account="SZ-ISSUANCE")
    ex = open_exchange(w.svc, w.unit_class.code)  # A sells 2,000 t to B at 40.00: the market's average price
    ex.reference = 4000
    ex._rebuild()
    ex.deposit(b, 100_000_000)
    ex.submit(a, account=w.accounts[0].number, side="sell", quantity=2000, price_fen=4000)
    ex.submit(b, account=w.accounts[1].number, side="buy", quantity=2000, price_fen=4000)
    reports = ReportService(w.svc)
    for company in ("SZ-REG-00000", "SZ-REG-00001"):
        reports.determine_missing(w.reg, market="SZ", year=2016, company=company, emissions=D("11000"))
    clock.at = datetime(2017, 6, 20, 2, tzinfo=UTC)  # A holds 8,000 t and surrenders 7,000: 4,000 short
    w.svc.one(a, Surrender(from_account=w.accounts[0].id, unit_class=w.unit_class.id, quantity=7_000,
                    compliance_year=2016))
    w.svc.one(b, Surrender(from_account=w.accounts[1].id, unit_class=w.unit_class.id, quantity=11_000,
                    compliance_year=2016))
    clock.at = datetime(2017, 7, 12, 2, tzinfo=UTC)
    got = {(p.company, p.kind): p for p in Consequences(w.svc).decide(w.reg, "SZ", 2016)}
    assert set(got) == {("SZ-REG-00000", "fine"), ("SZ-REG-00000", "listed"), ("SZ-REG-00000", "deduction")}
    assert got[("SZ-REG-00000", "fine")].amount_fen == 3 * 4000 * 4000  # 3 × 40.00 yuan × 4,000 t
    assert got[("SZ-REG-00000", "deduction")].basis.startswith("1,000 t deducted")
    assert sum(x.total for x in RegistryQueries(engine).balances(w.accounts[0].number)) == 0  # all deducted
    assert alloc.debts("SZ") == {"SZ-REG-00000": 3_000}  # withheld from the next allocation
    totals = [x for x in RegistryQueries(engine).totals() if x.unit_class == w.unit_class.code][0]
    assert totals.conserved
    # the 1,000 t went by a forced surrender (the regulator's, for 2016) into SZ's surrender account, not
    # back to issuance: surrendered 7,000 + 11,000 + 1,000 = 19,000 t. It counts as surrendered for 2016
    # (SURRENDER_TYPES): A owes 11,000, gave 7,000 + 1,000 forced = 8,000, still 3,000 short (what is
    # withheld from the next allocation) — non-compliant all the same: the deadline passed short
    from sqlalchemy import select

    from openets.services.compliance import ComplianceService
    from openets.services.verification import verify_registry
    from openets.storage import tables as t

    with engine.connect() as c:
        forced = c.execute(select(t.transactions).where(t.transactions.c.type == "forced_surrender")).all()
    assert [(x.quantity, x.compliance_year, x.actor_user, x.status) for x in forced] == [
        (1_000, 2016, w.reg.user, "completed")]
    assert totals.surrendered == 19_000
    assert {s.company: (s.status.code, s.status.shortfall) for s in ComplianceService(w.svc).statuses("SZ", 2016)}[
        "SZ-REG-00000"] == ("non_compliant", 3_000)
    from openets.services.company_queries import CompanyQueries

    rows = CompanyQueries(engine).surrenders(a.party_id, "SZ", 2016)  # the company's page lists both
    assert [r.quantity for r in rows] == [7_000, 1_000]
    assert verify_registry(engine, w.svc.rulebook).problems == []  # its journal lines are what its type calls for


def test_an_extension_moves_one_company_deadline(engine, clock) -> None:  # type: ignore[no-untyped-def]
    from openets.testing.builders import build_world

    w = build_world(engine, clock, market="BJ", companies=2)
    reports = ReportService(w.svc)
    for co in ("BJ-REG-00000", "BJ-REG-00001"):
        reports.determine_missing(w.reg, market="BJ", year=2016, company=co, emissions=D("5000"))
    cs = ComplianceService(w.svc)
    with pytest.raises(DomainError):
        cs.extend(w.companies[0], "BJ", 2016, "BJ-REG-00000", datetime(2017, 7, 31).date(), "flood")  # not a regulator
    with pytest.raises(DomainError):
        cs.extend(w.reg, "BJ", 2016, "BJ-REG-00000", datetime(2017, 6, 1).date(), "flood")  # before the deadline
    cs.extend(w.reg, "BJ", 2016, "BJ-REG-00000", datetime(2017, 7, 31).date(), "plant flooded in May (recorded)")
    after = datetime(2017, 7, 15, 2, tzinfo=UTC)  # past the order deadline of 29 June
    got = {s.company: s.status.code for s in cs.statuses("BJ", 2016, now=after)}
    assert got == {"BJ-REG-00000": "due", "BJ-REG-00001": "non_compliant"}
    clock.at = datetime(2017, 7, 20, 2, tzinfo=UTC)
    w.svc.one(w.companies[0], Surrender(from_account=w.accounts[0].id, unit_class=w.unit_class.id, quantity=5000,
                                 compliance_year=2016))
    assert cs.statuses("BJ", 2016, now=datetime(2017, 8, 1, tzinfo=UTC))[0].status.code == "compliant"
