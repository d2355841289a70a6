"""Monthly evidence (月度信息化存证) as a data-quality check: each month's items due within the rules'
window after the month ends (national: 40 days, unverified); late and missing months found."""

from datetime import date, datetime

import pytest

from openets.core.clock import MARKET_TZ
from openets.core.errors import DomainError
from openets.mrv.evidence import EvidenceRules, due_day, monthly_evidence, parse_evidence
from openets.rules.loader import RuleSet
from openets.services.rulebook import default_rulebook, evidence_rules


def test_due_days_from_the_rule_data() -> None:
    """January 2023 ends on the 31st: + 40 days = 12 March 2023; February 2024 (leap) ends on the 29th:
    + 40 = 9 April 2024; December 2023: 31 Dec + 40 = 9 February 2024."""
    r = evidence_rules(default_rulebook(), "CEA", 2023, datetime(2023, 6, 1, tzinfo=MARKET_TZ))
    assert r.days_after_month_end == 40
    assert due_day(2023, 1, r) == date(2023, 3, 12)
    assert due_day(2024, 2, r) == date(2024, 4, 9)
    assert due_day(2023, 12, r) == date(2024, 2, 9)
    with pytest.raises(DomainError, match="no evidence rules for compliance year 2021"):
        evidence_rules(default_rulebook(), "CEA", 2021, datetime(2022, 6, 1, tzinfo=MARKET_TZ))


def test_late_and_missing_months_are_found() -> None:
    """Items generation and ncv, judged on 20 April 2023: January due 12 March, February due 9 April
    (28 Feb + 40), March due 10 May (not yet due). Generation January uploaded 12 March (on time),
    February 15 April (6 days late); ncv January missing, February uploaded 9 April (on time); March
    not judged."""
    r = EvidenceRules(40, ("generation", "ncv"))
    uploads = {(1, "generation"): date(2023, 3, 12), (2, "generation"): date(2023, 4, 15),
               (2, "ncv"): date(2023, 4, 9)}
    got = monthly_evidence("U1", 2023, uploads, r, today=date(2023, 4, 20))
    assert [(f.check, f.where, f.message) for f in got] == [
        ("evidence_missing", "U1 2023-01 ncv", "no monthly evidence; due by 2023-03-12"),
        ("evidence_late", "U1 2023-02 generation", "uploaded 2023-04-15, 6 days after the due day 2023-04-09"),
    ]


def test_months_before_the_first_are_not_required() -> None:
    """National: from April 2022. Judged on 1 March 2023, nothing uploaded: April … December 2022
    missing (December due 9 February 2023), January–March 2022 not required: 9 months × 1 item."""
    r = EvidenceRules(40, ("supply",), date(2022, 4, 1))
    got = monthly_evidence("U2", 2022, {}, r, today=date(2023, 3, 1))
    assert [f.where for f in got] == [f"U2 2022-{m:02d} supply" for m in range(4, 13)]


def test_bad_evidence_data_names_the_fields() -> None:
    got = parse_evidence(RuleSet.__new__(RuleSet), {"days_after_month_end": 0, "items": [], "first_month": "2022-04-02"})
    assert isinstance(got, list)
    assert {e.field for e in got} == {"days_after_month_end", "items", "first_month"}
