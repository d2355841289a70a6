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


def test_a_company_with_power_and_cement_is_capped_on_its_power_part(engine) -> None:  # type: ignore[no-untyped-def]
    """National 2024 (国环规气候〔2024〕1号 for power: the cap and the gas rule kept, unverified; steel,
    cement, aluminium: allowances = verified 2024 emissions). Allocated: coal U1 600,000, gas G1 150,000,
    cement C1 300,000 = 1,050,000 t. Verified: U1 1,000,000, G1 200,000, C1 300,000 = 1,500,000 t.
    Power part: gas rule G1 min(200,000, 150,000) = 150,000 → 1,000,000 + 150,000 = 1,150,000; cap 750,000 +
    0.2 × 1,200,000 = 990,000 → 990,000. Cement: 1,500,000 − 1,200,000 = 300,000. Owed 1,290,000 t
    (the whole company escaped both rules before and owed 1,500,000)."""
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
            RowAllocation(ProductionRow("r2", "P1", "G1", "power", fuel="gas"), "benchmark", D(150_000)),
            RowAllocation(ProductionRow("r3", "P1", "C1", "cement"), "verified_emissions", D(300_000)))
    plan = PlanResult("final", (CompanyAllocation("P1", ("cement", "power"), D(1_050_000), 1_050_000, rows),), ())
    alloc = AllocationService(svc)
    alloc.issue(r2, alloc.propose(r1, plan, market="CEA", year=2024).run, unit_class=uc.code, from_account="CEA-ISSUANCE")
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
    got = ComplianceService(svc).statuses("CEA", 2024, now=datetime(2025, 12, 2, tzinfo=UTC))[0].status
    assert got.owed == 1_290_000
