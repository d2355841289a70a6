from datetime import date, time
from decimal import Decimal as D

from openets.compliance.core import deadlines
from openets.compliance.rules import ComplianceRules
from openets.services.rulebook import default_rulebook


def test_parsed_at_load_with_one_default_each() -> None:
    bj = default_rulebook().lookup("BJ", 2016, date(2017, 6, 1), "compliance").section("compliance", ComplianceRules)
    assert bj == ComplianceRules(deadline=date(2017, 6, 15), order_working_days=10, fine_multiplier=(D(3), D(5)),
                                 fine_price_months=6, rounding="ceiling")
    cea = default_rulebook().lookup("CEA", 2019, date(2021, 6, 1), "compliance").section("compliance", ComplianceRules)
    assert cea.unit_gap_cap == D("0.20") and cea.gas_capped_at_allocation and cea.per_unit
    assert cea.takes_over is not None and "SZ" in cea.takes_over.from_pilots


def test_deadlines_order_and_closing_hour() -> None:
    d, order = deadlines(ComplianceRules(deadline=date(2017, 6, 30), order_deadline=date(2017, 7, 10)))
    assert (d.date(), d.time().hour, order is not None and order.date()) == (date(2017, 6, 30), 23, date(2017, 7, 10))
    d, order = deadlines(ComplianceRules(deadline=date(2017, 6, 30), closing_time=time(17)))
    assert (d.time(), order) == (time(17), None)
