"""A coal power plant's report end to end (filed → verifier assigned → verified with a finding and a
correction → confirmed), feeding the allocation true-up through the MRV port."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest
from tests.integration.test_allocation_service import GOOD, csv, world  # noqa: F401  (fixture)

from openets.core.actor import SYSTEM_SETUP, Role
from openets.core.errors import DomainError
from openets.mrv.documents import Finding
from openets.registry.model import PartyKind
from openets.services.allocation import read_production
from openets.services.queries import RegistryQueries
from openets.services.reports import MrvConfirmedOutput, ReportService

U1 = {"source_id": "U1", "sector": "power", "fuel": "coal", "capacity_mw": 600, "cooling": "air",
      "electricity_mwh": "3000000", "heat_gj": "1000000", "heat_supply_ratio": "0.10", "load_factor": "0.78"}
U2 = {"source_id": "U2", "sector": "power", "fuel": "gas", "capacity_mw": 400, "cooling": "water",
      "electricity_mwh": "1000000", "heat_gj": "0", "heat_supply_ratio": "0", "load_factor": "0.9"}


def test_report_life_cycle_feeds_the_true_up(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    svc, alloc, r1, r2 = world
    reports = ReportService(svc)
    pre = alloc.compute(read_production(csv(tmp_path, GOOD)), market="CEA", year=2019, kind="pre")
    alloc.issue(r2, alloc.propose(r1, pre, market="CEA", year=2019).run, unit_class="CEA-2019",
                from_account="CEA-ISSUANCE")
    v_party = svc.create_party(kind=PartyKind.VERIFIER, name="核查机构", registration_id="V1")
    svc.add_user(SYSTEM_SETUP, name="auditor-wu", party_id=v_party, role=Role.VERIFIER)
    wu = svc.actor("auditor-wu")
    company = svc.actor("u-P1")

    rid = reports.submit(company, market="CEA", year=2019, emissions=D("2900000"), output=[U1, U2])
    with pytest.raises(DomainError) as e:  # nobody verifies before being assigned
        reports.step(wu, rid, "start_verification")
    assert e.value.code == "not_assigned"
    reports.add_relation(r1, str(v_party), "P1", "consulted")
    with pytest.raises(DomainError) as e:
        reports.assign(r1, rid, str(v_party))
    assert e.value.code == "conflict_of_interest"
    other = svc.create_party(kind=PartyKind.VERIFIER, name="另一核查机构", registration_id="V2")
    svc.add_user(SYSTEM_SETUP, name="auditor-he", party_id=other, role=Role.VERIFIER)
    he = svc.actor("auditor-he")
    reports.assign(r1, rid, str(other))
    reports.step(he, rid, "start_verification")
    corrected = dict(U1, electricity_mwh="3100000")  # the verifier found 100,000 MWh unrecorded
    reports.verify(he, rid, emissions=D("2990000"), output=[corrected, U2],
                   findings=[Finding("major", "March supply under-reported by 100,000 MWh")],
                   statement="verified with one correction")
    with pytest.raises(DomainError) as e:
        reports.step(company, rid, "confirm")
    assert e.value.code == "not_authorised"
    reports.step(r2, rid, "confirm")
    report = reports.get(rid)
    assert report.final and report.verified_emissions == D("2990000")
    assert [s.event for s in report.trail] == ["submit", "assign", "start_verification", "verify", "confirm"]

    run = alloc.true_up_from(r1, MrvConfirmedOutput(svc.engine), market="CEA", year=2019)
    alloc.issue(r2, run.run, unit_class="CEA-2019", from_account="CEA-ISSUANCE")
    # P1's final allocation from the verified output; P2 filed no confirmed report: clawed back in full
    final_p1 = alloc.compute([*MrvConfirmedOutput(svc.engine).confirmed_output("CEA", 2019)], market="CEA",
                             year=2019, kind="final").companies[0].tonnes
    holdings = {b.account: b.total for b in RegistryQueries(svc.engine).holdings(company.party_id)}
    assert sum(holdings.values()) == final_p1
    assert alloc.debts("CEA", 2019) == {}
