from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from openets.core.errors import DomainError
from openets.mrv.documents import (
    EmissionReport,
    Finding,
    MonitoringPlan,
    VerifierHistory,
    conflict_of_interest,
    sectors_named,
)

AT = datetime(2022, 3, 1, tzinfo=UTC)


def test_plan_versions() -> None:
    plan = MonitoringPlan("P1", "I1", 1, ("coal-1", "grid"))
    plan = plan.apply("submit", actor="zhao", role="company", at=AT).apply("approve", actor="li", role="regulator", at=AT)
    assert plan.state == "approved" and [s.event for s in plan.trail] == ["submit", "approve"]
    v2 = plan.revise(("coal-1", "coal-2", "grid"), actor="zhao", at=AT, note="new boiler")
    assert (v2.version, v2.state) == (2, "draft")
    with pytest.raises(DomainError) as e:
        v2.apply("approve", actor="li", role="regulator", at=AT)
    assert e.value.code == "transition_refused" and "draft" in e.value.message and "submit" in e.value.message


def test_report_flow_with_a_finding_and_a_correction() -> None:
    r = EmissionReport("P1", 2021, D("100000"), {"electricity_mwh": D(120000)})
    r = r.apply("submit", actor="zhao", role="company", at=AT).assign("V-Org", actor="li", at=AT)
    with pytest.raises(DomainError) as e:
        r.apply("start_verification", actor="Other-Org", role="verifier", at=AT)
    assert e.value.code == "not_assigned"
    r = r.apply("start_verification", actor="V-Org", role="verifier", at=AT)
    r = r.verify(actor="V-Org", at=AT, emissions=D("101500"), output={"electricity_mwh": D(120000)},
                 findings=[Finding("major", "coal purchases of March missing: consumption from stock records")],
                 statement="verified with one correction (+1,500 t)")
    with pytest.raises(DomainError) as e:
        r.apply("confirm", actor="zhao", role="company", at=AT)
    assert e.value.code == "not_authorised"
    r = r.apply("confirm", actor="li", role="regulator", at=AT)
    assert r.final and r.verified_emissions == D("101500") and r.findings[0].severity == "major"
    with pytest.raises(DomainError) as e:  # confirmed is final
        r.apply("return", actor="li", role="regulator", at=AT)
    assert "final" in e.value.message


def test_regulator_determines_a_missing_report() -> None:
    r = EmissionReport("P2", 2021, D(0), {})
    r = r.determine(actor="li", at=AT, emissions=D("130000"), rule="highest of the last 3 years × 1.1")
    assert r.final and r.determined and r.state == "determined"


def test_conflict_of_interest() -> None:
    h = VerifierHistory("V-Org", frozenset({"P9"}), frozenset({"P8"}), {"P1": frozenset({2018, 2019, 2020}),
                                                                        "P2": frozenset({2019, 2020})})
    assert "consulted" in (conflict_of_interest(h, "P9", 2021) or "")
    assert "related" in (conflict_of_interest(h, "P8", 2021) or "")
    assert "3 years running" in (conflict_of_interest(h, "P1", 2021) or "")
    assert conflict_of_interest(h, "P2", 2021) is None
    assert conflict_of_interest(h, "P1", 2021, max_consecutive=4) is None


def test_a_finding_is_written_severity_colon_text() -> None:
    from openets.mrv.documents import parse_finding

    assert parse_finding(" major : March purchases missing ") == Finding("major", "March purchases missing")
    assert parse_finding("observation:a: b") == Finding("observation", "a: b")  # the first colon separates
    for bad in ("no colon", "grave:unknown severity", "minor:  "):
        with pytest.raises(DomainError) as e:
            parse_finding(bad)
        assert e.value.code == "finding_invalid"


def test_a_units_emissions_without_its_sector_are_refused_every_row_named() -> None:
    """The power plans' gap cap covers the units of its sectors (gap_cap_sectors): a verified row with a
    unit's emissions and no sector would silently fall outside it, so the verification is refused."""
    r = EmissionReport("P1", 2024, D("1200000"), [])
    r = r.apply("submit", actor="zhao", role="company", at=AT).assign("V-Org", actor="li", at=AT)
    r = r.apply("start_verification", actor="V-Org", role="verifier", at=AT)
    rows = [{"source_id": "U1", "sector": "power", "emissions": "1000000"}, {"source_id": "G1", "emissions": "200000"},
            {"source_id": "C1", "sector": "cement"}, {"source_id": "G2", "sector": "", "emissions": "5"}]
    with pytest.raises(DomainError) as e:
        r.verify(actor="V-Org", at=AT, emissions=D("1200005"), output=rows, statement="x")
    assert e.value.code == "output_sector_missing" and "verified output rows 2, 4:" in e.value.message
    with pytest.raises(DomainError) as e:  # the same check the report service runs when a report is filed
        sectors_named(rows[1:2], "output")
    assert e.value.message == "output row 1: a unit's emissions are given without its sector"
    done = r.verify(actor="V-Org", at=AT, emissions=D("1200000"), output=rows[:1] + rows[2:3], statement="x")
    assert done.state == "verified"
