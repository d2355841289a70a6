"""Every outcome of a compliance year, by hand; Beijing's working days and rate; the national caps."""

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from openets.compliance.core import (
    Rate,
    Rates,
    Status,
    Surrendered,
    add_working_days,
    average_price,
    end_of,
    fine,
    gap_capped,
    obligation,
    rates,
    status,
    unit_obligation,
)
from openets.compliance.rules import ComplianceRules
from openets.core.errors import DomainError

DEADLINE = end_of(date(2017, 6, 15))  # Beijing 2016: 15 June 2017, end of day, Asia/Shanghai
ORDER = end_of(add_working_days(date(2017, 6, 16), 10))  # 京发改[2017]850号, 16 June: 10 working days from it


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour - 8, tzinfo=UTC)


def test_working_days_and_deadlines() -> None:
    # Beijing's order 京发改[2017]850号 is dated Friday 16 June 2017; 10 working days from it: Mon 19–Fri 23
    # June (1–5), Mon 26–Fri 30 June (6–10) → 30 June. June 2017 has no public holiday (the Dragon Boat
    # holiday, 28–30 May, and its make-up Saturday 27 May are before); weekends 17–18 and 24–25 are off.
    assert add_working_days(date(2017, 6, 16), 10) == date(2017, 6, 30)
    from openets.compliance.core import deadlines
    from openets.services.rulebook import default_rulebook

    bj = default_rulebook().lookup("BJ", 2016, date(2017, 6, 1), "compliance").section("compliance", ComplianceRules)
    assert deadlines(bj)[1] == end_of(date(2017, 6, 30))  # the rule data's order day, not the deadline
    # 10 working days after Thursday 15 June 2017: 16, 19–23, 26–29 June → 29 June
    assert add_working_days(date(2017, 6, 15), 10) == date(2017, 6, 29)
    # over the National Day holiday 2017: Saturday 30 Sep is a make-up working day (1st), 1–8 Oct are off,
    # Monday 9 Oct is the 2nd
    assert add_working_days(date(2017, 9, 29), 2) == date(2017, 10, 9)
    assert DEADLINE.isoformat().startswith("2017-06-15T23:59:59")


def test_every_outcome() -> None:
    owed = obligation(D("10000.2"))  # a fraction of a tonne is still owed
    assert owed == 10_001
    s = [Surrendered(at(date(2017, 6, 10)), 10_001)]
    assert status(owed=owed, surrenders=s, deadline=DEADLINE, order_deadline=ORDER, now=at(date(2017, 7, 1))).code == \
        "compliant"
    early = [Surrendered(at(date(2017, 6, 10)), 9_000)]
    assert status(owed=owed, surrenders=early, deadline=DEADLINE, order_deadline=ORDER,
                  now=at(date(2017, 6, 12))).code == "due"
    assert status(owed=owed, surrenders=early, deadline=DEADLINE, order_deadline=ORDER,
                  now=at(date(2017, 6, 20))).code == "late"
    late_then = early + [Surrendered(at(date(2017, 6, 25)), 1_001)]
    got = status(owed=owed, surrenders=late_then, deadline=DEADLINE, order_deadline=ORDER, now=at(date(2017, 7, 1)))
    assert got.code == "compliant_late" and got.letter == "B"  # a late surrender keeps B: A means by the deadline
    never = status(owed=owed, surrenders=early, deadline=DEADLINE, order_deadline=ORDER, now=at(date(2017, 7, 1)))
    assert (never.code, never.shortfall, never.letter) == ("non_compliant", 1_001, "B")
    # verified emissions corrected upward after the deadline: recomputed, the status follows
    corrected = status(owed=obligation(D("10500")), surrenders=s, deadline=DEADLINE, order_deadline=ORDER,
                       now=at(date(2017, 7, 1)))
    assert corrected.code == "non_compliant" and corrected.shortfall == 499
    assert status(owed=None, surrenders=[], deadline=DEADLINE, order_deadline=ORDER,
                  now=at(date(2017, 6, 1))).letter == "C"


def test_beijing_fine_by_hand() -> None:
    trades = [(date(2017, 1, 10), 5200, 10_000), (date(2017, 3, 10), 5000, 30_000), (date(2016, 1, 1), 1, 10**9)]
    price = average_price(trades, date(2016, 12, 16), date(2017, 6, 15))  # the preceding six months
    assert price == D(5050)  # (5,200 × 10,000 + 5,000 × 30,000) / 40,000 fen
    assert fine(1_001, D(3), price, low=D(3), high=D(5)) == 15_165_150  # 3 × 50.50 yuan × 1,001 t = 151,651.50 yuan
    with pytest.raises(DomainError):
        fine(1, D(6), price, low=D(3), high=D(5))


def test_average_price_rounded_half_up_to_the_fen() -> None:
    # (5,000 × 100 + 5,200 × 50) / 150 = 5,066.666… → 5,067; (5,000 + 5,001) / 2 = 5,000.5 → 5,001 (half up);
    # (5,000 × 3 + 5,001) / 4 = 5,000.25 → 5,000
    day = date(2017, 5, 2)
    assert average_price([(day, 5000, 100), (day, 5200, 50)], day, day) == D(5067)
    assert average_price([(day, 5000, 1), (day, 5001, 1)], day, day) == D(5001)
    assert average_price([(day, 5000, 3), (day, 5001, 1)], day, day) == D(5000)
    assert fine(1_000, D(3), average_price([(day, 5000, 100), (day, 5200, 50)], day, day),
                low=D(3), high=D(5)) == 15_201_000  # 3 × 5,067 × 1,000


def test_rates_as_the_seed_reports_them() -> None:
    bj = Rate(925, 947)
    assert bj.as_published() == "98 %" and bj.as_published(1) == "97.7 %"
    sz = Rate(469, 824)
    assert sz.as_published(1) == "56.9 %"  # the seed says 60 %
    # on time, final and by quantity kept apart: 3 on time (100 t each), 1 late in full (50 t), 1 short
    # (owes 200 t, surrendered 120 t), 1 whose emissions are missing, 1 excluded (not counted at all)
    statuses = [Status("compliant", 100, 100, 0)] * 3 + [Status("compliant_late", 50, 50, 0),
                Status("non_compliant", 200, 120, 80), Status("emissions_missing", None, 0, 0),
                Status("excluded", None, 0, 0)]
    got = rates(statuses)
    # on time 3/6; final (3 + 1)/6; tonnes (300 + 50 + 120)/(300 + 50 + 200) = 470/550 = 85.45 % → 85.5 %
    assert got == Rates(Rate(3, 6), Rate(4, 6), Rate(470, 550))
    assert got.as_published(1) == "50.0 % on time, 66.7 % final, 85.5 % of tonnes"
    # a surrender above the obligation counts up to what is owed: 150 of 100 → 100/100
    assert rates([Status("compliant", 100, 150, 0)]).quantity == Rate(100, 100)
    assert Rate(0, 0).as_published() == "-"


def test_national_unit_obligation_caps() -> None:
    # a company (one coal unit): VE 1,000,000, free allocation 700,000: shortfall 300,000 > 20 % of VE → owes 900,000
    assert gap_capped(unit_obligation(1_000_000, 700_000), 1_000_000, 700_000, D("0.20")) == 900_000
    assert gap_capped(1_000_000, 1_000_000, 850_000, D("0.20")) == 1_000_000  # a small shortfall: the whole VE
    assert gap_capped(1_000_000, 1_000_000, 700_000, None) == 1_000_000  # no cap in the rule set
    assert unit_obligation(500_000, 400_000, gas=True) == 400_000  # gas: at most its free allocation
    assert unit_obligation(300_000, 400_000, gas=True) == 300_000  # … and its VE when below it
