"""The national plans' terms (mechanisms.md §8.3): the 2021–2022 staged surrender (95 % by 15 Nov 2023,
100 % by 31 Dec 2023), conditional borrowing (gap > 10 % of the allocation, at most 50 % of the gap),
and the 2023–2024 carry-over limit (10,000 t + 1.5 × net sales 2019–2024), no borrowing, direct only."""

from datetime import date, datetime
from decimal import Decimal as D

import pytest

from openets.compliance.core import Surrendered
from openets.compliance.plan import (
    BankingLimit,
    PlanTerms,
    borrowable,
    carried_over,
    carry_over_limit,
    net_sold,
    owed_emissions,
    parse_plan_terms,
    stage_amounts,
    staged_status,
)
from openets.core.clock import MARKET_TZ
from openets.core.errors import DomainError
from openets.services.rulebook import compliance_rules, default_rulebook, plan_terms


def at(y: int, m: int, d: int, h: int = 12) -> datetime:
    return datetime(y, m, d, h, tzinfo=MARKET_TZ)


def terms(year: int, when: datetime) -> PlanTerms:
    return plan_terms(default_rulebook(), "CEA", year, when)


def test_2021_2022_stages_from_the_rule_data() -> None:
    """Owed 1,000,001 t: 95 % = 950,000.95 → 950,001 t by 15 Nov (a fraction still owed), all by 31 Dec."""
    t = terms(2021, at(2023, 6, 1))
    assert stage_amounts(1_000_001, t.stages) == [(date(2023, 11, 15), 950_001), (date(2023, 12, 31), 1_000_001)]
    assert compliance_rules(default_rulebook(), "CEA", 2022, at(2023, 6, 1)).deadline == date(2023, 12, 31)


def test_staged_status_early_stage_missed_is_late_then_compliant_late() -> None:
    """Owed 100,000 t, 95 % stage 95,000 t by 15 Nov. Company X surrenders 90,000 on 1 Nov and 10,000
    on 20 Dec: on 1 Dec it is behind the passed stage (90,000 < 95,000): late, shortfall 10,000; after
    the 31 Dec deadline it has surrendered it all, but not the 95 % in time: compliant_late (not A-on-time).
    Company Y surrenders 95,000 on 14 Nov and 5,000 on 30 Dec: compliant."""
    t = terms(2021, at(2023, 6, 1))
    x = [Surrendered(at(2023, 11, 1), 90_000), Surrendered(at(2023, 12, 20), 10_000)]
    mid = staged_status(owed=100_000, surrenders=x, stages=t.stages, order_deadline=None, now=at(2023, 12, 1))
    assert (mid.status.code, mid.status.shortfall, mid.missed) == ("late", 10_000, ((date(2023, 11, 15), 95_000, 90_000),))
    end = staged_status(owed=100_000, surrenders=x, stages=t.stages, order_deadline=None, now=at(2024, 1, 2))
    assert (end.status.code, end.status.shortfall) == ("compliant_late", 0)
    before = staged_status(owed=100_000, surrenders=x, stages=t.stages, order_deadline=None, now=at(2023, 11, 10))
    assert before.status.code == "due" and before.missed == ()  # the stage has not passed yet
    y = [Surrendered(at(2023, 11, 14), 95_000), Surrendered(at(2023, 12, 30), 5_000)]
    ok = staged_status(owed=100_000, surrenders=y, stages=t.stages, order_deadline=None, now=at(2024, 1, 2))
    assert (ok.status.code, ok.missed) == ("compliant", ())
    short = staged_status(owed=100_000, surrenders=y[:1], stages=t.stages, order_deadline=None, now=at(2024, 1, 2))
    assert (short.status.code, short.status.shortfall) == ("non_compliant", 5_000)


def test_borrowing_only_above_ten_percent_and_at_most_half_the_gap() -> None:
    """Allocation 1,000,000 t. Owed 1,150,001: gap 150,001 > 10 % × 1,000,000 = 100,000 → at most
    50 % × 150,001 = 75,000.5 → 75,000 t of 2023 allowances (rounded down). Owed 1,100,000: gap 100,000
    is not above 100,000 → 0. 2023–2024: no borrowing at all."""
    rule = terms(2022, at(2023, 6, 1)).borrowing
    assert rule is not None and rule.from_vintage == 2023
    assert borrowable(1_150_001, 1_000_000, rule) == 75_000
    assert borrowable(1_100_000, 1_000_000, rule) == 0
    assert borrowable(900_000, 1_000_000, rule) == 0
    assert terms(2023, at(2024, 11, 1)).borrowing is None
    assert borrowable(1_500_000, 1_000_000, None) == 0


def test_carry_over_limit_2023_2024() -> None:
    """10,000 + 1.5 × net sales 2019–2024. Sold 30,000 in 2020 and 5,001 in 2024, bought 12,000 in
    2022, sold 99,999 in 2025 (outside): net 23,001 → 10,000 + 34,501.5 → 44,501 t (rounded down). A net
    buyer, or zero net sales: 10,000 t (mechanisms.md §8.5's test vector). A surplus of 50,000 carries
    44,501; one of 8,000 carries all 8,000."""
    rule = terms(2024, at(2025, 6, 1)).banking_limit
    assert rule == BankingLimit(10_000, D("1.5"), (2019, 2024))
    sold = net_sold([(2020, 30_000), (2024, 5_001), (2022, -12_000), (2025, 99_999)], rule.sales_years)
    assert sold == 23_001
    assert carry_over_limit(sold, rule) == 44_501
    assert carry_over_limit(0, rule) == carry_over_limit(-5_000, rule) == 10_000
    assert carried_over(50_000, sold, rule) == 44_501
    assert carried_over(8_000, sold, rule) == 8_000
    assert carried_over(8_000, sold, None) == 8_000


def test_indirect_emissions_dropped_from_2023() -> None:
    """Direct 1,000,000.4 t and indirect 20,000 t: 2023 owes for the direct only; 2021 for both."""
    assert owed_emissions(D("1000000.4"), D(20_000), terms(2023, at(2024, 11, 1))) == D("1000000.4")
    assert owed_emissions(D("1000000.4"), D(20_000), terms(2021, at(2023, 6, 1))) == D("1020000.4")


def test_bad_plan_data_names_every_field() -> None:
    from openets.rules.loader import RuleSet
    got = parse_plan_terms(RuleSet.__new__(RuleSet), {
        "stages": [{"by": "2023-11-15", "share": "0.95"}, {"by": "2023-11-01", "share": "0.9"}],
        "borrowing": {"from_vintage": 2023}, "banking_limit": {"base": 10_000, "sold_multiple": "x", "sales_years": [2024]},
        "scope": "all"})
    assert isinstance(got, list)
    fields = {e.field for e in got}
    assert {"stages", "borrowing.min_gap_share", "borrowing.max_share_of_gap", "banking_limit.sold_multiple",
            "banking_limit.sales_years", "scope"} <= fields
    with pytest.raises(DomainError, match="no plan rules for compliance year 2020"):
        plan_terms(default_rulebook(), "CEA", 2020, at(2021, 6, 1))


def test_no_double_coverage_after_2020_without_the_pilot_exception() -> None:
    """2021 on: a pilot's listed power company is the national market's in every year (no
    pilot_keeps_allocated); from 2024 steel, cement and aluminium too."""
    book = default_rulebook()
    r2021 = compliance_rules(book, "CEA", 2021, at(2023, 6, 1)).takes_over
    assert r2021 is not None and r2021.sectors == {"power"} and not r2021.pilot_keeps_allocated
    r2024 = compliance_rules(book, "CEA", 2024, at(2025, 6, 1)).takes_over
    assert r2024 is not None and r2024.sectors == {"power", "steel", "cement", "aluminium"}
