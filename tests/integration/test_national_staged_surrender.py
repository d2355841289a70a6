"""The national 2021 compliance year on a real database: the staged surrender of the 2021–2022 plan
(95 % by 15 Nov 2023, 100 % by 31 Dec 2023) through the compliance service, from what it holds."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

from openets.core.clock import FixedClock
from openets.registry.commands import Surrender
from openets.services.compliance import ComplianceService
from openets.services.reports import ReportService
from openets.testing.builders import build_world


def test_national_2021_staged_surrender(engine) -> None:  # type: ignore[no-untyped-def]
    """Each of A, B, C owes 100,000 t (determined) and holds 100,000 t of CEA-2021; the 95 % stage is
    95,000 t by 15 Nov 2023. A: 95,000 on 10 Nov + 5,000 on 20 Dec → compliant. B: 90,000 on 10 Nov +
    10,000 on 20 Dec → late on 1 Dec (behind the stage, 10,000 short), compliant_late in January.
    C: 95,000 on 10 Nov only → on time for the stage, non_compliant after 31 Dec, 5,000 short."""
    clock = FixedClock(datetime(2023, 4, 1, 2, tzinfo=UTC))
    w = build_world(engine, clock, market="CEA", vintage=2021, companies=3, issue=1_000_000, allocate=100_000)
    svc = w.svc
    reports = ReportService(svc)
    names = ["A", "B", "C"]
    for i in range(3):
        reports.determine_missing(w.reg, market="CEA", year=2021, company=f"CEA-REG-{i:05d}", emissions=D(100_000))

    def surrender(i: int, qty: int, when: datetime) -> None:
        clock.at = when
        svc.one(w.companies[i], Surrender(from_account=w.accounts[i].id, unit_class=w.unit_class.id, quantity=qty,
                                          compliance_year=2021))

    nov, dec = datetime(2023, 11, 10, 2, tzinfo=UTC), datetime(2023, 12, 20, 2, tzinfo=UTC)
    surrender(0, 95_000, nov)
    surrender(1, 90_000, nov)
    surrender(2, 95_000, nov)
    clock.at = datetime(2023, 12, 1, 2, tzinfo=UTC)
    cs = ComplianceService(svc)
    mid = {names[i]: s.status for i, s in enumerate(cs.statuses("CEA", 2021))}
    assert {k: (v.code, v.shortfall) for k, v in mid.items()} == {"A": ("due", 5_000), "B": ("late", 10_000),
                                                                  "C": ("due", 5_000)}
    surrender(0, 5_000, dec)
    surrender(1, 10_000, dec)
    clock.at = datetime(2024, 1, 2, 2, tzinfo=UTC)
    end = {names[i]: s.status for i, s in enumerate(cs.statuses("CEA", 2021))}
    assert {k: (v.code, v.shortfall) for k, v in end.items()} == {
        "A": ("compliant", 0), "B": ("compliant_late", 0), "C": ("non_compliant", 5_000)}
    assert cs.plan_terms("CEA", 2019) is None  # the first period has no plan section: one deadline
