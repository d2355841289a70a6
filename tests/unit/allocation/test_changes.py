from datetime import date
from decimal import Decimal as D

import pytest

from openets.allocation.changes import Change, apply_changes, covered
from openets.allocation.plan import ProductionRow
from openets.core.errors import DomainError


def row(company: str, source: str, output: int) -> ProductionRow:
    return ProductionRow(f"{company}/{source}", company, source, "cement", output=D(output))


def test_liaoning_list() -> None:
    """157 reports verified, 129 confirmed: 14 outside the criteria, 18 shut down, +4 by boundary changes."""
    companies = [f"LN{i:03d}" for i in range(157)]
    changes = ([Change("exclusion", date(2016, 1, 1), c) for c in companies[:14]]
               + [Change("closure", date(2015, 12, 31), c) for c in companies[14:32]]
               + [Change("boundary", date(2016, 1, 1), companies[40 + i], source_id="S", to_company=f"NEW{i}")
                  for i in range(4)])
    assert len(covered(companies, changes, 2016)) == 157 - 14 - 18 + 4 == 129


def test_pro_rata_by_days() -> None:
    rows = [row("A", "S1", 365_000), row("B", "S2", 365_000), row("C", "S3", 365_000)]
    got = apply_changes(rows, [
        Change("closure", date(2017, 7, 2), "A", "S1"),  # 182 days operated in 2017
        Change("boundary", date(2017, 4, 1), "B", "S2", to_company="D"),  # 90 days with B, 275 with D
        Change("merger", date(2017, 1, 1), "C", to_company="E"),  # from the first day: all E's
    ], 2017)
    by = {(r.company, r.source_id): r.output for r in got}
    assert by[("A", "S1")] == 182_000
    assert by[("B", "S2")] == 90_000 and by[("D", "S2@2017-04-01")] == 275_000
    assert by[("E", "S3")] == 365_000 and ("C", "S3") not in by
    assert sum(by.values()) == 365_000 * 3 - 183_000  # nothing lost or invented but the closed days


def test_entrant_counts_from_its_start_and_bad_changes_are_refused() -> None:
    got = apply_changes([row("N", "S9", 365_000)], [Change("entrant", date(2017, 10, 1), "N")], 2017)
    assert got[0].output == 92_000  # 92 days from 1 October
    with pytest.raises(DomainError):
        apply_changes([row("A", "S1", 1)], [Change("merger", date(2017, 1, 1), "A")], 2017)
    with pytest.raises(DomainError):
        apply_changes([row("A", "S1", 1)], [Change("closure", date(2017, 1, 1), "Z")], 2017)
