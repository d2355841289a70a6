"""Allocation from production data into the registry: propose, issue once, by a second regulator."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from openets.core.actor import SYSTEM_SETUP, Role
from openets.core.clock import FixedClock
from openets.core.errors import DomainError
from openets.registry.commands import Approve, Issue, Transfer
from openets.registry.model import AccountType, PartyKind, UnitKind
from openets.services.allocation import AllocationService, read_production
from openets.services.queries import RegistryQueries
from openets.services.registry import RegistryService
from openets.testing.builders import market_regulators

HEADER_ZH = "企业编号,机组编号,行业,产量,燃料,装机容量,冷却方式,供电量,供热量,供热比,负荷率\n"


@pytest.fixture
def world(engine):  # type: ignore[no-untyped-def]
    svc = RegistryService(engine, clock=FixedClock(datetime(2021, 6, 1, tzinfo=UTC)))
    r1, r2 = market_regulators(svc, "CEA", ("mee-1", "mee-2"))
    for reg_id in ("P1", "P2"):
        pid = svc.create_party(kind=PartyKind.COMPANY, name=f"电厂{reg_id}", market="CEA", registration_id=reg_id)
        svc.add_user(SYSTEM_SETUP, name=f"u-{reg_id}", party_id=pid, role=Role.COMPANY)
        acc = svc.request_account(svc.actor(f"u-{reg_id}"), market="CEA", type=AccountType.COMPLIANCE)
        svc.decide_account(r1, acc.number, approve=True)
    uc = svc.create_unit_class(r1, kind=UnitKind.ALLOWANCE, market="CEA", vintage=2019, cap=50_000_000)
    rec = svc.one(r1, Issue(to_account=svc.account("CEA-ISSUANCE").id, unit_class=uc.id, quantity=20_000_000))
    svc.one(r2, Approve(txn=rec.id))
    return svc, AllocationService(svc), r1, r2


def csv(tmp_path: Path, body: str, header: str = HEADER_ZH) -> Path:
    p = tmp_path / "production.csv"
    p.write_text(header + body, encoding="utf-8")
    return p


GOOD = ("P1,U1,电力,,coal,600,空冷,3000000,1000000,0.10,0.78\n"
        "P1,U2,电力,,gas,400,水冷,1000000,0,0,0.9\n"
        "P2,U3,电力,,coal,350,水冷,2000000,0,0,0.86\n")


def test_run_propose_issue_once(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    svc, alloc, r1, r2 = world
    rows = read_production(csv(tmp_path, GOOD))
    pre = alloc.compute(rows, market="CEA", year=2019, kind="pre")
    final = alloc.compute(rows, market="CEA", year=2019, kind="final")
    by = {c.company: c for c in final.companies}
    # P1: unit U1 is the by-hand unit of the unit tests (2,827,773.9: it supplies heat, so no load
    # correction) + a gas unit 0.392 × 1,000,000 (no cooling or load correction) = 3,219,773.9, rounded
    # once for the company
    assert by["P1"].tonnes == 3_219_774
    assert by["P2"].tonnes == 1_958_000  # 350 MW < the 400 MW boundary: the lower class, 0.979 × 2,000,000
    # pre-allocation: 70 % of the same (base-year) output: 0.7 × 3,219,773.9 = 2,253,841.73
    assert {c.company: c.tonnes for c in pre.companies} == {"P1": 2_253_842, "P2": 1_370_600}
    run = alloc.propose(r1, pre, market="CEA", year=2019)
    with pytest.raises(DomainError) as e:
        alloc.issue(r1, run.run, unit_class="CEA-2019", from_account="CEA-ISSUANCE")
    assert e.value.code == "four_eyes"
    done = alloc.issue(r2, run.run, unit_class="CEA-2019", from_account="CEA-ISSUANCE")
    assert done.status == "issued" and done.total == pre.total
    with pytest.raises(DomainError) as e:
        alloc.issue(r2, run.run, unit_class="CEA-2019", from_account="CEA-ISSUANCE")
    assert e.value.code == "run_not_proposed"
    q = RegistryQueries(svc.engine)
    held = {b.account: b.total for c in ("P1", "P2") for b in q.holdings(_party(svc, c))}
    assert sum(held.values()) == pre.total
    assert alloc.initial_allocation("CEA", 2019, "P1") == {c.company: c.tonnes for c in pre.companies}["P1"]


def _party(svc, reg_id: str) -> int:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from openets.storage import tables as t

    with svc.engine.connect() as c:
        return c.execute(select(t.parties.c.id).where(t.parties.c.registration_id == reg_id)).scalar_one()


@pytest.mark.parametrize("body, header, needle", [
    ("P1,U1,电力,,coal,600,空冷,3000000,1000000,0.10,0.78\nP1,U1,电力,,gas,400,水冷,1,0,0,0.9\n", HEADER_ZH,
     'row 3, column "机组编号": P1 / U1 appears twice'),
    ("P1,C1,cement,-5\n", "company,source_id,sector,output\n", 'row 2, column "output": -5 is negative'),
    ("P1,C1,steel,5\n", "company,source_id,sector,output\n", "unknown sector 'steel'"),
    ("P1,U1,power,gas,400,water,1000,1.2\n",
     "company,source_id,sector,fuel,capacity_mw,cooling,electricity_mwh,local_factor\n",
     'row 2, column "local_factor": 1.2 is not in (0, 1]'),
    ("P1,C1,cement,5,t\nP2,C2,cement,5,万吨\n", "company,source_id,sector,output,output_unit\n", "mixed units"),
    ("P1,C1,5\n", "company,source_id,output\n", "missing columns ['sector']"),
    ("P1,U9,电力,,oil,600,水冷,1,0,0,1\n", HEADER_ZH, "no benchmark category for a 600 MW oil unit"),
])
def test_bad_production_data_names_row_and_column(world, tmp_path: Path, body: str, header: str, needle: str) -> None:  # type: ignore[no-untyped-def]
    svc, alloc, r1, r2 = world
    with pytest.raises(DomainError) as e:
        rows = read_production(csv(tmp_path, body, header))
        alloc.compute(rows, market="CEA", year=2019, kind="final")
    assert needle in e.value.message, e.value.message


def test_cement_needs_the_2017_draft(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    svc, alloc, r1, r2 = world
    rows = read_production(csv(tmp_path, "P1,C1,水泥,100,万吨\n", "企业编号,设施编号,行业,产量,产量单位\n"))
    got = AllocationService(RegistryService(svc.engine, clock=FixedClock(datetime(2017, 6, 1, tzinfo=UTC)))).compute(
        rows, market="CEA", year=2017, kind="pre")
    assert got.companies[0].tonnes == round(1_000_000 * 0.8534 * 0.5)  # 50 % of base-year clinker × 0.8534
    with pytest.raises(DomainError):  # the 2019–2020 plan covers power only
        alloc.compute(rows, market="CEA", year=2019, kind="final")


def test_true_up_gives_more_claws_back_and_records_what_is_owed(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """多退少补: P1 produced more than in the base year (gets the rest), P2 much less (gives back); P2
    sold most of its units meanwhile, so the claw-back takes what it holds and the rest is owed."""
    from openets.services.allocation import CsvConfirmedOutput

    svc, alloc, r1, r2 = world
    base = read_production(csv(tmp_path, GOOD))
    pre = alloc.compute(base, market="CEA", year=2019, kind="pre")
    alloc.issue(r2, alloc.propose(r1, pre, market="CEA", year=2019).run, unit_class="CEA-2019",
                from_account="CEA-ISSUANCE")
    p2 = svc.account(_compliance(svc, "P2"))
    buyer = svc.account(_compliance(svc, "P1"))
    svc.one(svc.actor("u-P2"), Transfer(from_account=p2.id, to_account=buyer.id,
                                  unit_class=svc.unit_class("CEA-2019").id, quantity=1_300_000))
    actual = tmp_path / "confirmed.csv"
    actual.write_text(HEADER_ZH + "P1,U1,电力,,coal,600,空冷,3000000,1000000,0.10,0.78\n"
                      "P1,U2,电力,,gas,400,水冷,1000000,0,0,0.9\n"
                      "P2,U3,电力,,coal,350,水冷,500000,0,0,0.86\n", encoding="utf-8")
    run = alloc.true_up_from(r1, CsvConfirmedOutput(actual), market="CEA", year=2019)
    # P1: final 3,219,774 − pre 2,253,842 = +965,932; P2: final 489,500 − pre 1,370,600 = −881,100
    assert run.total == 965_932 - 881_100
    alloc.issue(r2, run.run, unit_class="CEA-2019", from_account="CEA-ISSUANCE")
    q = RegistryQueries(svc.engine)
    assert sum(b.total for b in q.balances(p2.number)) == 0  # it held 70,600: all of it went back
    assert alloc.debts("CEA", 2019) == {"P2": 881_100 - 70_600}
    assert sum(b.total for b in q.balances(buyer.number)) == 2_253_842 + 1_300_000 + 965_932
    totals = [x for x in q.totals() if x.unit_class == "CEA-2019"][0]
    assert totals.conserved
    # a second true-up with the same data changes nothing more (the debt stays owed, apart)
    again = alloc.true_up_from(r1, CsvConfirmedOutput(actual), market="CEA", year=2019)
    assert again.total == 0


def _compliance(svc, reg_id: str) -> str:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from openets.storage import tables as t

    with svc.engine.connect() as c:
        return c.execute(select(t.accounts.c.number).join(t.parties, t.parties.c.id == t.accounts.c.party_id)
                         .where(t.parties.c.registration_id == reg_id, t.accounts.c.type == "compliance")).scalar_one()


def test_shenzhen_withholds_what_is_owed_from_the_next_allocation(engine) -> None:  # type: ignore[no-untyped-def]
    from decimal import Decimal as D

    from openets.allocation.plan import CompanyAllocation, PlanResult

    svc = RegistryService(engine, clock=FixedClock(datetime(2017, 6, 1, tzinfo=UTC)))
    r1, r2 = market_regulators(svc, "SZ", ("sz-1", "sz-2"))
    accounts = {}
    for reg_id in ("S1", "S2"):
        pid = svc.create_party(kind=PartyKind.COMPANY, name=reg_id, market="SZ", registration_id=reg_id)
        svc.add_user(SYSTEM_SETUP, name=f"u-{reg_id}", party_id=pid, role=Role.COMPANY)
        acc = svc.request_account(svc.actor(f"u-{reg_id}"), market="SZ", type=AccountType.COMPLIANCE)
        accounts[reg_id] = svc.decide_account(r1, acc.number, approve=True)
    for year in (2016, 2017):
        uc = svc.create_unit_class(r1, kind=UnitKind.ALLOWANCE, market="SZ", vintage=year, cap=10_000)
        rec = svc.one(r1, Issue(to_account=svc.account("SZ-ISSUANCE").id, unit_class=uc.id, quantity=10_000))
        svc.one(r2, Approve(txn=rec.id))
    alloc = AllocationService(svc)

    def plan(tonnes: int) -> PlanResult:
        return PlanResult("final", (CompanyAllocation("S1", ("power",), D(tonnes), tonnes, ()),), ())

    alloc.issue(r2, alloc.propose(r1, plan(1000), market="SZ", year=2016).run, unit_class="SZEA-2016",
                from_account="SZ-ISSUANCE")
    svc.one(svc.actor("u-S1"), Transfer(from_account=accounts["S1"].id, to_account=accounts["S2"].id,
                                  unit_class=svc.unit_class("SZEA-2016").id, quantity=900))
    trueup = alloc.propose_true_up(r1, plan(0), market="SZ", year=2016)  # it produced nothing after all
    alloc.issue(r2, trueup.run, unit_class="SZEA-2016", from_account="SZ-ISSUANCE")
    assert alloc.debts("SZ") == {"S1": 900}  # 100 clawed back, 900 owed
    alloc.issue(r2, alloc.propose(r1, plan(1200), market="SZ", year=2017).run, unit_class="SZEA-2017",
                from_account="SZ-ISSUANCE")
    held = {b.unit_class: b.total for b in RegistryQueries(svc.engine).balances(accounts["S1"].number)}
    assert held == {"SZEA-2017": 300} and alloc.debts("SZ") == {}
