"""The national power plans' gap cap and gas rule cover the generating units only (gap_cap_sectors =
["power"]), on a real database: a company with a power plant and a cement line in the national 2024 year
has the 20 % cap applied to its power part; its cement line owes its verified emissions in full."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

from openets.allocation.plan import CompanyAllocation, PlanResult, ProductionRow, RowAllocation
from openets.core.actor import SYSTEM_SETUP, Role
from openets.core.clock import FixedClock
from openets.mrv.documents import Finding
from openets.registry.commands import Approve, Issue
from openets.registry.model import AccountType, PartyKind, UnitKind
from openets.services.allocation import AllocationService
from openets.services.compliance import ComplianceService
from openets.services.registry import RegistryService
from openets.services.reports import ReportService


def _world(engine):  # type: ignore[no-untyped-def]
    """A CEA registry with two regulators, the company P1 (a power plant and a cement line, 电厂与水泥) and
    its compliance account, 2,000,000 t of 2024 allowances issued; the power units' rows: coal U1 600,000,
    gas G1 150,000."""
    clock = FixedClock(datetime(2025, 12, 1, 2, tzinfo=UTC))
    svc = RegistryService(engine, clock=clock)
    svc.init_markets()
    cea = svc.registry_party("CEA")
    for n in (1, 2):
        svc.add_user(SYSTEM_SETUP, name=f"m-{n}", party_id=cea, role=Role.REGULATOR, market="CEA")
    r1, r2 = svc.actor("m-1"), svc.actor("m-2")
    pid = svc.create_party(kind=PartyKind.COMPANY, name="电厂与水泥", market="CEA", registration_id="P1", sector="power")
    svc.add_user(SYSTEM_SETUP, name="u-p1", party_id=pid, role=Role.COMPANY)
    co = svc.actor("u-p1")
    svc.decide_account(r1, svc.request_account(co, market="CEA", type=AccountType.COMPLIANCE).number, approve=True)
    uc = svc.create_unit_class(r1, kind=UnitKind.ALLOWANCE, market="CEA", vintage=2024, cap=20_000_000)
    rec = svc.one(r1, Issue(to_account=svc.account("CEA-ISSUANCE").id, unit_class=uc.id, quantity=2_000_000))
    svc.one(r2, Approve(txn=rec.id))
    rows = (RowAllocation(ProductionRow("r1", "P1", "U1", "power", fuel="coal"), "benchmark", D(600_000)),
            RowAllocation(ProductionRow("r2", "P1", "G1", "power", fuel="gas"), "benchmark", D(150_000)))
    return svc, AllocationService(svc), (r1, r2, co), uc, rows


def _owed_after_verification(svc, r1, r2, co) -> int:  # type: ignore[no-untyped-def]
    """P1's 2024 report verified at U1 1,000,000, G1 200,000 (the units' emissions) and 1,500,000 in all
    (the cement line C1 the rest, 300,000) and confirmed; what it owes."""
    out = [{"source_id": "U1", "sector": "power", "fuel": "coal", "emissions": "1000000"},
           {"source_id": "G1", "sector": "power", "fuel": "gas", "emissions": "200000"},
           {"source_id": "C1", "sector": "cement"}]
    reports = ReportService(svc)
    ver = svc.create_party(kind=PartyKind.VERIFIER, name="核查", registration_id="V1")
    svc.add_user(SYSTEM_SETUP, name="v", party_id=ver, role=Role.VERIFIER)
    rid = reports.submit(co, market="CEA", year=2024, emissions=D(1_500_000), output=out)
    reports.assign(r1, rid, str(ver))
    reports.step(svc.actor("v"), rid, "start_verification")
    reports.verify(svc.actor("v"), rid, emissions=D(1_500_000), output=out, findings=[Finding("minor", "ok")],
                   statement="verified")
    reports.step(r2, rid, "confirm")
    owed: int = ComplianceService(svc).statuses("CEA", 2024, now=datetime(2025, 12, 2, tzinfo=UTC))[0].status.owed
    return owed


def test_a_company_with_power_and_cement_is_capped_on_its_power_part(engine) -> None:  # type: ignore[no-untyped-def]
    """National 2024 (国环规气候〔2024〕1号 for power: the cap and the gas rule kept, unverified; steel,
    cement, aluminium: allowances = verified 2024 emissions). Allocated in one run: coal U1 600,000, gas G1
    150,000, cement C1 300,000 = 1,050,000 t. Verified: U1 1,000,000, G1 200,000, C1 300,000 = 1,500,000 t.
    Power part: gas rule G1 min(200,000, 150,000) = 150,000 → 1,000,000 + 150,000 = 1,150,000; cap 750,000 +
    0.2 × 1,200,000 = 990,000 → 990,000. Cement: 1,500,000 − 1,200,000 = 300,000. Owed 1,290,000 t
    (the whole company escaped both rules before and owed 1,500,000)."""
    svc, alloc, (r1, r2, co), uc, rows = _world(engine)
    rows = (*rows, RowAllocation(ProductionRow("r3", "P1", "C1", "cement"), "verified_emissions", D(300_000)))
    plan = PlanResult("final", (CompanyAllocation("P1", ("cement", "power"), D(1_050_000), 1_050_000, rows),), ())
    alloc.issue(r2, alloc.propose(r1, plan, market="CEA", year=2024).run, unit_class=uc.code, from_account="CEA-ISSUANCE")
    assert _owed_after_verification(svc, r1, r2, co) == 1_290_000


def test_power_and_cement_in_two_runs_the_cap_counts_the_power_runs_units(engine) -> None:  # type: ignore[no-untyped-def]
    """The same company allocated as the service's own flows do it: power by the power plan's run (U1
    600,000 + G1 150,000 = 750,000 t), the cement line by the industrial plan's (allowances = verified
    emissions, 300,000 t) — two runs, the industry run ranking as high (both ``final``) and later. The
    units' allocations still come from the power run: owed as in one run, power min(1,000,000 +
    min(200,000, 150,000), 750,000 + 0.2 × 1,200,000 = 990,000) = 990,000 + cement 300,000 = 1,290,000 t
    (with the cement run taken as the units' allocation it was min(1,150,000, 0 + 240,000) + 300,000 =
    540,000)."""
    svc, alloc, (r1, r2, co), uc, rows = _world(engine)
    plan = PlanResult("final", (CompanyAllocation("P1", ("power",), D(750_000), 750_000, rows),), ())
    alloc.issue(r2, alloc.propose(r1, plan, market="CEA", year=2024).run, unit_class=uc.code, from_account="CEA-ISSUANCE")
    ind = alloc.propose_industry(r1, {"P1": ("cement", "C1", D(300_000))}, market="CEA", year=2024)
    alloc.issue(r2, ind.run, unit_class=uc.code, from_account="CEA-ISSUANCE")
    assert _owed_after_verification(svc, r1, r2, co) == 990_000 + 300_000


def test_the_power_true_up_of_a_mixed_company_leaves_its_cement_run_alone(engine) -> None:  # type: ignore[no-untyped-def]
    """Power pre-allocated 750,000, cement 300,000 in its own run; the power true-up (``only``: the
    company) with the final power plan of 750,000 counts the power part issued, 750,000: 750,000 −
    750,000 = 0 (it counted the cement run too and took it back: 750,000 − 1,050,000 = −300,000); the
    issued sums by sector: cement 300,000, power 750,000, the whole company 1,050,000."""
    svc, alloc, (r1, r2, _), uc, rows = _world(engine)
    pre = PlanResult("pre", (CompanyAllocation("P1", ("power",), D(750_000), 750_000, rows),), ())
    alloc.issue(r2, alloc.propose(r1, pre, market="CEA", year=2024).run, unit_class=uc.code, from_account="CEA-ISSUANCE")
    ind = alloc.propose_industry(r1, {"P1": ("cement", "C1", D(300_000))}, market="CEA", year=2024)
    alloc.issue(r2, ind.run, unit_class=uc.code, from_account="CEA-ISSUANCE")
    final = PlanResult("final", (CompanyAllocation("P1", ("power",), D(750_000), 750_000, rows),), ())
    assert alloc.propose_true_up(r1, final, market="CEA", year=2024, only={"P1"}).total == 0
    with svc.engine.connect() as c:
        assert alloc._issued(c, "CEA", 2024, {"P1"}, {"cement"}) == {"P1": 300_000}
        assert alloc._issued(c, "CEA", 2024, {"P1"}, {"power"}) == {"P1": 750_000}
        assert alloc._issued(c, "CEA", 2024) == {"P1": 1_050_000}  # unscoped: the whole company, as before
